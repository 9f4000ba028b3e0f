// Inputs that used to pass for something else: model files that are not
// regular files or do not match their header, non-finite numbers that gave
// class 0, and training that diverged without a NaN.

import { equal, match, ok, rejects, throws } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import { loadNetwork, networkToBytes } from "../src/model/model_file.ts";
import { fit, TrainingDivergedError } from "../src/train/fit.ts";
import { ModelFormatError } from "../src/model/safetensors.ts";
import { backends } from "./_backends.ts";
import { selectKernels } from "../src/kernels/select.ts";
import { wasmHeapUsage } from "../src/kernels/wasm_kernels.ts";
import { createTsKernels } from "../src/kernels/ts_kernels.ts";
import { decodePgm, decodePng, encodePng } from "../src/view/png.ts";
import { saveNetwork } from "../src/model/model_file.ts";
import { evaluate } from "../src/cli/evaluate.ts";
import { predict } from "../src/cli/predict.ts";
import { serve } from "../src/cli/serve.ts";
import { checkOutputPath } from "../src/cli/_output.ts";
import { digitHandler } from "../src/web/api.ts";
import { capture } from "./_io.ts";

Deno.test("a model file is read only when it is a regular file of the size its header says", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = networkToBytes(new Network({ sizes: [4, 3], backend: "ts" }));
    const cases: [string, Uint8Array | "fifo" | "dir", RegExp][] = [
      ["appended", new Uint8Array([...good, 1, 2, 3]), /is \d+ bytes, but its header describes/],
      ["truncated", good.subarray(0, good.length - 4), /is \d+ bytes, but its header describes/],
      ["tiny", good.subarray(0, 5), /end inside the header length/],
      ["fifo", "fifo", /not a regular file \(a directory, device or pipe\)/],
      ["dir", "dir", /not a regular file/],
    ];
    for (const [name, content, message] of cases) {
      const path = `${dir}/${name}`;
      if (content === "dir") await Deno.mkdir(path);
      else if (content === "fifo") {
        // Deno cannot make a FIFO itself; a bare machine may lack mkfifo.
        let made = false;
        try {
          made = Deno.build.os !== "windows" &&
            (await new Deno.Command("mkfifo", { args: [path] }).output()).success;
        } catch {
          made = false; // no mkfifo on the PATH
        }
        if (!made) {
          console.log("  (the FIFO case skipped: no mkfifo on this machine)");
          continue;
        }
      } else await Deno.writeFile(path, content);
      await rejects(() => loadNetwork(path), (e: Error) => {
        match(e.message, message, name);
        match(e.message, new RegExp(`"${path}"`), name);
        return e instanceof ModelFormatError;
      });
    }
    if (Deno.build.os !== "windows") {
      await rejects(() => loadNetwork("/dev/zero"), /"\/dev\/zero": it is not a regular file/);
    }
    await Deno.writeFile(`${dir}/ok`, good);
    equal((await loadNetwork(`${dir}/ok`, { backend: "ts" })).spec, "dense(3)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const { name, ignore } of backends) {
  Deno.test({
    name: `${name}: NaN and ±Infinity inputs are refused, naming the sample and value`,
    ignore,
    async fn(): Promise<void> {
      const backend = name as "ts";
      for (const spec of ["dense(8) relu dense(3)", "conv(2,3) relu flatten dense(3)"]) {
        const net = Network.fromSpec(spec, { inputShape: [4, 4, 1], backend });
        for (const bad of [NaN, Infinity, -Infinity]) {
          const x = new Float32Array(3 * 16).fill(0.5);
          x[16 + 7] = bad;
          const refused = (e: Error): boolean =>
            e instanceof RangeError &&
            e.message.startsWith(`Input sample 1, value 7 is ${bad}; inputs must be finite`);
          const sgd = createOptimizer({ type: "sgd", learningRate: 0.1 });
          const before = net.params.slice();
          throws(() => net.predict(x), refused, `${spec} predict ${bad}`);
          throws(() => net.predictProba(x), refused);
          throws(() => net.forward(x, 3), refused);
          throws(() => net.trainBatch(x, new Int32Array(3), 3, sgd), refused);
          throws(() => net.trainSamples(x, new Int32Array(3), 3, sgd), refused);
          ok(net.params.every((v, i) => v === before[i]), "the weights are untouched");
        }
        // Finite floats still work, and bytes are never scanned.
        equal(net.predict(new Float32Array(32).fill(0.25)).length, 2);
        equal(net.predict(new Uint8Array(32)).length, 2);
        net.dispose();
      }
      const images = new Uint8Array(64 * 16).map((_, i) => (i * 31) % 256);
      const labels = new Uint8Array(64).map((_, i) => i % 3);
      const net = Network.fromSpec("dense(3)", { inputShape: [4, 4, 1], backend });
      await fit(net, { images, labels, count: 64, rows: 4, cols: 4 }, { epochs: 1 });
      net.dispose();
    },
  });
}

Deno.test("training that ends an epoch confidently wrong at chance stops as diverged, naming the rate", async () => {
  // Four classes by the brightest quarter of a 4x4 image: learnable.
  const count = 800;
  const images = new Uint8Array(count * 16), labels = new Uint8Array(count);
  for (let s = 0; s < count; s++) {
    labels[s] = s % 4;
    for (let p = 0; p < 16; p++) images[s * 16 + p] = (p >> 2) === s % 4 ? 200 : (s * p) % 60;
  }
  const data = { images, labels, count, rows: 4, cols: 4 };
  const net = () => new Network({ sizes: [16, 32, 4], backend: "ts", seed: 3 });
  await rejects(
    () => fit(net(), data, { epochs: 2, learningRate: 1000, optimizer: "sgd" }),
    (e: Error) => {
      ok(e instanceof TrainingDivergedError, e.message);
      match(e.message, /diverged in epoch 1: the loss is .* \(a uniform guess scores 1\.39\)/);
      match(e.message, /the learning rate 1000 is likely too high/);
      return true;
    },
  );
  // A sound rate, and a slow one that is still near the uniform guess, train on.
  for (const learningRate of [0.1, 1e-4]) {
    const history = await fit(net(), data, { epochs: 2, learningRate, optimizer: "sgd" });
    equal(history.epochs.length, 2, `lr ${learningRate}`);
  }
});

Deno.test("messages name the value and the fix, not an internal name", async () => {
  throws(() => selectKernels("native", 2 ** 31), /Thread count 2147483648 is more than the 256/);
  throws(
    () => createTsKernels().allocate(784_000_000_000),
    /Cannot allocate 784000000000 floats \(2920\.6 GiB\) in one array.*smaller batch/,
  );
  const png = await encodePng({ width: 2, height: 2, channels: 1, data: new Uint8Array(4) });
  const noHeader = new Uint8Array([...png.subarray(0, 8), ...png.subarray(8 + 25)]);
  await rejects(() => decodePng(noHeader, "x.png"), /"x\.png": it has no IHDR chunk/);
  await rejects(() => decodePng(png, "x.png", 3), /2x2 pixels is empty or more than the 3 allowed/);
  const pgm = new TextEncoder().encode("P5 2.5 2 255\n\0\0\0\0\0");
  throws(() => decodePgm(pgm, "x.pgm"), /header 2\.5x2, maxval 255 is out of range/);
});

Deno.test("the CLI names the file and line of a label the model lacks, and refuses empty CSVs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = `${dir}/m.safetensors`, csv = `${dir}/d.csv`, empty = `${dir}/e.csv`;
    await saveNetwork(new Network({ sizes: [4, 3], backend: "ts" }), model);
    await Deno.writeTextFile(csv, "label,a,b,c,d\n1,0,0,0,0\n2,0,0,0,0\n3,0,0,0,0\n");
    await Deno.writeTextFile(empty, "a,b,c,d\n");
    let io = capture();
    equal(await evaluate(["--model", model, "--csv", csv, "--backend", "ts"], io), 1);
    match(
      io.stderr,
      /"[^"]*d\.csv" line 4: label 3 is not one of the model's 3 classes \(0\.\.2\)/,
    );
    io = capture();
    const sub = `${dir}/sub.csv`;
    equal(await predict(["--model", model, "--csv", empty, "--submission", sub], io), 1);
    match(io.stderr, /has a header and no data rows; nothing to predict/);
    await rejects(() => Deno.stat(sub), Deno.errors.NotFound);
    // A link to an existing model may be named as --out; a device may not.
    await Deno.symlink(model, `${dir}/link.safetensors`);
    await checkOutputPath("out", `${dir}/link.safetensors`);
    if (Deno.build.os !== "windows") {
      await rejects(
        () => checkOutputPath("out", "/dev/stdout"),
        /--out "\/dev\/stdout": is a device or system file/,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serve: a busy port is named; HEAD works; a 413 closes the connection", async () => {
  const dir = await Deno.makeTempDir();
  const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const model = `${dir}/m.safetensors`;
    await saveNetwork(new Network({ sizes: [784, 10], backend: "ts" }), model);
    const io = capture();
    const port = String(busy.addr.port);
    equal(await serve(["--model", model, "--port", port], io), 1);
    match(io.stderr, new RegExp(`--port ${port}: the port is in use by another program`));
    const handler = digitHandler(await loadNetwork(model, { backend: "ts" }));
    const head = await handler(new Request("http://x/", { method: "HEAD" }));
    equal(head.status, 200);
    match(head.headers.get("content-type")!, /text\/html/);
    equal(await head.text(), "");
    const big = await handler(
      new Request("http://x/api/predict", { method: "POST", body: new Uint8Array(2 ** 21) }),
    );
    equal(big.status, 413);
    equal(big.headers.get("connection"), "close");
    await big.body?.cancel();
  } finally {
    busy.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fit awaits any thenable a callback returns, not only a Promise", async () => {
  const images = new Uint8Array(8 * 4), labels = new Uint8Array(8);
  const order: string[] = [];
  const thenable = (tag: string): PromiseLike<void> => ({
    then(resolve?: ((value: void) => unknown) | null): PromiseLike<never> {
      setTimeout(() => {
        order.push(tag);
        resolve?.();
      }, 1);
      return undefined as unknown as PromiseLike<never>;
    },
  });
  const net = new Network({ sizes: [4, 2], backend: "ts" });
  await fit(net, { images, labels, count: 8, rows: 2, cols: 2 }, {
    epochs: 1,
    batchSize: 4,
    onBatchEnd: (m) => {
      order.push(`batch ${m.batch}`);
      return thenable(`done ${m.batch}`) as unknown as Promise<void>;
    },
  });
  equal(order.join(", "), "batch 1, done 1, batch 2, done 2");
});

Deno.test({
  name: "train | head -1: the reader going away does not lose the run",
  ignore: Deno.build.os === "windows",
  async fn(): Promise<void> {
    const dir = await Deno.makeTempDir();
    try {
      const csv = `${dir}/d.csv`, out = `${dir}/m.safetensors`;
      const rows = Array.from({ length: 64 }, (_, i) => `${i % 3},${i % 7},1,2,${i % 5}`);
      await Deno.writeTextFile(csv, ["label,a,b,c,d", ...rows].join("\n") + "\n");
      const train = new URL("../src/cli/train.ts", import.meta.url).pathname;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", train, "--train-csv", csv, "--epochs", "30", "--out", out],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      // Read one chunk, then close the pipe as `head -1` does.
      const reader = child.stdout.getReader();
      await reader.read();
      await reader.cancel();
      const { code, stderr } = await child.output().catch(async () => ({
        code: (await child.status).code,
        stderr: new Uint8Array(),
      }));
      equal(code, 0, new TextDecoder().decode(stderr));
      ok((await Deno.stat(out)).size > 0, "the model was saved");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "memory is estimated before it is taken: fit refuses what does not fit, evaluation chunks shrink",
  ignore: !backends.find((b) => b.name === "wasm" && !b.ignore),
  async fn(): Promise<void> {
    const deep = Array(4).fill("conv(64,3,pad=1) relu").join(" ") + " flatten dense(10)";
    const count = 300;
    const live = wasmHeapUsage().networks;
    const images = new Uint8Array(count * 784).map((_, i) => i % 251);
    const labels = new Uint8Array(count).map((_, i) => i % 10);
    const data = { images, labels, count, rows: 28, cols: 28 };
    {
      using net = Network.fromSpec(deep, { inputShape: [28, 28, 1], backend: "wasm" });
      // 300 images at once would need ~240 MB of activations; chunks stay near 64 MiB.
      const start = wasmHeapUsage().bytes;
      const result = net.evaluate(data);
      ok(result.accuracy >= 0);
      const used = wasmHeapUsage().peakBytes - start;
      ok(used < 128 * 2 ** 20, `evaluation peaked at ${(used / 2 ** 20).toFixed(0)} MiB`);
      await rejects(
        () => fit(net, data, { epochs: 1, batchSize: 256 }),
        /at batch 256 needs about \d+ MiB .* more than the \d+ MiB the wasm heap has free/,
      );
      await rejects(
        () => fit(net, data, { epochs: 1, batchSize: 4, memoryLimit: 2 ** 20 }),
        /needs about \d+ MiB .* more than the 1 MiB memoryLimit; .* or raise memoryLimit/,
      );
    }
    equal(wasmHeapUsage().networks, live);
  },
});

for (const { name, ignore } of backends) {
  Deno.test({
    name: `${name}: plain SGD rounds each weight once per step, as momentum 0 (and PyTorch) do`,
    ignore,
    fn(): void {
      const backend = name as "ts";
      // A conv layer (its gradient sums rows x positions, many GEMM slices)
      // and a dense one at 300 rows (past one 256-row slice).
      const spec = "conv(4,3,pad=1) relu maxpool(2) flatten dense(5)";
      const rows = 300;
      const x = new Float32Array(rows * 36).map((_, i) => Math.sin(i * 0.37));
      const y = new Int32Array(rows).map((_, i) => i % 5);
      const make = () => Network.fromSpec(spec, { inputShape: [6, 6, 1], backend, seed: 9 });
      const sgd = make(), momentum0 = make();
      const a = createOptimizer({ type: "sgd", learningRate: 0.05, weightDecay: 1e-3 });
      const b = createOptimizer({
        type: "momentum",
        learningRate: 0.05,
        momentum: 0,
        weightDecay: 1e-3,
      });
      for (let step = 0; step < 5; step++) {
        sgd.trainBatch(x, y, rows, a);
        momentum0.trainBatch(x, y, rows, b);
      }
      const differ = sgd.params.findIndex((v, i) => v !== momentum0.params[i]);
      equal(
        differ,
        -1,
        `parameter ${differ}: ${sgd.params[differ]} vs ${momentum0.params[differ]}`,
      );
      sgd.dispose(), momentum0.dispose(), b.dispose();
    },
  });
}

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: pixels scale to exactly pixel/255, and Adam's 1 - beta is formed in double`,
    ignore,
    fn(): void {
      const k = kernels!;
      // Every byte value, gathered with the unit scale.
      const pixels = Uint8Array.from({ length: 256 }, (_, i) => i);
      const out = k.allocate(256);
      k.gatherBatch(out, null, pixels, null, Int32Array.of(0), 1, 256, 1 / 255, 0);
      const off = [...out].findIndex((v, i) => v !== Math.fround(i / 255));
      equal(off, -1, `byte ${off}: ${out[off]} vs ${Math.fround(off / 255)}`);
      // One Adam step from zero moments: v = (1 - beta2) g^2 and m = (1 - beta1) g,
      // against a double-precision reference (float32's 1 - 0.999 is 1.3e-5 off).
      const n = 64, g = k.allocate(n), p = k.allocate(n), m = k.allocate(n), v = k.allocate(n);
      g.set(Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1)));
      k.adamStep(p, g, m, v, n, 1e-3, 0.9, 0.999, 1e-8, 0, 1);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        worst = Math.max(worst, Math.abs(v[i] / (0.001 * g[i] * g[i]) - 1));
        worst = Math.max(worst, Math.abs(m[i] / (0.1 * g[i]) - 1));
      }
      ok(worst < 5e-7, `worst relative error ${worst.toExponential(2)}`);
      for (const a of [out, g, p, m, v]) k.free(a);
    },
  });
}

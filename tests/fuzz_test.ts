// A seeded, time-bounded fuzz suite: thousands of mutated IDX files, gzip
// streams, CSV texts, model files, PNG and PGM pictures, checkpoints, layer
// specs and HTTP requests. Each must end in a result or in the format's own
// typed error (IdxFormatError, CsvFormatError, ModelFormatError,
// ImageFormatError, SpecError; a 4xx for the API) that names the source:
// never another exception, a hang or a huge allocation. Every case must end
// within a second, and each suite within 1 GB of RSS.

import { ok } from "node:assert/strict";
import { gunzipIfNeeded, IdxFormatError, parseIdxImages, parseIdxLabels } from "../src/data/idx.ts";
import { CsvFormatError, parseDigitCsv } from "../src/data/csv.ts";
import { networkFromBytes, networkToBytes } from "../src/model/model_file.ts";
import { ModelFormatError } from "../src/model/safetensors.ts";
import { Network } from "../src/model/network.ts";
import { decodePgm, decodePng, encodePng, ImageFormatError } from "../src/view/png.ts";
import { parseSpec, SpecError } from "../src/model/layers/spec.ts";
import { checkpointToBytes, loadCheckpoint } from "../src/train/checkpoint.ts";
import { fit } from "../src/train/fit.ts";
import type { TrainingState } from "../src/train/training_state.ts";
import { digitHandler } from "../src/web/api.ts";

const testdata = new URL("./testdata/", import.meta.url);
const read = (name: string): Uint8Array => Deno.readFileSync(new URL(name, testdata));

/** xorshift32: the same mutations on every run. */
function generator(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** One random mutation: flip, set, insert, delete or truncate bytes. */
function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = Array.from(bytes);
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (out.length + 1));
    switch (Math.floor(random() * 6)) {
      case 0:
        if (at < out.length) out[at] ^= 1 << Math.floor(random() * 8);
        break;
      case 1:
        if (at < out.length) out[at] = [0, 255, 0x7f, 0x80, 44, 10, 13][Math.floor(random() * 7)];
        break;
      case 2:
        out.splice(at, 0, Math.floor(random() * 256));
        break;
      case 3:
        out.splice(at, 1 + Math.floor(random() * 8));
        break;
      case 4:
        out.length = Math.min(out.length, at);
        break;
      default:
        // Big values where sizes live: header fields and lengths.
        if (at + 4 <= out.length) out.splice(at, 4, 0x7f, 0xff, 0xff, 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** Runs `attempt` on `count` mutations of `seedBytes`; only `expected` may be thrown. */
async function fuzz(
  what: string,
  seedBytes: Uint8Array,
  count: number,
  expected: new (...args: never[]) => Error,
  attempt: (bytes: Uint8Array) => unknown,
): Promise<void> {
  const random = generator(seedBytes.length * 7919 + count);
  for (let i = 0; i < count; i++) {
    const bytes = mutate(seedBytes, random);
    const start = performance.now();
    try {
      await attempt(bytes);
    } catch (e) {
      ok(
        e instanceof expected,
        `${what} mutation ${i} threw ${(e as Error).name}: ${(e as Error).message} ` +
          `(bytes ${Array.from(bytes.subarray(0, 48))})`,
      );
    }
    const ms = performance.now() - start;
    ok(ms < 1000, `${what} mutation ${i} took ${ms.toFixed(0)} ms`);
  }
  const rss = Deno.memoryUsage().rss / 2 ** 20;
  ok(rss < 1024, `${what}: RSS ${rss.toFixed(0)} MB after ${count} cases`);
}

Deno.test("fuzz: 2,000 mutated IDX image and label files", async () => {
  await fuzz(
    "images",
    read("tiny-images-idx3-ubyte"),
    1000,
    IdxFormatError,
    (b) => parseIdxImages(b, "x"),
  );
  await fuzz(
    "labels",
    read("tiny-labels-idx1-ubyte"),
    1000,
    IdxFormatError,
    (b) => parseIdxLabels(b, "x"),
  );
});

Deno.test("fuzz: 1,000 mutated gzip streams of IDX files", async () => {
  await fuzz("gzip", read("tiny-images-idx3-ubyte.gz"), 1000, IdxFormatError, async (b) => {
    const raw = await gunzipIfNeeded(b, "x.gz");
    parseIdxImages(raw, "x.gz");
  });
});

Deno.test("fuzz: 2,000 mutated digit CSV files", async () => {
  await fuzz("csv", read("digits.csv"), 1000, CsvFormatError, (b) => parseDigitCsv(b, "x.csv"));
  await fuzz(
    "csv",
    read("digits-unlabelled.csv"),
    1000,
    CsvFormatError,
    (b) => parseDigitCsv(b, "x.csv"),
  );
});

Deno.test("fuzz: 2,000 mutated model files (v1 and v2)", async () => {
  const v2 = networkToBytes(
    Network.fromSpec("conv(2,3) relu maxpool(2) batchnorm flatten dense(3)", {
      inputShape: [6, 6, 1],
      backend: "ts",
    }),
  );
  const load = (b: Uint8Array): Network => networkFromBytes(b, "m", { backend: "ts" });
  await fuzz("model v2", v2, 1000, ModelFormatError, load);
  await fuzz("model v1", read("v1-8-5-4-tanh.safetensors"), 1000, ModelFormatError, load);
});

Deno.test("fuzz: 2,000 mutated PNG and PGM pictures", async () => {
  const pixels = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 37) % 256);
  const png = await encodePng({ width: 28, height: 28, channels: 1, data: pixels });
  await fuzz("png", png, 1000, ImageFormatError, (b) => decodePng(b, "x.png"));
  const pgm = new Uint8Array([...new TextEncoder().encode("P5 28 28 255\n"), ...pixels]);
  await fuzz("pgm", pgm, 1000, ImageFormatError, (b) => decodePgm(b, "x.pgm"));
});

Deno.test("fuzz: 1,000 mutated layer specs", async () => {
  const spec = new TextEncoder().encode(
    "conv(8,3,stride=2,pad=1) batchnorm leaky-relu maxpool(2,stride=1) dropout(0.25) " +
      "flatten dense(32) tanh dense(10)",
  );
  await fuzz("spec", spec, 1000, SpecError, (b) => parseSpec(new TextDecoder().decode(b)));
});

Deno.test("fuzz: 300 mutated checkpoints", async () => {
  const net = Network.fromSpec("conv(2,3) relu flatten dropout(0.1) dense(3)", {
    inputShape: [4, 4, 1],
    backend: "ts",
  });
  let state: TrainingState | undefined;
  const images = new Uint8Array(8 * 16).map((_, i) => i * 13), labels = new Uint8Array(8);
  await fit(net, { images, labels, count: 8, rows: 4, cols: 4 }, {
    epochs: 1,
    optimizer: "adam",
    learningRate: 1e-3,
    onEpochEnd: (_m, _stop, s) => void (state = s),
  });
  const bytes = checkpointToBytes(net, state!, { epochs: 2 });
  const dir = await Deno.makeTempDir();
  try {
    let n = 0;
    await fuzz("checkpoint", bytes, 300, ModelFormatError, async (b) => {
      const path = `${dir}/c${n++}.ckpt`;
      await Deno.writeFile(path, b);
      try {
        await loadCheckpoint(path, { backend: "ts" });
      } finally {
        await Deno.remove(path);
      }
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Thrown by the API fuzz for a response that is not a result or a client error. */
class ServerFault extends Error {}

Deno.test("fuzz: 1,000 mutated requests to the prediction API get a result or a 4xx", async () => {
  const handler = digitHandler(new Network({ sizes: [784, 10], backend: "ts" }));
  const pixels = Uint8Array.from({ length: 784 }, (_, i) => (i * 7) % 256);
  const png = await encodePng({ width: 28, height: 28, channels: 1, data: pixels });
  const json = new TextEncoder().encode(JSON.stringify({ pixels: Array.from(pixels) }));
  const post = async (body: Uint8Array, type: string): Promise<void> => {
    const response = await handler(
      new Request("http://x/api/predict", {
        method: "POST",
        body: body as Uint8Array<ArrayBuffer>,
        headers: { "content-type": type },
      }),
    );
    const text = await response.text();
    if (!(response.status === 200 || (response.status >= 400 && response.status < 500))) {
      throw new ServerFault(`${response.status}: ${text}`);
    }
    JSON.parse(text); // every answer is JSON
  };
  // Anything but a ServerFault (or a JSON error) would fail the `expected` check.
  class Never extends Error {}
  await fuzz("api png", png, 500, Never, (b) => post(b, "image/png"));
  await fuzz("api json", json, 500, Never, (b) => post(b, "application/json"));
});

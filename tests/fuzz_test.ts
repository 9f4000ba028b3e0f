// A seeded, time-bounded fuzz suite: thousands of mutated IDX files, gzip
// streams, CSV texts and model files. Each must end in a result or in the
// format's own typed error (IdxFormatError, CsvFormatError, ModelFormatError)
// that names the source: never another exception, a hang or a huge
// allocation (the parsers are bounded, see src/data/_read.ts).

import { ok } from "node:assert/strict";
import { gunzipIfNeeded, IdxFormatError, parseIdxImages, parseIdxLabels } from "../src/data/idx.ts";
import { CsvFormatError, parseDigitCsv } from "../src/data/csv.ts";
import { networkFromBytes, networkToBytes } from "../src/model/model_file.ts";
import { ModelFormatError } from "../src/model/safetensors.ts";
import { Network } from "../src/model/network.ts";

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
    try {
      await attempt(bytes);
    } catch (e) {
      ok(
        e instanceof expected,
        `${what} mutation ${i} threw ${(e as Error).name}: ${(e as Error).message} ` +
          `(bytes ${Array.from(bytes.subarray(0, 48))})`,
      );
    }
  }
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

// The augment kernel on every backend against the naive reference, its
// identity and reproducibility, its argument checks, and training with it.

import { equal, notDeepEqual, ok, rejects, throws } from "node:assert/strict";
import { augmentParams } from "../src/data/augment.ts";
import { referenceKernels as ref } from "./_reference_kernels.ts";
import { assertClose, backends, maxDiff, nativeKernels, randomFloats } from "./_backends.ts";
import { createTsKernels } from "../src/kernels/ts_kernels.ts";
import { Network } from "../src/model/network.ts";
import { fit } from "../src/train/fit.ts";

const CASES: [string, number, number, number, Float32Array][] = [
  ["shift", 5, 28, 28, augmentParams("shift", -0.4)],
  ["light", 4, 28, 28, augmentParams("light", 0)],
  ["strong, odd size", 3, 7, 9, augmentParams("strong", 0.25)],
  ["elastic, spacing 3", 2, 12, 10, augmentParams({ elastic: 2, spacing: 3 }, 0)],
];

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: augment matches the reference; all-zero settings are the identity`,
    ignore,
    fn(): void {
      const k = kernels!;
      for (const [what, rows, h, w, params] of CASES) {
        const x = k.allocate(rows * h * w);
        x.set(randomFloats(rows * h * w, h * w));
        const got = k.allocate(rows * h * w), want = new Float32Array(rows * h * w);
        k.augment(got, x, rows, h, w, params, 7, 11);
        ref.augment(want, x, rows, h, w, params, 7, 11);
        assertClose(got, want, 1e-4, `${what}`);
        notDeepEqual(got, x, `${what} changes the images`);
        const again = k.allocate(rows * h * w);
        k.augment(again, x, rows, h, w, params, 7, 11);
        equal(maxDiff(again, got), 0, `${what}: same seed and counter, same result`);
        k.augment(again, x, rows, h, w, params, 7, 12);
        ok(maxDiff(again, got) > 0, `${what}: the next counter draws anew`);
      }
      const x = randomFloats(2 * 28 * 28, 3), out = k.allocate(x.length);
      k.augment(out, x, 2, 28, 28, augmentParams({}, 0), 1, 1);
      equal(maxDiff(out, x), 0, "no change asked, none made");
    },
  });

  Deno.test({
    name: `${name}: augment refuses overlapping buffers, bad settings and oversized elastic grids`,
    ignore,
    fn(): void {
      const k = kernels!, x = k.allocate(2 * 16), p = augmentParams("light", 0);
      throws(() => k.augment(x.subarray(1), x, 1, 4, 4, p, 1, 1), /out and x overlap/);
      throws(
        () => k.augment(k.allocate(16), x, 1, 4, 4, Float32Array.of(1, 0, 1.5, 0, 4, 0), 1, 1),
        /scale in \[0, 1\)/,
      );
      throws(
        () =>
          k.augment(k.allocate(16), x, 1, 4, 4, Float64Array.of(0, 0, 0, 0, 4, 0) as never, 1, 1),
        /params must be a Float32Array/,
      );
      const big = 300 * 300;
      throws(
        () =>
          k.augment(
            k.allocate(big),
            k.allocate(big),
            1,
            300,
            300,
            augmentParams("strong", 0),
            1,
            1,
          ),
        /elastic grid of 5776 nodes/,
      );
    },
  });
}

Deno.test({
  name: "native and TS augment a batch alike (same draws; sin/cos round differently)",
  ignore: !nativeKernels,
  fn(): void {
    const ts = createTsKernels(), x = randomFloats(64 * 784, 9);
    const a = new Float32Array(x.length), b = nativeKernels!.allocate(x.length);
    const p = augmentParams("strong", 0);
    ts.augment(a, x, 64, 28, 28, p, 5, 99);
    nativeKernels!.augment(b, x, 64, 28, 28, p, 5, 99);
    ok(maxDiff(a, b) < 1e-4, `${maxDiff(a, b)}`);
  },
});

Deno.test("fit with augmentation trains on changed batches, reproducibly", async () => {
  const data = {
    images: Uint8Array.from(
      { length: 40 * 64 },
      (_, i) => ((i % 64) >> 3 === (i >> 6) % 4 ? 200 : 0),
    ),
    labels: Uint8Array.from({ length: 40 }, (_, i) => i % 4),
    count: 40,
    rows: 8,
    cols: 8,
  };
  const run = async (augment?: "light"): Promise<Float32Array> => {
    const net = new Network({ sizes: [64, 8, 4], seed: 2, backend: "ts" });
    await fit(net, data, { epochs: 2, batchSize: 8, augment });
    return net.params.slice();
  };
  const [plain, a, b] = [await run(), await run("light"), await run("light")];
  equal(maxDiff(a, b), 0, "same seed, same augmented run");
  const flat = { ...data, rows: 1, cols: 64 };
  await rejects(
    fit(new Network({ sizes: [64, 4], backend: "ts" }), flat, { epochs: 1, augment: "shift" }),
    /Augmentation distorts images, but the samples are 1x64/,
  );
  ok(maxDiff(plain, a) > 1e-4, "augmentation changed what was learned");
});

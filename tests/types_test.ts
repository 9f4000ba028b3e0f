// The public API and the native boundary check element types: the array
// types users hold (dataset bytes, canvas pixels) work on both backends with
// the same results, and anything else is a TypeError, never a crash.

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import { backends, randomFloats } from "./_backends.ts";

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: images as Uint8Array, Uint8ClampedArray and Float32Array give the same results`,
    ignore,
    fn(): void {
      const net = Network.fromSpec("conv(4,3) relu maxpool(2) flatten dense(10)", {
        seed: 2,
        backend: kernels,
      });
      const bytes = Uint8Array.from({ length: 784 * 5 }, (_, i) => (i * 31) % 256);
      const clamped = new Uint8ClampedArray(bytes);
      const floats = Float32Array.from(bytes, (v) => v / 255);
      const p = net.predictProba(bytes);
      deepEqual(net.predictProba(clamped), p);
      const pf = net.predictProba(floats);
      ok(p.every((v, i) => Math.abs(v - pf[i]) < 1e-6));
      deepEqual(net.predict(clamped), net.predict(bytes));
      for (const bad of [new Float64Array(784), new Int32Array(784), [0, 1], "x", null]) {
        throws(() => net.predictProba(bad as unknown as Uint8Array), TypeError);
        throws(() => net.predict(bad as unknown as Uint8Array), TypeError);
      }
      const data = {
        images: bytes,
        labels: Uint8Array.of(0, 1, 2, 3, 4),
        count: 5,
        rows: 28,
        cols: 28,
      };
      equal(net.evaluate(data).accuracy >= 0, true);
    },
  });

  Deno.test({
    name: `${name}: training takes Uint8Array or Int32Array labels and byte images alike`,
    ignore,
    fn(): void {
      const x = randomFloats(8 * 16, 1).map(Math.abs);
      const bytes = Uint8Array.from(x, (v) => Math.round(v * 255));
      const floats = Float32Array.from(bytes, (v) => v / 255);
      const batch: number[] = [], samples: number[] = [];
      const cases: [Float32Array | Uint8Array | Uint8ClampedArray, Int32Array | Uint8Array][] = [
        [floats, Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1)],
        [bytes, Uint8Array.of(0, 1, 2, 0, 1, 2, 0, 1)],
        [new Uint8ClampedArray(bytes), Uint8Array.of(0, 1, 2, 0, 1, 2, 0, 1)],
      ];
      for (const [images, labels] of cases) {
        const net = new Network({ sizes: [16, 8, 3], seed: 1, backend: kernels });
        const sgd = createOptimizer({ type: "sgd", learningRate: 0.1 });
        batch.push(net.trainBatch(images, labels, 8, sgd).loss);
        samples.push(net.trainSamples(images, labels, 8, sgd).loss);
      }
      for (const run of [batch, samples]) {
        ok(run.every((l) => Math.abs(l - run[0]) < 1e-5), `${run}`);
      }
      const net = new Network({ sizes: [16, 8, 3], seed: 1, backend: kernels });
      const sgd = createOptimizer({ type: "sgd", learningRate: 0.1 });
      throws(
        () => net.trainBatch(floats, Float32Array.of(0, 1, 2, 0, 1, 2, 0, 1) as never, 8, sgd),
        TypeError,
      );
      throws(
        () =>
          net.trainBatch(
            new Float64Array(128) as never,
            Int32Array.of(0, 1, 2, 0, 1, 2, 0, 1),
            8,
            sgd,
          ),
        TypeError,
      );
      throws(
        () => net.trainBatch(floats, Int32Array.of(0, 1, 2, 9, 1, 2, 0, 1), 8, sgd),
        RangeError,
      );
    },
  });

  Deno.test({
    name: `${name}: every kernel rejects wrong element types with a TypeError naming the argument`,
    ignore,
    fn(): void {
      const k = kernels!;
      const f = new Float32Array(64), d = new Float64Array(64), u = new Uint8Array(64);
      const i32 = new Int32Array(64), stats = new Float64Array(2);
      const cases: [string, () => void, RegExp][] = [
        [
          "gemm",
          () => k.gemm(false, false, 2, 2, 2, 1, d as never, f, 0, f),
          /gemm: A must be a Float32Array, got Float64Array/,
        ],
        [
          "softmaxCrossEntropy",
          () => k.softmaxCrossEntropy(f, u as never, f, 2, 2, 1, stats),
          /labels must be a Int32Array/,
        ],
        [
          "softmaxCrossEntropy stats",
          () => k.softmaxCrossEntropy(f, i32, f, 2, 2, 1, f as never),
          /stats must be a Float64Array/,
        ],
        [
          "gatherBatch",
          () => k.gatherBatch(f, null, new Uint8ClampedArray(64) as never, null, i32, 1, 4, 1, 0),
          /pixels must be a Uint8Array/,
        ],
        [
          "gatherBatch indices",
          () => k.gatherBatch(f, null, u, null, f as never, 1, 4, 1, 0),
          /indices must be a Int32Array/,
        ],
        [
          "maxPoolForward",
          () => k.maxPoolForward(f, f as never, f, Int32Array.of(1, 4, 4, 1, 2, 2, 0, 2, 2)),
          /argmax must be a Int32Array/,
        ],
        [
          "im2col geom",
          () => k.im2col(f, f, Float32Array.of(1, 4, 4, 1, 2, 2, 0, 2, 2) as never),
          /geom must be a Int32Array/,
        ],
        [
          "biasActivationForward",
          () => k.biasActivationForward(f, u as never, 2, 2, 0),
          /bias must be a Float32Array/,
        ],
        [
          "adamStep",
          () => k.adamStep(f, f, f, d as never, 4, 1, 0.9, 0.9, 1e-8, 0, 1),
          /v must be a Float32Array/,
        ],
        [
          "rmsStep",
          () => k.rmsStep(f, f, d as never, 4, 0.1, 0.99, 0.01, 1e-8, 0),
          /s must be a Float32Array/,
        ],
        [
          "columnSums",
          () => k.columnSums(new Float32Array(64) as never, [1, 2] as never, 1, 2, 1, 0),
          /x must be a Float32Array, got Array/,
        ],
      ];
      for (const [what, call, pattern] of cases) {
        throws(call, (e: Error) => {
          ok(e instanceof TypeError, `${what}: ${e}`);
          ok(pattern.test(e.message), `${what}: ${e.message}`);
          return true;
        });
      }
      throws(() => k.im2col(f, f, Int32Array.of(1, 4, 4, 1, 2, 2, 0, 3, 3)), RangeError);
      // A subclass that lies about its length is measured by its memory.
      class Liar extends Float32Array {
        override get length(): number {
          return 1 << 20;
        }
      }
      throws(() => k.gemm(false, false, 4, 4, 4, 1, new Liar(2), f, 0, f), RangeError);
      // A subclass such as Node's Buffer is accepted.
      class Bytes extends Uint8Array {}
      const out = new Float32Array(4);
      k.gatherBatch(out, null, Bytes.from([1, 2, 3, 4]), null, Int32Array.of(0), 1, 4, 1, 0);
      deepEqual(Array.from(out), [1, 2, 3, 4]);
      throws(() => k.maxPoolBackward(f, f, i32, 65, 1), RangeError);
    },
  });
}

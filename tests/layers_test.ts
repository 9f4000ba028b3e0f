// Layer kernels against the naive reference, every layer's backward pass
// against finite differences, the folded SGD step against the generic one,
// and native against TS on a CNN.

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { Network } from "../src/model/network.ts";
import { createOptimizer } from "../src/model/optimizers.ts";
import { Dropout } from "../src/model/layers/dropout.ts";
import { convGeometry } from "../src/model/layers/conv2d.ts";
import { createTsKernels } from "../src/kernels/ts_kernels.ts";
import { referenceKernels as ref } from "./_reference_kernels.ts";
import {
  assertClose,
  backends,
  maxDiff,
  nativeKernels,
  randomFloats,
  worstGradientError,
} from "./_backends.ts";

const GEOMETRIES: [number, number, number, number, number, number][] = [
  // batch, size, channels, window, stride, padding
  [1, 5, 1, 3, 1, 0],
  [2, 6, 2, 3, 2, 1],
  [3, 7, 3, 5, 1, 2],
  [2, 4, 1, 4, 1, 3],
  [2, 28, 1, 5, 1, 2],
  [2, 14, 8, 5, 1, 2],
  [2, 9, 4, 2, 2, 0],
];

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: im2col(), col2im() and max pooling match naive at 7 geometries`,
    ignore,
    fn(): void {
      const k = kernels!;
      for (const [b, size, c, w, s, p] of GEOMETRIES) {
        const geom = convGeometry(b, [size, size, c], w, s, p);
        const x = randomFloats(b * size * size * c, size + c);
        const cols = b * geom[7] * geom[8] * w * w * c;
        const got = new Float32Array(cols), want = new Float32Array(cols);
        k.im2col(got, x, geom);
        ref.im2col(want, x, geom);
        assertClose(got, want, 0, `im2col ${geom}`);
        const back = randomFloats(x.length, 3), backWant = back.slice();
        k.col2im(back, want, geom);
        ref.col2im(backWant, want, geom);
        assertClose(back, backWant, 1e-6, `col2im ${geom}`);
        if (p === 0) {
          const outs = b * geom[7] * geom[8] * c;
          const out = new Float32Array(outs), outWant = new Float32Array(outs);
          const arg = new Int32Array(outs), argWant = new Int32Array(outs);
          k.maxPoolForward(out, arg, x, geom);
          ref.maxPoolForward(outWant, argWant, x, geom);
          deepEqual(arg, argWant, `maxpool argmax ${geom}`);
          assertClose(out, outWant, 0, `maxpool ${geom}`);
          const dy = randomFloats(outs, 9), dx = randomFloats(x.length, 1), dxWant = dx.slice();
          k.maxPoolBackward(dx, dy, arg, x.length, outs);
          ref.maxPoolBackward(dxWant, dy, arg, x.length, outs);
          assertClose(dx, dxWant, 0, `maxpool backward ${geom}`);
        }
      }
    },
  });

  Deno.test({
    name: `${name}: batchNormForward/Backward, activationForward and multiply match naive`,
    ignore,
    fn(): void {
      const k = kernels!;
      for (const [rows, cols] of [[1, 1], [7, 33], [64, 128], [300, 3]]) {
        const x = randomFloats(rows * cols, rows).map((v, i) => v * (1 + (i % cols)) + (i % 5));
        const gb = randomFloats(2 * cols, 4);
        for (const training of [true, false]) {
          const run = (kk: typeof k): Float32Array[] => {
            const y = new Float32Array(rows * cols), xhat = new Float32Array(rows * cols);
            const inv = new Float32Array(cols);
            const running = Float32Array.from({ length: 2 * cols }, (_, i) => i < cols ? 0.1 : 2);
            kk.batchNormForward(y, xhat, inv, x, gb, running, rows, cols, 0.1, 1e-5, training);
            const dy = randomFloats(rows * cols, 8), dx = new Float32Array(rows * cols);
            const dgb = randomFloats(2 * cols, 2);
            if (training) kk.batchNormBackward(dx, dgb, dy, xhat, inv, gb, rows, cols, 0.5, 1);
            return [y, running, dx, dgb];
          };
          const got = run(k), want = run(ref);
          const what = ["y", "running", "dx", "dgammabeta"];
          got.forEach((g, i) =>
            assertClose(g, want[i], 2e-5 * Math.sqrt(rows), `bn ${what[i]} ${rows}x${cols}`)
          );
        }
      }
      for (const code of [0, 1, 2, 3, 4]) {
        const x = randomFloats(777, code), y = new Float32Array(777), yWant = new Float32Array(777);
        k.activationForward(y, x, 777, code);
        ref.activationForward(yWant, x, 777, code);
        assertClose(y, yWant, 1e-6, `activationForward ${code}`);
      }
      const a = randomFloats(99, 1), b = randomFloats(99, 2), out = new Float32Array(99);
      k.multiply(out, a, b, 99);
      assertClose(out, a.map((v, i) => v * b[i]), 0, "multiply");
    },
  });

  Deno.test({
    name: `${name}: dropout masks equal the shared generator's, bit for bit, and keep 1 - rate`,
    ignore,
    fn(): void {
      const k = kernels!;
      const n = 50_001, x = randomFloats(n, 5);
      for (
        const [rate, seed, counter] of [[0.5, 1, 0], [0.25, -7, 123456], [0.9, 2 ** 31 - 1, 3]]
      ) {
        const y = new Float32Array(n), mask = new Float32Array(n);
        const yRef = new Float32Array(n), maskRef = new Float32Array(n);
        const scale = 1 / (1 - rate);
        k.dropoutForward(y, mask, x, n, rate, scale, seed, counter);
        ref.dropoutForward(yRef, maskRef, x, n, rate, scale, seed, counter);
        deepEqual(mask, maskRef);
        deepEqual(y, yRef);
        const kept = mask.reduce((a, m) => a + (m !== 0 ? 1 : 0), 0) / n;
        ok(Math.abs(kept - (1 - rate)) < 0.01, `kept ${kept} at rate ${rate}`);
      }
    },
  });

  for (
    const [spec, shape] of [
      ["conv(3,3,pad=1) leaky-relu maxpool(2) flatten dense(4)", [6, 6, 2]],
      ["conv(2,3,stride=2) tanh batchnorm sigmoid flatten dense(3)", [7, 7, 1]],
      ["dense(6) batchnorm tanh dropout(0.3) dense(3)", [5]],
      ["conv(2,2) maxpool(2,stride=1) relu dense(3)", [4, 4, 1]],
    ] as const
  ) {
    Deno.test({
      name: `${name}: "${spec}" backward matches finite differences`,
      ignore,
      fn(): void {
        const net = Network.fromSpec(spec, {
          inputShape: shape,
          init: "xavier",
          seed: 3,
          backend: kernels,
        });
        const rows = 4;
        const x = randomFloats(rows * net.inputSize, 21);
        const y = new Int32Array([0, 2, 1, 2]);
        const dropouts = net.layers.filter((l) => l instanceof Dropout);
        const loss = (): number => {
          for (const d of dropouts) d.counter = 0; // the same mask every time
          return net.computeGradients(x, y, rows).loss / rows;
        };
        loss();
        const analytic = net.grads.slice();
        const worst = worstGradientError(net.params, analytic, loss);
        ok(worst < 2e-2, `worst relative gradient error ${worst}`);
      },
    });
  }

  Deno.test({
    name:
      `${name}: SGD (with weight decay) folded into the gradient kernels equals gradients + sgdStep`,
    ignore,
    fn(): void {
      const spec =
        "conv(4,3,pad=1) relu batchnorm maxpool(2) flatten dropout(0.2) dense(8) relu dense(3)";
      const make = (): Network =>
        Network.fromSpec(spec, { inputShape: [6, 6, 1], seed: 9, backend: kernels });
      for (const weightDecay of [0, 0.05]) {
        const folded = make(), generic = make();
        const sgd = createOptimizer({ type: "sgd", learningRate: 0.05, weightDecay });
        for (let step = 0; step < 5; step++) {
          const x = randomFloats(8 * 36, step + 1),
            y = Int32Array.from({ length: 8 }, (_, i) => i % 3);
          folded.trainBatch(x, y, 8, sgd);
          generic.computeGradients(x, y, 8);
          kernels!.sgdStep(generic.params, generic.grads, generic.params.length, 0.05, weightDecay);
        }
        const diff = maxDiff(folded.params, generic.params);
        ok(diff < 1e-5, `weight decay ${weightDecay}: ${diff}`);
        assertClose(folded.state, generic.state, 1e-6, "running statistics");
      }
    },
  });
}

Deno.test({
  name: "native and TS train a CNN with batch norm and dropout to the same losses",
  ignore: !nativeKernels,
  fn(): void {
    const spec =
      "conv(8,5,pad=2) relu maxpool(2) conv(8,3) batchnorm relu flatten dropout(0.3) dense(10)";
    const losses: number[][] = [];
    for (const kernels of [createTsKernels(), nativeKernels!]) {
      const net = Network.fromSpec(spec, { inputShape: [12, 12, 1], seed: 2, backend: kernels });
      const adam = createOptimizer({ type: "adam", learningRate: 1e-3 });
      const run: number[] = [];
      for (let step = 0; step < 20; step++) {
        const x = randomFloats(16 * 144, step + 3).map(Math.abs);
        const y = Int32Array.from({ length: 16 }, (_, i) => (i * 7 + step) % 10);
        run.push(net.trainBatch(x, y, 16, adam).loss / 16);
      }
      losses.push(run);
    }
    const worst = Math.max(...losses[0].map((l, i) => Math.abs(l - losses[1][i]) / l));
    ok(worst < 1e-4, `worst relative loss difference ${worst}`);
  },
});

Deno.test({
  name:
    "native batch-1 fast path (with weight decay) equals per-sample training through the layers",
  ignore: !nativeKernels,
  fn(): void {
    const make = (): Network =>
      new Network({ sizes: [33, 7, 5, 3], activation: "tanh", seed: 4, backend: nativeKernels });
    const x = randomFloats(9 * 33, 41).map((v, i) => (i % 3 === 0 ? 0 : v));
    const y = Int32Array.from({ length: 9 }, (_, i) => (i * 2) % 3);
    for (const weightDecay of [0, 0.01]) {
      const fast = make(), generic = make();
      const sgd = createOptimizer({ type: "sgd", learningRate: 0.1, weightDecay });
      const a = fast.trainSamples(x, y, 9, sgd);
      const b = generic.trainSamplesGeneric(x, y, 9, sgd);
      const diff = maxDiff(fast.params, generic.params);
      ok(diff < 1e-6, `weight decay ${weightDecay}: ${diff}`);
      ok(Math.abs(a.loss - b.loss) < 1e-5 && a.correct === b.correct);
    }
  },
});

Deno.test("layer specs: shapes, canonical text, summary, and one clear error per bad token", () => {
  const net = Network.fromSpec(
    "conv(32,5,pad=2) relu maxpool(2) conv(64,5,pad=same) relu maxpool(2) flatten dense(128) relu dropout(0.5) dense(10)",
    { backend: "ts" },
  );
  equal(
    net.spec,
    "conv(32,5,pad=2) relu maxpool(2) conv(64,5,pad=2) relu maxpool(2) flatten dense(128) relu dropout(0.5) dense(10)",
  );
  const summary = net.summary();
  deepEqual(summary.rows.map((r) => r.outputShape), [
    [28, 28, 32],
    [14, 14, 32],
    [14, 14, 64],
    [7, 7, 64],
    [3136],
    [128],
    [128],
    [10],
  ]);
  equal(summary.rows[0].name, "conv2d_1 (relu)");
  equal(summary.trainableParams, 832 + 51264 + 401536 + 1290);
  ok(summary.text.includes("Total params: 454,922"), summary.text);
  const bn = Network.fromSpec("dense(4) batchnorm relu dense(2)", {
    inputShape: [3],
    backend: "ts",
  });
  equal(bn.summary().nonTrainableParams, 8);
  equal(bn.summary().trainableParams, 16 + 8 + 10);
  const bad: [string, RegExp][] = [
    ["", /empty/],
    ["dense(10) foo", /token 2 "foo": unknown layer "foo"/],
    ["conv(32) dense(10)", /token 1 "conv\(32\)": expected 2 to 4 positional/],
    ["conv(32,0) flatten dense(10)", /kernel size must be an integer from 1/],
    ["dense(x)", /token 1 "dense\(x\)": units must be an integer/],
    ["dropout(1.5) dense(10)", /token 1 "dropout\(1\.5\)": rate must be a number in \[0, 1\)/],
    ["conv(8,3,pad=3) dense(10)", /pad must be smaller than the kernel size/],
    ["conv(8,3,foo=1) dense(10)", /unknown argument "foo"/],
    ["dense(10) relu", /must end with a dense layer/],
    ["flatten conv(8,3) dense(10)", /token 2 "conv\(8,3\)" does not fit its input \[784\]/],
    ["conv(8,29) dense(10)", /does not fit/],
    ["maxpool(30) dense(10)", /does not fit/],
  ];
  for (const [spec, pattern] of bad) {
    throws(() => Network.fromSpec(spec, { backend: "ts" }), (e: Error) => {
      ok(e instanceof RangeError && e.name === "SpecError", `${spec}: ${e}`);
      ok(pattern.test(e.message), `${spec}: ${e.message}`);
      return true;
    });
  }
});

// Every kernel of every backend against the naive reference, at awkward sizes
// (1, 7, 33, 784) and at the MNIST training shapes.

import { equal, throws as assertThrows } from "node:assert/strict";
import { ACTIVATION_CODES } from "../src/kernels/kernels.ts";
import { referenceKernels as ref } from "./_reference_kernels.ts";
import { assertClose, backends, randomFloats } from "./_backends.ts";

const GEMM_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 33],
  [7, 33, 1],
  [7, 33, 5],
  [33, 7, 784],
  [784, 1, 7],
  [5, 3, 300],
  [64, 128, 784], // forward, layer 1
  [128, 784, 64], // weight gradient, layer 1
  [64, 784, 128], // input gradient shape
  [64, 10, 64],
];

for (const { name, kernels, ignore } of backends) {
  Deno.test({
    name: `${name}: gemm() matches naive for every transpose at sizes 1..784`,
    ignore,
    fn(): void {
      const k = kernels!;
      let seed = 1;
      for (const [m, n, kk] of GEMM_SHAPES) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const [alpha, beta] of [[1, 0], [0.5, 1], [-1.5, 0.25]]) {
              const a = randomFloats(m * kk, seed++);
              const b = randomFloats(kk * n, seed++);
              const c = randomFloats(m * n, seed++);
              if (beta === 0) c.fill(NaN); // beta = 0 must ignore old contents
              const expected = c.slice();
              ref.gemm(transA, transB, m, n, kk, alpha, a, b, beta, expected);
              k.gemm(transA, transB, m, n, kk, alpha, a, b, beta, c);
              assertClose(
                c,
                expected,
                2e-5 * Math.sqrt(kk),
                `gemm ${m}x${n}x${kk} tA=${transA} tB=${transB}`,
              );
            }
          }
        }
      }
    },
  });

  Deno.test({
    name: `${name}: gemm() matches naive when an operand is mostly zeros (sparse paths)`,
    ignore,
    fn(): void {
      const k = kernels!;
      const sparse = (n: number, seed: number): Float32Array =>
        randomFloats(n, seed).map((v, i) => (i * 7 + seed) % 10 < 8 ? 0 : v);
      let seed = 100;
      for (
        const [m, n, kk] of [[64, 128, 784], [1, 128, 784], [128, 784, 1], [33, 7, 20], [
          7,
          100,
          33,
        ]]
      ) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            for (const [sparseA, sparseB] of [[true, false], [false, true], [true, true]]) {
              const a = sparseA ? sparse(m * kk, seed++) : randomFloats(m * kk, seed++);
              const b = sparseB ? sparse(kk * n, seed++) : randomFloats(kk * n, seed++);
              const c = randomFloats(m * n, seed++), expected = c.slice();
              ref.gemm(transA, transB, m, n, kk, 0.5, a, b, 1, expected);
              k.gemm(transA, transB, m, n, kk, 0.5, a, b, 1, c);
              assertClose(
                c,
                expected,
                2e-5 * Math.sqrt(kk),
                `sparse gemm ${m}x${n}x${kk} tA=${transA} tB=${transB}`,
              );
            }
          }
        }
      }
    },
  });

  Deno.test({
    name: `${name}: allocate() returns zeroed arrays${
      name === "native" ? " aligned to 64 bytes" : ""
    }`,
    ignore,
    fn(): void {
      for (const length of [0, 1, 7, 33, 100_000]) {
        const a = kernels!.allocate(length);
        equal(a.length, length);
        equal(a.every((v) => v === 0), true);
        if (name === "native" && length > 0) {
          const address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(a)));
          equal(address % 64n, 0n);
        }
      }
    },
  });

  Deno.test({
    name: `${name}: gemm() rejects buffers shorter than the shape with RangeError`,
    ignore,
    fn(): void {
      const k = kernels!;
      const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
      assertThrows(() => k.gemm(false, false, 2, 2, 4, 1, a, b, 0, c), RangeError);
      assertThrows(() => k.gemm(false, false, 2, 3, 3, 1, a, b, 0, c), RangeError);
      assertThrows(() => k.gemm(false, false, -1, 2, 3, 1, a, b, 0, c), RangeError);
      assertThrows(() => k.gemm(false, false, 1.5, 2, 3, 1, a, b, 0, c), RangeError);
    },
  });

  Deno.test({
    name:
      `${name}: biasActivationForward() and activationBackward() match naive for every activation`,
    ignore,
    fn(): void {
      const k = kernels!;
      for (const [act, code] of Object.entries(ACTIVATION_CODES)) {
        for (const [rows, cols] of [[1, 1], [7, 33], [33, 7], [64, 128], [3, 784]]) {
          const x = randomFloats(rows * cols, rows + cols).map((v) => v * 4);
          const bias = randomFloats(cols, cols);
          const got = x.slice(), want = x.slice();
          k.biasActivationForward(got, bias, rows, cols, code);
          ref.biasActivationForward(want, bias, rows, cols, code);
          assertClose(got, want, 1e-6, `${act} forward ${rows}x${cols}`);
          const g = randomFloats(rows * cols, 99);
          const gotG = g.slice(), wantG = g.slice();
          k.activationBackward(gotG, want, rows * cols, code);
          ref.activationBackward(wantG, want, rows * cols, code);
          assertClose(gotG, wantG, 1e-6, `${act} backward ${rows}x${cols}`);
        }
      }
      assertThrows(
        () => k.biasActivationForward(new Float32Array(4), new Float32Array(2), 2, 2, 9),
        RangeError,
      );
      assertThrows(
        () => k.biasActivationForward(new Float32Array(3), new Float32Array(2), 2, 2, 0),
        RangeError,
      );
      assertThrows(
        () => k.activationBackward(new Float32Array(3), new Float32Array(2), 3, 1),
        RangeError,
      );
    },
  });

  Deno.test({
    name: `${name}: softmaxCrossEntropy() and softmax() match naive, also for huge logits`,
    ignore,
    fn(): void {
      const k = kernels!;
      for (const [rows, cols] of [[1, 1], [1, 10], [7, 33], [64, 10], [33, 7]]) {
        const logits = randomFloats(rows * cols, rows * cols).map((v, i) =>
          v * (i % 5 === 0 ? 500 : 5)
        );
        const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7) % cols);
        const got = new Float32Array(rows * cols), want = new Float32Array(rows * cols);
        const gotStats = new Float64Array(2), wantStats = new Float64Array(2);
        k.softmaxCrossEntropy(logits, labels, got, rows, cols, 1 / rows, gotStats);
        ref.softmaxCrossEntropy(logits, labels, want, rows, cols, 1 / rows, wantStats);
        assertClose(got, want, 1e-6, `softmax-CE grad ${rows}x${cols}`);
        assertClose(gotStats, wantStats, 1e-5, `softmax-CE stats ${rows}x${cols}`);
        const p = logits.slice(), q = logits.slice();
        k.softmax(p, rows, cols);
        ref.softmax(q, rows, cols);
        assertClose(p, q, 1e-6, `softmax ${rows}x${cols}`);
      }
      const bad = new Int32Array([3]);
      assertThrows(
        () =>
          k.softmaxCrossEntropy(
            new Float32Array(3),
            bad,
            new Float32Array(3),
            1,
            3,
            1,
            new Float64Array(2),
          ),
        RangeError,
      );
    },
  });

  Deno.test({
    name: `${name}: columnSums() and optimizer steps match naive`,
    ignore,
    fn(): void {
      const k = kernels!;
      for (const [rows, cols] of [[1, 1], [7, 33], [64, 128], [1, 784], [200, 10]]) {
        const x = randomFloats(rows * cols, 5);
        for (const [alpha, beta] of [[1, 0], [1, 1], [1, 0.5], [-0.1, 1]]) {
          const got = randomFloats(cols, 6), want = got.slice();
          k.columnSums(got, x, rows, cols, alpha, beta);
          ref.columnSums(want, x, rows, cols, alpha, beta);
          assertClose(
            got,
            want,
            1e-5 * Math.sqrt(rows),
            `columnSums ${rows}x${cols} ${alpha} ${beta}`,
          );
        }
      }
      for (const n of [1, 7, 33, 784, 101_770]) {
        const grads = randomFloats(n, 8);
        for (const wd of [0, 1e-3]) {
          const got = randomFloats(n, 7), want = got.slice();
          k.sgdStep(got, grads, n, 0.1, wd);
          ref.sgdStep(want, grads, n, 0.1, wd);
          assertClose(got, want, 1e-6, `sgd n=${n}`);
          for (const nesterov of [false, true]) {
            const p1 = randomFloats(n, 9), p2 = p1.slice();
            const v1 = randomFloats(n, 10), v2 = v1.slice();
            k.momentumStep(p1, grads, v1, n, 0.05, 0.9, wd, nesterov);
            ref.momentumStep(p2, grads, v2, n, 0.05, 0.9, wd, nesterov);
            assertClose(p1, p2, 1e-6, `momentum params n=${n}`);
            assertClose(v1, v2, 1e-6, `momentum velocity n=${n}`);
          }
          const a1 = randomFloats(n, 11), a2 = a1.slice();
          const m1 = randomFloats(n, 12), m2 = m1.slice();
          const s1 = randomFloats(n, 13).map(Math.abs), s2 = s1.slice();
          for (const keep of [1, 1 - 1e-3 * 0.01]) {
            k.adamStep(a1, grads, m1, s1, n, 1e-3, 0.9, 0.999, 1e-8, wd, keep);
            ref.adamStep(a2, grads, m2, s2, n, 1e-3, 0.9, 0.999, 1e-8, wd, keep);
            assertClose(a1, a2, 1e-6, `adam params n=${n} keep=${keep}`);
            assertClose(s1, s2, 1e-6, `adam second moment n=${n}`);
          }
          // RMSprop (rho = 0.99, c = 0.01) and AdaGrad (rho = c = 1).
          for (const [rho, c, eps] of [[0.99, 0.01, 1e-8], [1, 1, 1e-10]]) {
            const r1 = randomFloats(n, 14), r2 = r1.slice();
            const q1 = randomFloats(n, 15).map(Math.abs), q2 = q1.slice();
            k.rmsStep(r1, grads, q1, n, 1e-2, rho, c, eps, wd);
            ref.rmsStep(r2, grads, q2, n, 1e-2, rho, c, eps, wd);
            assertClose(r1, r2, 1e-6, `rms params n=${n} rho=${rho}`);
            assertClose(q1, q2, 1e-6, `rms squares n=${n} rho=${rho}`);
          }
        }
      }
      assertThrows(
        () => k.sgdStep(new Float32Array(3), new Float32Array(2), 3, 0.1, 0),
        RangeError,
      );
    },
  });

  Deno.test({
    name: `${name}: gatherBatch() matches naive and rejects out-of-range indices`,
    ignore,
    fn(): void {
      const k = kernels!;
      for (const features of [1, 7, 33, 784]) {
        const samples = 50;
        const pixels = Uint8Array.from({ length: samples * features }, (_, i) => (i * 31) % 256);
        const labels = Uint8Array.from({ length: samples }, (_, i) => i % 10);
        const indices = Int32Array.from([49, 0, 7, 7, 23]);
        const got = new Float32Array(5 * features), want = new Float32Array(5 * features);
        const gotL = new Int32Array(5), wantL = new Int32Array(5);
        k.gatherBatch(got, gotL, pixels, labels, indices, 5, features, 1 / 255, -0.5);
        ref.gatherBatch(want, wantL, pixels, labels, indices, 5, features, 1 / 255, -0.5);
        assertClose(got, want, 1e-6, `gather ${features}`);
        assertClose(gotL, wantL, 0, `gather labels ${features}`);
        k.gatherBatch(got, null, pixels, null, indices, 5, features, 1, 0);
        assertClose(
          got.subarray(0, features),
          pixels.subarray(49 * features),
          0,
          "gather without labels",
        );
      }
      const px = new Uint8Array(8);
      assertThrows(
        () => k.gatherBatch(new Float32Array(4), null, px, null, new Int32Array([2]), 1, 4, 1, 0),
        RangeError,
      );
      assertThrows(
        () => k.gatherBatch(new Float32Array(4), null, px, null, new Int32Array([-1]), 1, 4, 1, 0),
        RangeError,
      );
    },
  });
}

// The checking wrapper every backend is served through: one check per
// Kernels operation (the functions of _check.ts and _check_layers.ts), run
// once per call before the backend's own code, so no backend repeats them
// and none can be reached unchecked through selectKernels.

import {
  checkActivation,
  checkBiasActivation,
  checkDim,
  checkGather,
  checkGemm,
  checkLength,
  checkMatrix,
  checkSoftmaxCrossEntropy,
  checkStep,
} from "./_check.ts";
import { checkIm2col, LAYER_CHECKS } from "./_check_layers.ts";
import { MLP_CHECKS } from "./_mlp_samples.ts";
import type { KernelCheck, KernelOp as Op, Kernels } from "./kernels.ts";

/** For each operation, a function that throws on bad arguments. */
const CHECKS: { [K in Op]-?: KernelCheck<K> } = {
  allocate(length): void {
    if (Number.isInteger(length) && length > 0x7fffffff) {
      throw new RangeError(
        `Cannot allocate ${length} floats (${(length / 2 ** 28).toFixed(1)} GiB) in one array: ` +
          "more than 2^31 - 1; use a smaller batch or network",
      );
    }
    checkDim("allocate", "length", length);
  },
  free: (array) => checkLength("free", "array", array, 0),
  gemm: (_ta, _tb, m, n, k, _alpha, a, b, _beta, c) => checkGemm(m, n, k, a, b, c),
  biasActivationForward: checkBiasActivation,
  activationForward(y, x, n, act): void {
    checkStep("activationForward", n, { y, x });
    checkActivation("activationForward", act);
  },
  activationBackward(grad, out, n, act): void {
    checkStep("activationBackward", n, { grad, out });
    checkActivation("activationBackward", act);
  },
  softmaxCrossEntropy: (logits, labels, grad, rows, cols, _scale, stats) =>
    checkSoftmaxCrossEntropy(logits, labels, grad, rows, cols, stats),
  softmax: (x, rows, cols) => checkMatrix("softmax", "x", x, rows, cols),
  columnSums(out, x, rows, cols): void {
    checkMatrix("columnSums", "x", x, rows, cols);
    checkLength("columnSums", "out", out, cols);
  },
  multiply: (out, a, b, n) => checkStep("multiply", n, { out, a, b }),
  im2col: (col, x, geom) => checkIm2col("im2col", col, x, geom),
  col2im: (dx, col, geom) => checkIm2col("col2im", col, dx, geom),
  ...LAYER_CHECKS,
  sgdStep: (params, grads, n) => checkStep("sgdStep", n, { params, grads }),
  momentumStep: (params, grads, velocity, n) =>
    checkStep("momentumStep", n, { params, grads, velocity }),
  adamStep: (params, grads, m, v, n) => checkStep("adamStep", n, { params, grads, m, v }),
  rmsStep: (params, grads, s, n) => checkStep("rmsStep", n, { params, grads, s }),
  gatherBatch: checkGather,
  ...MLP_CHECKS,
};

/**
 * Wraps a backend so that every operation checks its arguments first: a
 * wrong element type is a TypeError and a wrong size a RangeError, before
 * the backend (and for native, C) touches any memory.
 */
export function withChecks(raw: Kernels): Kernels {
  const checked = {
    get name() {
      return raw.name;
    },
    get description() {
      return raw.description;
    },
    get threads() {
      return raw.threads;
    },
  } as Record<string, unknown>;
  for (const op of Object.keys(CHECKS) as Op[]) {
    const run = raw[op] as ((...args: unknown[]) => unknown) | undefined;
    if (!run) continue; // an optional fast path this backend lacks
    const check = CHECKS[op] as (...args: unknown[]) => void;
    checked[op] = (...args: unknown[]): unknown => {
      check(...args);
      return run.apply(raw, args);
    };
  }
  return checked as unknown as Kernels;
}

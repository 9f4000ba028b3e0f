// Argument checks of the layer kernels (convolution, pooling, batch norm,
// dropout), shared by every backend like those of `_check.ts`.

import {
  checkArray,
  checkDim,
  checkFinite,
  checkGeometry,
  checkLength,
  checkMatrix,
} from "./_check.ts";
import type { KernelCheck } from "./kernels.ts";

type LayerOp =
  | "maxPoolForward"
  | "maxPoolBackward"
  | "batchNormForward"
  | "batchNormBackward"
  | "dropoutForward";

/** Checks `im2col` (`col2im` with `scatter`): x (B,H,W,C), col (B*OH*OW, K*K*C). */
export function checkIm2col(
  op: "im2col" | "col2im",
  col: Float32Array,
  x: Float32Array,
  geom: Int32Array,
): void {
  const { input, positions } = checkGeometry(op, geom);
  checkLength(op, op === "im2col" ? "x" : "dx", x, input);
  checkLength(op, "col", col, positions * geom[4] * geom[4] * geom[3]);
}

/** Checks of the pooling, batch-norm and dropout operations. */
export const LAYER_CHECKS: { [K in LayerOp]: KernelCheck<K> } = {
  maxPoolForward(out, argmax, x, geom): void {
    const op = "maxPoolForward";
    const { input, positions } = checkGeometry(op, geom);
    checkLength(op, "x", x, input);
    checkLength(op, "out", out, positions * geom[3]);
    checkArray(op, "argmax", argmax, Int32Array, positions * geom[3]);
  },
  maxPoolBackward(dx, dy, argmax, nIn, nOut): void {
    const op = "maxPoolBackward";
    checkDim(op, "nIn", nIn);
    checkDim(op, "nOut", nOut);
    checkLength(op, "dx", dx, nIn);
    checkLength(op, "dy", dy, nOut);
    checkArray(op, "argmax", argmax, Int32Array, nOut);
  },
  batchNormForward(
    y,
    xhat,
    invStd,
    x,
    gammaBeta,
    running,
    rows,
    cols,
    momentum,
    eps,
    training,
  ): void {
    const op = "batchNormForward";
    checkMatrix(op, "x", x, rows, cols);
    checkLength(op, "y", y, rows * cols);
    checkLength(op, "gammaBeta", gammaBeta, 2 * cols);
    checkLength(op, "running", running, 2 * cols);
    if (training) {
      checkLength(op, "xhat", xhat, rows * cols);
      checkLength(op, "invStd", invStd, cols);
      if (rows < 1) throw new RangeError(`${op}: training needs at least one row`);
    }
    if (!(momentum >= 0 && momentum <= 1)) {
      throw new RangeError(`${op}: momentum must be in [0, 1], got ${momentum}`);
    }
    if (!(eps > 0 && Number.isFinite(eps))) {
      throw new RangeError(`${op}: eps must be a positive number, got ${eps}`);
    }
  },
  batchNormBackward(dx, dGammaBeta, dy, xhat, invStd, gammaBeta, rows, cols, alpha, beta): void {
    const op = "batchNormBackward";
    checkMatrix(op, "dy", dy, rows, cols);
    checkLength(op, "dx", dx, rows * cols);
    checkLength(op, "xhat", xhat, rows * cols);
    checkLength(op, "invStd", invStd, cols);
    checkLength(op, "gammaBeta", gammaBeta, 2 * cols);
    checkLength(op, "dGammaBeta", dGammaBeta, 2 * cols);
    checkFinite(op, "alpha", alpha);
    checkFinite(op, "beta", beta);
  },
  dropoutForward(y, mask, x, n, rate, scale, seed, counter): void {
    const op = "dropoutForward";
    checkDim(op, "n", n);
    for (const [name, a] of [["y", y], ["mask", mask], ["x", x]] as const) {
      checkLength(op, name, a, n);
    }
    if (!(rate >= 0 && rate < 1)) {
      throw new RangeError(`${op}: rate must be in [0, 1), got ${rate}`);
    }
    checkFinite(op, "scale", scale);
    for (const [name, v] of [["seed", seed], ["counter", counter]] as const) {
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
        throw new RangeError(`${op}: ${name} must be a 32-bit integer, got ${v}`);
      }
    }
  },
};

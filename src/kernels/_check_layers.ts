// Argument checks of the layer kernels (convolution, pooling, batch norm,
// dropout) and of augmentation, shared by every backend like those of
// `_check.ts`.

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
  | "dropoutForward"
  | "augment";

/** Most elastic grid nodes per sample (MND_AUGMENT_MAX_NODES in native/kernels.h). */
export const AUGMENT_MAX_NODES = 4096;
/** Widest image with elastic distortion (MND_AUGMENT_MAX_WIDTH in native/kernels.h). */
export const AUGMENT_MAX_WIDTH = 4096;

/** Throws unless `value` is a 32-bit integer (signed or unsigned). */
function checkInt32(op: string, name: string, value: number): void {
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) {
    throw new RangeError(`${op}: ${name} must be a 32-bit integer, got ${value}`);
  }
}

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
    checkInt32(op, "seed", seed);
    checkInt32(op, "counter", counter);
  },
  augment(out, x, rows, h, w, params, seed, counter): void {
    const op = "augment";
    for (const [name, n] of [["rows", rows], ["h", h], ["w", w]] as const) checkDim(op, name, n);
    checkLength(op, "x", x, rows * h * w);
    checkLength(op, "out", out, rows * h * w);
    if (out.buffer === x.buffer && rows * h * w > 0) {
      const a = out.byteOffset, b = x.byteOffset, bytes = rows * h * w * 4;
      if (a < b + bytes && b < a + bytes) throw new RangeError(`${op}: out and x overlap`);
    }
    checkLength(op, "params", params, 6);
    const [shift, rotate, scale, elastic, spacing] = params;
    params.subarray(0, 6).forEach((v, i) => checkFinite(op, `params[${i}]`, v));
    if (!(shift >= 0 && rotate >= 0 && scale >= 0 && scale < 1 && elastic >= 0 && spacing >= 1)) {
      throw new RangeError(
        `${op}: params need shift, rotate, elastic >= 0, scale in [0, 1) and spacing >= 1, ` +
          `got ${Array.from(params.subarray(0, 5))}`,
      );
    }
    if (elastic > 0) {
      const nodes = (Math.ceil((h - 1) / spacing) + 1) * (Math.ceil((w - 1) / spacing) + 1);
      if (h < 2 || w < 2 || w > AUGMENT_MAX_WIDTH || nodes > AUGMENT_MAX_NODES) {
        throw new RangeError(
          `${op}: an elastic grid of ${nodes} nodes over ${h}x${w} pixels; it needs images of ` +
            `at least 2x2, at most ${AUGMENT_MAX_WIDTH} wide, and at most ${AUGMENT_MAX_NODES} ` +
            "nodes (raise the spacing)",
        );
      }
    }
    checkInt32(op, "seed", seed);
    checkInt32(op, "counter", counter);
  },
};

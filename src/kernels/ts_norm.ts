// Batch normalization loops of the TS backend, the twins of native/norm.c
// (arguments already checked), with their argument checks. Column
// statistics are summed in double.

import { checkFinite, checkLength, checkMatrix } from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

/** `Kernels.batchNormForward` and `batchNormBackward` (computes `dx` before writing `dGammaBeta`). */
export const TS_NORM: Pick<Kernels, "batchNormForward" | "batchNormBackward"> = {
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
    if (!training) {
      for (let j = 0; j < cols; j++) {
        const inv = Math.fround(1 / Math.fround(Math.sqrt(Math.fround(running[cols + j] + eps))));
        const mean = running[j], gamma = gammaBeta[j], beta = gammaBeta[cols + j];
        for (let at = j; at < rows * cols; at += cols) {
          y[at] = Math.fround(Math.fround(Math.fround(x[at] - mean) * inv) * gamma) + beta;
        }
      }
      return;
    }
    const sum = new Float64Array(cols), squares = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0, at = i * cols; j < cols; j++, at++) sum[j] += x[at];
    }
    for (let j = 0; j < cols; j++) sum[j] /= rows;
    for (let i = 0; i < rows; i++) {
      for (let j = 0, at = i * cols; j < cols; j++, at++) {
        const d = x[at] - sum[j];
        squares[j] += d * d;
      }
    }
    const m = Math.fround(momentum), keep = Math.fround(1 - m);
    for (let j = 0; j < cols; j++) {
      const variance = squares[j] / rows;
      const unbiased = rows > 1 ? squares[j] / (rows - 1) : variance;
      invStd[j] = 1 / Math.sqrt(variance + Math.fround(eps));
      running[j] = Math.fround(keep * running[j]) + Math.fround(m * Math.fround(sum[j]));
      running[cols + j] = Math.fround(keep * running[cols + j]) +
        Math.fround(m * Math.fround(unbiased));
    }
    for (let i = 0; i < rows; i++) {
      for (let j = 0, at = i * cols; j < cols; j++, at++) {
        const h = Math.fround(Math.fround(x[at] - Math.fround(sum[j])) * invStd[j]);
        xhat[at] = h;
        y[at] = Math.fround(gammaBeta[j] * h) + gammaBeta[cols + j];
      }
    }
  },
  batchNormBackward(dx, dGammaBeta, dy, xhat, invStd, gammaBeta, rows, cols, alpha, beta): void {
    const dGamma = new Float64Array(cols), dBeta = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0, at = i * cols; j < cols; j++, at++) {
        dGamma[j] += dy[at] * xhat[at];
        dBeta[j] += dy[at];
      }
    }
    for (let i = 0; i < rows; i++) {
      for (let j = 0, at = i * cols; j < cols; j++, at++) {
        const k = Math.fround(Math.fround(gammaBeta[j] * invStd[j]) / rows);
        dx[at] = k * (rows * dy[at] - Math.fround(dBeta[j]) - xhat[at] * Math.fround(dGamma[j]));
      }
    }
    for (let j = 0; j < cols; j++) {
      dGammaBeta[j] = alpha * Math.fround(dGamma[j]) + (beta === 0 ? 0 : beta * dGammaBeta[j]);
      dGammaBeta[cols + j] = alpha * Math.fround(dBeta[j]) +
        (beta === 0 ? 0 : beta * dGammaBeta[cols + j]);
    }
  },
};

/** Their argument checks. */
export const NORM_CHECKS: KernelChecks<"batchNormForward" | "batchNormBackward"> = {
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
};

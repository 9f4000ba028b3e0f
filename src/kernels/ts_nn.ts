// Activations, softmax with cross-entropy, column sums and the element-wise
// product in TypeScript, the twins of native/nn.c, with their argument
// checks (applied once per call by `withChecks`, for every backend).

import { ACTIVATION_DERIVATIVES, ACTIVATION_FUNCTIONS } from "./activations.ts";
import {
  checkActivation,
  checkArray,
  checkLabels,
  checkLength,
  checkMatrix,
  checkStep,
} from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

type NnOp =
  | "biasActivationForward"
  | "activationForward"
  | "activationBackward"
  | "softmaxCrossEntropy"
  | "softmax"
  | "columnSums"
  | "multiply";

/** The element-wise and row-wise operations (arguments already checked). */
export const TS_NN: Pick<Kernels, NnOp> = {
  biasActivationForward(x, bias, rows, cols, activation): void {
    const f = ACTIVATION_FUNCTIONS[activation];
    for (let i = 0, o = 0; i < rows; i++, o += cols) {
      if (activation === 2) {
        // ReLU, the common case, without the indirect call.
        for (let j = 0; j < cols; j++) {
          const z = x[o + j] + bias[j];
          x[o + j] = z > 0 ? z : 0;
        }
      } else {
        for (let j = 0; j < cols; j++) x[o + j] = f(x[o + j] + bias[j]);
      }
    }
  },
  activationForward(y, x, n, activation): void {
    const f = ACTIVATION_FUNCTIONS[activation];
    for (let i = 0; i < n; i++) y[i] = f(x[i]);
  },
  activationBackward(grad, out, n, activation): void {
    if (activation === 0) return;
    if (activation === 2) {
      for (let i = 0; i < n; i++) if (!(out[i] > 0)) grad[i] = 0;
      return;
    }
    const d = ACTIVATION_DERIVATIVES[activation];
    for (let i = 0; i < n; i++) grad[i] *= d(out[i]);
  },
  softmaxCrossEntropy(logits, labels, grad, rows, cols, gradScale, stats): void {
    let loss = 0;
    let correct = 0;
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      let best = 0;
      let max = logits[o];
      for (let j = 1; j < cols; j++) if (logits[o + j] > max) max = logits[o + (best = j)];
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += Math.exp(logits[o + j] - max);
      const y = labels[i];
      loss += Math.log(sum) + max - logits[o + y];
      if (best === y) correct++;
      const inv = gradScale / sum;
      for (let j = 0; j < cols; j++) grad[o + j] = Math.exp(logits[o + j] - max) * inv;
      grad[o + y] -= gradScale;
    }
    stats[0] += loss;
    stats[1] += correct;
  },
  softmax(x, rows, cols): void {
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += x[o + j] = Math.exp(x[o + j] - max);
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) x[o + j] *= inv;
    }
  },
  columnSums(out, x, rows, cols, alpha, beta): void {
    if (beta === 0) out.fill(0, 0, cols);
    else if (beta !== 1) { for (let j = 0; j < cols; j++) out[j] *= beta; }
    if (alpha === 1) {
      for (let i = 0, o = 0; i < rows; i++, o += cols) {
        for (let j = 0; j < cols; j++) out[j] += x[o + j];
      }
      return;
    }
    // As native/nn.c: a float sum per column, scaled once.
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let at = j; at < rows * cols; at += cols) sum = Math.fround(sum + x[at]);
      out[j] += Math.fround(alpha * sum);
    }
  },
  multiply(out, a, b, n): void {
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  },
};

/** Their argument checks. */
export const NN_CHECKS: KernelChecks<NnOp> = {
  biasActivationForward(x, bias, rows, cols, activation): void {
    const op = "biasActivationForward";
    checkMatrix(op, "x", x, rows, cols);
    checkLength(op, "bias", bias, cols);
    checkActivation(op, activation);
  },
  activationForward(y, x, n, act): void {
    checkStep("activationForward", n, { y, x });
    checkActivation("activationForward", act);
  },
  activationBackward(grad, out, n, act): void {
    checkStep("activationBackward", n, { grad, out });
    checkActivation("activationBackward", act);
  },
  softmaxCrossEntropy(logits, labels, grad, rows, cols, _scale, stats): void {
    const op = "softmaxCrossEntropy";
    checkMatrix(op, "logits", logits, rows, cols);
    checkLength(op, "grad", grad, rows * cols);
    checkArray(op, "labels", labels, Int32Array, rows);
    checkArray(op, "stats", stats, Float64Array, 2);
    checkLabels(labels, rows, cols);
  },
  softmax: (x, rows, cols) => checkMatrix("softmax", "x", x, rows, cols),
  columnSums(out, x, rows, cols): void {
    checkMatrix("columnSums", "x", x, rows, cols);
    checkLength("columnSums", "out", out, cols);
  },
  multiply: (out, a, b, n) => checkStep("multiply", n, { out, a, b }),
};

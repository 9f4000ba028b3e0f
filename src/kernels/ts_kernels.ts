/**
 * The pure-TypeScript backend: works everywhere, needs no permissions.
 *
 * @module
 */

import {
  checkActivationOp,
  checkBiasActivation,
  checkGather,
  checkGemm,
  checkLength,
  checkMatrix,
  checkSoftmaxCrossEntropy,
  checkStep,
} from "./_check.ts";
import type { Kernels } from "./kernels.ts";
import { LEAKY_RELU_SLOPE } from "./kernels.ts";
import { gemmTs } from "./ts_gemm.ts";
import {
  checkBatchNormBackward,
  checkBatchNormForward,
  checkDropout,
  checkIm2col,
  checkMaxPoolBackward,
  checkMaxPoolForward,
} from "./_check_layers.ts";
import { dropoutForwardTs } from "./_dropout.ts";
import { col2imTs, im2colTs, maxPoolBackwardTs, maxPoolForwardTs } from "./ts_conv.ts";
import { batchNormBackwardTs, batchNormForwardTs } from "./ts_norm.ts";

/** Activation functions by code (`ACTIVATION_CODES`), as native/nn.c. */
const ACTIVATIONS: readonly ((z: number) => number)[] = [
  (z) => z,
  (z) => 1 / (1 + Math.exp(-z)),
  (z) => (z > 0 ? z : 0),
  Math.tanh,
  (z) => (z > 0 ? z : LEAKY_RELU_SLOPE * z),
];

/**
 * Kernels in portable TypeScript: a cache-blocked GEMM on packed panels and
 * single-pass loops for everything else. Single-threaded.
 *
 * @example Multiply two 2x2 matrices
 * ```ts
 * import { TsKernels } from "./ts_kernels.ts";
 * const k = new TsKernels();
 * const c = new Float32Array(4);
 * k.gemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]),
 *   new Float32Array([1, 0, 0, 1]), 0, c);
 * console.log(c); // Float32Array(4) [ 1, 2, 3, 4 ]
 * ```
 */
export class TsKernels implements Kernels {
  /** Always `"ts"`. */
  readonly name = "ts" as const;
  /** Always 1: the TS backend runs on the calling thread. */
  readonly threads = 1;
  /** `"ts (portable TypeScript, 1 thread)"`. */
  readonly description: string = "ts (portable TypeScript, 1 thread)";

  /** See {@link Kernels.allocate}: a plain array (alignment is invisible to TS). */
  allocate(length: number): Float32Array {
    return new Float32Array(length);
  }

  /** See {@link Kernels.gemm}. */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: Float32Array,
    b: Float32Array,
    beta: number,
    c: Float32Array,
  ): void {
    checkGemm(m, n, k, a, b, c);
    gemmTs(transA, transB, m, n, k, alpha, a, b, beta, c);
  }

  /** See {@link Kernels.biasActivationForward}. */
  biasActivationForward(
    x: Float32Array,
    bias: Float32Array,
    rows: number,
    cols: number,
    activation: number,
  ): void {
    checkBiasActivation(x, bias, rows, cols, activation);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      switch (activation) {
        case 0:
          for (let j = 0; j < cols; j++) x[o + j] += bias[j];
          break;
        case 1:
          for (let j = 0; j < cols; j++) x[o + j] = 1 / (1 + Math.exp(-(x[o + j] + bias[j])));
          break;
        case 2:
          for (let j = 0; j < cols; j++) {
            const z = x[o + j] + bias[j];
            x[o + j] = z > 0 ? z : 0;
          }
          break;
        case 3:
          for (let j = 0; j < cols; j++) x[o + j] = Math.tanh(x[o + j] + bias[j]);
          break;
        default:
          for (let j = 0; j < cols; j++) {
            const z = x[o + j] + bias[j];
            x[o + j] = z > 0 ? z : LEAKY_RELU_SLOPE * z;
          }
      }
    }
  }

  /** See {@link Kernels.activationBackward}. */
  activationBackward(grad: Float32Array, out: Float32Array, n: number, activation: number): void {
    checkActivationOp("activationBackward", grad, out, n, activation);
    switch (activation) {
      case 0:
        return;
      case 1:
        for (let i = 0; i < n; i++) grad[i] *= out[i] * (1 - out[i]);
        return;
      case 2:
        for (let i = 0; i < n; i++) if (!(out[i] > 0)) grad[i] = 0;
        return;
      case 3:
        for (let i = 0; i < n; i++) grad[i] *= 1 - out[i] * out[i];
        return;
      default:
        for (let i = 0; i < n; i++) if (!(out[i] > 0)) grad[i] *= LEAKY_RELU_SLOPE;
    }
  }

  /** See {@link Kernels.softmaxCrossEntropy}. */
  softmaxCrossEntropy(
    logits: Float32Array,
    labels: Int32Array,
    grad: Float32Array,
    rows: number,
    cols: number,
    gradScale: number,
    stats: Float64Array,
  ): void {
    checkSoftmaxCrossEntropy(logits, labels, grad, rows, cols, stats);
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
  }

  /** See {@link Kernels.softmax}. */
  softmax(x: Float32Array, rows: number, cols: number): void {
    checkMatrix("softmax", "x", x, rows, cols);
    for (let i = 0; i < rows; i++) {
      const o = i * cols;
      let max = -Infinity;
      for (let j = 0; j < cols; j++) if (x[o + j] > max) max = x[o + j];
      let sum = 0;
      for (let j = 0; j < cols; j++) sum += x[o + j] = Math.exp(x[o + j] - max);
      const inv = 1 / sum;
      for (let j = 0; j < cols; j++) x[o + j] *= inv;
    }
  }

  /** See {@link Kernels.columnSums}. */
  columnSums(
    out: Float32Array,
    x: Float32Array,
    rows: number,
    cols: number,
    alpha: number,
    beta: number,
  ): void {
    checkMatrix("columnSums", "x", x, rows, cols);
    checkLength("columnSums", "out", out, cols);
    if (beta === 0) out.fill(0, 0, cols);
    else if (beta !== 1) { for (let j = 0; j < cols; j++) out[j] *= beta; }
    if (alpha === 1) {
      for (let i = 0; i < rows; i++) {
        const o = i * cols;
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
  }

  /** See {@link Kernels.activationForward}. */
  activationForward(y: Float32Array, x: Float32Array, n: number, activation: number): void {
    checkActivationOp("activationForward", y, x, n, activation);
    const f = ACTIVATIONS[activation];
    for (let i = 0; i < n; i++) y[i] = f(x[i]);
  }

  /** See {@link Kernels.multiply}. */
  multiply(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    checkStep("multiply", n, { out, a, b });
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  }

  /** See {@link Kernels.im2col}. */
  im2col(col: Float32Array, x: Float32Array, geom: Int32Array): void {
    checkIm2col("im2col", col, x, geom);
    im2colTs(col, x, geom);
  }

  /** See {@link Kernels.col2im}. */
  col2im(dx: Float32Array, col: Float32Array, geom: Int32Array): void {
    checkIm2col("col2im", col, dx, geom);
    col2imTs(dx, col, geom);
  }

  /** See {@link Kernels.maxPoolForward}. */
  maxPoolForward(out: Float32Array, argmax: Int32Array, x: Float32Array, geom: Int32Array): void {
    checkMaxPoolForward(out, argmax, x, geom);
    maxPoolForwardTs(out, argmax, x, geom);
  }

  /** See {@link Kernels.maxPoolBackward}. */
  maxPoolBackward(
    dx: Float32Array,
    dy: Float32Array,
    argmax: Int32Array,
    nIn: number,
    nOut: number,
  ): void {
    checkMaxPoolBackward(dx, dy, argmax, nIn, nOut);
    maxPoolBackwardTs(dx, dy, argmax, nIn, nOut);
  }

  /** See {@link Kernels.batchNormForward}. */
  batchNormForward(
    y: Float32Array,
    xhat: Float32Array,
    invStd: Float32Array,
    x: Float32Array,
    gammaBeta: Float32Array,
    running: Float32Array,
    rows: number,
    cols: number,
    momentum: number,
    eps: number,
    training: boolean,
  ): void {
    const args = [
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
    ] as const;
    checkBatchNormForward(...args);
    batchNormForwardTs(...args);
  }

  /** See {@link Kernels.batchNormBackward}. */
  batchNormBackward(
    dx: Float32Array,
    dGammaBeta: Float32Array,
    dy: Float32Array,
    xhat: Float32Array,
    invStd: Float32Array,
    gammaBeta: Float32Array,
    rows: number,
    cols: number,
    alpha: number,
    beta: number,
  ): void {
    const args = [dx, dGammaBeta, dy, xhat, invStd, gammaBeta, rows, cols, alpha, beta] as const;
    checkBatchNormBackward(...args);
    batchNormBackwardTs(...args);
  }

  /** See {@link Kernels.dropoutForward}. */
  dropoutForward(
    y: Float32Array,
    mask: Float32Array,
    x: Float32Array,
    n: number,
    rate: number,
    scale: number,
    seed: number,
    counter: number,
  ): void {
    checkDropout(y, mask, x, n, rate, scale, seed, counter);
    dropoutForwardTs(y, mask, x, n, rate, scale, seed | 0, counter | 0);
  }

  /** See {@link Kernels.sgdStep}. */
  sgdStep(
    params: Float32Array,
    grads: Float32Array,
    n: number,
    lr: number,
    weightDecay: number,
  ): void {
    checkStep("sgdStep", n, { params, grads });
    if (weightDecay === 0) {
      for (let i = 0; i < n; i++) params[i] -= lr * grads[i];
    } else {
      for (let i = 0; i < n; i++) params[i] -= lr * (grads[i] + weightDecay * params[i]);
    }
  }

  /** See {@link Kernels.momentumStep}. */
  momentumStep(
    params: Float32Array,
    grads: Float32Array,
    velocity: Float32Array,
    n: number,
    lr: number,
    momentum: number,
    weightDecay: number,
    nesterov: boolean,
  ): void {
    checkStep("momentumStep", n, { params, grads, velocity });
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const v = velocity[i] = momentum * velocity[i] + g;
      params[i] -= lr * (nesterov ? g + momentum * v : v);
    }
  }

  /** See {@link Kernels.adamStep}. */
  adamStep(
    params: Float32Array,
    grads: Float32Array,
    m: Float32Array,
    v: Float32Array,
    n: number,
    lrT: number,
    beta1: number,
    beta2: number,
    epsT: number,
    weightDecay: number,
  ): void {
    checkStep("adamStep", n, { params, grads, m, v });
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const mi = m[i] = beta1 * m[i] + (1 - beta1) * g;
      const vi = v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] -= (lrT * mi) / (Math.sqrt(vi) + epsT);
    }
  }

  /** See {@link Kernels.gatherBatch}. */
  gatherBatch(
    out: Float32Array,
    outLabels: Int32Array | null,
    pixels: Uint8Array,
    labels: Uint8Array | null,
    indices: Int32Array,
    count: number,
    features: number,
    scale: number,
    shift: number,
  ): void {
    checkGather(out, outLabels, pixels, labels, indices, count, features);
    for (let i = 0; i < count; i++) {
      const s = indices[i];
      const src = s * features;
      const dst = i * features;
      for (let j = 0; j < features; j++) out[dst + j] = pixels[src + j] * scale + shift;
      if (outLabels && labels) outLabels[i] = labels[s];
    }
  }
}

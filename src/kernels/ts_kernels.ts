/**
 * The pure-TypeScript backend: works everywhere, needs no permissions.
 * The operations are a plain object typed by the {@link Kernels} interface
 * (its long signatures are written once, there); argument checks are
 * applied around it by `withChecks`, once per call, as for every backend.
 *
 * @module
 */

import { ACTIVATION_DERIVATIVES, ACTIVATION_FUNCTIONS } from "./activations.ts";
import { withChecks } from "./_checked.ts";
import { TS_DROPOUT } from "./_dropout.ts";
import { TS_AUGMENT } from "./ts_augment.ts";
import type { Kernels } from "./kernels.ts";
import { gemmTs } from "./ts_gemm.ts";
import { TS_CONV } from "./ts_conv.ts";
import { TS_NORM } from "./ts_norm.ts";

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The gather's 32-bit view of the last dataset it read (one per dataset, not per batch). */
let lastWords: { pixels?: Uint8Array; words?: Uint32Array } = {};

function wordView(pixels: Uint8Array): Uint32Array | undefined {
  if (lastWords.pixels !== pixels) {
    const words = LITTLE_ENDIAN && pixels.byteOffset % 4 === 0
      ? new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.length >> 2)
      : undefined;
    lastWords = { pixels, words };
  }
  return lastWords.words;
}

/** The gather's byte -> float table, kept for the last (scale, shift). */
let lastTable = { scale: NaN, shift: NaN, values: new Float32Array(256) };

function byteTable(scale: number, shift: number): Float32Array {
  if (lastTable.scale !== scale || lastTable.shift !== shift) {
    const values = Float32Array.from({ length: 256 }, (_, v) => v * scale + shift);
    lastTable = { scale, shift, values };
  }
  return lastTable.values;
}

/** The TS operations, unchecked (`createTsKernels` adds the checks). */
export const TS_KERNELS: Kernels = {
  name: "ts",
  threads: 1,
  description: "ts (portable TypeScript, 1 thread)",
  // Alignment is invisible to TS code: a plain array.
  allocate: (length) => new Float32Array(length),
  // Garbage-collected: nothing to give back.
  free: () => {},
  gemm: gemmTs,
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
  ...TS_CONV,
  ...TS_NORM,
  ...TS_DROPOUT,
  ...TS_AUGMENT,
  sgdStep(params, grads, n, lr, weightDecay): void {
    for (let i = 0; i < n; i++) params[i] -= lr * (grads[i] + weightDecay * params[i]);
  },
  momentumStep(params, grads, velocity, n, lr, momentum, weightDecay, nesterov): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const v = velocity[i] = momentum * velocity[i] + g;
      params[i] -= lr * (nesterov ? g + momentum * v : v);
    }
  },
  adamStep(params, grads, m, v, n, lrT, beta1, beta2, epsT, weightDecay, keep): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const mi = m[i] = beta1 * m[i] + (1 - beta1) * g;
      const vi = v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] = keep * params[i] - (lrT * mi) / (Math.sqrt(vi) + epsT);
    }
  },
  rmsStep(params, grads, s, n, lr, rho, c, eps, weightDecay): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      const si = s[i] = rho * s[i] + c * g * g;
      params[i] -= (lr * g) / (Math.sqrt(si) + eps);
    }
  },
  gatherBatch(out, outLabels, pixels, labels, indices, count, features, scale, shift): void {
    // Through a table of the 256 possible values (the same float each would
    // compute): a load replaces the int-to-float conversion and the math.
    const table = byteTable(scale, shift);
    // Four pixels per 32-bit load when the rows allow it (whole words, and
    // a little-endian platform, where the first pixel is the low byte).
    const words = features % 4 === 0 ? wordView(pixels) : undefined;
    for (let i = 0; i < count; i++) {
      const s = indices[i], src = s * features, dst = i * features;
      if (words) {
        for (let j = 0, w = src >> 2; j < features; j += 4, w++) {
          const v = words[w];
          out[dst + j] = table[v & 255];
          out[dst + j + 1] = table[(v >>> 8) & 255];
          out[dst + j + 2] = table[(v >>> 16) & 255];
          out[dst + j + 3] = table[v >>> 24];
        }
      } else {
        for (let j = 0; j < features; j++) out[dst + j] = table[pixels[src + j]];
      }
      if (outLabels && labels) outLabels[i] = labels[s];
    }
  },
};

/**
 * Kernels in portable TypeScript: a cache-blocked GEMM on packed panels and
 * single-pass loops for everything else. Single-threaded; every argument is
 * checked.
 *
 * @returns The TS backend.
 * @example Multiply two 2x2 matrices
 * ```ts
 * import { createTsKernels } from "jsr:@x/mnist-dnn/kernels";
 * const k = createTsKernels();
 * const c = new Float32Array(4);
 * k.gemm(false, false, 2, 2, 2, 1, new Float32Array([1, 2, 3, 4]),
 *   new Float32Array([1, 0, 0, 1]), 0, c);
 * console.log(c); // Float32Array(4) [ 1, 2, 3, 4 ]
 * ```
 */
export function createTsKernels(): Kernels {
  return withChecks(TS_KERNELS);
}

// The naive reference every backend is held to: the textbook formula for each
// op, written for clarity, in double precision, with no blocking or fusion.

import type { Kernels } from "../src/kernels/kernels.ts";
import { LEAKY_RELU_SLOPE } from "../src/kernels/kernels.ts";
import {
  mlpSgdSamplesComposed,
  mlpSgdStepComposed,
  mlpWorkSize,
} from "../src/kernels/_mlp_step.ts";

function activate(z: number, code: number): number {
  switch (code) {
    case 0:
      return z;
    case 1:
      return 1 / (1 + Math.exp(-z));
    case 2:
      return Math.max(0, z);
    case 3:
      return Math.tanh(z);
    default:
      return z > 0 ? z : LEAKY_RELU_SLOPE * z;
  }
}

/** Derivative of the activation expressed through its output y = act(z). */
function derivativeFromOutput(y: number, code: number): number {
  switch (code) {
    case 0:
      return 1;
    case 1:
      return y * (1 - y);
    case 2:
      return y > 0 ? 1 : 0;
    case 3:
      return 1 - y * y;
    default:
      return y > 0 ? 1 : LEAKY_RELU_SLOPE;
  }
}

/** Naive reference kernels (tests only). */
export const referenceKernels: Kernels = {
  name: "ts",
  description: "naive reference",
  threads: 1,
  allocate(length): Float32Array {
    return new Float32Array(length);
  },
  gemm(transA, transB, m, n, k, alpha, a, b, beta, c): void {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = transA ? a[p * m + i] : a[i * k + p];
          const bv = transB ? b[j * k + p] : b[p * n + j];
          sum += av * bv;
        }
        c[i * n + j] = alpha * sum + (beta === 0 ? 0 : beta * c[i * n + j]);
      }
    }
  },
  biasActivationForward(x, bias, rows, cols, activation): void {
    for (let i = 0; i < rows * cols; i++) x[i] = activate(x[i] + bias[i % cols], activation);
  },
  activationBackward(grad, out, n, activation): void {
    for (let i = 0; i < n; i++) grad[i] *= derivativeFromOutput(out[i], activation);
  },
  softmaxCrossEntropy(logits, labels, grad, rows, cols, gradScale, stats): void {
    for (let i = 0; i < rows; i++) {
      const row = Array.from(logits.subarray(i * cols, (i + 1) * cols));
      const max = Math.max(...row);
      const logSum = Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0)) + max;
      stats[0] += logSum - row[labels[i]];
      if (row.indexOf(max) === labels[i]) stats[1] += 1;
      for (let j = 0; j < cols; j++) {
        grad[i * cols + j] = (Math.exp(row[j] - logSum) - (j === labels[i] ? 1 : 0)) * gradScale;
      }
    }
  },
  softmax(x, rows, cols): void {
    for (let i = 0; i < rows; i++) {
      const row = Array.from(x.subarray(i * cols, (i + 1) * cols));
      const max = Math.max(...row);
      const sum = row.reduce((s, z) => s + Math.exp(z - max), 0);
      for (let j = 0; j < cols; j++) x[i * cols + j] = Math.exp(row[j] - max) / sum;
    }
  },
  columnSums(out, x, rows, cols, beta): void {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += x[i * cols + j];
      out[j] = (beta === 0 ? 0 : beta * out[j]) + sum;
    }
  },
  sgdStep(params, grads, n, lr, weightDecay): void {
    for (let i = 0; i < n; i++) params[i] = params[i] - lr * (grads[i] + weightDecay * params[i]);
  },
  momentumStep(params, grads, velocity, n, lr, momentum, weightDecay, nesterov): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      velocity[i] = momentum * velocity[i] + g;
      const step = nesterov ? g + momentum * velocity[i] : velocity[i];
      params[i] = params[i] - lr * step;
    }
  },
  adamStep(params, grads, m, v, n, lrT, beta1, beta2, epsT, weightDecay): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] = params[i] - (lrT * m[i]) / (Math.sqrt(v[i]) + epsT);
    }
  },
  gatherBatch(out, outLabels, pixels, labels, indices, count, features, scale, shift): void {
    for (let i = 0; i < count; i++) {
      for (let j = 0; j < features; j++) {
        out[i * features + j] = pixels[indices[i] * features + j] * scale + shift;
      }
      if (outLabels && labels) outLabels[i] = labels[indices[i]];
    }
  },
  mlpSgdStep(params, work, sizes, layers, input, labels, rows, activation, lr, stats): void {
    mlpSgdStepComposed(
      referenceKernels,
      params,
      work,
      sizes,
      layers,
      input,
      labels,
      rows,
      activation,
      lr,
      stats,
    );
  },
  mlpSgdSamples(params, work, sizes, layers, inputs, labels, count, activation, lr, stats): void {
    mlpSgdSamplesComposed(
      referenceKernels,
      params,
      work,
      sizes,
      layers,
      inputs,
      labels,
      count,
      activation,
      lr,
      stats,
    );
  },
  mlpWorkSize: mlpWorkSize,
};

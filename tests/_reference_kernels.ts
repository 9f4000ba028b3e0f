// The naive reference every backend is held to: the textbook formula for each
// op, written for clarity, in double precision, with no blocking or fusion.

import type { Kernels } from "../src/kernels/kernels.ts";
import { LEAKY_RELU_SLOPE } from "../src/kernels/kernels.ts";
import { TS_DROPOUT } from "../src/kernels/ts_dropout.ts";
import { draw, mix, stepKey } from "../src/kernels/_hash.ts";

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
  free(): void {},
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
  columnSums(out, x, rows, cols, alpha, beta): void {
    for (let j = 0; j < cols; j++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += x[i * cols + j];
      out[j] = (beta === 0 ? 0 : beta * out[j]) + alpha * sum;
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
  adamStep(params, grads, m, v, n, lrT, beta1, beta2, epsT, weightDecay, keep): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      m[i] = beta1 * m[i] + (1 - beta1) * g;
      v[i] = beta2 * v[i] + (1 - beta2) * g * g;
      params[i] = params[i] * keep - (lrT * m[i]) / (Math.sqrt(v[i]) + epsT);
    }
  },
  rmsStep(params, grads, s, n, lr, rho, c, eps, weightDecay): void {
    for (let i = 0; i < n; i++) {
      const g = grads[i] + weightDecay * params[i];
      s[i] = rho * s[i] + c * g * g;
      params[i] = params[i] - (lr * g) / (Math.sqrt(s[i]) + eps);
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
  activationForward(y, x, n, activation): void {
    for (let i = 0; i < n; i++) y[i] = activate(x[i], activation);
  },
  multiply(out, a, b, n): void {
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  },
  im2col(col, x, geom): void {
    const [b, h, w, c, k, s, p, oh, ow] = geom;
    for (let n = 0; n < b; n++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              for (let ch = 0; ch < c; ch++) {
                const iy = oy * s - p + ky, ix = ox * s - p + kx;
                const row = (n * oh + oy) * ow + ox, column = (ky * k + kx) * c + ch;
                col[row * k * k * c + column] = iy >= 0 && iy < h && ix >= 0 && ix < w
                  ? x[((n * h + iy) * w + ix) * c + ch]
                  : 0;
              }
            }
          }
        }
      }
    }
  },
  col2im(dx, col, geom): void {
    const [b, h, w, c, k, s, p, oh, ow] = geom;
    for (let n = 0; n < b; n++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              for (let ch = 0; ch < c; ch++) {
                const iy = oy * s - p + ky, ix = ox * s - p + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const row = (n * oh + oy) * ow + ox, column = (ky * k + kx) * c + ch;
                dx[((n * h + iy) * w + ix) * c + ch] += col[row * k * k * c + column];
              }
            }
          }
        }
      }
    }
  },
  maxPoolForward(out, argmax, x, geom): void {
    const [b, h, w, c, k, s, p, oh, ow] = geom;
    for (let n = 0; n < b; n++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ch = 0; ch < c; ch++) {
            let best = -1;
            for (let ky = 0; ky < k; ky++) {
              for (let kx = 0; kx < k; kx++) {
                const iy = oy * s - p + ky, ix = ox * s - p + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                const i = ((n * h + iy) * w + ix) * c + ch;
                if (best < 0 || x[i] > x[best]) best = i;
              }
            }
            const o = ((n * oh + oy) * ow + ox) * c + ch;
            out[o] = x[best];
            argmax[o] = best;
          }
        }
      }
    }
  },
  maxPoolBackward(dx, dy, argmax, nIn, nOut): void {
    dx.fill(0, 0, nIn);
    for (let i = 0; i < nOut; i++) if (argmax[i] >= 0 && argmax[i] < nIn) dx[argmax[i]] += dy[i];
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
    for (let j = 0; j < cols; j++) {
      const column = Array.from({ length: rows }, (_, i) => x[i * cols + j]);
      let mean = running[j], variance = running[cols + j];
      if (training) {
        mean = column.reduce((a, v) => a + v, 0) / rows;
        const squares = column.reduce((a, v) => a + (v - mean) ** 2, 0);
        variance = squares / rows;
        running[j] = (1 - momentum) * running[j] + momentum * mean;
        running[cols + j] = (1 - momentum) * running[cols + j] +
          momentum * (rows > 1 ? squares / (rows - 1) : variance);
        invStd[j] = 1 / Math.sqrt(variance + eps);
      }
      const inv = 1 / Math.sqrt(variance + eps);
      for (let i = 0; i < rows; i++) {
        const h = (column[i] - mean) * inv;
        if (training) xhat[i * cols + j] = h;
        y[i * cols + j] = gammaBeta[j] * h + gammaBeta[cols + j];
      }
    }
  },
  batchNormBackward(dx, dGammaBeta, dy, xhat, invStd, gammaBeta, rows, cols, alpha, beta): void {
    for (let j = 0; j < cols; j++) {
      let dGamma = 0, dBeta = 0;
      for (let i = 0; i < rows; i++) {
        dGamma += dy[i * cols + j] * xhat[i * cols + j];
        dBeta += dy[i * cols + j];
      }
      for (let i = 0; i < rows; i++) {
        const at = i * cols + j;
        dx[at] = (gammaBeta[j] * invStd[j] / rows) * (rows * dy[at] - dBeta - xhat[at] * dGamma);
      }
      dGammaBeta[j] = alpha * dGamma + (beta === 0 ? 0 : beta * dGammaBeta[j]);
      dGammaBeta[cols + j] = alpha * dBeta + (beta === 0 ? 0 : beta * dGammaBeta[cols + j]);
    }
  },
  // The mask is the generator's definition (shared with the TS backend);
  // native parity with it is what the tests check.
  dropoutForward: TS_DROPOUT.dropoutForward,
  // Each sample's source coordinates from an explicit inverse map: the
  // affine part as a 2x2 matrix about the centre, the elastic part by
  // bilinear weights over the four surrounding grid nodes.
  augment(out, x, rows, h, w, params, seed, counter): void {
    const [shift, rotate, scale, elastic, spacing, fill] = params;
    const u = (key: number, i: number): number => draw(key, i) / 8388608 - 1;
    const gh = elastic > 0 ? Math.ceil((h - 1) / spacing) + 1 : 0;
    const gw = elastic > 0 ? Math.ceil((w - 1) / spacing) + 1 : 0;
    for (let n = 0; n < rows; n++) {
      const key = mix((stepKey(seed, counter) ^ mix(n)) >>> 0);
      const [dx, dy] = [shift * u(key, 0), shift * u(key, 1)];
      const angle = rotate * u(key, 2), zoom = 1 + scale * u(key, 3);
      const m = [Math.cos(angle) / zoom, -Math.sin(angle) / zoom];
      const node = (gy: number, gx: number, d: number): number =>
        elastic * u(key, 4 + 2 * (gy * gw + gx) + d);
      const source = (y: number, xx: number): number =>
        y < 0 || y >= h || xx < 0 || xx >= w ? fill : x[n * h * w + y * w + xx];
      for (let r = 0; r < h; r++) {
        for (let q = 0; q < w; q++) {
          const py = r - (h - 1) / 2 - dy, px = q - (w - 1) / 2 - dx;
          let sy = m[0] * py + m[1] * px + (h - 1) / 2;
          let sx = -m[1] * py + m[0] * px + (w - 1) / 2;
          if (gh > 0) {
            const iy = Math.min(Math.floor(r / spacing), gh - 2);
            const ix = Math.min(Math.floor(q / spacing), gw - 2);
            const fy = r / spacing - iy, fx = q / spacing - ix;
            const weights = [(1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx];
            const corners = [[iy, ix], [iy, ix + 1], [iy + 1, ix], [iy + 1, ix + 1]];
            corners.forEach(([cy, cx], k) => {
              sy += weights[k] * node(cy, cx, 0);
              sx += weights[k] * node(cy, cx, 1);
            });
          }
          const y0 = Math.floor(sy), x0 = Math.floor(sx), fy = sy - y0, fx = sx - x0;
          out[n * h * w + r * w + q] = (1 - fy) * (1 - fx) * source(y0, x0) +
            (1 - fy) * fx * source(y0, x0 + 1) + fy * (1 - fx) * source(y0 + 1, x0) +
            fy * fx * source(y0 + 1, x0 + 1);
        }
      }
    }
  },
};

// The fused SGD step of a dense stack, composed from the other kernels. The
// TS backend and the test reference run it; native/mlp.c does the same work
// in one C call. The layout of `params` and `work` is the same on both sides.

import { checkActivation, checkDim, checkLabels, checkLength } from "./_check.ts";
import type { Kernels } from "./kernels.ts";

/** Most layers the fused step accepts (MAX_LAYERS in native/mlp.c). */
export const MLP_MAX_LAYERS = 64;

/** Floats of work space for `rows` samples: activations plus two deltas. */
export function mlpWorkSize(sizes: Int32Array, layers: number, rows: number): number {
  let total = 0, widest = 0;
  for (let l = 1; l <= layers; l++) {
    total += rows * sizes[l];
    widest = Math.max(widest, sizes[l]);
  }
  return total + 2 * rows * widest;
}

/** Validates every argument of `Kernels.mlpSgdStep`. */
export function checkMlpStep(
  params: Float32Array,
  work: Float32Array,
  sizes: Int32Array,
  layers: number,
  input: Float32Array,
  labels: Int32Array,
  rows: number,
  activation: number,
  stats: Float64Array,
  workRows: number = rows,
): void {
  const op = "mlpSgdStep";
  checkDim(op, "rows", rows);
  if (!Number.isInteger(layers) || layers < 1 || layers > MLP_MAX_LAYERS) {
    throw new RangeError(`${op}: layers must be 1..${MLP_MAX_LAYERS}, got ${layers}`);
  }
  checkLength(op, "sizes", sizes, layers + 1);
  let total = 0;
  for (let l = 0; l <= layers; l++) {
    if (!(sizes[l] > 0)) throw new RangeError(`${op}: sizes[${l}] is ${sizes[l]}`);
    if (l > 0) total += sizes[l] * sizes[l - 1] + sizes[l];
  }
  checkLength(op, "params", params, total);
  checkLength(op, "work", work, mlpWorkSize(sizes, layers, workRows));
  checkLength(op, "input", input, rows * sizes[0]);
  checkLength(op, "labels", labels, rows);
  checkLength(op, "stats", stats, 2);
  checkActivation(op, activation);
  checkLabels(labels, rows, sizes[layers]);
}

/** `Kernels.mlpSgdSamples` as one `mlpSgdStepComposed` call per sample. */
export function mlpSgdSamplesComposed(
  k: Kernels,
  params: Float32Array,
  work: Float32Array,
  sizes: Int32Array,
  layers: number,
  inputs: Float32Array,
  labels: Int32Array,
  count: number,
  activation: number,
  lr: number,
  stats: Float64Array,
): void {
  const width = sizes[0];
  for (let s = 0; s < count; s++) {
    const x = inputs.subarray(s * width, (s + 1) * width);
    const y = labels.subarray(s, s + 1);
    mlpSgdStepComposed(k, params, work, sizes, layers, x, y, 1, activation, lr, stats);
  }
}

/** `Kernels.mlpSgdStep` on top of the other operations of `k` (unchecked). */
export function mlpSgdStepComposed(
  k: Kernels,
  params: Float32Array,
  work: Float32Array,
  sizes: Int32Array,
  layers: number,
  input: Float32Array,
  labels: Int32Array,
  rows: number,
  activation: number,
  lr: number,
  stats: Float64Array,
): void {
  const weights: Float32Array[] = [], biases: Float32Array[] = [], acts: Float32Array[] = [input];
  let p = 0, w = 0, widest = 0;
  for (let l = 1; l <= layers; l++) {
    const n = sizes[l] * sizes[l - 1];
    weights[l] = params.subarray(p, p + n);
    biases[l] = params.subarray(p + n, p + n + sizes[l]);
    p += n + sizes[l];
    acts[l] = work.subarray(w, w + rows * sizes[l]);
    w += rows * sizes[l];
    widest = Math.max(widest, sizes[l]);
  }
  let delta = work.subarray(w, w + rows * widest);
  let spare = work.subarray(w + rows * widest, w + 2 * rows * widest);
  for (let l = 1; l <= layers; l++) {
    k.gemm(false, true, rows, sizes[l], sizes[l - 1], 1, acts[l - 1], weights[l], 0, acts[l]);
    k.biasActivationForward(acts[l], biases[l], rows, sizes[l], l < layers ? activation : 0);
  }
  k.softmaxCrossEntropy(acts[layers], labels, delta, rows, sizes[layers], 1 / rows, stats);
  for (let l = layers; l >= 1; l--) {
    const inW = sizes[l - 1], outW = sizes[l];
    if (l > 1) {
      // The input gradient needs the weights before this step's update.
      k.gemm(false, false, rows, inW, outW, 1, delta, weights[l], 0, spare);
      k.activationBackward(spare, acts[l - 1], rows * inW, activation);
    }
    k.gemm(true, false, outW, inW, rows, -lr, delta, acts[l - 1], 1, weights[l]);
    const bias = biases[l];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < outW; j++) bias[j] -= lr * delta[i * outW + j];
    }
    [delta, spare] = [spare, delta];
  }
}

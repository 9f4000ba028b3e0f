// Layout and checks of the native batch-1 fast path (`Kernels.mlpSgdSamples`,
// native/mlp.c). Its math is that of the dense layers with plain SGD; the
// tests hold it to them.

import { checkActivation, checkArray, checkDim, checkLabels, checkLength } from "./_check.ts";
import type { KernelChecks } from "./kernels.ts";

/** Most layers the fast path accepts (MND_MLP_MAX_LAYERS in native/kernels.h). */
export const MLP_MAX_LAYERS = 64;

/** Floats of work space for one sample: activations plus two deltas (`mnd_mlp_work_size`). */
export function mlpWorkSize(sizes: Int32Array, layers: number): number {
  let total = 0, widest = 0;
  for (let l = 1; l <= layers; l++) {
    total += sizes[l];
    widest = Math.max(widest, sizes[l]);
  }
  return total + 2 * widest;
}

/** Validates every argument of `Kernels.mlpSgdSamples`. */
export const MLP_CHECKS: KernelChecks<"mlpSgdSamples"> = {
  mlpSgdSamples(
    params,
    work,
    sizes,
    layers,
    inputs,
    labels,
    count,
    activation,
    _lr,
    _keep,
    stats,
  ): void {
    const op = "mlpSgdSamples";
    checkDim(op, "count", count);
    if (!Number.isInteger(layers) || layers < 1 || layers > MLP_MAX_LAYERS) {
      throw new RangeError(`${op}: layers must be 1..${MLP_MAX_LAYERS}, got ${layers}`);
    }
    checkArray(op, "sizes", sizes, Int32Array, layers + 1);
    let total = 0;
    for (let l = 0; l <= layers; l++) {
      if (!(sizes[l] > 0)) throw new RangeError(`${op}: sizes[${l}] is ${sizes[l]}`);
      if (l > 0) total += sizes[l] * sizes[l - 1] + sizes[l];
    }
    checkDim(op, "parameter count", total);
    checkLength(op, "params", params, total);
    checkLength(op, "work", work, mlpWorkSize(sizes, layers));
    checkLength(op, "inputs", inputs, count * sizes[0]);
    checkArray(op, "labels", labels, Int32Array, count);
    checkArray(op, "stats", stats, Float64Array, 2);
    checkActivation(op, activation);
    checkLabels(labels, count, sizes[layers]);
  },
};

// The checking wrapper every backend is served through: one check per
// Kernels operation (each family's checks sit beside its TS loops), run
// once per call before the backend's own code, so no backend repeats them
// and none can be reached unchecked through selectKernels.

import { checkDim, checkLength } from "./_check.ts";
import { MLP_CHECKS } from "./_mlp.ts";
import type { KernelChecks, KernelOp as Op, Kernels } from "./kernels.ts";
import { AUGMENT_CHECKS } from "./ts_augment.ts";
import { CONV_CHECKS } from "./ts_conv.ts";
import { DROPOUT_CHECKS } from "./ts_dropout.ts";
import { GATHER_CHECKS } from "./ts_gather.ts";
import { GEMM_CHECKS } from "./ts_gemm.ts";
import { MAXPOOL_CHECKS } from "./ts_maxpool.ts";
import { NN_CHECKS } from "./ts_nn.ts";
import { NORM_CHECKS } from "./ts_norm.ts";
import { OPTIM_CHECKS } from "./ts_optim.ts";

/** For each operation, a function that throws on bad arguments. */
const CHECKS: KernelChecks<Op> = {
  allocate(length): void {
    if (Number.isInteger(length) && length > 0x7fffffff) {
      throw new RangeError(
        `Cannot allocate ${length} floats (${(length / 2 ** 28).toFixed(1)} GiB) in one array: ` +
          "more than 2^31 - 1; use a smaller batch or network",
      );
    }
    checkDim("allocate", "length", length);
  },
  free: (array) => checkLength("free", "array", array, 0),
  ...GEMM_CHECKS,
  ...NN_CHECKS,
  ...CONV_CHECKS,
  ...MAXPOOL_CHECKS,
  ...NORM_CHECKS,
  ...DROPOUT_CHECKS,
  ...OPTIM_CHECKS,
  ...AUGMENT_CHECKS,
  ...GATHER_CHECKS,
  ...MLP_CHECKS,
};
/**
 * Wraps a backend so that every operation checks its arguments first: a
 * wrong element type is a TypeError and a wrong size a RangeError, before
 * the backend (and for native, C) touches any memory.
 */
export function withChecks(raw: Kernels): Kernels {
  const checked = {
    get name() {
      return raw.name;
    },
    get description() {
      return raw.description;
    },
    get threads() {
      return raw.threads;
    },
  } as Record<string, unknown>;
  for (const op of Object.keys(CHECKS) as Op[]) {
    const run = raw[op] as ((...args: unknown[]) => unknown) | undefined;
    if (!run) continue; // an optional fast path this backend lacks
    const check = CHECKS[op] as (...args: unknown[]) => void;
    checked[op] = (...args: unknown[]): unknown => {
      check(...args);
      return run.apply(raw, args);
    };
  }
  return checked as unknown as Kernels;
}

/**
 * The pure-TypeScript backend: works everywhere, needs no permissions.
 * It assembles the kernel families (`ts_<stem>.ts`, each the twin of
 * `native/<stem>.c`) into one plain object typed by the {@link Kernels} interface
 * (its long signatures are written once, there); argument checks are
 * applied around it by `withChecks`, once per call, as for every backend.
 *
 * @module
 */

import { withChecks } from "./_checked.ts";
import type { Kernels } from "./kernels.ts";
import { TS_AUGMENT } from "./ts_augment.ts";
import { TS_CONV } from "./ts_conv.ts";
import { TS_DROPOUT } from "./ts_dropout.ts";
import { TS_GATHER } from "./ts_gather.ts";
import { gemmTs } from "./ts_gemm.ts";
import { TS_MAXPOOL } from "./ts_maxpool.ts";
import { TS_NN } from "./ts_nn.ts";
import { TS_NORM } from "./ts_norm.ts";
import { TS_OPTIM } from "./ts_optim.ts";

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
  ...TS_NN,
  ...TS_CONV,
  ...TS_MAXPOOL,
  ...TS_NORM,
  ...TS_DROPOUT,
  ...TS_AUGMENT,
  ...TS_OPTIM,
  ...TS_GATHER,
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

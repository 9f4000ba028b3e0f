/**
 * The native backend: the C kernels of `native/` through `Deno.dlopen`.
 * The operations are one-line calls into the library; `withChecks` checks
 * every argument first (element types, lengths, shapes, indices, labels),
 * so no kernel can read or write out of bounds.
 *
 * @module
 */

import { openNativeLibrary } from "../ffi/load.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import { withChecks } from "./_checked.ts";
import type { Kernels } from "./kernels.ts";

/** The instruction sets `mnd_isa()` reports, by their `MND_ISA_*` code. */
export const ISA_NAMES: readonly string[] = Object.freeze([
  "generic SIMD",
  "AVX2+FMA",
  "AVX-512",
  "NEON",
]);
/** Floats of slack that let `allocate` start an array on a 64-byte boundary. */
const ALIGN_FLOATS = 16;

/** The native kernels, or why they cannot be used. */
export interface NativeLoadResult {
  /** The kernels when the library loaded. */
  kernels?: Kernels;
  /** Why it did not, and how to fix that. */
  reason?: string;
}

/**
 * Loads the native kernels if the shared library is built and FFI allowed.
 *
 * The library keeps one worker pool per process: `threads` sets its size for
 * every native `Kernels` of the process (results do not depend on it).
 *
 * @param threads Worker threads (default: all cores).
 * @returns The kernels, or the reason they are unavailable.
 * @throws {Error} If the library is present but broken (see `openNativeLibrary`).
 * @example Multiply on the native backend when it is built
 * ```ts
 * import { loadNativeKernels } from "jsr:@x/mnist-dnn/kernels";
 * const { kernels, reason } = loadNativeKernels(1);
 * if (kernels) {
 *   const c = new Float32Array(1);
 *   kernels.gemm(false, false, 1, 1, 2, 1, new Float32Array([1, 2]), new Float32Array([3, 4]), 0, c);
 *   console.log(kernels.description, c[0]); // native (AVX-512, 1 thread) 11
 * } else {
 *   console.log(reason);
 * }
 * ```
 */
export function loadNativeKernels(threads?: number): NativeLoadResult {
  const library = openNativeLibrary();
  if (!library.ok) return { reason: library.reason };
  const lib = library.symbols;
  lib.mnd_set_threads(threads ?? lib.mnd_cpu_count());
  return { kernels: withChecks(nativeOps(lib)) };
}

/** The C library as unchecked `Kernels` operations. */
export function nativeOps(lib: NativeSymbols): Kernels {
  return {
    name: "native",
    get threads(): number {
      return lib.mnd_threads();
    },
    get description(): string {
      const t = lib.mnd_threads(), isa = ISA_NAMES[lib.mnd_isa()] ?? "unknown";
      return `native (${isa}, ${t} thread${t === 1 ? "" : "s"})`;
    },
    allocate(length): Float32Array {
      // Data on a 64-byte boundary: a misaligned weight arena measured 30%
      // slower at batch 1.
      const buffer = new ArrayBuffer((length + ALIGN_FLOATS) * 4);
      const misalignment = lib.mnd_misalignment(buffer);
      return new Float32Array(buffer, misalignment === 0 ? 0 : 64 - misalignment, length);
    },
    // An ArrayBuffer of the JS heap: the garbage collector frees it.
    free: () => {},
    gemm: (ta, tb, m, n, k, alpha, a, b, beta, c) =>
      lib.mnd_gemm(+ta, +tb, m, n, k, alpha, a, b, beta, c),
    biasActivationForward: lib.mnd_bias_act_forward,
    activationForward: lib.mnd_act_forward,
    activationBackward: lib.mnd_act_backward,
    softmaxCrossEntropy: lib.mnd_softmax_xent,
    softmax: lib.mnd_softmax,
    columnSums: lib.mnd_column_sums,
    multiply: lib.mnd_multiply,
    im2col: lib.mnd_im2col,
    col2im: lib.mnd_col2im,
    maxPoolForward: lib.mnd_maxpool_forward,
    maxPoolBackward: lib.mnd_maxpool_backward,
    batchNormForward: (y, xhat, invStd, x, gb, running, rows, cols, momentum, eps, training) =>
      lib.mnd_batchnorm_forward(
        y,
        xhat,
        invStd,
        x,
        gb,
        running,
        rows,
        cols,
        momentum,
        eps,
        +training,
      ),
    batchNormBackward: lib.mnd_batchnorm_backward,
    dropoutForward: (y, mask, x, n, rate, scale, seed, counter) =>
      lib.mnd_dropout_forward(y, mask, x, n, rate, scale, seed | 0, counter | 0),
    sgdStep: lib.mnd_sgd_step,
    momentumStep: (params, grads, velocity, n, lr, momentum, weightDecay, nesterov) =>
      lib.mnd_momentum_step(params, grads, velocity, n, lr, momentum, weightDecay, +nesterov),
    // 1 - beta in double, then rounded once (as PyTorch forms it).
    adamStep: (params, grads, m, v, n, lrT, beta1, beta2, epsT, weightDecay, keep) =>
      lib.mnd_adam_step(
        params,
        grads,
        m,
        v,
        n,
        lrT,
        beta1,
        beta2,
        1 - beta1,
        1 - beta2,
        epsT,
        weightDecay,
        keep,
      ),
    rmsStep: lib.mnd_rms_step,
    augment: lib.mnd_augment,
    gatherBatch: (out, outLabels, pixels, labels, indices, count, features, scale, shift) => {
      const withLabels = outLabels !== null && labels !== null;
      lib.mnd_gather_batch(
        out,
        withLabels ? outLabels : null,
        pixels,
        withLabels ? labels : null,
        indices,
        count,
        features,
        scale,
        shift,
      );
    },
    mlpSgdSamples: lib.mnd_mlp_sgd_samples,
  };
}

/**
 * The native backend: the C kernels of `native/` through `Deno.dlopen`.
 * Every call is checked here first (lengths, shapes, indices, labels), so no
 * kernel can read or write out of bounds: a wrong size is a `RangeError`.
 *
 * @module
 */

import { openNativeLibrary } from "../ffi/load.ts";
import type { NativeSymbols } from "../ffi/symbols.ts";
import {
  checkActivationOp,
  checkBiasActivation,
  checkDim,
  checkGather,
  checkGemm,
  checkLength,
  checkMatrix,
  checkSoftmaxCrossEntropy,
  checkStep,
} from "./_check.ts";
import { checkMlpSamples } from "./_mlp_samples.ts";
import {
  checkBatchNormBackward,
  checkBatchNormForward,
  checkDropout,
  checkIm2col,
  checkMaxPoolBackward,
  checkMaxPoolForward,
} from "./_check_layers.ts";
import type { Kernels } from "./kernels.ts";

const ISA_NAMES = ["generic SIMD", "AVX2+FMA", "AVX-512"];
/** Floats of slack that let `allocate` start an array on a 64-byte boundary. */
const ALIGN_FLOATS = 16;

/** The native kernels, or why they cannot be used. */
export interface NativeLoadResult {
  /** The kernels when the library loaded. */
  kernels?: NativeKernels;
  /** Why it did not, and how to fix that. */
  reason?: string;
}

/**
 * Loads the native kernels if the shared library is built and FFI allowed.
 *
 * @param threads Worker threads (default: all cores).
 * @returns The kernels, or the reason they are unavailable.
 * @throws {Error} If the library is present but broken (see `openNativeLibrary`).
 * @example Use native when built
 * ```ts
 * import { loadNativeKernels } from "./native_kernels.ts";
 * const { kernels, reason } = loadNativeKernels();
 * console.log(kernels ? kernels.description : reason);
 * ```
 */
export function loadNativeKernels(threads?: number): NativeLoadResult {
  const library = openNativeLibrary();
  if (!library.ok) return { reason: library.reason };
  return { kernels: new NativeKernels(library.symbols, threads) };
}

/**
 * Kernels backed by the C library (SIMD GEMM, worker threads).
 *
 * The library keeps one worker pool per process; the most recently created
 * `NativeKernels` sets its size.
 *
 * @example Multiply on the native backend when it is built
 * ```ts
 * import { loadNativeKernels } from "./native_kernels.ts";
 * const k = loadNativeKernels(1).kernels;
 * if (k) {
 *   const c = new Float32Array(1);
 *   k.gemm(false, false, 1, 1, 2, 1, new Float32Array([1, 2]), new Float32Array([3, 4]), 0, c);
 *   console.log(c[0]); // 11
 * }
 * ```
 */
export class NativeKernels implements Kernels {
  /** Always `"native"`. */
  readonly name = "native" as const;
  readonly #lib: NativeSymbols;

  /**
   * Wraps loaded symbols; prefer {@link loadNativeKernels}.
   *
   * @param lib The library's symbols.
   * @param threads Worker threads (default: all cores).
   */
  constructor(lib: NativeSymbols, threads?: number) {
    this.#lib = lib;
    lib.mnd_set_threads(threads ?? lib.mnd_cpu_count());
  }

  /** Threads the GEMM computes with. */
  get threads(): number {
    return this.#lib.mnd_threads();
  }

  /** Instruction set the GEMM uses on this CPU. */
  get isa(): string {
    return ISA_NAMES[this.#lib.mnd_isa()] ?? "unknown";
  }

  /** E.g. `"native (AVX-512, 2 threads)"`. */
  get description(): string {
    const t = this.threads;
    return `native (${this.isa}, ${t} thread${t === 1 ? "" : "s"})`;
  }

  /** See {@link Kernels.allocate}: the data starts on a 64-byte boundary. */
  allocate(length: number): Float32Array {
    checkDim("allocate", "length", length);
    const buffer = new ArrayBuffer((length + ALIGN_FLOATS) * 4);
    const address = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
    const misalignment = Number(address % 64n);
    return new Float32Array(buffer, misalignment === 0 ? 0 : 64 - misalignment, length);
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
    this.#lib.mnd_gemm(+transA, +transB, m, n, k, alpha, a, b, beta, c);
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
    this.#lib.mnd_bias_act_forward(x, bias, rows, cols, activation);
  }

  /** See {@link Kernels.activationBackward}. */
  activationBackward(grad: Float32Array, out: Float32Array, n: number, activation: number): void {
    checkActivationOp("activationBackward", grad, out, n, activation);
    this.#lib.mnd_act_backward(grad, out, n, activation);
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
    this.#lib.mnd_softmax_xent(logits, labels, grad, rows, cols, gradScale, stats);
  }

  /** See {@link Kernels.softmax}. */
  softmax(x: Float32Array, rows: number, cols: number): void {
    checkMatrix("softmax", "x", x, rows, cols);
    this.#lib.mnd_softmax(x, rows, cols);
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
    this.#lib.mnd_column_sums(out, x, rows, cols, alpha, beta);
  }

  /** See {@link Kernels.activationForward}. */
  activationForward(y: Float32Array, x: Float32Array, n: number, activation: number): void {
    checkActivationOp("activationForward", y, x, n, activation);
    this.#lib.mnd_act_forward(y, x, n, activation);
  }

  /** See {@link Kernels.multiply}. */
  multiply(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    checkStep("multiply", n, { out, a, b });
    this.#lib.mnd_multiply(out, a, b, n);
  }

  /** See {@link Kernels.im2col}. */
  im2col(col: Float32Array, x: Float32Array, geom: Int32Array): void {
    checkIm2col("im2col", col, x, geom);
    this.#lib.mnd_im2col(col, x, geom);
  }

  /** See {@link Kernels.col2im}. */
  col2im(dx: Float32Array, col: Float32Array, geom: Int32Array): void {
    checkIm2col("col2im", col, dx, geom);
    this.#lib.mnd_col2im(dx, col, geom);
  }

  /** See {@link Kernels.maxPoolForward}. */
  maxPoolForward(out: Float32Array, argmax: Int32Array, x: Float32Array, geom: Int32Array): void {
    checkMaxPoolForward(out, argmax, x, geom);
    this.#lib.mnd_maxpool_forward(out, argmax, x, geom);
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
    this.#lib.mnd_maxpool_backward(dx, dy, argmax, nIn, nOut);
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
    const args = [y, xhat, invStd, x, gammaBeta, running, rows, cols, momentum, eps] as const;
    checkBatchNormForward(...args, training);
    this.#lib.mnd_batchnorm_forward(...args, +training);
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
    this.#lib.mnd_batchnorm_backward(...args);
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
    this.#lib.mnd_dropout_forward(y, mask, x, n, rate, scale, seed | 0, counter | 0);
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
    this.#lib.mnd_sgd_step(params, grads, n, lr, weightDecay);
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
    this.#lib.mnd_momentum_step(params, grads, velocity, n, lr, momentum, weightDecay, +nesterov);
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
    this.#lib.mnd_adam_step(params, grads, m, v, n, lrT, beta1, beta2, epsT, weightDecay);
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
    const withLabels = outLabels !== null && labels !== null;
    this.#lib.mnd_gather_batch(
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
  }

  /** See {@link Kernels.mlpSgdSamples}: the batch-1 fast path of dense stacks. */
  mlpSgdSamples(
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
    checkMlpSamples(params, work, sizes, layers, inputs, labels, count, activation, stats);
    this.#lib.mnd_mlp_sgd_samples(
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
  }
}

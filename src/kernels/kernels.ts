/**
 * The compute seam between the model and its backends.
 *
 * Every hot operation of training and inference goes through {@link Kernels}.
 * It is implemented by the pure-TypeScript backend (`ts_kernels.ts`) and by
 * the native C backend (`native_kernels.ts`); tests hold both to a naive
 * reference. All matrices are dense, row-major `Float32Array`s, and every
 * operation works in place on caller-owned buffers, so a training step
 * allocates nothing.
 *
 * Dimension glossary used in the shape comments:
 * - `rows` - leading dimension of an activation matrix (usually the batch B)
 * - `cols` - features per row (a layer's width)
 * - `m, n, k` - GEMM sizes: `C (m,n) = op(A) (m,k) * op(B) (k,n)`
 *
 * @module
 */

/** Activation function names accepted by layers and the CLI. */
export type ActivationName = "sigmoid" | "relu" | "tanh" | "leaky-relu" | "identity";

/**
 * Numeric activation codes shared with the C ABI (`native/kernels.h`).
 *
 * @example Look up a code
 * ```ts
 * import { ACTIVATION_CODES } from "./kernels.ts";
 * console.log(ACTIVATION_CODES.relu); // 2
 * ```
 */
export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = Object.freeze({
  identity: 0,
  sigmoid: 1,
  relu: 2,
  tanh: 3,
  "leaky-relu": 4,
});

/** Slope of leaky ReLU for negative inputs (same constant as the C side). */
export const LEAKY_RELU_SLOPE = 0.01;

/** Backend names: `ts` (portable) or `native` (the C library via FFI). */
export type BackendName = "ts" | "native";

/**
 * The operations a compute backend provides. Each call does one whole
 * operation on a batch; none is ever called per element.
 */
export interface Kernels {
  /** Which backend this is. */
  readonly name: BackendName;
  /** Human-readable description: backend, instruction set, threads. */
  readonly description: string;
  /** Number of threads the backend computes with. */
  readonly threads: number;

  /**
   * A zeroed array of `length` floats laid out for this backend's kernels
   * (native: data aligned to 64 bytes, so SIMD loads never split cache
   * lines; a misaligned weight arena measured 30% slower at batch 1).
   */
  allocate(length: number): Float32Array;

  /**
   * General matrix multiply: `C = alpha * op(A) * op(B) + beta * C`, where
   * `op(X)` is `X` or its transpose. `op(A)` is (m,k), `op(B)` is (k,n),
   * `C` is (m,n); all row-major and contiguous. With `beta == 0`, `C` is
   * overwritten (its old contents, even NaN, are ignored).
   */
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
  ): void;

  /** In place: `x (rows,cols) = act(x + bias)`, `bias` is (cols). */
  biasActivationForward(
    x: Float32Array,
    bias: Float32Array,
    rows: number,
    cols: number,
    activation: number,
  ): void;

  /**
   * In place: `grad (n) *= act'(z)`, computed from the activation output
   * `out = act(z)` (n), which every supported activation allows.
   */
  activationBackward(grad: Float32Array, out: Float32Array, n: number, activation: number): void;

  /**
   * Fused softmax and cross-entropy over `logits (rows,cols)` with integer
   * `labels (rows)`. Writes `grad (rows,cols) = (softmax - onehot) * gradScale`
   * and adds the summed loss to `stats[0]` and the number of rows whose
   * argmax equals the label to `stats[1]`.
   */
  softmaxCrossEntropy(
    logits: Float32Array,
    labels: Int32Array,
    grad: Float32Array,
    rows: number,
    cols: number,
    gradScale: number,
    stats: Float64Array,
  ): void;

  /** In place, row-wise softmax of `x (rows,cols)` (numerically stable). */
  softmax(x: Float32Array, rows: number, cols: number): void;

  /** `out (cols) = beta * out + sum over rows of x (rows,cols)`. */
  columnSums(out: Float32Array, x: Float32Array, rows: number, cols: number, beta: number): void;

  /** Plain SGD over `n` parameters: `p -= lr * (g + weightDecay * p)`. */
  sgdStep(
    params: Float32Array,
    grads: Float32Array,
    n: number,
    lr: number,
    weightDecay: number,
  ): void;

  /**
   * SGD with momentum over `n` parameters (PyTorch convention):
   * `v = momentum * v + g + weightDecay * p`, then `p -= lr * v`, or with
   * `nesterov`, `p -= lr * (g + weightDecay * p + momentum * v)`.
   */
  momentumStep(
    params: Float32Array,
    grads: Float32Array,
    velocity: Float32Array,
    n: number,
    lr: number,
    momentum: number,
    weightDecay: number,
    nesterov: boolean,
  ): void;

  /**
   * Adam over `n` parameters with the bias correction folded into `lrT`
   * and `epsT` by the caller (see `native/kernels.h`):
   * `g' = g + weightDecay * p`, `m = beta1 * m + (1 - beta1) * g'`,
   * `v = beta2 * v + (1 - beta2) * g'^2`, `p -= lrT * m / (sqrt(v) + epsT)`.
   */
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
  ): void;

  /**
   * Gathers `count` samples of `features` bytes each from `pixels` at the
   * sample `indices`, writing `out (count,features) = pixel * scale + shift`
   * and, when both are given, `outLabels[i] = labels[indices[i]]`.
   */
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
  ): void;

  /**
   * One plain-SGD step of a dense stack in a single call: forward,
   * softmax + cross-entropy, backward, and the update applied straight to
   * the weights. `params` holds, per layer, weights (out,in) then bias (out);
   * `sizes` has `layers + 1` widths; hidden layers use `activation`, the last
   * is linear. `work` holds at least {@link mlpWorkSize} floats. Adds the
   * loss sum and correct count to `stats` like {@link softmaxCrossEntropy}.
   */
  mlpSgdStep(
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
  ): void;

  /**
   * Per-sample SGD over `count` samples in order: the same as `count`
   * calls of {@link mlpSgdStep} with one row each, in one call. `work`
   * holds at least `mlpWorkSize(sizes, layers, 1)` floats.
   */
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
  ): void;

  /** Floats of work space {@link mlpSgdStep} needs for `rows` samples. */
  mlpWorkSize(sizes: Int32Array, layers: number, rows: number): number;
}

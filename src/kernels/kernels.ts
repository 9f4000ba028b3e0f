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

export {
  ACTIVATION_CODES,
  ACTIVATION_NAMES,
  type ActivationName,
  LEAKY_RELU_SLOPE,
} from "./activations.ts";

/**
 * Geometry of a convolution or pooling call, as an `Int32Array` of nine
 * values: batch, input height, width, channels, window size K, stride S,
 * zero padding P, output height and width. Build it with `convGeometry`.
 */
export type ConvGeometry = Int32Array;

/** The names of the operations of {@link Kernels} (everything but a backend's identity). */
export type KernelOp = Exclude<keyof Kernels, "name" | "description" | "threads">;

/** A function that throws on bad arguments of the operation `K`. */
export type KernelCheck<K extends KernelOp> = (
  ...args: Parameters<NonNullable<Kernels[K]>>
) => void;

/** The argument checks of a family of operations: one per operation of `K`. */
export type KernelChecks<K extends KernelOp> = { [P in K]-?: KernelCheck<P> };

/** Backend names: `ts` (portable) or `native` (the C library via FFI). */
export type BackendName = "ts" | "native" | "wasm";

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
   * Gives an array from {@link allocate} back to the backend. The wasm
   * backend reuses its memory (a fixed heap the garbage collector cannot
   * see); native and TS arrays are ordinary garbage-collected memory, so
   * there it does nothing. Freeing an array twice, or one that `allocate`
   * did not return (a subarray, a plain array), does nothing; the array
   * must not be used afterwards.
   */
  free(array: Float32Array): void;

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

  /**
   * `out (cols) = beta * out + alpha * (sum over rows of x (rows,cols))`:
   * a bias gradient written (alpha 1, beta 0) or an SGD step applied to the
   * bias itself (alpha -lr, beta 1).
   */
  columnSums(
    out: Float32Array,
    x: Float32Array,
    rows: number,
    cols: number,
    alpha: number,
    beta: number,
  ): void;

  /** `y (n) = act(x)`; `y` may be `x`. */
  activationForward(y: Float32Array, x: Float32Array, n: number, activation: number): void;

  /** Elementwise `out (n) = a * b` (dropout backward: `dx = dy * mask`). */
  multiply(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;

  /**
   * Receptive fields of NHWC `x (B,H,W,C)` as rows of `col (B*OH*OW, K*K*C)`
   * (column order ky, kx, c; zeros in the padding), so a convolution is one
   * GEMM. `geom` is {@link ConvGeometry}.
   */
  im2col(col: Float32Array, x: Float32Array, geom: Int32Array): void;

  /** Adjoint of {@link im2col}: `dx (B,H,W,C) +=` each col entry at its source. */
  col2im(dx: Float32Array, col: Float32Array, geom: Int32Array): void;

  /**
   * Max pooling: `out (B,OH,OW,C)` = window maxima of `x (B,H,W,C)`,
   * `argmax` = flat index into `x` of each. `geom` is {@link ConvGeometry}.
   */
  maxPoolForward(out: Float32Array, argmax: Int32Array, x: Float32Array, geom: Int32Array): void;

  /**
   * `dx (nIn) = 0`, then `dx[argmax[i]] += dy[i]` for `i < nOut`; indices
   * outside `dx` are skipped.
   */
  maxPoolBackward(
    dx: Float32Array,
    dy: Float32Array,
    argmax: Int32Array,
    nIn: number,
    nOut: number,
  ): void;

  /**
   * Batch normalization over the columns of `x (rows,cols)`. `gammaBeta`
   * (2*cols) holds gamma then beta, `running` (2*cols) the running mean
   * then variance. Training: batch statistics (biased variance), writes
   * `xhat (rows,cols)` and `invStd (cols)`, and moves `running` by
   * `momentum` (unbiased variance, as PyTorch). Evaluation: running
   * statistics. `y = gamma * xhat + beta`. See `native/kernels.h`.
   */
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
  ): void;

  /**
   * Backward of a training {@link batchNormForward}: `dGammaBeta = beta *
   * dGammaBeta + alpha * (sum dy*xhat, sum dy)` and `dx (rows,cols)`
   * written. `dGammaBeta` may be `gammaBeta` (an SGD step folded in).
   */
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
  ): void;

  /**
   * Inverted dropout: `mask (n)` = `scale` where kept, else 0, and
   * `y (n) = x * mask`. Element `i` is kept by a counter-based hash of
   * `(seed, counter, i)`, identical on every backend (see `ts_dropout.ts`).
   */
  dropoutForward(
    y: Float32Array,
    mask: Float32Array,
    x: Float32Array,
    n: number,
    rate: number,
    scale: number,
    seed: number,
    counter: number,
  ): void;

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
   * `v = beta2 * v + (1 - beta2) * g'^2`, `p = keep * p - lrT * m / (sqrt(v) + epsT)`,
   * where `keep = 1 - lr * decay` applies AdamW's decoupled weight decay (1 for Adam).
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
    keep: number,
  ): void;

  /**
   * A step scaled by a running mean of squared gradients over `n`
   * parameters: `g' = g + weightDecay * p`, `s = rho * s + c * g'^2`,
   * `p -= lr * g' / (sqrt(s) + eps)`. RMSprop: `rho = alpha, c = 1 - alpha`;
   * AdaGrad: `rho = c = 1`.
   */
  rmsStep(
    params: Float32Array,
    grads: Float32Array,
    s: Float32Array,
    n: number,
    lr: number,
    rho: number,
    c: number,
    eps: number,
    weightDecay: number,
  ): void;

  /**
   * Augments a batch: `out (rows, h*w)` is each sample of `x` resampled
   * through a random shift (up to `params[0]` pixels), rotation
   * (`params[1]` radians), scale (`1 ± params[2]`) and elastic displacement
   * (up to `params[3]` pixels at nodes every `params[4]` pixels), bilinear,
   * with `params[5]` outside the image. Sample i's draws depend on
   * `(seed, counter, i)` only. `out` and `x` must not overlap.
   */
  augment(
    out: Float32Array,
    x: Float32Array,
    rows: number,
    h: number,
    w: number,
    params: Float32Array,
    seed: number,
    counter: number,
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
   * Optional fast path, native only: plain SGD with batch size 1 over
   * `count` samples of a dense stack in one call; the same math as the
   * layers' generic path, which the tests hold it to. `params` holds, per
   * layer, weights (out,in) then bias (out); `sizes` has `layers + 1`
   * widths; hidden layers use `activation`, the last is linear. `work`
   * holds `mlpWorkSize(sizes, layers)` floats (`_mlp.ts`). Adds the loss sum and correct count
   * to `stats` like {@link softmaxCrossEntropy}.
   */
  mlpSgdSamples?(
    params: Float32Array,
    work: Float32Array,
    sizes: Int32Array,
    layers: number,
    inputs: Float32Array,
    labels: Int32Array,
    count: number,
    activation: number,
    lr: number,
    keep: number,
    stats: Float64Array,
  ): void;
}

/**
 * 2-D convolution over NHWC inputs as one GEMM per batch (im2col):
 * `y (B*OH*OW, F) = act(col (B*OH*OW, K*K*C) W^T + b)`, W is (F, K, K, C).
 * A following activation may be fused into it.
 *
 * @module
 */

import { ACTIVATION_CODES, type ActivationName, type Kernels } from "../../kernels/kernels.ts";
import type { Random } from "../../random.ts";
import { initializeLayer, type InitName } from "../initializers.ts";
import {
  type GradientTarget,
  Layer,
  type LayerTensor,
  sgdFromTarget,
  type Shape,
} from "./layer.ts";

/**
 * Floats of im2col matrix processed at once (2 MiB). A whole batch's matrix
 * (40 MB for 64 samples of a 5x5, 32-channel conv on 14x14) streams from
 * memory for each of the three GEMMs and col2im; chunks of a few samples
 * stay in cache.
 */
export const COL_CHUNK_FLOATS = 1 << 19;

/** Convolution settings. */
export interface Conv2dOptions {
  /** Output channels (filters). */
  filters: number;
  /** Square window size. */
  kernelSize: number;
  /** Step between windows. Default 1. */
  stride?: number;
  /** Zero padding on every side. Default 0. */
  padding?: number;
  /** Fused activation. Default `"identity"`. */
  activation?: ActivationName;
}

/**
 * The geometry array of the conv/pool kernels (see `ConvGeometry`) for a
 * (height, width, channels) input.
 *
 * @param rows Batch size.
 * @param shape Per-sample input `[height, width, channels]`.
 * @param window Window size.
 * @param stride Stride.
 * @param padding Zero padding.
 * @returns `{B, H, W, C, K, S, P, OH, OW}`.
 * @throws {RangeError} If the window does not fit.
 * @example
 * ```ts
 * import { convGeometry } from "jsr:@x/mnist-dnn/layers";
 * console.log(convGeometry(1, [28, 28, 1], 5, 1, 2)); // Int32Array(9) [ 1, 28, 28, 1, 5, 1, 2, 28, 28 ]
 * ```
 */
export function convGeometry(
  rows: number,
  shape: Shape,
  window: number,
  stride: number,
  padding: number,
): Int32Array {
  const [h, w, c] = shape;
  const oh = Math.floor((h + 2 * padding - window) / stride) + 1;
  const ow = Math.floor((w + 2 * padding - window) / stride) + 1;
  if (!(oh >= 1 && ow >= 1)) {
    throw new RangeError(
      `A ${window}x${window} window with padding ${padding} does not fit a ${h}x${w} input`,
    );
  }
  return Int32Array.of(rows, h, w, c, window, stride, padding, oh, ow);
}

/** A 2-D convolution layer. */
export class Conv2d extends Layer {
  /** Always `"conv2d"`. */
  readonly kind = "conv2d";
  /** Output channels. */
  readonly filters: number;
  /** Window size. */
  readonly kernelSize: number;
  /** Stride. */
  readonly stride: number;
  /** Zero padding. */
  readonly padding: number;
  /** Fused activation. */
  readonly activation: ActivationName;
  /** Trainable parameters. */
  override readonly paramCount: number;
  /** Per-sample output shape. */
  readonly outputShape: Shape;
  readonly #code: number;
  readonly #fieldSize: number;
  /** The kernels' geometry; its batch entry is set per call. */
  readonly #geom: Int32Array;
  #weight: Float32Array = new Float32Array(0);
  #bias: Float32Array = new Float32Array(0);
  #gradWeight: Float32Array = new Float32Array(0);
  #gradBias: Float32Array = new Float32Array(0);
  /** Receptive fields of one chunk of samples (see {@link COL_CHUNK_FLOATS}). */
  #col: Float32Array = new Float32Array(0);
  /** Samples per chunk. */
  readonly #chunk: number;
  /** Output positions per sample (OH * OW). */
  readonly #positions: number;
  #x: Float32Array = new Float32Array(0);
  #y: Float32Array = new Float32Array(0);
  #dx: Float32Array = new Float32Array(0);

  /**
   * Creates the layer.
   *
   * @param kernels Backend.
   * @param inputShape `[height, width, channels]`.
   * @param options Filters, window, stride, padding, activation.
   * @throws {RangeError} If the input is not 3-D or the window does not fit.
   */
  constructor(kernels: Kernels, inputShape: Shape, options: Conv2dOptions) {
    super(kernels, inputShape);
    if (inputShape.length !== 3) {
      throw new RangeError(
        `conv needs a [height, width, channels] input, got [${inputShape}] (put conv before flatten/dense)`,
      );
    }
    this.filters = options.filters;
    this.kernelSize = options.kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.activation = options.activation ?? "identity";
    this.#code = ACTIVATION_CODES[this.activation];
    const g = convGeometry(1, inputShape, this.kernelSize, this.stride, this.padding);
    this.#geom = g;
    this.outputShape = [g[7], g[8], this.filters];
    this.#fieldSize = this.kernelSize * this.kernelSize * inputShape[2];
    this.paramCount = this.filters * this.#fieldSize + this.filters;
    this.#positions = g[7] * g[8];
    const perSample = this.#positions * this.#fieldSize;
    this.#chunk = Math.max(1, Math.floor(COL_CHUNK_FLOATS / perSample));
  }

  /** E.g. `conv(32,5,pad=2)`. */
  get token(): string {
    const extra = (this.stride !== 1 ? `,stride=${this.stride}` : "") +
      (this.padding !== 0 ? `,pad=${this.padding}` : "");
    return `conv(${this.filters},${this.kernelSize}${extra})`;
  }

  /** See {@link Layer.bind}. */
  override bind(params: Float32Array, grads: Float32Array): void {
    const w = this.filters * this.#fieldSize;
    this.#weight = params.subarray(0, w);
    this.#bias = params.subarray(w, w + this.filters);
    this.#gradWeight = grads.subarray(0, w);
    this.#gradBias = grads.subarray(w, w + this.filters);
  }

  /** See {@link Layer.initialize}. */
  override initialize(init: InitName, random: Random): void {
    initializeLayer(init, this.#weight, this.#bias, this.#fieldSize, random);
  }

  /** See {@link Layer.tensors}. */
  override tensors(): LayerTensor[] {
    const k = this.kernelSize;
    return [
      {
        name: "weight",
        shape: [this.filters, k, k, this.inputShape[2]],
        data: this.#weight,
        decays: true,
      },
      { name: "bias", shape: [this.filters], data: this.#bias },
    ];
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array, rows: number): Float32Array {
    const k = this.kernels, f = this.filters, field = this.#fieldSize, per = this.#positions;
    if (this.grow(rows)) {
      if (this.#col.length === 0) this.#col = this.buffer(this.#chunk * per * field);
      this.#y = this.buffer(rows * per * f, this.#y);
      this.#dx = this.release(this.#dx);
    }
    this.#x = x;
    for (let s = 0; s < rows; s += this.#chunk) {
      const n = Math.min(this.#chunk, rows - s);
      k.im2col(this.#col, this.#inputs(x, s, n), this.#geom);
      const y = this.#y.subarray(s * per * f, (s + n) * per * f);
      k.gemm(false, true, n * per, f, field, 1, this.#col, this.#weight, 0, y);
    }
    k.biasActivationForward(this.#y, this.#bias, rows * per, f, this.#code);
    return this.#y;
  }

  /** See {@link Layer.backward}. */
  backward(
    dy: Float32Array,
    rows: number,
    target: GradientTarget,
    needInput: boolean,
  ): Float32Array | undefined {
    const k = this.kernels, f = this.filters, field = this.#fieldSize, per = this.#positions;
    const { alpha, beta, direct } = target;
    if (this.#code !== 0) k.activationBackward(dy, this.#y, rows * per * f, this.#code);
    let dx: Float32Array | undefined;
    if (needInput) {
      // All of dx before the weights change (a folded SGD step updates them
      // below).
      if (this.#dx.length < rows * this.inputSize) {
        this.#dx = this.buffer((this.#y.length / (per * f)) * this.inputSize, this.#dx);
      }
      dx = this.#dx;
      for (let s = 0; s < rows; s += this.#chunk) {
        const n = Math.min(this.#chunk, rows - s);
        const dyChunk = dy.subarray(s * per * f, (s + n) * per * f);
        k.gemm(false, false, n * per, field, f, 1, dyChunk, this.#weight, 0, this.#col);
        const dxChunk = this.#inputs(dx, s, n);
        dxChunk.fill(0);
        k.col2im(dxChunk, this.#col, this.#geom);
      }
    }
    // The weight gradient sums over chunks, each with its receptive fields
    // gathered again (cheaper than keeping the whole batch's). It sums over
    // rows x positions, far more than one GEMM slice, so a plain SGD step is
    // never folded in (that would round each weight once per slice): the
    // gradients come first, then one step.
    const a = direct ? 1 : alpha, b = direct ? 0 : beta;
    for (let s = 0; s < rows; s += this.#chunk) {
      const n = Math.min(this.#chunk, rows - s);
      k.im2col(this.#col, this.#inputs(this.#x, s, n), this.#geom);
      const dyChunk = dy.subarray(s * per * f, (s + n) * per * f);
      k.gemm(
        true,
        false,
        f,
        field,
        n * per,
        a,
        dyChunk,
        this.#col,
        s === 0 ? b : 1,
        this.#gradWeight,
      );
    }
    k.columnSums(this.#gradBias, dy, rows * per, f, a, b);
    if (direct) {
      sgdFromTarget(k, this.#weight, this.#gradWeight, target);
      sgdFromTarget(k, this.#bias, this.#gradBias, target);
    }
    return dx;
  }

  /** Samples `s .. s + n` of an NHWC batch; sets the geometry's batch to `n`. */
  #inputs(x: Float32Array, s: number, n: number): Float32Array {
    this.#geom[0] = n;
    return x.subarray(s * this.inputSize, (s + n) * this.inputSize);
  }

  /** See {@link Layer.workFloats}: also one chunk of receptive fields. */
  override workFloats(rows: number, training: boolean): number {
    const col = rows > 0 ? this.#chunk * this.#positions * this.#fieldSize : 0;
    return super.workFloats(rows, training) + col;
  }
}

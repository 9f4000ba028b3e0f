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
import { type GradientTarget, Layer, type LayerTensor, type Shape } from "./layer.ts";

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
 * import { convGeometry } from "./conv2d.ts";
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
  #col: Float32Array = new Float32Array(0);
  #dcol: Float32Array = new Float32Array(0);
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
      { name: "weight", shape: [this.filters, k, k, this.inputShape[2]], data: this.#weight },
      { name: "bias", shape: [this.filters], data: this.#bias },
    ];
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array, rows: number): Float32Array {
    const k = this.kernels;
    if (this.grow(rows)) {
      const positions = rows * this.outputShape[0] * this.outputShape[1];
      this.#col = k.allocate(positions * this.#fieldSize);
      this.#y = k.allocate(positions * this.filters);
      this.#dcol = new Float32Array(0);
      this.#dx = new Float32Array(0);
    }
    this.#geom[0] = rows;
    const positions = rows * this.outputShape[0] * this.outputShape[1];
    k.im2col(this.#col, x, this.#geom);
    k.gemm(
      false,
      true,
      positions,
      this.filters,
      this.#fieldSize,
      1,
      this.#col,
      this.#weight,
      0,
      this.#y,
    );
    k.biasActivationForward(this.#y, this.#bias, positions, this.filters, this.#code);
    return this.#y;
  }

  /** See {@link Layer.backward}. */
  backward(
    dy: Float32Array,
    rows: number,
    target: GradientTarget,
    needInput: boolean,
  ): Float32Array | undefined {
    const k = this.kernels, f = this.filters, field = this.#fieldSize;
    const positions = rows * this.outputShape[0] * this.outputShape[1];
    const { alpha, beta, direct } = target;
    k.activationBackward(dy, this.#y, positions * f, this.#code);
    let dx: Float32Array | undefined;
    if (needInput) {
      // Before the weights change (a folded SGD step updates them below).
      if (this.#dcol.length < this.#col.length) {
        this.#dcol = k.allocate(this.#col.length);
        this.#dx = k.allocate((this.#col.length / (this.outputSize / f * field)) * this.inputSize);
      }
      k.gemm(false, false, positions, field, f, 1, dy, this.#weight, 0, this.#dcol);
      dx = this.#dx;
      dx.fill(0, 0, rows * this.inputSize);
      k.col2im(dx, this.#dcol, this.#geom);
    }
    k.gemm(
      true,
      false,
      f,
      field,
      positions,
      alpha,
      dy,
      this.#col,
      beta,
      direct ? this.#weight : this.#gradWeight,
    );
    k.columnSums(direct ? this.#bias : this.#gradBias, dy, positions, f, alpha, beta);
    return dx;
  }
}

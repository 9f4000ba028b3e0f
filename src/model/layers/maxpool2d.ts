/**
 * 2-D max pooling over NHWC inputs; the backward pass routes each gradient
 * to the input that won its window.
 *
 * @module
 */

import type { Kernels } from "../../kernels/kernels.ts";
import { convGeometry } from "./conv2d.ts";
import { Layer, type Shape } from "./layer.ts";

/** A max-pooling layer. */
export class MaxPool2d extends Layer {
  /** Always `"maxpool2d"`. */
  readonly kind = "maxpool2d";
  /** Window size. */
  readonly size: number;
  /** Stride (default: the window size). */
  readonly stride: number;
  /** Per-sample output shape. */
  readonly outputShape: Shape;
  /** The kernels' geometry; its batch entry is set per call. */
  readonly #geom: Int32Array;
  #y: Float32Array = new Float32Array(0);
  #argmax: Int32Array = new Int32Array(0);
  #dx: Float32Array = new Float32Array(0);

  /**
   * Creates the layer.
   *
   * @param kernels Backend.
   * @param inputShape `[height, width, channels]`.
   * @param size Window size.
   * @param stride Stride. Default `size`.
   * @throws {RangeError} If the input is not 3-D or the window does not fit.
   */
  constructor(kernels: Kernels, inputShape: Shape, size: number, stride: number = size) {
    super(kernels, inputShape);
    if (inputShape.length !== 3) {
      throw new RangeError(
        `maxpool needs a [height, width, channels] input, got [${inputShape}]`,
      );
    }
    this.size = size;
    this.stride = stride;
    const g = convGeometry(1, inputShape, size, stride, 0);
    this.#geom = g;
    this.outputShape = [g[7], g[8], inputShape[2]];
  }

  /** E.g. `maxpool(2)`. */
  get token(): string {
    return `maxpool(${this.size}${this.stride !== this.size ? `,stride=${this.stride}` : ""})`;
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array, rows: number): Float32Array {
    if (this.grow(rows)) {
      this.#y = this.buffer(rows * this.outputSize, this.#y);
      this.#argmax = new Int32Array(rows * this.outputSize);
      this.#dx = this.release(this.#dx);
    }
    this.#geom[0] = rows;
    this.kernels.maxPoolForward(this.#y, this.#argmax, x, this.#geom);
    return this.#y;
  }

  /** See {@link Layer.backward}. */
  backward(
    dy: Float32Array,
    rows: number,
    _target: unknown,
    needInput: boolean,
  ): Float32Array | undefined {
    if (!needInput) return undefined;
    const inCount = rows * this.inputSize;
    if (this.#dx.length < inCount) {
      this.#dx = this.buffer((this.#y.length / this.outputSize) * this.inputSize, this.#dx);
    }
    this.kernels.maxPoolBackward(this.#dx, dy, this.#argmax, inCount, rows * this.outputSize);
    return this.#dx;
  }
}

/**
 * A standalone activation layer (when it cannot fuse into a preceding
 * dense or conv layer, e.g. after batch norm or pooling).
 *
 * @module
 */

import { ACTIVATION_CODES, type ActivationName, type Kernels } from "../../kernels/kernels.ts";
import { Layer, type Shape } from "./layer.ts";

/** An elementwise activation layer. */
export class Activation extends Layer {
  /** Always `"activation"`. */
  readonly kind = "activation";
  /** The function. */
  readonly activation: ActivationName;
  readonly #code: number;
  #y: Float32Array = new Float32Array(0);

  /**
   * Creates the layer.
   *
   * @param kernels Backend.
   * @param inputShape Per-sample shape (unchanged).
   * @param activation The function.
   */
  constructor(kernels: Kernels, inputShape: Shape, activation: ActivationName) {
    super(kernels, inputShape);
    this.activation = activation;
    this.#code = ACTIVATION_CODES[activation];
  }

  /** The activation's name, e.g. `relu`. */
  get token(): string {
    return this.activation;
  }

  /** Same as the input. */
  get outputShape(): Shape {
    return this.inputShape;
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array, rows: number): Float32Array {
    if (this.grow(rows)) this.#y = this.buffer(rows * this.inputSize, this.#y);
    this.kernels.activationForward(this.#y, x, rows * this.inputSize, this.#code);
    return this.#y;
  }

  /** See {@link Layer.backward}. */
  backward(dy: Float32Array, rows: number): Float32Array {
    this.kernels.activationBackward(dy, this.#y, rows * this.inputSize, this.#code);
    return dy;
  }

  /** See {@link Layer.workFloats}: the backward pass works in place. */
  override workFloats(rows: number): number {
    return rows * this.outputSize;
  }
}

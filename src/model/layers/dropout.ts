/**
 * Inverted dropout: in training, each value is zeroed with probability
 * `rate` and the rest scaled by `1 / (1 - rate)`; in evaluation, the
 * identity. Masks come from a counter-based generator (seed, step), the
 * same on every backend and thread count.
 *
 * @module
 */

import type { Kernels } from "../../kernels/kernels.ts";
import { Layer, type Shape } from "./layer.ts";

/** A dropout layer. */
export class Dropout extends Layer {
  /** Always `"dropout"`. */
  readonly kind = "dropout";
  /** Probability of dropping a value, in [0, 1). */
  readonly rate: number;
  /** Seed of the masks. */
  readonly seed: number;
  /** Training steps taken; the mask of a step depends on (seed, counter). */
  counter = 0;
  #y: Float32Array = new Float32Array(0);
  #mask: Float32Array = new Float32Array(0);

  /**
   * Creates the layer.
   *
   * @param kernels Backend.
   * @param inputShape Per-sample shape (unchanged).
   * @param rate Drop probability in [0, 1).
   * @param seed Seed of the masks.
   */
  constructor(kernels: Kernels, inputShape: Shape, rate: number, seed: number) {
    super(kernels, inputShape);
    this.rate = rate;
    this.seed = seed;
  }

  /** E.g. `dropout(0.5)`. */
  get token(): string {
    return `dropout(${this.rate})`;
  }

  /** Same as the input. */
  get outputShape(): Shape {
    return this.inputShape;
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array, rows: number, training: boolean): Float32Array {
    if (!training || this.rate === 0) return x;
    if (this.grow(rows)) {
      this.#y = this.buffer(rows * this.inputSize, this.#y);
      this.#mask = this.buffer(rows * this.inputSize, this.#mask);
    }
    const n = rows * this.inputSize;
    this.kernels.dropoutForward(
      this.#y,
      this.#mask,
      x,
      n,
      this.rate,
      1 / (1 - this.rate),
      this.seed | 0,
      this.counter | 0,
    );
    this.counter = (this.counter + 1) >>> 0;
    return this.#y;
  }

  /** See {@link Layer.backward}. */
  backward(dy: Float32Array, rows: number): Float32Array {
    if (this.rate === 0) return dy;
    const n = rows * this.inputSize;
    this.kernels.multiply(dy, dy, this.#mask, n);
    return dy;
  }

  /** See {@link Layer.workFloats}: output and mask, in training only. */
  override workFloats(rows: number, training: boolean): number {
    return training && this.rate > 0 ? 2 * rows * this.outputSize : 0;
  }
}

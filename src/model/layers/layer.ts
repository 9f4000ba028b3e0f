/**
 * The layer contract: a layer knows its shapes, its parameters and state
 * (views into the network's arenas), and its forward and backward passes
 * written as kernel calls. It never loops over elements itself.
 *
 * @module
 */

import type { Kernels } from "../../kernels/kernels.ts";
import type { InitName } from "../initializers.ts";
import type { Random } from "../../random.ts";

/**
 * Shape of one sample: `[features]` or `[height, width, channels]`
 * (channels last: activations are NHWC, as in Keras and TF.js).
 */
export type Shape = readonly number[];

/** Number of values in a sample of `shape`. */
export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Where a backward pass puts parameter gradients: `target = beta * target +
 * alpha * gradient`, with `target` the gradient views (`direct` false,
 * alpha 1, beta 0) or the parameters themselves (`direct` true: a plain SGD
 * step folded into the gradient kernels, alpha -lr, beta 1).
 */
export interface GradientTarget {
  /** Scale of the gradient. */
  alpha: number;
  /** Scale of the target's old contents. */
  beta: number;
  /** Write into the parameters instead of the gradients. */
  direct: boolean;
}

/**
 * Most rows a plain-SGD step may be folded over: every backend's GEMM sums
 * its inner dimension in slices of 256 and writes the output once per
 * slice, so a step folded over more rows would round each weight once per
 * slice instead of once (PyTorch rounds once).
 */
export const FOLD_MAX_ROWS = 256;

/**
 * The plain-SGD step of a `direct` target, applied to `params` from
 * gradients computed into `grads` (alpha 1, beta 0): each weight is rounded
 * once, as when the step is folded over one GEMM slice.
 */
export function sgdFromTarget(
  kernels: Kernels,
  params: Float32Array,
  grads: Float32Array,
  target: GradientTarget,
): void {
  const lr = -target.alpha;
  kernels.sgdStep(params, grads, params.length, lr, lr === 0 ? 0 : (1 - target.beta) / lr);
}

/** A named tensor of a layer, a view into an arena (for model files). */
export interface LayerTensor {
  /** E.g. `"weight"`, `"bias"`, `"running_mean"`. */
  name: string;
  /** Its shape. */
  shape: number[];
  /** The view. */
  data: Float32Array;
  /** True for a weight that weight decay applies to when it skips biases and batch norm. */
  decays?: boolean;
}

/** One layer of a {@link Network}. */
export abstract class Layer {
  /** Kind for summaries, e.g. `"dense"`. */
  abstract readonly kind: string;
  /** The layer's spec token, e.g. `"conv(32,5,pad=2)"` (activations fused in are separate tokens). */
  abstract readonly token: string;
  /** Per-sample output shape. */
  abstract readonly outputShape: Shape;
  /** Trainable parameters (floats in the parameter arena). */
  readonly paramCount: number = 0;
  /** Non-trainable state (floats in the state arena, e.g. running statistics). */
  readonly stateCount: number = 0;
  /** Rows the work buffers hold. */
  #capacity = 0;
  /** The work buffers this layer took from the backend, given back by {@link dispose}. */
  readonly #buffers = new Set<Float32Array>();

  /**
   * Creates the layer.
   *
   * @param kernels The compute backend.
   * @param inputShape Per-sample input shape.
   */
  constructor(protected readonly kernels: Kernels, readonly inputShape: Shape) {}

  /** Values per input sample. */
  get inputSize(): number {
    return sizeOf(this.inputShape);
  }

  /** Values per output sample. */
  get outputSize(): number {
    return sizeOf(this.outputShape);
  }

  /** Takes this layer's views of the parameter, gradient and state arenas. */
  bind(_params: Float32Array, _grads: Float32Array, _state: Float32Array): void {}

  /** Sets initial parameters and state. */
  initialize(_init: InitName, _random: Random): void {}

  /** The parameter and state tensors, in file order. */
  tensors(): LayerTensor[] {
    return [];
  }

  /**
   * Computes the layer's output for `rows` samples.
   *
   * @param x Input, `rows x inputSize`; kept (not copied) for the backward pass.
   * @param rows Samples in the batch.
   * @param training Training mode (dropout active, batch statistics).
   * @returns The output, a work buffer that the next call overwrites.
   */
  abstract forward(x: Float32Array, rows: number, training: boolean): Float32Array;

  /**
   * Back-propagates `dy` through the last training forward pass, putting
   * parameter gradients where `target` says.
   *
   * @param dy Gradient of the loss by the output; may be overwritten.
   * @param rows Samples in the batch.
   * @param target Where parameter gradients go.
   * @param needInput Whether the input gradient is needed (false for the first layer).
   * @returns The gradient by the input (undefined when not needed).
   */
  abstract backward(
    dy: Float32Array,
    rows: number,
    target: GradientTarget,
    needInput: boolean,
  ): Float32Array | undefined;

  /** Grows the work buffers to `rows` samples; true when they must be (re)allocated. */
  protected grow(rows: number): boolean {
    if (rows <= this.#capacity) return false;
    this.#capacity = rows;
    return true;
  }

  /**
   * Floats of work buffers this layer holds for `rows` samples (outputs,
   * and in training the input gradient): what {@link Network} adds up to
   * bound memory before it allocates.
   */
  workFloats(rows: number, training: boolean): number {
    return rows * (this.outputSize + (training ? this.inputSize : 0));
  }

  /**
   * A zeroed work buffer of `length` floats from the backend, owned by this
   * layer; `old` (a buffer it replaces) is given back first.
   */
  protected buffer(length: number, old?: Float32Array): Float32Array {
    if (old) this.release(old);
    const array = this.kernels.allocate(length);
    this.#buffers.add(array);
    return array;
  }

  /** Gives one of this layer's work buffers back; returns an empty array to put in its place. */
  protected release(array: Float32Array): Float32Array {
    if (this.#buffers.delete(array)) this.kernels.free(array);
    return new Float32Array(0);
  }

  /** Gives every work buffer back to the backend (the layer is not used afterwards). */
  dispose(): void {
    for (const array of this.#buffers) this.kernels.free(array);
    this.#buffers.clear();
    this.#capacity = 0;
  }
}

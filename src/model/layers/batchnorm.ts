/**
 * Batch normalization: per feature after a dense layer, per channel after a
 * convolution (the last axis of an NHWC tensor, so both are the columns of
 * a (rows, channels) matrix). Training uses batch statistics and updates
 * running ones; evaluation uses the running statistics. PyTorch defaults:
 * momentum 0.1, eps 1e-5.
 *
 * @module
 */

import type { Kernels } from "../../kernels/kernels.ts";
import { type GradientTarget, Layer, type LayerTensor, type Shape } from "./layer.ts";

/** Momentum of the running statistics (PyTorch's default). */
export const BATCH_NORM_MOMENTUM = 0.1;
/** Variance guard (PyTorch's default). */
export const BATCH_NORM_EPS = 1e-5;

/** A batch-normalization layer. */
export class BatchNorm extends Layer {
  /** Always `"batchnorm"`. */
  readonly kind = "batchnorm";
  /** Always `batchnorm`. */
  readonly token = "batchnorm";
  /** Normalized features (channels). */
  readonly features: number;
  /** Trainable parameters. */
  override readonly paramCount: number;
  /** Non-trainable state values. */
  override readonly stateCount: number;
  #gammaBeta: Float32Array = new Float32Array(0);
  #gradGammaBeta: Float32Array = new Float32Array(0);
  #running: Float32Array = new Float32Array(0);
  #y: Float32Array = new Float32Array(0);
  #xhat: Float32Array = new Float32Array(0);
  #invStd: Float32Array = new Float32Array(0);
  #dx: Float32Array = new Float32Array(0);

  /**
   * Creates the layer.
   *
   * @param kernels Backend.
   * @param inputShape Per-sample shape; its last axis is normalized.
   */
  constructor(kernels: Kernels, inputShape: Shape) {
    super(kernels, inputShape);
    this.features = inputShape[inputShape.length - 1];
    this.paramCount = 2 * this.features;
    this.stateCount = 2 * this.features;
  }

  /** Same as the input. */
  get outputShape(): Shape {
    return this.inputShape;
  }

  /** See {@link Layer.bind}. */
  override bind(params: Float32Array, grads: Float32Array, state: Float32Array): void {
    this.#gammaBeta = params.subarray(0, 2 * this.features);
    this.#gradGammaBeta = grads.subarray(0, 2 * this.features);
    this.#running = state.subarray(0, 2 * this.features);
    this.#invStd = this.buffer(this.features, this.#invStd);
  }

  /** See {@link Layer.initialize}. */
  override initialize(): void {
    const c = this.features;
    this.#gammaBeta.fill(1, 0, c).fill(0, c);
    this.#running.fill(0, 0, c).fill(1, c);
  }

  /** See {@link Layer.tensors}. */
  override tensors(): LayerTensor[] {
    const c = this.features, p = this.#gammaBeta, s = this.#running;
    return [
      { name: "weight", shape: [c], data: p.subarray(0, c) },
      { name: "bias", shape: [c], data: p.subarray(c) },
      { name: "running_mean", shape: [c], data: s.subarray(0, c) },
      { name: "running_var", shape: [c], data: s.subarray(c) },
    ];
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array, rows: number, training: boolean): Float32Array {
    if (this.grow(rows)) {
      this.#y = this.buffer(rows * this.inputSize, this.#y);
      this.#xhat = this.buffer(rows * this.inputSize, this.#xhat);
      this.#dx = this.release(this.#dx);
    }
    const r = (rows * this.inputSize) / this.features;
    this.kernels.batchNormForward(
      this.#y,
      this.#xhat,
      this.#invStd,
      x,
      this.#gammaBeta,
      this.#running,
      r,
      this.features,
      BATCH_NORM_MOMENTUM,
      BATCH_NORM_EPS,
      training,
    );
    return this.#y;
  }

  /** See {@link Layer.backward}. */
  backward(
    dy: Float32Array,
    rows: number,
    target: GradientTarget,
    needInput: boolean,
  ): Float32Array | undefined {
    const r = (rows * this.inputSize) / this.features;
    // The kernel always computes dx; without a consumer it goes to a scratch.
    if (this.#dx.length < rows * this.inputSize) this.#dx = this.buffer(this.#y.length, this.#dx);
    this.kernels.batchNormBackward(
      this.#dx,
      target.direct ? this.#gammaBeta : this.#gradGammaBeta,
      dy,
      this.#xhat,
      this.#invStd,
      this.#gammaBeta,
      r,
      this.features,
      target.alpha,
      target.beta,
    );
    return needInput ? this.#dx : undefined;
  }

  /** See {@link Layer.workFloats}: output, normalized input, input gradient. */
  override workFloats(rows: number, training: boolean): number {
    return rows * this.inputSize * (training ? 3 : 2) + this.features;
  }
}

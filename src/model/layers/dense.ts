/**
 * Dense (fully connected) layer: `y = act(x W^T + b)`, W is (OUT, IN) as
 * PyTorch's `nn.Linear`. A following activation may be fused into it.
 *
 * @module
 */

import { ACTIVATION_CODES, type ActivationName, type Kernels } from "../../kernels/kernels.ts";
import type { Random } from "../../random.ts";
import { initializeLayer, type InitName } from "../initializers.ts";
import {
  FOLD_MAX_ROWS,
  type GradientTarget,
  Layer,
  type LayerTensor,
  sgdFromTarget,
  type Shape,
  sizeOf,
} from "./layer.ts";

/** A fully connected layer (input of any shape is read as a flat vector). */
export class Dense extends Layer {
  /** Always `"dense"`. */
  readonly kind = "dense";
  /** Output width. */
  readonly units: number;
  /** Activation fused into the layer (`"identity"` for none). */
  readonly activation: ActivationName;
  /** Trainable parameters. */
  override readonly paramCount: number;
  readonly #code: number;
  #weight: Float32Array = new Float32Array(0);
  #bias: Float32Array = new Float32Array(0);
  #gradWeight: Float32Array = new Float32Array(0);
  #gradBias: Float32Array = new Float32Array(0);
  #x: Float32Array = new Float32Array(0);
  #y: Float32Array = new Float32Array(0);
  #dx: Float32Array = new Float32Array(0);

  /**
   * Creates the layer.
   *
   * @param kernels Backend.
   * @param inputShape Per-sample input shape.
   * @param units Output width.
   * @param activation Fused activation. Default `"identity"`.
   */
  constructor(
    kernels: Kernels,
    inputShape: Shape,
    units: number,
    activation: ActivationName = "identity",
  ) {
    super(kernels, inputShape);
    this.units = units;
    this.activation = activation;
    this.#code = ACTIVATION_CODES[activation];
    this.paramCount = units * sizeOf(inputShape) + units;
  }

  /** `dense(units)`. */
  get token(): string {
    return `dense(${this.units})`;
  }

  /** `[units]`. */
  get outputShape(): Shape {
    return [this.units];
  }

  /** The weights, (units, inputSize), a view into the parameter arena. */
  get weight(): Float32Array {
    return this.#weight;
  }

  /** The biases, (units). */
  get bias(): Float32Array {
    return this.#bias;
  }

  /** See {@link Layer.bind}. */
  override bind(params: Float32Array, grads: Float32Array): void {
    const w = this.units * this.inputSize;
    this.#weight = params.subarray(0, w);
    this.#bias = params.subarray(w, w + this.units);
    this.#gradWeight = grads.subarray(0, w);
    this.#gradBias = grads.subarray(w, w + this.units);
  }

  /** See {@link Layer.initialize}. */
  override initialize(init: InitName, random: Random): void {
    initializeLayer(init, this.#weight, this.#bias, this.inputSize, random);
  }

  /** See {@link Layer.tensors}. */
  override tensors(): LayerTensor[] {
    return [
      { name: "weight", shape: [this.units, this.inputSize], data: this.#weight, decays: true },
      { name: "bias", shape: [this.units], data: this.#bias },
    ];
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array, rows: number): Float32Array {
    if (this.grow(rows)) {
      this.#y = this.buffer(rows * this.units, this.#y);
      this.#dx = this.release(this.#dx);
    }
    const k = this.kernels, n = this.units, y = this.#y;
    this.#x = x;
    k.gemm(false, true, rows, n, this.inputSize, 1, x, this.#weight, 0, y);
    k.biasActivationForward(y, this.#bias, rows, n, this.#code);
    return y;
  }

  /** See {@link Layer.backward}. */
  backward(
    dy: Float32Array,
    rows: number,
    target: GradientTarget,
    needInput: boolean,
  ): Float32Array | undefined {
    const k = this.kernels, n = this.units, width = this.inputSize;
    const { alpha, beta, direct } = target;
    // Identity (the output layer) has nothing to apply.
    if (this.#code !== 0) k.activationBackward(dy, this.#y, rows * n, this.#code);
    let dx: Float32Array | undefined;
    if (needInput) {
      // Before the weights change (a folded SGD step updates them below).
      if (this.#dx.length < rows * width) {
        this.#dx = this.buffer(this.#y.length / n * width, this.#dx);
      }
      dx = this.#dx;
      k.gemm(false, false, rows, width, n, 1, dy, this.#weight, 0, dx);
    }
    // A folded SGD step writes the weights directly; past one GEMM slice of
    // rows it would round them once per slice, so it takes the gradients.
    const fold = direct && rows <= FOLD_MAX_ROWS;
    const scaled = fold || !direct, a = scaled ? alpha : 1, b = scaled ? beta : 0;
    k.gemm(true, false, n, width, rows, a, dy, this.#x, b, fold ? this.#weight : this.#gradWeight);
    k.columnSums(fold ? this.#bias : this.#gradBias, dy, rows, n, a, b);
    if (direct && !fold) {
      sgdFromTarget(k, this.#weight, this.#gradWeight, target);
      sgdFromTarget(k, this.#bias, this.#gradBias, target);
    }
    return dx;
  }
}

/**
 * `Network`: a fully connected feed-forward classifier (dense layers with a
 * hidden activation, softmax + cross-entropy output) whose parameters live
 * in one `Float32Array` arena.
 *
 * @module
 */

import type { Dataset } from "../data/dataset.ts";
import { affineOf, type Preprocessing, UNIT_SCALE } from "../data/batcher.ts";
import { ACTIVATION_CODES, type ActivationName, type Kernels } from "../kernels/kernels.ts";
import { type BackendChoice, selectKernels } from "../kernels/select.ts";
import { Random } from "../random.ts";
import { INIT_NAMES, initializeLayer, type InitName } from "./initializers.ts";
import type { Optimizer } from "./optimizers.ts";
import { evaluate, type Evaluation, predict, predictProba } from "./_inference.ts";

export type { Evaluation } from "./_inference.ts";

/** Hidden-layer activations a network may use. */
export const ACTIVATION_NAMES: readonly ActivationName[] = Object.freeze([
  "relu",
  "sigmoid",
  "tanh",
  "leaky-relu",
]);

/** Options of a new {@link Network}. */
export interface NetworkOptions {
  /** Layer widths from input to output, e.g. `[784, 128, 64, 10]`. */
  sizes: readonly number[];
  /** Hidden-layer activation. Default `"relu"`. */
  activation?: ActivationName;
  /** Weight initializer. Default `"he"`. */
  init?: InitName;
  /** Seed of the initial weights. Default `1`. */
  seed?: number;
  /** Compute backend or its name. Default `"auto"` (native when built). */
  backend?: BackendChoice | Kernels;
  /** Threads for the native backend. Default: all cores. */
  threads?: number;
  /** Pixel preprocessing used by `predict`/`evaluate` on bytes. Default [0, 1] scaling. */
  preprocessing?: Preprocessing;
}

/**
 * A dense neural network classifier.
 *
 * @example Build, train one step, and predict
 * ```ts
 * import { Network } from "./network.ts";
 * import { createOptimizer } from "./optimizers.ts";
 * const net = new Network({ sizes: [2, 8, 2], seed: 3, backend: "ts" });
 * const x = new Float32Array([0, 1, 1, 0]);
 * const y = new Int32Array([1, 0]);
 * const stats = net.trainBatch(x, y, 2, createOptimizer({ type: "sgd", learningRate: 0.1 }));
 * console.log(stats.loss > 0, net.predict(x).length); // true 2
 * ```
 */
export class Network {
  /** Layer widths from input to output. */
  readonly sizes: readonly number[];
  /** Hidden-layer activation. */
  readonly activation: ActivationName;
  /** Pixel preprocessing applied to byte inputs; saved with the model. */
  preprocessing: Preprocessing;
  /** The compute backend. */
  readonly kernels: Kernels;
  /** Why the native backend was not used, when `backend: "auto"` fell back to TS. */
  readonly fallbackReason: string | undefined;
  /** Every parameter, layer by layer: weights (out x in) then biases (out). */
  readonly params: Float32Array;
  /** Gradients, laid out like {@link params}. */
  readonly grads: Float32Array;
  /** Per-layer weight views into {@link params}, each (out x in). */
  readonly weights: readonly Float32Array[];
  /** Per-layer bias views into {@link params}. */
  readonly biases: readonly Float32Array[];
  readonly #gradWeights: Float32Array[] = [];
  readonly #gradBiases: Float32Array[] = [];
  readonly #code: number;
  #capacity = 0;
  /** acts[l] is layer l's output (rows x sizes[l]); acts[0] is unused. */
  #acts: Float32Array[] = [];
  /** deltas[l] is dLoss/dz for layer l's pre-activation. */
  #deltas: Float32Array[] = [];
  readonly #sizes: Int32Array;
  #fusedWorkBuffer: Float32Array = new Float32Array(0);
  #sample: Float32Array = new Float32Array(0);
  readonly #sampleLabel = new Int32Array(1);
  readonly #stats = new Float64Array(2);

  /**
   * Creates a network with freshly initialized weights.
   *
   * @param options Architecture, initialization and backend.
   * @throws {RangeError} On invalid sizes, activation, initializer or threads.
   * @throws {Error} If `backend: "native"` is requested but cannot be loaded.
   */
  constructor(options: NetworkOptions) {
    const sizes = [...options.sizes];
    if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
      throw new RangeError(
        `Network sizes must be at least two positive integers, got [${sizes.join(", ")}]`,
      );
    }
    const activation = options.activation ?? "relu";
    if (!ACTIVATION_NAMES.includes(activation)) {
      throw new RangeError(
        `Unknown activation "${activation}" (expected one of ${ACTIVATION_NAMES.join(", ")})`,
      );
    }
    const init = options.init ?? "he";
    if (!INIT_NAMES.includes(init)) {
      throw new RangeError(
        `Unknown initializer "${init}" (expected one of ${INIT_NAMES.join(", ")})`,
      );
    }
    this.sizes = Object.freeze(sizes);
    this.#sizes = Int32Array.from(sizes);
    this.activation = activation;
    this.#code = ACTIVATION_CODES[activation];
    this.preprocessing = { ...(options.preprocessing ?? UNIT_SCALE) };
    affineOf(this.preprocessing); // validates
    if (typeof options.backend === "object") {
      this.kernels = options.backend;
    } else {
      const selected = selectKernels(options.backend ?? "auto", options.threads);
      this.kernels = selected.kernels;
      this.fallbackReason = selected.fallbackReason;
    }

    let total = 0;
    for (let l = 1; l < sizes.length; l++) total += sizes[l] * sizes[l - 1] + sizes[l];
    this.params = this.kernels.allocate(total);
    this.grads = this.kernels.allocate(total);
    const weights: Float32Array[] = [], biases: Float32Array[] = [];
    let offset = 0;
    for (let l = 1; l < sizes.length; l++) {
      const w = sizes[l] * sizes[l - 1];
      weights.push(this.params.subarray(offset, offset + w));
      this.#gradWeights.push(this.grads.subarray(offset, offset + w));
      offset += w;
      biases.push(this.params.subarray(offset, offset + sizes[l]));
      this.#gradBiases.push(this.grads.subarray(offset, offset + sizes[l]));
      offset += sizes[l];
    }
    this.weights = weights;
    this.biases = biases;
    const random = new Random(options.seed ?? 1);
    for (let l = 0; l < weights.length; l++) {
      initializeLayer(init, weights[l], biases[l], sizes[l], random);
    }
  }

  /** Input width (features per sample). */
  get inputSize(): number {
    return this.sizes[0];
  }

  /** Number of classes. */
  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** Description of the compute backend (name, instruction set, threads). */
  get backend(): string {
    return this.kernels.description;
  }

  /** Grows the per-layer work buffers to hold `rows` samples. */
  #reserve(rows: number): void {
    if (rows <= this.#capacity) return;
    this.#capacity = rows;
    // Layer 0 is the caller's input and needs no delta: nothing to allocate.
    const buffer = (s: number, l: number): Float32Array =>
      l === 0 ? new Float32Array(0) : this.kernels.allocate(rows * s);
    this.#acts = this.sizes.map(buffer);
    this.#deltas = this.sizes.map(buffer);
  }

  #checkInput(input: Float32Array, rows: number): void {
    if (!Number.isInteger(rows) || rows < 1) {
      throw new RangeError(`Row count must be a positive integer, got ${rows}`);
    }
    if (input.length < rows * this.inputSize) {
      throw new RangeError(
        `Input holds ${input.length} values, but ${rows} rows of ${this.inputSize} need ` +
          `${rows * this.inputSize}`,
      );
    }
  }

  /**
   * Runs the network on `rows` samples.
   *
   * @param input `rows x inputSize` features.
   * @param rows Number of samples.
   * @returns The logits, `rows x outputSize`; a view into a work buffer that
   *   the next call overwrites.
   * @throws {RangeError} If `input` is too short.
   */
  forward(input: Float32Array, rows: number): Float32Array {
    this.#checkInput(input, rows);
    this.#reserve(rows);
    const k = this.kernels, sizes = this.sizes, last = sizes.length - 1;
    let previous = input;
    for (let l = 1; l <= last; l++) {
      const out = this.#acts[l];
      k.gemm(false, true, rows, sizes[l], sizes[l - 1], 1, previous, this.weights[l - 1], 0, out);
      k.biasActivationForward(out, this.biases[l - 1], rows, sizes[l], l < last ? this.#code : 0);
      previous = out;
    }
    return this.#acts[last].subarray(0, rows * sizes[last]);
  }

  /**
   * Forward, loss, backward and one optimizer step on a batch.
   *
   * @param input `rows x inputSize` features.
   * @param labels `rows` class indices.
   * @param rows Number of samples.
   * @param optimizer The update rule.
   * @returns The batch's summed loss and number of correct predictions.
   * @throws {RangeError} If a buffer is too short or a label is out of range.
   */
  trainBatch(
    input: Float32Array,
    labels: Int32Array,
    rows: number,
    optimizer: Optimizer,
  ): { loss: number; correct: number } {
    this.#stats.fill(0);
    if (this.#fusable(optimizer)) {
      // Plain SGD folds the update into the weight-gradient GEMM: one kernel
      // call per batch and no gradient arena (so `grads` is not updated).
      this.#checkInput(input, rows);
      this.kernels.mlpSgdStep(
        this.params,
        this.#fusedWork(rows),
        this.#sizes,
        this.sizes.length - 1,
        input,
        labels,
        rows,
        this.#code,
        optimizer.learningRate,
        this.#stats,
      );
    } else {
      this.#lossAndGradients(input, labels, rows);
      optimizer.step(this.kernels, this.params, this.grads);
    }
    return { loss: this.#stats[0], correct: this.#stats[1] };
  }

  /**
   * Per-sample training: one optimizer step for each of `count` samples, in
   * order (batch size 1). With plain SGD all of them run in one kernel call.
   *
   * @param input `count x inputSize` features.
   * @param labels `count` class indices.
   * @param count Number of samples.
   * @param optimizer The update rule.
   * @returns The summed loss over the samples and the number predicted
   *   correctly (each before its own update).
   * @throws {RangeError} If a buffer is too short or a label is out of range.
   */
  trainSamples(
    input: Float32Array,
    labels: Int32Array,
    count: number,
    optimizer: Optimizer,
  ): { loss: number; correct: number } {
    this.#stats.fill(0);
    this.#checkInput(input, count);
    if (this.#fusable(optimizer)) {
      this.kernels.mlpSgdSamples(
        this.params,
        this.#fusedWork(1),
        this.#sizes,
        this.sizes.length - 1,
        input,
        labels,
        count,
        this.#code,
        optimizer.learningRate,
        this.#stats,
      );
    } else {
      // One sample at a time through reused one-row buffers (no views
      // allocated per step).
      const width = this.inputSize;
      if (this.#sample.length !== width) this.#sample = this.kernels.allocate(width);
      for (let s = 0; s < count; s++) {
        this.#sample.set(input.subarray(s * width, (s + 1) * width));
        this.#sampleLabel[0] = labels[s];
        this.#lossAndGradients(this.#sample, this.#sampleLabel, 1);
        optimizer.step(this.kernels, this.params, this.grads);
      }
    }
    return { loss: this.#stats[0], correct: this.#stats[1] };
  }

  /** Plain SGD without weight decay runs as the fused kernel step. */
  #fusable(optimizer: Optimizer): boolean {
    return optimizer.type === "sgd" && optimizer.weightDecay === 0;
  }

  /** The fused step's work buffer, grown to hold `rows` samples. */
  #fusedWork(rows: number): Float32Array {
    const need = this.kernels.mlpWorkSize(this.#sizes, this.sizes.length - 1, rows);
    if (this.#fusedWorkBuffer.length < need) this.#fusedWorkBuffer = this.kernels.allocate(need);
    return this.#fusedWorkBuffer;
  }

  /**
   * Computes the gradients of the batch's mean loss into {@link grads}
   * without updating parameters (for gradient checks and custom loops).
   *
   * @param input `rows x inputSize` features.
   * @param labels `rows` class indices.
   * @param rows Number of samples.
   * @returns The batch's summed loss and number of correct predictions.
   * @throws {RangeError} If a buffer is too short or a label is out of range.
   */
  computeGradients(
    input: Float32Array,
    labels: Int32Array,
    rows: number,
  ): { loss: number; correct: number } {
    this.#stats.fill(0);
    this.#lossAndGradients(input, labels, rows);
    return { loss: this.#stats[0], correct: this.#stats[1] };
  }

  #lossAndGradients(input: Float32Array, labels: Int32Array, rows: number): void {
    const logits = this.forward(input, rows);
    const k = this.kernels, sizes = this.sizes, last = sizes.length - 1;
    if (labels.length < rows) {
      throw new RangeError(`Labels hold ${labels.length} values, but the batch has ${rows} rows`);
    }
    k.softmaxCrossEntropy(
      logits,
      labels,
      this.#deltas[last],
      rows,
      sizes[last],
      1 / rows,
      this.#stats,
    );
    for (let l = last; l >= 1; l--) {
      const delta = this.#deltas[l];
      const previous = l === 1 ? input : this.#acts[l - 1];
      k.gemm(
        true,
        false,
        sizes[l],
        sizes[l - 1],
        rows,
        1,
        delta,
        previous,
        0,
        this.#gradWeights[l - 1],
      );
      k.columnSums(this.#gradBiases[l - 1], delta, rows, sizes[l], 0);
      if (l > 1) {
        const down = this.#deltas[l - 1];
        k.gemm(false, false, rows, sizes[l - 1], sizes[l], 1, delta, this.weights[l - 1], 0, down);
        k.activationBackward(down, this.#acts[l - 1], rows * sizes[l - 1], this.#code);
      }
    }
  }

  /**
   * Class probabilities for each sample.
   *
   * @param input Samples, `count x inputSize`: floats as the network sees
   *   them, or pixel bytes (then {@link preprocessing} is applied).
   * @returns `count x outputSize` probabilities (a new array).
   * @throws {RangeError} If the input is not a whole number of samples.
   */
  predictProba(input: Float32Array | Uint8Array): Float32Array {
    return predictProba(this, input);
  }

  /**
   * The most likely class of each sample.
   *
   * @param input Samples, as for {@link predictProba}.
   * @returns One class index per sample.
   * @throws {RangeError} If the input is not a whole number of samples.
   */
  predict(input: Float32Array | Uint8Array): Int32Array {
    return predict(this, input);
  }

  /**
   * Loss, accuracy and confusion matrix on a labelled dataset.
   *
   * @param data Labelled samples with `rows * cols === inputSize`.
   * @returns The evaluation.
   * @throws {TypeError} If the data is unlabelled or of the wrong width.
   */
  evaluate(data: Dataset): Evaluation {
    return evaluate(this, data);
  }
}

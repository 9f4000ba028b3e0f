/**
 * `Network`: a classifier made of a list of layers (dense, conv, pooling,
 * batch norm, dropout, activations) and a softmax + cross-entropy loss,
 * whose parameters, gradients and state each live in one arena.
 *
 * @module
 */

import type { Dataset } from "../data/dataset.ts";
import { affineOf, type Preprocessing, UNIT_SCALE } from "../data/pixel_transform.ts";
import { ACTIVATION_CODES, type Kernels } from "../kernels/kernels.ts";
import { selectKernels } from "../kernels/select.ts";
import { countWasmNetwork } from "../kernels/wasm_kernels.ts";
import { MLP_MAX_LAYERS, mlpWorkSize } from "../kernels/_mlp.ts";
import { Random } from "../random.ts";
import { INIT_NAMES } from "./initializers.ts";
import type { Optimizer, ParameterTensor } from "./optimizers.ts";
import { evaluate, type Evaluation, predict, predictProba } from "./_inference.ts";
import { checkFinite, type Images, type Labels, toFloatImages, toInt32Labels } from "./_inputs.ts";
import { Dense } from "./layers/dense.ts";
import type { GradientTarget, Layer, Shape } from "./layers/layer.ts";
import { buildLayers, parseSpec, specToken } from "./layers/spec.ts";
import { architecture, type NetworkOptions } from "./_architecture.ts";
import { type NetworkSummary, summarize } from "./_summary.ts";

export type { Evaluation } from "./_inference.ts";
export { ACTIVATION_NAMES, MNIST_SHAPE, type NetworkOptions } from "./_architecture.ts";

/**
 * Counts wasm networks that were dropped without `dispose()` out of the
 * heap's tally when the collector finds them (their arrays have finalizers
 * of their own).
 */
const forgotten = new FinalizationRegistry<void>(() => countWasmNetwork(-1));

/** Most trainable parameters a network may have (2^28: 1 GiB of float32 per arena). */
export const MAX_PARAMETERS = 2 ** 28;
export type { Images, Labels } from "./_inputs.ts";
export type { NetworkSummary } from "./_summary.ts";

/**
 * A neural-network classifier: layers, then softmax + cross-entropy.
 *
 * @example Build, train one step, and predict
 * ```ts
 * import { Network } from "jsr:@x/mnist-dnn";
 * import { createOptimizer } from "jsr:@x/mnist-dnn";
 * const net = new Network({ sizes: [2, 8, 2], seed: 3, backend: "ts" });
 * const x = new Float32Array([0, 1, 1, 0]);
 * const y = new Int32Array([1, 0]);
 * const stats = net.trainBatch(x, y, 2, createOptimizer({ type: "sgd", learningRate: 0.1 }));
 * console.log(stats.loss > 0, net.predict(x).length); // true 2
 * ```
 * @example A small CNN from a spec
 * ```ts
 * import { Network } from "jsr:@x/mnist-dnn";
 * const net = Network.fromSpec("conv(4,3) relu maxpool(2) flatten dense(10)", { backend: "ts" });
 * console.log(net.summary().totalParams); // 1730
 * ```
 */
export class Network {
  /** The layers, input first. */
  readonly layers: readonly Layer[];
  /** The canonical layer spec (activations as separate tokens). */
  readonly spec: string;
  /** Per-sample input shape. */
  readonly inputShape: Shape;
  /** Seed of the initial weights and of the dropout masks. */
  readonly seed: number;
  /** Pixel preprocessing applied to byte inputs; saved with the model. */
  preprocessing: Preprocessing;
  /** The compute backend. */
  readonly kernels: Kernels;
  /** Why the native backend was not used, when `backend: "auto"` fell back to TS. */
  readonly fallbackReason: string | undefined;
  /** Every trainable parameter, layer by layer (e.g. dense: weights (out x in), then biases). */
  readonly params: Float32Array;
  /** Gradients, laid out like {@link params}. */
  readonly grads: Float32Array;
  /** Non-trainable state (batch-norm running statistics), layer by layer. */
  readonly state: Float32Array;
  /** The tensors of {@link params} in order, for optimizers with per-tensor rules. */
  readonly parameterTensors: readonly ParameterTensor[];
  /** Dense-stack layout for the native batch-1 fast path, when it applies. */
  readonly #mlp?: { sizes: Int32Array; code: number; work: Float32Array };
  #logitGrad: Float32Array = new Float32Array(0);
  #floats: Float32Array = new Float32Array(0);
  #labels: Int32Array = new Int32Array(0);
  #sample: Float32Array = new Float32Array(0);
  readonly #sampleLabel = new Int32Array(1);
  readonly #stats = new Float64Array(2);
  #disposed = false;

  /**
   * Creates a network with freshly initialized weights.
   *
   * @param options Architecture (`sizes` or `layers`), initialization and backend.
   * @throws {RangeError} On invalid sizes, activation, initializer or threads.
   * @throws {SpecError} On a bad layer spec (a `RangeError`).
   * @throws {Error} If `backend: "native"` is requested but cannot be loaded.
   */
  constructor(options: NetworkOptions) {
    const init = options.init ?? "he";
    if (!INIT_NAMES.includes(init)) {
      throw new RangeError(
        `Unknown initializer "${init}" (expected one of ${INIT_NAMES.join(", ")})`,
      );
    }
    const { spec, inputShape } = architecture(options);
    const tokens = parseSpec(spec);
    this.spec = tokens.map(specToken).join(" ");
    this.inputShape = Object.freeze([...inputShape]);
    this.preprocessing = { ...(options.preprocessing ?? UNIT_SCALE) };
    affineOf(this.preprocessing); // validates
    if (typeof options.backend === "object") {
      this.kernels = options.backend;
    } else {
      const selected = selectKernels(options.backend ?? "auto", options.threads);
      this.kernels = selected.kernels;
      this.fallbackReason = selected.fallbackReason;
    }
    const seed = this.seed = options.seed ?? 1;
    this.layers = Object.freeze(buildLayers(tokens, this.inputShape, this.kernels, seed));

    let params = 0, state = 0;
    for (const layer of this.layers) params += layer.paramCount, state += layer.stateCount;
    if (!(params <= MAX_PARAMETERS)) {
      throw new RangeError(
        `The network "${this.spec}" has ${params} parameters, more than the ${MAX_PARAMETERS} ` +
          `(1 GiB of float32 per arena) this package allows; use fewer or smaller layers`,
      );
    }
    this.params = this.kernels.allocate(params);
    this.grads = this.kernels.allocate(params);
    this.state = this.kernels.allocate(state);
    if (this.kernels.name === "wasm") {
      countWasmNetwork(1);
      forgotten.register(this, undefined, this);
    }
    const random = new Random(seed);
    let p = 0, s = 0;
    for (const layer of this.layers) {
      const pEnd = p + layer.paramCount, sEnd = s + layer.stateCount;
      layer.bind(
        this.params.subarray(p, pEnd),
        this.grads.subarray(p, pEnd),
        this.state.subarray(s, sEnd),
      );
      layer.initialize(init, random);
      p = pEnd, s = sEnd;
    }
    this.parameterTensors = Object.freeze(parameterTensorsOf(this.layers, this.params));
    this.#mlp = this.#denseStack();
  }

  /**
   * Builds a network from a layer spec.
   *
   * @param spec E.g. `"conv(32,5,pad=2) relu maxpool(2) flatten dense(128) relu dense(10)"`.
   * @param options Everything else of {@link NetworkOptions}.
   * @returns The network.
   * @throws {SpecError} Naming the bad token.
   * @example
   * ```ts
   * import { Network } from "jsr:@x/mnist-dnn";
   * const net = Network.fromSpec("dense(32) relu dense(10)", { inputShape: [784], backend: "ts" });
   * console.log(net.spec); // dense(32) relu dense(10)
   * ```
   */
  static fromSpec(spec: string, options: Omit<NetworkOptions, "layers" | "sizes"> = {}): Network {
    return new Network({ ...options, layers: spec });
  }

  /**
   * Gives the memory of the network (arenas, layer work buffers) back to
   * its backend: on wasm the module's heap, which the garbage collector
   * cannot see, is reused by the next network. Any later call on the
   * network throws. Calling it again does nothing. `using net = ...`
   * disposes at the end of the block.
   *
   * @example Create, use and free a network
   * ```ts
   * import { Network } from "jsr:@x/mnist-dnn";
   * {
   *   using net = new Network({ sizes: [4, 3], backend: "wasm" });
   *   console.log(net.predict(new Float32Array(4)).length); // 1
   * } // freed here
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const layer of this.layers) layer.dispose();
    const k = this.kernels;
    for (const array of [this.params, this.grads, this.state, this.#logitGrad, this.#floats]) {
      k.free(array);
    }
    k.free(this.#sample);
    if (this.#mlp) k.free(this.#mlp.work);
    if (k.name === "wasm") {
      countWasmNetwork(-1);
      forgotten.unregister(this);
    }
  }

  /** Same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Whether {@link dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Throws if the network was disposed. */
  #checkLive(): void {
    if (this.#disposed) {
      throw new TypeError(
        `This network ("${this.spec}") was disposed and its memory given back; ` +
          "create or load a new one",
      );
    }
  }

  /**
   * Bytes the network holds to run `rows` samples at once: parameters,
   * gradients and state, the converted input, and every layer's work
   * buffers (training adds the input gradients and the loss gradient).
   * Evaluation sizes its chunks from it, and `fit` checks it against a
   * limit before it allocates.
   *
   * @param rows Samples per call (a batch, or an evaluation chunk).
   * @param training Whether for training (backward buffers included).
   * @returns The estimate in bytes.
   * @example A wide layer costs more per sample
   * ```ts
   * import { Network } from "jsr:@x/mnist-dnn";
   * const net = new Network({ sizes: [784, 512, 10], backend: "ts" });
   * console.log(net.memoryBytes(64, true) > net.memoryBytes(64)); // true
   * ```
   */
  memoryBytes(rows: number, training: boolean = false): number {
    let floats = 2 * this.params.length + this.state.length + rows * this.inputSize;
    if (training) floats += rows * this.outputSize;
    for (const layer of this.layers) floats += layer.workFloats(rows, training);
    return 4 * floats;
  }

  /** Input width (values per sample). */
  get inputSize(): number {
    return this.layers[0].inputSize;
  }

  /** Number of classes. */
  get outputSize(): number {
    return this.layers[this.layers.length - 1].outputSize;
  }

  /** Description of the compute backend (name, instruction set, threads). */
  get backend(): string {
    return this.kernels.description;
  }

  /**
   * The Keras-style summary: one row per layer (name, output shape,
   * parameters) and the totals.
   *
   * @returns The rows, totals and the table as text.
   */
  summary(): NetworkSummary {
    return summarize(this.layers, this.inputShape);
  }

  #checkRows(rows: number, length: number): void {
    this.#checkLive();
    if (!Number.isInteger(rows) || rows < 1) {
      throw new RangeError(`Row count must be a positive integer, got ${rows}`);
    }
    if (length < rows * this.inputSize) {
      throw new RangeError(
        `Input holds ${length} values, but ${rows} rows of ${this.inputSize} need ` +
          `${rows * this.inputSize}`,
      );
    }
  }

  /** Float input of `rows` samples: floats as they are, bytes preprocessed. */
  #input(input: Images, rows: number): Float32Array {
    this.#checkRows(rows, input?.length);
    if (input instanceof Float32Array) {
      checkFinite(input, rows, this.inputSize);
      return input;
    }
    const need = rows * this.inputSize;
    if (this.#floats.length < need) this.#floats = this.#replace(this.#floats, need);
    toFloatImages(input, this.#floats, need, this.preprocessing);
    return this.#floats;
  }

  /** A new work array of `length` floats in place of `old`, which is given back. */
  #replace(old: Float32Array, length: number): Float32Array {
    this.kernels.free(old);
    return this.kernels.allocate(length);
  }

  /** Int32 labels of `rows` samples (Uint8Array labels are widened). */
  #labelsOf(labels: Labels, rows: number): Int32Array {
    if (labels instanceof Int32Array) return labels;
    if (this.#labels.length < rows) this.#labels = new Int32Array(rows);
    toInt32Labels(labels, this.#labels, rows);
    return this.#labels;
  }

  /**
   * Runs the network on `rows` samples.
   *
   * @param input `rows x inputSize` values: floats as the network sees
   *   them, or pixel bytes (`Uint8Array`, `Uint8ClampedArray`), preprocessed.
   * @param rows Number of samples.
   * @param training Training mode (dropout on, batch statistics). Default `false`.
   * @returns The logits, `rows x outputSize`; a view into a work buffer that
   *   the next call overwrites.
   * @throws {TypeError} If `input` is not one of the accepted array types.
   * @throws {RangeError} If `input` is too short.
   */
  forward(input: Images, rows: number, training: boolean = false): Float32Array {
    let x = this.#input(input, rows);
    for (const layer of this.layers) x = layer.forward(x, rows, training);
    return x.subarray(0, rows * this.outputSize);
  }

  /**
   * Forward, loss, backward and one optimizer step on a batch.
   *
   * @param input `rows x inputSize` values (see {@link forward}).
   * @param labels `rows` class indices (`Int32Array` or `Uint8Array`).
   * @param rows Number of samples.
   * @param optimizer The update rule.
   * @returns The batch's summed loss and number of correct predictions.
   * @throws {TypeError} If an array is of the wrong type.
   * @throws {RangeError} If a buffer is too short or a label is out of range.
   */
  trainBatch(
    input: Images,
    labels: Labels,
    rows: number,
    optimizer: Optimizer,
  ): { loss: number; correct: number } {
    this.#stats.fill(0);
    const fold = optimizer.fold();
    if (fold) {
      // Plain SGD folds the update into the gradient kernels (alpha = -lr,
      // beta = 1 - lr * weightDecay): no gradient arena is written or read.
      this.#step(input, labels, rows, { ...fold, direct: true });
    } else {
      this.#step(input, labels, rows, { alpha: 1, beta: 0, direct: false });
      optimizer.step(this.kernels, this.params, this.grads, this.parameterTensors);
    }
    return { loss: this.#stats[0], correct: this.#stats[1] };
  }

  /**
   * Per-sample training: one optimizer step for each of `count` samples, in
   * order (batch size 1).
   *
   * @param input `count x inputSize` values (see {@link forward}).
   * @param labels `count` class indices.
   * @param count Number of samples.
   * @param optimizer The update rule.
   * @returns The summed loss over the samples and the number predicted
   *   correctly (each before its own update).
   * @throws {TypeError} If an array is of the wrong type.
   * @throws {RangeError} If a buffer is too short or a label is out of range.
   */
  trainSamples(
    input: Images,
    labels: Labels,
    count: number,
    optimizer: Optimizer,
  ): { loss: number; correct: number } {
    const x = this.#input(input, count);
    const y = this.#labelsOf(labels, count);
    const mlp = this.#mlp, fold = optimizer.fold();
    if (mlp && this.kernels.mlpSgdSamples && fold) {
      // The native batch-1 fast path: one FFI call for all the samples
      // instead of ~20 per sample: 0.42 vs 0.64 s per MNIST epoch of
      // 784-128-64-10 (AVX-512, 2 threads; README, Performance).
      this.#stats.fill(0);
      this.kernels.mlpSgdSamples(
        this.params,
        mlp.work,
        mlp.sizes,
        mlp.sizes.length - 1,
        x,
        y,
        count,
        mlp.code,
        -fold.alpha,
        fold.beta,
        this.#stats,
      );
      return { loss: this.#stats[0], correct: this.#stats[1] };
    }
    return this.trainSamplesGeneric(x, y, count, optimizer);
  }

  /**
   * {@link trainSamples} through the layers, one sample at a time, without
   * the native fast path (the reference the fast path is tested against).
   *
   * @param input `count x inputSize` floats.
   * @param labels `count` class indices.
   * @param count Number of samples.
   * @param optimizer The update rule.
   * @returns As {@link trainSamples}.
   */
  trainSamplesGeneric(
    input: Float32Array,
    labels: Int32Array,
    count: number,
    optimizer: Optimizer,
  ): { loss: number; correct: number } {
    this.#checkRows(count, input.length);
    const width = this.inputSize;
    if (this.#sample.length !== width) this.#sample = this.#replace(this.#sample, width);
    let loss = 0, correct = 0;
    for (let s = 0; s < count; s++) {
      this.#sample.set(input.subarray(s * width, (s + 1) * width));
      this.#sampleLabel[0] = labels[s];
      const r = this.trainBatch(this.#sample, this.#sampleLabel, 1, optimizer);
      loss += r.loss, correct += r.correct;
    }
    return { loss, correct };
  }

  /**
   * Computes the gradients of the batch's mean loss into {@link grads}
   * without updating parameters (for gradient checks and custom loops).
   *
   * @param input `rows x inputSize` values (see {@link forward}).
   * @param labels `rows` class indices.
   * @param rows Number of samples.
   * @returns The batch's summed loss and number of correct predictions.
   * @throws {TypeError} If an array is of the wrong type.
   * @throws {RangeError} If a buffer is too short or a label is out of range.
   */
  computeGradients(
    input: Images,
    labels: Labels,
    rows: number,
  ): { loss: number; correct: number } {
    this.#stats.fill(0);
    this.#step(input, labels, rows, { alpha: 1, beta: 0, direct: false });
    return { loss: this.#stats[0], correct: this.#stats[1] };
  }

  /** Forward in training mode, loss, and backward into `target`. */
  #step(input: Images, labels: Labels, rows: number, target: GradientTarget): void {
    const y = this.#labelsOf(labels, rows);
    const logits = this.forward(input, rows, true);
    const classes = this.outputSize;
    if (this.#logitGrad.length < rows * classes) {
      this.#logitGrad = this.#replace(this.#logitGrad, rows * classes);
    }
    this.kernels.softmaxCrossEntropy(
      logits,
      y,
      this.#logitGrad,
      rows,
      classes,
      1 / rows,
      this.#stats,
    );
    let dy: Float32Array | undefined = this.#logitGrad;
    for (let l = this.layers.length - 1; l >= 0; l--) {
      dy = this.layers[l].backward(dy!, rows, target, l > 0);
    }
  }

  /** The sizes and activation of a plain dense stack, if this network is one. */
  #denseStack(): { sizes: Int32Array; code: number; work: Float32Array } | undefined {
    const layers = this.layers;
    if (!layers.every((l) => l instanceof Dense) || layers.length > MLP_MAX_LAYERS) {
      return undefined;
    }
    const dense = layers as readonly Dense[];
    const hidden = dense.slice(0, -1).map((l) => l.activation);
    if (hidden.some((a) => a !== hidden[0] || a === "identity")) return undefined;
    const sizes = Int32Array.from([this.inputSize, ...dense.map((l) => l.units)]);
    const work = this.kernels.allocate(mlpWorkSize(sizes, sizes.length - 1));
    return { sizes, code: ACTIVATION_CODES[hidden[0] ?? "identity"], work };
  }

  /**
   * Class probabilities for each sample.
   *
   * @param input Samples, `count x inputSize`: floats as the network sees
   *   them, or pixel bytes (`Uint8Array`, `Uint8ClampedArray`), preprocessed.
   * @returns `count x outputSize` probabilities (a new array).
   * @throws {TypeError} If `input` is not one of those array types.
   * @throws {RangeError} If the input is not a whole number of samples.
   */
  predictProba(input: Images): Float32Array {
    this.#checkLive();
    return predictProba(this, input);
  }

  /**
   * The most likely class of each sample.
   *
   * @param input Samples, as for {@link predictProba}.
   * @returns One class index per sample.
   * @throws {TypeError} If `input` is not one of the accepted array types.
   * @throws {RangeError} If the input is not a whole number of samples.
   */
  predict(input: Images): Int32Array {
    this.#checkLive();
    return predict(this, input);
  }

  /**
   * Loss, accuracy and confusion matrix on a labelled dataset.
   *
   * @param data Labelled samples with `rows * cols === inputSize`.
   * @returns The evaluation.
   * @throws {TypeError} If the data is unlabelled or of the wrong width.
   * @throws {RangeError} If the data is empty or its arrays disagree with its count.
   */
  evaluate(data: Dataset): Evaluation {
    this.#checkLive();
    return evaluate(this, data);
  }
}

/** The parameter tensors of `layers`, located in the arena `params` their views share. */
function parameterTensorsOf(layers: readonly Layer[], params: Float32Array): ParameterTensor[] {
  const found: ParameterTensor[] = [];
  layers.forEach((layer, i) => {
    for (const { name, data, decays } of layer.tensors()) {
      if (data.buffer !== params.buffer) continue; // state (running statistics)
      const offset = (data.byteOffset - params.byteOffset) / 4;
      if (offset < 0 || offset >= params.length) continue;
      found.push({
        name: `layers.${i}.${name}`,
        offset,
        length: data.length,
        decays: decays ?? false,
      });
    }
  });
  return found;
}

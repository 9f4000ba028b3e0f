/**
 * The training loop. It never prints: progress reaches the caller through
 * `onBatchEnd` / `onEpochEnd`, which may also stop training early.
 *
 * @module
 */

import { Batcher } from "../data/batcher.ts";
import { affineOf } from "../data/pixel_transform.ts";
import { augmentParams } from "../data/augment.ts";
import { checkDataset, type Dataset, splitDataset } from "../data/dataset.ts";
import type { Evaluation, Network } from "../model/network.ts";
import { markFinite } from "../model/_inputs.ts";
import { wasmHeapUsage } from "../kernels/wasm_kernels.ts";
import { createOptimizer, type Optimizer, type OptimizerName } from "../model/optimizers.ts";
import { Dropout } from "../model/layers/dropout.ts";
import { scheduleFactor } from "./schedules.ts";
import { PLATEAU, type TrainingSettings, trainingSettings } from "./settings.ts";
import { type EpochMetrics, resumeState, type TrainingState } from "./training_state.ts";

export type { EpochMetrics, TrainingState } from "./training_state.ts";
import { watchEarly, watchPlateau } from "./early_stop.ts";

/** Progress within an epoch, passed to `onBatchEnd`. */
export interface BatchProgress {
  /** 1-based epoch number. */
  epoch: number;
  /** 1-based batch number within the epoch. */
  batch: number;
  /** Batches per epoch. */
  batches: number;
  /** Samples seen so far this epoch. */
  samples: number;
  /** Mean loss of this batch. */
  loss: number;
  /** Mean loss so far this epoch. */
  runningLoss: number;
  /** Accuracy so far this epoch. */
  runningAccuracy: number;
  /** Seconds since the epoch started. */
  seconds: number;
}

/**
 * Settings of {@link fit}: the {@link TrainingSettings} (all optional but
 * `epochs`), an optimizer object instead of a name if wanted, the data
 * besides the training set, and the callbacks.
 */
export interface FitOptions extends Partial<Omit<TrainingSettings, "optimizer" | "epochs">> {
  /** Number of passes over the data (in total, counting a resumed run's). */
  epochs: number;
  /**
   * Most memory the run may take, in bytes: the network's parameters,
   * gradients, optimizer state and work buffers for one batch, estimated
   * before anything is allocated (`Network.memoryBytes`). Default 4 GiB;
   * on wasm also what its heap has free.
   */
  memoryLimit?: number;
  /**
   * An optimizer, or the name of one to create from `learningRate`,
   * `momentum`, `weightDecay` and `decay`. Default `"sgd"`.
   */
  optimizer?: OptimizerName | Optimizer;
  /** Evaluated after each epoch when given. */
  validationData?: Dataset;
  /** Scored once at the end ({@link History.test}), and after each epoch with `testEachEpoch`. */
  testData?: Dataset;
  /** Continue a run from a checkpoint's state (see {@link TrainingState}). */
  resume?: TrainingState;
  /**
   * Called after every batch; call `stop()` to end training after it. With
   * `batchSize: 1`, samples are trained in chunks of {@link SAMPLE_CHUNK}
   * per call (same order, same per-sample updates), and this is called once
   * per chunk, with `batch` counting samples. A returned Promise is awaited.
   */
  onBatchEnd?: (progress: BatchProgress, stop: () => void) => unknown;
  /**
   * Called after every epoch with the state a checkpoint needs; call
   * `stop()` to end training. A returned Promise is awaited.
   */
  onEpochEnd?: (
    metrics: EpochMetrics,
    stop: () => void,
    state: TrainingState,
  ) => unknown;
}

/**
 * Training stopped because the loss became NaN or infinite, or an epoch
 * ended confidently wrong at chance accuracy (usually a learning rate too
 * high for the network); the weights are unusable.
 */
export class TrainingDivergedError extends Error {
  /**
   * Creates the error.
   *
   * @param message Where it happened and what to change.
   */
  constructor(message: string) {
    super(message);
    this.name = "TrainingDivergedError";
  }
}

/**
 * Throws a TrainingDivergedError when an epoch ends confidently wrong: a
 * mean loss above four times a uniform guess's (ln classes) with accuracy
 * under twice chance. Diverged runs measured far past both (SGD at lr 100:
 * loss 3.5e28 then 41.7, 9.9% right; sigmoid at lr 1000: 8528, 10.2%; Adam
 * at lr 100: 2.6e8, 10.0%), while slow but sound ones stay near ln classes
 * (SGD at lr 0.001: 2.20, 25.3%; sigmoid at lr 0.01: 2.31, 13.9%).
 */
function checkLearning(metrics: EpochMetrics, samples: number, classes: number): void {
  const uniform = Math.log(classes), loss = metrics.trainLoss, accuracy = metrics.trainAccuracy;
  if (classes < 2 || samples < 20 * classes) return; // too few to tell
  if (loss > 4 * uniform && accuracy < 2 / classes) {
    throw new TrainingDivergedError(
      `Training diverged in epoch ${metrics.epoch}: the loss is ${
        loss.toPrecision(4)
      } (a uniform ` +
        `guess scores ${uniform.toFixed(2)}) and ${(100 * accuracy).toFixed(1)}% of the ` +
        `training samples are right, chance level; the learning rate ` +
        `${metrics.learningRate} is likely too high: lower it`,
    );
  }
}

/** Default {@link FitOptions.memoryLimit}: 4 GiB. */
const MEMORY_LIMIT = 4 * 2 ** 30;

/** Throws a RangeError, before anything is allocated, when a batch would not fit the limit. */
function checkMemory(network: Network, rows: number, options: FitOptions): void {
  const limit = options.memoryLimit ?? MEMORY_LIMIT;
  if (!(limit > 0)) throw new RangeError(`memoryLimit must be > 0 bytes, got ${limit}`);
  // The batch (and its augmented copy) and up to two optimizer arrays.
  const need = network.memoryBytes(rows, true) + 4 * rows * network.inputSize * 2 +
    4 * 2 * network.params.length;
  const heap = network.kernels.name === "wasm" ? wasmHeapUsage() : undefined;
  const free = heap ? heap.capacity - heap.bytes : Infinity;
  const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
  if (need > limit || need > free) {
    throw new RangeError(
      `Training "${network.spec}" at batch ${rows} needs about ${mib(need)} MiB (parameters, ` +
        `optimizer state and work buffers), more than ${
          need > limit
            ? `the ${mib(limit)} MiB memoryLimit`
            : `the ${mib(free)} MiB the wasm heap has free`
        }; use a smaller batch or network${need > limit ? ", or raise memoryLimit" : ""}`,
    );
  }
}

/** Samples per call when training with batch size 1. */
export const SAMPLE_CHUNK = 64;

/** What {@link fit} returns. */
export interface History {
  /** One entry per completed epoch (a resumed run's earlier epochs included). */
  epochs: EpochMetrics[];
  /** True when a callback or early stopping ended training before `epochs`. */
  stopped: boolean;
  /** The epoch whose weights early stopping restored, if any. */
  bestEpoch?: number;
  /** The test data's figures at the end, when `testData` was given. */
  test?: Evaluation;
}

/**
 * Trains `network` on labelled `data` with mini-batch gradient descent.
 *
 * @param network The network; its parameters are updated in place.
 * @param data Labelled training samples (`rows * cols` must equal the input size).
 * @param options Epochs, batch size, optimizer, schedule, validation, callbacks.
 * @returns Per-epoch metrics, and the test figures when `testData` was given.
 * @throws {TypeError} If the data is unlabelled or of the wrong width.
 * @throws {RangeError} If a setting is out of range.
 * @throws {TrainingDivergedError} If the loss becomes NaN or infinite, or an
 *   epoch ends far worse than a uniform guess at chance accuracy.
 * @example Learn a tiny two-class problem
 * ```ts
 * import { fit, Network } from "jsr:@x/mnist-dnn";
 * const data = { images: new Uint8Array([0, 255, 255, 0]), labels: new Uint8Array([1, 0]),
 *   count: 2, rows: 1, cols: 2 };
 * const net = new Network({ sizes: [2, 4, 2], backend: "ts" });
 * const history = await fit(net, data, { epochs: 50, batchSize: 2, learningRate: 0.5 });
 * console.log(history.epochs.at(-1)!.trainAccuracy); // 1
 * ```
 */
export async function fit(
  network: Network,
  data: Dataset,
  options: FitOptions,
): Promise<History> {
  const given = options.optimizer;
  const settings = trainingSettings({
    ...options,
    optimizer: typeof given === "object" ? given.type : given,
    learningRate: typeof given === "object" ? given.learningRate : options.learningRate,
  });
  const { epochs, seed, schedule } = settings;
  checkDataset(data, "train on", network.inputSize, network.outputSize);
  let validation = options.validationData;
  const split = settings.validationSplit;
  if (split !== undefined) {
    if (validation) throw new RangeError("Give validationData or validationSplit, not both");
    const held = Math.round(data.count * split);
    if (held < 1 || held >= data.count) {
      throw new RangeError(
        `validationSplit must leave both parts non-empty (a fraction in (0, 1)), got ${split}`,
      );
    }
    ({ train: data, validation } = splitDataset(data, held, seed));
  }
  if (validation) checkDataset(validation, "validate on", network.inputSize, network.outputSize);
  if (options.testData) {
    checkDataset(options.testData, "test on", network.inputSize, network.outputSize);
  }
  const early = settings.earlyStopping;
  if ((early || settings.reduceOnPlateau) && !validation) {
    throw new RangeError("Early stopping and reduce-on-plateau need validation data");
  }
  const optimizer = typeof given === "object" ? given : createOptimizer({
    type: settings.optimizer,
    learningRate: settings.learningRate,
    momentum: settings.momentum,
    weightDecay: settings.weightDecay,
    decay: settings.decay,
  });
  const plateau = { ...PLATEAU, ...settings.reduceOnPlateau };
  if (settings.augment && (data.rows < 2 || data.cols < 2)) {
    throw new RangeError(
      `Augmentation distorts images, but the samples are ${data.rows}x${data.cols}; ` +
        "give a dataset of 2-D images (a CSV needs a square pixel count)",
    );
  }
  const batchSize = settings.batchSize;
  checkMemory(network, Math.min(batchSize, data.count), options);
  const perSample = batchSize === 1;
  const batcher = new Batcher(data, network.kernels, {
    batchSize: perSample ? SAMPLE_CHUNK : batchSize,
    shuffle: settings.shuffle,
    seed,
    preprocessing: network.preprocessing,
  });
  const batches = Math.ceil(data.count / batchSize);
  // Augmented batches go to their own buffer; the draws of call n of epoch e
  // depend on (seed, (e - 1) * calls + n), so a resumed run draws the same.
  const augment = settings.augment && {
    params: augmentParams(settings.augment, affineOf(network.preprocessing)[1]),
    out: network.kernels.allocate(batcher.input.length),
    seed: (seed ^ 0x5bd1e995) | 0,
    calls: batcher.batchesPerEpoch,
  };
  // Gathered from pixel bytes with a finite affine map: no scan for NaN.
  markFinite(batcher.input);
  if (augment) markFinite(augment.out);
  try {
    const baseRate = optimizer.learningRate;
    const totalSamples = epochs * data.count;
    const warmupSamples = settings.warmupEpochs * data.count;
    const dropouts = network.layers.filter((l): l is Dropout => l instanceof Dropout);
    const state = resumeState(options.resume, network, optimizer, dropouts, early);
    state.settings = settings;
    // Replaying the shuffles of the finished epochs puts the batch order
    // where an uninterrupted run would have it.
    for (let e = 0; e < state.epoch; e++) batcher.startEpoch();
    const history: History = { epochs: state.history, stopped: false };
    const stop = (): void => {
      history.stopped = true;
    };
    for (let epoch = state.epoch + 1; epoch <= epochs && !history.stopped; epoch++) {
      const start = performance.now();
      let lossSum = 0, correct = 0, samples = 0, batch = 0, call = 0;
      batcher.startEpoch();
      for (let rows = batcher.next(); rows > 0; rows = batcher.next(), call++) {
        let input = batcher.input;
        if (augment) {
          const counter = ((epoch - 1) * augment.calls + call) | 0;
          network.kernels.augment(
            augment.out,
            input,
            rows,
            data.rows,
            data.cols,
            augment.params,
            augment.seed,
            counter,
          );
          input = augment.out;
        }
        const done = (epoch - 1) * data.count + samples;
        optimizer.learningRate = baseRate * state.plateau.factor *
          scheduleFactor(schedule, done / totalSamples, epoch - 1, settings) *
          (done < warmupSamples ? (done + rows) / warmupSamples : 1);
        const result = perSample
          ? network.trainSamples(input, batcher.labels, rows, optimizer)
          : network.trainBatch(input, batcher.labels, rows, optimizer);
        if (!Number.isFinite(result.loss)) {
          throw new TrainingDivergedError(
            `Training diverged at epoch ${epoch}, batch ${batch + 1}: the loss is ${result.loss} ` +
              `(learning rate ${optimizer.learningRate}); lower the learning rate`,
          );
        }
        lossSum += result.loss;
        correct += result.correct;
        samples += rows;
        batch += perSample ? rows : 1;
        if (options.onBatchEnd) {
          const pending = options.onBatchEnd({
            epoch,
            batch,
            batches,
            samples,
            loss: result.loss / rows,
            runningLoss: lossSum / samples,
            runningAccuracy: correct / samples,
            seconds: (performance.now() - start) / 1000,
          }, stop);
          // Any thenable is awaited, not only a native Promise.
          if (typeof (pending as PromiseLike<void> | undefined)?.then === "function") {
            await pending;
          }
        }
        if (history.stopped) break;
      }
      const metrics: EpochMetrics = {
        epoch,
        seconds: (performance.now() - start) / 1000,
        trainLoss: samples ? lossSum / samples : NaN,
        trainAccuracy: samples ? correct / samples : NaN,
        learningRate: optimizer.learningRate,
      };
      checkLearning(metrics, samples, network.outputSize);
      if (validation) {
        const v = network.evaluate(validation);
        metrics.validationLoss = v.loss;
        metrics.validationAccuracy = v.accuracy;
        watchPlateau(state.plateau, v.loss, settings.reduceOnPlateau && plateau);
        if (early && watchEarly(state.early, early, v, epoch, network)) stop();
      }
      if (options.testData && settings.testEachEpoch) {
        const t = network.evaluate(options.testData);
        metrics.testLoss = t.loss;
        metrics.testAccuracy = t.accuracy;
      }
      history.epochs.push(metrics);
      state.epoch = epoch;
      state.optimizer = { type: optimizer.type, ...optimizer.state };
      state.dropoutCounters = dropouts.map((d) => d.counter);
      if (options.onEpochEnd) await options.onEpochEnd(metrics, stop, state);
    }
    if (early && (early.restoreBest ?? true) && state.early.params && state.early.state) {
      network.params.set(state.early.params);
      network.state.set(state.early.state);
      history.bestEpoch = state.early.epoch;
    }
    if (options.testData) history.test = network.evaluate(options.testData);
    return history;
  } finally {
    // Batch buffers live in the backend's memory (not garbage-collected on wasm).
    batcher.dispose();
    if (augment) network.kernels.free(augment.out);
    // An optimizer made here from a name is used by no one else.
    if (typeof options.optimizer !== "object") optimizer.dispose();
  }
}

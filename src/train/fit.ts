/**
 * The training loop. It never prints: progress reaches the caller through
 * `onBatchEnd` / `onEpochEnd`, which may also stop training early.
 *
 * @module
 */

import { Batcher } from "../data/batcher.ts";
import { checkDataset, type Dataset } from "../data/dataset.ts";
import type { Network } from "../model/network.ts";
import { createOptimizer, type Optimizer, type OptimizerName } from "../model/optimizers.ts";

/** Metrics of one finished epoch. */
export interface EpochMetrics {
  /** 1-based epoch number. */
  epoch: number;
  /** Wall-clock seconds of the epoch's training (validation excluded). */
  seconds: number;
  /** Mean training loss over the epoch (running, as the weights changed). */
  trainLoss: number;
  /** Training accuracy over the epoch (running). */
  trainAccuracy: number;
  /** Loss on the validation data after the epoch, if given. */
  validationLoss?: number;
  /** Accuracy on the validation data after the epoch, if given. */
  validationAccuracy?: number;
}

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

/** Settings of {@link fit}. */
export interface FitOptions {
  /** Number of passes over the data. */
  epochs: number;
  /** Samples per update (1 = per-sample SGD). Default 64. */
  batchSize?: number;
  /** An optimizer, or the name of one to create. Default `"sgd"`. */
  optimizer?: OptimizerName | Optimizer;
  /** Learning rate when `optimizer` is a name. Default 0.1. */
  learningRate?: number;
  /** Momentum when `optimizer` is `"momentum"`. Default 0.9. */
  momentum?: number;
  /** L2 weight decay when `optimizer` is a name. Default 0. */
  weightDecay?: number;
  /**
   * Learning-rate schedule over the whole run: `"constant"` (default),
   * `"linear"` (decays to 0 at the last step) or `"cosine"` (half-cosine
   * to 0). The optimizer's `learningRate` is the starting rate.
   */
  schedule?: Schedule;
  /** Seed of the per-epoch shuffles. Default 1. */
  seed?: number;
  /** Reshuffle every epoch. Default `true`. */
  shuffle?: boolean;
  /** Evaluated after each epoch when given. */
  validationData?: Dataset;
  /**
   * Called after every batch; call `stop()` to end training after it. With
   * `batchSize: 1`, samples are trained in chunks of {@link SAMPLE_CHUNK}
   * per call (same order, same per-sample updates), and this is called once
   * per chunk, with `batch` counting samples.
   */
  onBatchEnd?: (progress: BatchProgress, stop: () => void) => void;
  /** Called after every epoch; call `stop()` to end training. */
  onEpochEnd?: (metrics: EpochMetrics, stop: () => void) => void;
}

/** Learning-rate schedules accepted by {@link fit}. */
export type Schedule = "constant" | "linear" | "cosine";

/** All schedule names, for validation and help texts. */
export const SCHEDULES: readonly Schedule[] = Object.freeze(["constant", "linear", "cosine"]);

/**
 * The fraction of the starting learning rate a schedule gives at `progress`
 * (0 at the first step, 1 after the last).
 *
 * @param schedule The schedule.
 * @param progress Fraction of the run completed, in [0, 1].
 * @returns The multiplier, in [0, 1].
 * @example Halfway through a linear decay
 * ```ts
 * import { scheduleFactor } from "jsr:@x/mnist-dnn";
 * console.log(scheduleFactor("linear", 0.5)); // 0.5
 * ```
 */
export function scheduleFactor(schedule: Schedule, progress: number): number {
  switch (schedule) {
    case "constant":
      return 1;
    case "linear":
      return 1 - progress;
    case "cosine":
      return 0.5 * (1 + Math.cos(Math.PI * progress));
    default:
      throw new RangeError(
        `Unknown schedule "${schedule}" (expected one of ${SCHEDULES.join(", ")})`,
      );
  }
}

/**
 * Training stopped because the loss became NaN or infinite (usually a
 * learning rate too high for the network); the weights are unusable.
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

/** Samples per call when training with batch size 1. */
export const SAMPLE_CHUNK = 64;

/** What {@link fit} returns. */
export interface History {
  /** One entry per completed epoch. */
  epochs: EpochMetrics[];
  /** True when a callback stopped training early. */
  stopped: boolean;
}

/**
 * Trains `network` on labelled `data` with mini-batch gradient descent.
 *
 * @param network The network; its parameters are updated in place.
 * @param data Labelled training samples (`rows * cols` must equal the input size).
 * @param options Epochs, batch size, optimizer, callbacks.
 * @returns Per-epoch metrics.
 * @throws {TypeError} If the data is unlabelled or of the wrong width.
 * @throws {RangeError} If a setting is out of range.
 * @example Learn a tiny two-class problem
 * ```ts
 * import { Network } from "jsr:@x/mnist-dnn";
 * import { fit } from "jsr:@x/mnist-dnn";
 * const data = { images: new Uint8Array([0, 255, 255, 0]), labels: new Uint8Array([1, 0]),
 *   count: 2, rows: 1, cols: 2 };
 * const net = new Network({ sizes: [2, 4, 2], backend: "ts" });
 * const history = fit(net, data, { epochs: 50, batchSize: 2, learningRate: 0.5 });
 * console.log(history.epochs.at(-1)!.trainAccuracy); // 1
 * ```
 */
export function fit(network: Network, data: Dataset, options: FitOptions): History {
  const { epochs } = options;
  if (!Number.isInteger(epochs) || epochs < 0) {
    throw new RangeError(`Epochs must be a non-negative integer, got ${epochs}`);
  }
  checkDataset(data, "train on", network.inputSize, network.outputSize);
  if (options.validationData) {
    checkDataset(options.validationData, "validate on", network.inputSize, network.outputSize);
  }
  const optimizer = typeof options.optimizer === "object" ? options.optimizer : createOptimizer({
    type: options.optimizer ?? "sgd",
    learningRate: options.learningRate ?? 0.1,
    momentum: options.momentum,
    weightDecay: options.weightDecay,
  });
  const batchSize = options.batchSize ?? 64;
  const perSample = batchSize === 1;
  const batcher = new Batcher(data, network.kernels, {
    batchSize: perSample ? SAMPLE_CHUNK : batchSize,
    shuffle: options.shuffle,
    seed: options.seed,
    preprocessing: network.preprocessing,
  });
  const batches = Math.ceil(data.count / batchSize);
  const schedule = options.schedule ?? "constant";
  const baseRate = optimizer.learningRate;
  const totalSamples = epochs * data.count;
  if (!SCHEDULES.includes(schedule)) {
    throw new RangeError(
      `Unknown schedule "${schedule}" (expected one of ${SCHEDULES.join(", ")})`,
    );
  }
  const history: History = { epochs: [], stopped: false };
  const stop = (): void => {
    history.stopped = true;
  };
  for (let epoch = 1; epoch <= epochs && !history.stopped; epoch++) {
    const start = performance.now();
    let lossSum = 0, correct = 0, samples = 0, batch = 0;
    batcher.startEpoch();
    for (let rows = batcher.next(); rows > 0; rows = batcher.next()) {
      if (schedule !== "constant") {
        const done = (epoch - 1) * data.count + samples;
        optimizer.learningRate = baseRate * scheduleFactor(schedule, done / totalSamples);
      }
      const result = perSample
        ? network.trainSamples(batcher.input, batcher.labels, rows, optimizer)
        : network.trainBatch(batcher.input, batcher.labels, rows, optimizer);
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
      options.onBatchEnd?.({
        epoch,
        batch,
        batches,
        samples,
        loss: result.loss / rows,
        runningLoss: lossSum / samples,
        runningAccuracy: correct / samples,
        seconds: (performance.now() - start) / 1000,
      }, stop);
      if (history.stopped) break;
    }
    const metrics: EpochMetrics = {
      epoch,
      seconds: (performance.now() - start) / 1000,
      trainLoss: samples ? lossSum / samples : NaN,
      trainAccuracy: samples ? correct / samples : NaN,
    };
    if (options.validationData) {
      const v = network.evaluate(options.validationData);
      metrics.validationLoss = v.loss;
      metrics.validationAccuracy = v.accuracy;
    }
    history.epochs.push(metrics);
    options.onEpochEnd?.(metrics, stop);
  }
  return history;
}

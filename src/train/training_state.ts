/**
 * The state of a training run between epochs: the metrics so far and
 * everything a checkpoint needs to continue exactly where the run stopped.
 *
 * @module
 */

import type { Network } from "../model/network.ts";
import type { Optimizer, OptimizerName } from "../model/optimizers.ts";
import type { Dropout } from "../model/layers/dropout.ts";
import type { EarlyStopping } from "./early_stop.ts";
import type { TrainingSettings } from "./settings.ts";

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
  /** Test loss after the epoch (with `testEachEpoch`). */
  testLoss?: number;
  /** Test accuracy after the epoch (with `testEachEpoch`). */
  testAccuracy?: number;
  /** Learning rate of the epoch's last step. */
  learningRate: number;
}

/**
 * Everything needed to continue a run exactly where it stopped: saved by
 * `saveCheckpoint`, passed back to {@link fit} as `resume`.
 */
export interface TrainingState {
  /** Epochs completed. */
  epoch: number;
  /** The network's seed (its dropout masks follow it). */
  seed: number;
  /** The optimizer's rule, step count and arrays (velocity, moments). */
  optimizer: { type: OptimizerName; steps: number; arrays: Float32Array[] };
  /** Step counters of the dropout layers, in layer order. */
  dropoutCounters: number[];
  /** Reduce-on-plateau: current factor, best loss, epochs waited. */
  plateau: { factor: number; best: number; wait: number };
  /** Early stopping: best figure, epochs waited, best epoch and its weights. */
  early: { best: number; wait: number; epoch: number; params?: Float32Array; state?: Float32Array };
  /** Metrics of the epochs so far. */
  history: EpochMetrics[];
  /** The run's settings (`fit` fills them in; checkpoints store them). */
  settings?: TrainingSettings;
}

/** The state a run starts from: fresh, or `resume` applied to the optimizer and layers. */
export function resumeState(
  resume: TrainingState | undefined,
  network: Network,
  optimizer: Optimizer,
  dropouts: Dropout[],
  early: EarlyStopping | undefined,
): TrainingState {
  if (!resume) {
    return {
      epoch: 0,
      seed: network.seed,
      optimizer: { type: optimizer.type, steps: 0, arrays: [] },
      dropoutCounters: dropouts.map((d) => d.counter),
      plateau: { factor: 1, best: Infinity, wait: 0 },
      early: { best: early?.monitor === "accuracy" ? -Infinity : Infinity, wait: 0, epoch: 0 },
      history: [],
    };
  }
  if (resume.seed !== network.seed) {
    throw new RangeError(
      `The checkpoint's network has seed ${resume.seed}, this one ${network.seed}; ` +
        "resume with the network loadCheckpoint returns",
    );
  }
  if (resume.optimizer.type !== optimizer.type) {
    throw new RangeError(
      `The checkpoint was trained with ${resume.optimizer.type}, not ${optimizer.type}; ` +
        "resume with the same optimizer",
    );
  }
  if (resume.dropoutCounters.length !== dropouts.length) {
    throw new RangeError(
      `The checkpoint has ${resume.dropoutCounters.length} dropout layers, the network ` +
        `${dropouts.length}`,
    );
  }
  if (resume.optimizer.steps > 0) {
    optimizer.restore(resume.optimizer.steps, resume.optimizer.arrays);
  }
  dropouts.forEach((d, i) => d.counter = resume.dropoutCounters[i]);
  return {
    ...resume,
    plateau: { ...resume.plateau },
    early: { ...resume.early },
    history: resume.history.slice(),
  };
}

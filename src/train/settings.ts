/**
 * The settings of a training run, in one serializable type: what `fit`
 * takes besides the data and the callbacks. A preset is an architecture plus
 * a partial of it, the CLI fills it from one table of flags, and checkpoints
 * store it, so a resumed run continues with exactly the same settings.
 *
 * @module
 */

import type { AugmentName, AugmentOptions } from "../data/augment.ts";
import { createOptimizer, type DecayGroup, type OptimizerName } from "../model/optimizers.ts";
import type { EarlyStopping, ReduceOnPlateau } from "./early_stop.ts";
import { type Schedule, scheduleFactor } from "./schedules.ts";

/** How a run trains: plain JSON, stored in checkpoints. */
export interface TrainingSettings {
  /** Passes over the data (in total, counting a resumed run's). */
  epochs: number;
  /** Samples per update (1 = per-sample SGD). Default 64. */
  batchSize: number;
  /** The update rule. Default `"sgd"`. */
  optimizer: OptimizerName;
  /** The starting learning rate. Default 0.1. */
  learningRate: number;
  /** Momentum of `momentum` and `nesterov`. Default 0.9. */
  momentum: number;
  /** Weight decay (L2; decoupled for `adamw` and `lamb`). Default: the optimizer's (0; `adamw` 0.01). */
  weightDecay?: number;
  /** Which parameters weight decay applies to. Default `"all"`. */
  decay: DecayGroup;
  /**
   * Learning-rate schedule: `"constant"` (default), `"linear"` or `"cosine"`
   * decay to 0 over the whole run, `"step"` (times `gamma` every `stepSize`
   * epochs) or `"exponential"` (times `gamma` every epoch).
   */
  schedule: Schedule;
  /** Epochs between decays of `step`. Default 10. */
  stepSize?: number;
  /** Factor per decay: `step` default 0.1, `exponential` (per epoch) default 0.95. */
  gamma?: number;
  /** Linear warm-up from 0 over this many epochs (fractions allowed), on top of the schedule. Default 0. */
  warmupEpochs: number;
  /** Scale the rate when the validation loss stops improving (needs validation data). */
  reduceOnPlateau?: ReduceOnPlateau;
  /** Seed of the per-epoch shuffles, the validation split and augmentation. Default 1. */
  seed: number;
  /** Reshuffle every epoch. Default `true`. */
  shuffle: boolean;
  /** Hold out this fraction of the training data (seeded) for validation. */
  validationSplit?: number;
  /** Stop when the validation figure stops improving. */
  earlyStopping?: EarlyStopping;
  /** Score the test data after every epoch, not only at the end. Default `false`. */
  testEachEpoch: boolean;
  /** Augment every training batch (a named strength or settings). */
  augment?: AugmentName | AugmentOptions;
}

/** The defaults of every setting that has one. */
export const DEFAULT_SETTINGS: Readonly<TrainingSettings> = Object.freeze({
  epochs: 10,
  batchSize: 64,
  optimizer: "sgd",
  learningRate: 0.1,
  momentum: 0.9,
  decay: "all",
  schedule: "constant",
  warmupEpochs: 0,
  seed: 1,
  shuffle: true,
  testEachEpoch: false,
});

/** The name of every setting, defaults or not. */
export const SETTING_KEYS: readonly (keyof TrainingSettings)[] = Object.freeze([
  ...(Object.keys(DEFAULT_SETTINGS) as (keyof TrainingSettings)[]),
  "weightDecay",
  "stepSize",
  "gamma",
  "reduceOnPlateau",
  "validationSplit",
  "earlyStopping",
  "augment",
]);

/** Reduce-on-plateau's defaults: scale by 0.1 after 2 flat epochs. */
export const PLATEAU: Readonly<Required<ReduceOnPlateau>> = Object.freeze({
  patience: 2,
  factor: 0.1,
  minDelta: 0,
});

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(message);
}

/**
 * Completes and checks training settings: the defaults where a setting is
 * absent, every value range-checked, keys that are not settings dropped.
 *
 * @param given Some or all settings (other keys, such as `fit`'s callbacks, are ignored).
 * @returns A complete, plain-JSON copy.
 * @throws {RangeError} If a setting is out of range or names nothing known.
 * @example The defaults with a different optimizer
 * ```ts
 * import { trainingSettings } from "jsr:@x/mnist-dnn";
 * const s = trainingSettings({ optimizer: "adam", learningRate: 1e-3 });
 * console.log(s.optimizer, s.batchSize, s.schedule); // adam 64 constant
 * ```
 */
export function trainingSettings(given: Partial<TrainingSettings>): TrainingSettings {
  const settings = { ...DEFAULT_SETTINGS } as TrainingSettings;
  for (const key of SETTING_KEYS) {
    const value = given[key];
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  const s = settings;
  check(
    Number.isInteger(s.epochs) && s.epochs >= 0,
    `Epochs must be a non-negative integer, got ${s.epochs}`,
  );
  check(
    Number.isInteger(s.batchSize) && s.batchSize >= 1,
    `The batch size must be an integer >= 1, got ${s.batchSize}`,
  );
  // The optimizer checks its own settings (name, rate, momentum, decay).
  createOptimizer({
    type: s.optimizer,
    learningRate: s.learningRate,
    momentum: s.momentum,
    weightDecay: s.weightDecay,
    decay: s.decay,
  }).dispose();
  scheduleFactor(s.schedule, 0, 0, s); // validates the name, step size and gamma
  check(
    s.warmupEpochs >= 0 && Number.isFinite(s.warmupEpochs),
    `warmupEpochs must be >= 0, got ${s.warmupEpochs}`,
  );
  check(Number.isSafeInteger(s.seed), `The seed must be an integer, got ${s.seed}`);
  check(typeof s.shuffle === "boolean", `shuffle must be true or false, got ${s.shuffle}`);
  check(
    typeof s.testEachEpoch === "boolean",
    `testEachEpoch must be true or false, got ${s.testEachEpoch}`,
  );
  const split = s.validationSplit;
  check(
    split === undefined || (split > 0 && split < 1),
    `validationSplit must leave both parts non-empty (a fraction in (0, 1)), got ${split}`,
  );
  const early = s.earlyStopping;
  if (early) {
    check(
      Number.isInteger(early.patience) && early.patience >= 1,
      `Early stopping patience must be an integer >= 1, got ${early.patience}`,
    );
    s.earlyStopping = { ...early };
  }
  if (s.reduceOnPlateau) {
    const plateau = { ...PLATEAU, ...s.reduceOnPlateau };
    check(
      plateau.factor > 0 && plateau.factor < 1 && plateau.patience >= 1,
      `reduceOnPlateau needs patience >= 1 and factor in (0, 1), got ${plateau.patience}, ` +
        `${plateau.factor}`,
    );
    s.reduceOnPlateau = { ...s.reduceOnPlateau };
  }
  if (typeof s.augment === "object") s.augment = { ...s.augment };
  return s;
}

/**
 * Learning-rate schedules: the factor of the starting rate at a point of
 * the run. `fit` multiplies it with the linear warm-up and the
 * reduce-on-plateau factor.
 *
 * @module
 */

/** Learning-rate schedules accepted by `fit` and the CLI. */
export type Schedule = "constant" | "linear" | "cosine" | "step" | "exponential";

/** All schedule names, for validation and help texts. */
export const SCHEDULES: readonly Schedule[] = Object.freeze([
  "constant",
  "linear",
  "cosine",
  "step",
  "exponential",
]);

/** Settings of the epoch-based schedules (PyTorch's StepLR and ExponentialLR). */
export interface StepOptions {
  /** Epochs between decays of `step`. Default 10. */
  stepSize?: number;
  /** Factor per decay: `step` default 0.1, `exponential` (per epoch) default 0.95. */
  gamma?: number;
}

/**
 * The fraction of the starting learning rate a schedule gives.
 *
 * @param schedule The schedule.
 * @param progress Fraction of the run completed, in [0, 1] (`linear`, `cosine`).
 * @param epoch 0-based index of the current epoch (`step`, `exponential`).
 * @param options `stepSize` and `gamma` of the epoch-based schedules.
 * @returns The multiplier.
 * @throws {RangeError} For an unknown schedule or a bad step size or gamma.
 * @example Halfway through a linear decay; the third epoch of a step decay
 * ```ts
 * import { scheduleFactor } from "jsr:@x/mnist-dnn";
 * console.log(scheduleFactor("linear", 0.5)); // 0.5
 * console.log(scheduleFactor("step", 0, 2, { stepSize: 2, gamma: 0.5 })); // 0.5
 * ```
 */
export function scheduleFactor(
  schedule: Schedule,
  progress: number,
  epoch = 0,
  options: StepOptions = {},
): number {
  switch (schedule) {
    case "constant":
      return 1;
    case "linear":
      return 1 - progress;
    case "cosine":
      return 0.5 * (1 + Math.cos(Math.PI * progress));
    case "step": {
      const { stepSize = 10, gamma = 0.1 } = options;
      checkStep(stepSize, gamma);
      return gamma ** Math.floor(epoch / stepSize);
    }
    case "exponential": {
      const { gamma = 0.95 } = options;
      checkStep(1, gamma);
      return gamma ** epoch;
    }
    default:
      throw new RangeError(
        `Unknown schedule "${schedule}" (expected one of ${SCHEDULES.join(", ")})`,
      );
  }
}

function checkStep(stepSize: number, gamma: number): void {
  if (!(Number.isInteger(stepSize) && stepSize >= 1)) {
    throw new RangeError(`The step size must be a positive integer of epochs, got ${stepSize}`);
  }
  if (!(gamma > 0 && gamma <= 1)) throw new RangeError(`gamma must be in (0, 1], got ${gamma}`);
}

/**
 * Optimizers: update rules applied to the whole parameter arena in one
 * kernel call per step.
 *
 * @module
 */

import type { Kernels } from "../kernels/kernels.ts";

/** Optimizer names accepted by {@link createOptimizer} and the CLI. */
export type OptimizerName = "sgd" | "momentum" | "adam";

/** All optimizer names, for validation and help texts. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze(["sgd", "momentum", "adam"]);

/** Settings of an optimizer. */
export interface OptimizerOptions {
  /** Which rule. */
  type: OptimizerName;
  /** Step size (> 0). */
  learningRate: number;
  /** Momentum coefficient in [0, 1) (`momentum` only). Default 0.9. */
  momentum?: number;
  /** Nesterov momentum (`momentum` only). Default `false`. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Adam's first-moment decay. Default 0.9. */
  beta1?: number;
  /** Adam's second-moment decay. Default 0.999. */
  beta2?: number;
  /** Adam's denominator guard. Default 1e-8. */
  epsilon?: number;
}

/** An update rule with its state (e.g. velocity). */
export interface Optimizer {
  /** Which rule this is. */
  readonly type: OptimizerName;
  /** Step size; may be changed between steps (schedules). */
  learningRate: number;
  /** L2 penalty added to the gradient. */
  readonly weightDecay: number;
  /**
   * Applies one update to `params` from `grads` (equal lengths).
   *
   * @param kernels The backend to compute with.
   * @param params Parameter arena, updated in place.
   * @param grads Gradient arena.
   */
  step(kernels: Kernels, params: Float32Array, grads: Float32Array): void;
}

/**
 * Creates an optimizer.
 *
 * @param options The rule and its settings.
 * @returns A fresh optimizer (momentum state starts at zero).
 * @throws {RangeError} If a setting is out of range.
 * @example SGD with momentum
 * ```ts
 * import { createOptimizer } from "jsr:@x/mnist-dnn";
 * const opt = createOptimizer({ type: "momentum", learningRate: 0.05, momentum: 0.9 });
 * console.log(opt.type, opt.learningRate); // momentum 0.05
 * ```
 */
export function createOptimizer(options: OptimizerOptions): Optimizer {
  const { type, learningRate } = options;
  const weightDecay = options.weightDecay ?? 0;
  if (!(learningRate > 0 && Number.isFinite(learningRate))) {
    throw new RangeError(`Learning rate must be a positive number, got ${learningRate}`);
  }
  if (!(weightDecay >= 0 && Number.isFinite(weightDecay))) {
    throw new RangeError(`Weight decay must be a non-negative number, got ${weightDecay}`);
  }
  switch (type) {
    case "sgd":
      return {
        type,
        learningRate,
        weightDecay,
        step(kernels, params, grads): void {
          kernels.sgdStep(params, grads, params.length, this.learningRate, weightDecay);
        },
      };
    case "momentum": {
      const momentum = options.momentum ?? 0.9;
      const nesterov = options.nesterov ?? false;
      if (!(momentum >= 0 && momentum < 1)) {
        throw new RangeError(`Momentum must be in [0, 1), got ${momentum}`);
      }
      let velocity: Float32Array = new Float32Array(0);
      return {
        type,
        learningRate,
        weightDecay,
        step(kernels, params, grads): void {
          if (velocity.length !== params.length) velocity = kernels.allocate(params.length);
          kernels.momentumStep(
            params,
            grads,
            velocity,
            params.length,
            this.learningRate,
            momentum,
            weightDecay,
            nesterov,
          );
        },
      };
    }
    case "adam": {
      const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999;
      const epsilon = options.epsilon ?? 1e-8;
      if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && epsilon > 0)) {
        throw new RangeError(
          `Adam needs beta1, beta2 in [0, 1) and epsilon > 0, got ${beta1}, ${beta2}, ${epsilon}`,
        );
      }
      let m: Float32Array = new Float32Array(0), v: Float32Array = new Float32Array(0), t = 0;
      return {
        type,
        learningRate,
        weightDecay,
        step(kernels, params, grads): void {
          if (m.length !== params.length) {
            m = kernels.allocate(params.length);
            v = kernels.allocate(params.length);
            t = 0;
          }
          t++;
          const root = Math.sqrt(1 - beta2 ** t);
          const lrT = (this.learningRate * root) / (1 - beta1 ** t);
          kernels.adamStep(
            params,
            grads,
            m,
            v,
            params.length,
            lrT,
            beta1,
            beta2,
            epsilon * root,
            weightDecay,
          );
        },
      };
    }
    default:
      throw new RangeError(
        `Unknown optimizer "${type}" (expected one of ${OPTIMIZER_NAMES.join(", ")})`,
      );
  }
}

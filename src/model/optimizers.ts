/**
 * Optimizers: update rules applied to the whole parameter arena in one
 * kernel call per step.
 *
 * @module
 */

import type { Kernels } from "../kernels/kernels.ts";

/** Optimizer names accepted by {@link createOptimizer} and the CLI. */
export type OptimizerName =
  | "sgd"
  | "momentum"
  | "nesterov"
  | "adam"
  | "adamw"
  | "rmsprop"
  | "adagrad";

/** All optimizer names, for validation and help texts. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze([
  "sgd",
  "momentum",
  "nesterov",
  "adam",
  "adamw",
  "rmsprop",
  "adagrad",
]);

/** Settings of an optimizer (PyTorch's names and defaults). */
export interface OptimizerOptions {
  /** Which rule. */
  type: OptimizerName;
  /** Step size (> 0). */
  learningRate: number;
  /** Momentum coefficient in [0, 1) (`momentum`, `nesterov`). Default 0.9. */
  momentum?: number;
  /** Nesterov momentum (`momentum`; `nesterov` is `momentum` with this set). Default `false`. */
  nesterov?: boolean;
  /**
   * Weight decay: an L2 penalty added to the gradient, or for `adamw` the
   * decoupled decay `p -= lr * weightDecay * p`. Default 0 (`adamw`: 0.01).
   */
  weightDecay?: number;
  /** Adam's first-moment decay. Default 0.9. */
  beta1?: number;
  /** Adam's second-moment decay. Default 0.999. */
  beta2?: number;
  /** RMSprop's squared-gradient decay. Default 0.99. */
  alpha?: number;
  /** Denominator guard. Default 1e-8 (AdaGrad: 1e-10). */
  epsilon?: number;
}

/** An update rule with its state (e.g. velocity). */
export interface Optimizer {
  /** Which rule this is. */
  readonly type: OptimizerName;
  /** Step size; may be changed between steps (schedules). */
  learningRate: number;
  /** Weight decay (L2, or decoupled for `adamw`). */
  readonly weightDecay: number;
  /**
   * Applies one update to `params` from `grads` (equal lengths).
   *
   * @param kernels The backend to compute with.
   * @param params Parameter arena, updated in place.
   * @param grads Gradient arena.
   */
  step(kernels: Kernels, params: Float32Array, grads: Float32Array): void;
  /**
   * The rule's state for checkpoints: its step count and its arrays
   * (velocity, moments), empty before the first step.
   */
  readonly state: { steps: number; arrays: Float32Array[] };
  /**
   * Restores state taken from {@link Optimizer.state} of the same rule.
   *
   * @param steps The step count.
   * @param arrays The arrays, each as long as the parameter arena.
   */
  restore(steps: number, arrays: readonly Float32Array[]): void;
  /**
   * Gives the state arrays back to the backend they were allocated on; a
   * later step starts from zero state.
   */
  dispose(): void;
}

function check(ok: boolean, what: string, value: number): void {
  if (!ok) throw new RangeError(`${what}, got ${value}`);
}

/**
 * Creates an optimizer.
 *
 * @param options The rule and its settings.
 * @returns A fresh optimizer (its state starts at zero).
 * @throws {RangeError} If a setting is out of range or the name is unknown.
 * @example SGD with momentum
 * ```ts
 * import { createOptimizer } from "jsr:@x/mnist-dnn";
 * const opt = createOptimizer({ type: "momentum", learningRate: 0.05, momentum: 0.9 });
 * console.log(opt.type, opt.learningRate); // momentum 0.05
 * ```
 */
export function createOptimizer(options: OptimizerOptions): Optimizer {
  const { type, learningRate } = options;
  if (!OPTIMIZER_NAMES.includes(type)) {
    throw new RangeError(
      `Unknown optimizer "${type}" (expected one of ${OPTIMIZER_NAMES.join(", ")})`,
    );
  }
  const weightDecay = options.weightDecay ?? (type === "adamw" ? 0.01 : 0);
  check(
    learningRate > 0 && Number.isFinite(learningRate),
    "Learning rate must be > 0",
    learningRate,
  );
  check(weightDecay >= 0 && Number.isFinite(weightDecay), "Weight decay must be >= 0", weightDecay);
  const momentum = options.momentum ?? 0.9;
  check(momentum >= 0 && momentum < 1, "Momentum must be in [0, 1)", momentum);
  const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999, alpha = options.alpha ?? 0.99;
  check(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1)", beta1);
  check(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1)", beta2);
  check(alpha >= 0 && alpha < 1, "RMSprop's alpha must be in [0, 1)", alpha);
  const epsilon = options.epsilon ?? (type === "adagrad" ? 1e-10 : 1e-8);
  check(epsilon > 0 && Number.isFinite(epsilon), "epsilon must be > 0", epsilon);

  // State: `slots` arrays as long as the arena, allocated on the first step.
  const slots = { sgd: 0, momentum: 1, nesterov: 1, adam: 2, adamw: 2, rmsprop: 1, adagrad: 1 }[
    type
  ];
  let arrays: Float32Array[] = [], steps = 0, owner: Kernels | undefined;
  const freeArrays = (): void => {
    for (const array of arrays) owner?.free(array);
    arrays = [];
  };
  let restored: { steps: number; arrays: readonly Float32Array[] } | undefined;
  const update = (k: Kernels, p: Float32Array, g: Float32Array, lr: number): void => {
    const n = p.length;
    switch (type) {
      case "sgd":
        return k.sgdStep(p, g, n, lr, weightDecay);
      case "momentum":
      case "nesterov": {
        const nesterov = type === "nesterov" || (options.nesterov ?? false);
        return k.momentumStep(p, g, arrays[0], n, lr, momentum, weightDecay, nesterov);
      }
      case "adam":
      case "adamw": {
        const root = Math.sqrt(1 - beta2 ** steps), lrT = (lr * root) / (1 - beta1 ** steps);
        const [l2, keep] = type === "adam" ? [weightDecay, 1] : [0, 1 - lr * weightDecay];
        return k.adamStep(
          p,
          g,
          arrays[0],
          arrays[1],
          n,
          lrT,
          beta1,
          beta2,
          epsilon * root,
          l2,
          keep,
        );
      }
      case "rmsprop":
        return k.rmsStep(p, g, arrays[0], n, lr, alpha, 1 - alpha, epsilon, weightDecay);
      case "adagrad":
        return k.rmsStep(p, g, arrays[0], n, lr, 1, 1, epsilon, weightDecay);
    }
  };
  return {
    type,
    learningRate,
    weightDecay,
    step(kernels, params, grads): void {
      if (
        restored || arrays.length !== slots || (slots > 0 && arrays[0].length !== params.length)
      ) {
        // Allocated by the backend (aligned for native); restored state is copied in.
        freeArrays();
        owner = kernels;
        arrays = Array.from({ length: slots }, (_, i) => {
          const array = kernels.allocate(params.length);
          if (restored) array.set(restored.arrays[i]);
          return array;
        });
        steps = restored?.steps ?? 0;
        restored = undefined;
      }
      steps++;
      update(kernels, params, grads, this.learningRate);
    },
    get state(): { steps: number; arrays: Float32Array[] } {
      return { steps, arrays };
    },
    restore(at, saved): void {
      if (saved.length !== slots || !Number.isSafeInteger(at) || at < 0) {
        throw new RangeError(
          `${type} keeps ${slots} state arrays and a step count, got ${saved.length} and ${at}`,
        );
      }
      restored = { steps: at, arrays: saved.map((a) => a.slice()) };
      freeArrays();
      steps = at;
    },
    dispose(): void {
      freeArrays();
      steps = 0;
    },
  };
}

/**
 * Optimizers: update rules over the parameter arena. Element-wise rules
 * make one kernel call per step over the whole arena; the arena's tensors
 * (`ParameterTensor`) are there for rules that need them: LAMB's
 * per-tensor trust ratio, and weight decay on weights only.
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
  | "adagrad"
  | "lamb";

/** All optimizer names, for validation and help texts. */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze([
  "sgd",
  "momentum",
  "nesterov",
  "adam",
  "adamw",
  "rmsprop",
  "adagrad",
  "lamb",
]);

/** Which parameters weight decay applies to: all of them, or weights only (not biases or batch norm). */
export type DecayGroup = "all" | "weights";

/** All decay groups, for validation and help texts. */
export const DECAY_GROUPS: readonly DecayGroup[] = Object.freeze(["all", "weights"]);

/** A parameter tensor: where it sits in the arena and whether weight decay may apply to it. */
export interface ParameterTensor {
  /** Its name, e.g. `"layers.0.weight"`. */
  name: string;
  /** First float of the tensor in the parameter arena. */
  offset: number;
  /** Its number of floats. */
  length: number;
  /** True for weights (dense and conv kernels); false for biases and batch-norm scales and shifts. */
  decays: boolean;
}

/**
 * A step a network may fold into its gradient kernels: every parameter
 * becomes `beta * p + alpha * g`, so no gradient arena is written or read.
 */
export interface SgdFold {
  /** Factor of the gradient (`-learningRate`). */
  alpha: number;
  /** Factor of the parameter (`1 - learningRate * weightDecay`). */
  beta: number;
}

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
  /** Denominator guard. Default 1e-8 (AdaGrad: 1e-10, LAMB: 1e-6). */
  epsilon?: number;
  /** Which parameters weight decay applies to. Default `"all"` (PyTorch's). */
  decay?: DecayGroup;
}

/** An update rule with its state (e.g. velocity). */
export interface Optimizer {
  /** Which rule this is. */
  readonly type: OptimizerName;
  /** Step size; may be changed between steps (schedules). */
  learningRate: number;
  /** Weight decay (L2, or decoupled for `adamw` and `lamb`). */
  readonly weightDecay: number;
  /** Which parameters weight decay applies to. */
  readonly decay: DecayGroup;
  /**
   * The fold of this step into the gradient kernels, when the rule is plain
   * SGD with one decay for every parameter; otherwise `undefined`, and the
   * network computes gradients and calls {@link step}.
   *
   * @returns The factors at the current learning rate, or `undefined`.
   */
  fold(): SgdFold | undefined;
  /**
   * Applies one update to `params` from `grads` (equal lengths).
   *
   * @param kernels The backend to compute with.
   * @param params Parameter arena, updated in place.
   * @param grads Gradient arena.
   * @param tensors The arena's tensors, in order and covering it (a
   *   network's `parameterTensors`); without them the arena is one tensor
   *   to which weight decay applies.
   */
  step(
    kernels: Kernels,
    params: Float32Array,
    grads: Float32Array,
    tensors?: readonly ParameterTensor[],
  ): void;
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

/** Throws unless `tensors` cover `[0, length)` in order without gaps. */
function checkCover(tensors: readonly ParameterTensor[], length: number): void {
  let at = 0;
  for (const t of tensors) {
    if (t.offset !== at || !(Number.isInteger(t.length) && t.length >= 0)) {
      throw new RangeError(
        `Parameter tensor "${t.name}" starts at ${t.offset} with ${t.length} floats; ` +
          `the tensors must cover the arena in order (expected offset ${at})`,
      );
    }
    at += t.length;
  }
  if (at !== length) {
    throw new RangeError(`The parameter tensors cover ${at} floats, but the arena has ${length}`);
  }
}

/** A stretch of the arena the same rule applies to: [from, to), decayed or not. */
interface Run {
  from: number;
  to: number;
  decays: boolean;
}

/**
 * The stretches of the arena a step visits: one per tensor (`merge` off,
 * LAMB's per-tensor rule), or neighbouring tensors merged while their
 * decay agrees (one run for the whole arena when every tensor decays
 * alike). Without tensors the arena is one tensor that decays.
 */
function runsOf(
  tensors: readonly ParameterTensor[] | undefined,
  length: number,
  all: boolean,
  merge: boolean,
): Run[] {
  const runs: Run[] = [];
  for (const t of tensors ?? [{ name: "params", offset: 0, length, decays: true }]) {
    const run = { from: t.offset, to: t.offset + t.length, decays: all || t.decays };
    const last = runs.at(-1);
    if (merge && last && last.decays === run.decays) last.to = run.to;
    else runs.push(run);
  }
  return runs;
}

/** The kernel calls of one element-wise step over a stretch of the arena. */
type Update = (
  k: Kernels,
  p: Float32Array,
  g: Float32Array,
  state: Float32Array[],
  lr: number,
  decay: number,
) => void;

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
  const decay = options.decay ?? "all";
  if (!DECAY_GROUPS.includes(decay)) {
    throw new RangeError(
      `Unknown decay group "${decay}" (expected one of ${DECAY_GROUPS.join(", ")})`,
    );
  }
  const momentum = options.momentum ?? 0.9;
  check(momentum >= 0 && momentum < 1, "Momentum must be in [0, 1)", momentum);
  const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999, alpha = options.alpha ?? 0.99;
  check(beta1 >= 0 && beta1 < 1, "beta1 must be in [0, 1)", beta1);
  check(beta2 >= 0 && beta2 < 1, "beta2 must be in [0, 1)", beta2);
  check(alpha >= 0 && alpha < 1, "RMSprop's alpha must be in [0, 1)", alpha);
  const epsilon = options.epsilon ?? { adagrad: 1e-10, lamb: 1e-6 }[type as string] ?? 1e-8;
  check(epsilon > 0 && Number.isFinite(epsilon), "epsilon must be > 0", epsilon);

  // State: `slots` arrays as long as the arena, allocated on the first step.
  const slots = {
    sgd: 0,
    momentum: 1,
    nesterov: 1,
    adam: 2,
    adamw: 2,
    rmsprop: 1,
    adagrad: 1,
    lamb: 2,
  }[type];
  let arrays: Float32Array[] = [], steps = 0, owner: Kernels | undefined;
  // LAMB's scratch: the Adam direction of the step, then its update.
  let scratch: Float32Array | undefined;
  const dot = new Float32Array(1);
  const freeArrays = (): void => {
    for (const array of arrays) owner?.free(array);
    if (scratch) owner?.free(scratch);
    arrays = [];
    scratch = undefined;
  };
  let restored: { steps: number; arrays: readonly Float32Array[] } | undefined;
  // Weight decay falls on every parameter alike unless it skips some of them.
  const all = decay === "all" || weightDecay === 0;
  let plan: { tensors?: readonly ParameterTensor[]; length: number; runs: Run[] } = {
    length: -1,
    runs: [],
  };
  const adamFactors = (lr: number): [lrT: number, epsT: number] => {
    const root = Math.sqrt(1 - beta2 ** steps);
    return [(lr * root) / (1 - beta1 ** steps), epsilon * root];
  };
  const nesterov = type === "nesterov" || (options.nesterov ?? false);
  const UPDATES: Record<Exclude<OptimizerName, "lamb">, Update> = {
    sgd: (k, p, g, _s, lr, wd) => k.sgdStep(p, g, p.length, lr, wd),
    momentum: (k, p, g, [v], lr, wd) =>
      k.momentumStep(p, g, v, p.length, lr, momentum, wd, nesterov),
    nesterov: (k, p, g, [v], lr, wd) => k.momentumStep(p, g, v, p.length, lr, momentum, wd, true),
    adam(k, p, g, [m, v], lr, wd): void {
      const [lrT, epsT] = adamFactors(lr);
      k.adamStep(p, g, m, v, p.length, lrT, beta1, beta2, epsT, wd, 1);
    },
    adamw(k, p, g, [m, v], lr, wd): void {
      const [lrT, epsT] = adamFactors(lr);
      k.adamStep(p, g, m, v, p.length, lrT, beta1, beta2, epsT, 0, 1 - lr * wd);
    },
    rmsprop: (k, p, g, [s], lr, wd) =>
      k.rmsStep(p, g, s, p.length, lr, alpha, 1 - alpha, epsilon, wd),
    adagrad: (k, p, g, [s], lr, wd) => k.rmsStep(p, g, s, p.length, lr, 1, 1, epsilon, wd),
  };
  /**
   * LAMB (You et al., 2019) on one tensor: r = Adam's bias-corrected
   * direction + decay * p, then p -= lr * (|p| / |r|) * r, the trust ratio
   * taken as 1 when either norm is 0.
   */
  const lambTensor = (
    k: Kernels,
    p: Float32Array,
    g: Float32Array,
    [m, v]: Float32Array[],
    r: Float32Array,
    lr: number,
    wd: number,
  ): void => {
    const n = p.length, [lrT, epsT] = adamFactors(-1);
    // With keep 0 the "parameters" written are the direction itself.
    k.adamStep(r, g, m, v, n, lrT, beta1, beta2, epsT, 0, 0);
    if (wd > 0) k.sgdStep(r, p, n, -wd, 0); // r += wd * p
    k.gemm(false, true, 1, 1, n, 1, p, p, 0, dot);
    const weightNorm = Math.sqrt(dot[0]);
    k.gemm(false, true, 1, 1, n, 1, r, r, 0, dot);
    const updateNorm = Math.sqrt(dot[0]);
    const trust = weightNorm > 0 && updateNorm > 0 ? weightNorm / updateNorm : 1;
    k.sgdStep(p, r, n, lr * trust, 0);
  };
  return {
    type,
    learningRate,
    weightDecay,
    decay,
    fold(): SgdFold | undefined {
      if (type !== "sgd" || !all) return undefined;
      return { alpha: -this.learningRate, beta: 1 - this.learningRate * weightDecay };
    },
    step(kernels, params, grads, tensors): void {
      const n = params.length;
      if (plan.tensors !== tensors || plan.length !== n) {
        // Checked and planned once per layout (a network passes the same frozen list every step).
        if (tensors) checkCover(tensors, n);
        plan = { tensors, length: n, runs: runsOf(tensors, n, all, type !== "lamb") };
      }
      if (restored || arrays.length !== slots || (slots > 0 && arrays[0].length !== n)) {
        // Allocated by the backend (aligned for native); restored state is copied in.
        freeArrays();
        owner = kernels;
        arrays = Array.from({ length: slots }, (_, i) => {
          const array = kernels.allocate(n);
          if (restored) array.set(restored.arrays[i]);
          return array;
        });
        if (type === "lamb") scratch = kernels.allocate(n);
        steps = restored?.steps ?? 0;
        restored = undefined;
      }
      steps++;
      const lr = this.learningRate;
      for (const { from, to, decays } of plan.runs) {
        const at = (a: Float32Array): Float32Array =>
          from === 0 && to === n ? a : a.subarray(from, to);
        const wd = decays ? weightDecay : 0;
        if (type === "lamb") {
          lambTensor(kernels, at(params), at(grads), arrays.map(at), at(scratch!), lr, wd);
        } else {
          UPDATES[type](kernels, at(params), at(grads), arrays.map(at), lr, wd);
        }
      }
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

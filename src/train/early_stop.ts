/**
 * Watching the validation figures: early stopping (patience, keeping the
 * best epoch's weights) and reduce-on-plateau (scaling the learning rate
 * when the validation loss stalls). `fit` calls these after every epoch;
 * their bookkeeping is part of a checkpoint's state.
 *
 * @module
 */

import type { Evaluation, Network } from "../model/network.ts";

/** Early stopping: patience on a validation figure, restoring the best weights. */
export interface EarlyStopping {
  /** Epochs without improvement before training stops (>= 1). */
  patience: number;
  /** What must improve: validation `"loss"` (default, lower) or `"accuracy"` (higher). */
  monitor?: "loss" | "accuracy";
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch at the end. Default `true`. */
  restoreBest?: boolean;
}

/** Reduce-on-plateau: scale the rate when the validation loss stalls. */
export interface ReduceOnPlateau {
  /** Epochs without improvement before the rate is scaled. Default 2. */
  patience?: number;
  /** Scale applied to the rate. Default 0.1. */
  factor?: number;
  /** Smallest decrease of the loss that counts. Default 0. */
  minDelta?: number;
}

/** Reduce-on-plateau bookkeeping after an epoch's validation loss (`rule` off: track only). */
export function watchPlateau(
  p: { factor: number; best: number; wait: number },
  loss: number,
  rule: Required<ReduceOnPlateau> | undefined,
): void {
  if (loss < p.best - (rule?.minDelta ?? 0)) {
    p.best = loss;
    p.wait = 0;
  } else if (rule && ++p.wait >= rule.patience) {
    p.factor *= rule.factor;
    p.wait = 0;
  }
}

/** Early-stopping bookkeeping; true when patience has run out. */
export function watchEarly(
  e: { best: number; wait: number; epoch: number; params?: Float32Array; state?: Float32Array },
  rule: EarlyStopping,
  v: Evaluation,
  epoch: number,
  network: Network,
): boolean {
  const higher = rule.monitor === "accuracy";
  const value = higher ? v.accuracy : v.loss, delta = rule.minDelta ?? 0;
  if (higher ? value > e.best + delta : value < e.best - delta) {
    Object.assign(e, { best: value, wait: 0, epoch });
    if (rule.restoreBest ?? true) {
      e.params = network.params.slice();
      e.state = network.state.slice();
    }
    return false;
  }
  return ++e.wait >= rule.patience;
}

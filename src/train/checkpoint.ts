/**
 * Checkpoints: a model file plus everything {@link fit} needs to continue
 * the run exactly (optimizer state, dropout counters, schedule and early-
 * stopping bookkeeping, the epochs so far), the run's training settings
 * (typed: `TrainingSettings`) and anything else the caller keeps with them.
 * Written atomically, so a run killed mid-save keeps the previous one.
 *
 * @module
 */

import { writeFileAtomic } from "../_atomic.ts";
import { readDataFile } from "../_read.ts";
import { type LoadOptions, networkFromBytes, networkToBytes } from "../model/model_file.ts";
import type { Network } from "../model/network.ts";
import { OPTIMIZER_NAMES, type OptimizerName } from "../model/optimizers.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  ModelFormatError,
  type Tensor,
} from "../model/safetensors.ts";
import type { EpochMetrics, TrainingState } from "./fit.ts";
import { type TrainingSettings, trainingSettings } from "./settings.ts";

/** Largest checkpoint read: 4 GiB (a network at the parameter cap with Adam's two moments). */
const MAX_CHECKPOINT_BYTES = 2 ** 32;

/** A checkpoint read back: the network, the run's state (its settings included) and the caller's extra. */
export interface Checkpoint {
  /** The network as it was after the checkpoint's last epoch. */
  network: Network;
  /** Pass as `resume` to {@link fit}; `state.settings` are the run's settings. */
  state: TrainingState;
  /** What the caller stored beside them (e.g. where the command line read its data). */
  extra: Record<string, unknown>;
}

/** The JSON part of a checkpoint's state (its arrays are tensors). */
interface StateJson {
  epoch: number;
  seed: number;
  optimizer: { type: OptimizerName; steps: number; arrays: number };
  dropoutCounters: number[];
  plateau: { factor: number; best: number; wait: number };
  early: { best: number; wait: number; epoch: number; weights: boolean };
  history: EpochMetrics[];
}

/**
 * Encodes a checkpoint.
 *
 * @param network The network being trained.
 * @param state The state `fit` passes to `onEpochEnd` (its settings are stored typed).
 * @param extra Anything else JSON the caller needs to continue (default `{}`).
 * @returns The file's bytes (a safetensors file).
 * @example Checkpoint every epoch from `onEpochEnd`
 * ```ts ignore
 * import { fit, saveCheckpoint } from "jsr:@x/mnist-dnn";
 * await fit(net, train, { epochs: 10, onEpochEnd: (_m, _stop, state) =>
 *   saveCheckpoint("run.ckpt", net, state) });
 * ```
 */
export function checkpointToBytes(
  network: Network,
  state: TrainingState,
  extra: Record<string, unknown> = {},
): Uint8Array {
  const file = decodeSafetensors(networkToBytes(network), "checkpoint");
  const json: StateJson = {
    epoch: state.epoch,
    seed: state.seed,
    optimizer: {
      type: state.optimizer.type,
      steps: state.optimizer.steps,
      arrays: state.optimizer.arrays.length,
    },
    dropoutCounters: state.dropoutCounters,
    plateau: state.plateau,
    early: {
      best: state.early.best,
      wait: state.early.wait,
      epoch: state.early.epoch,
      weights: state.early.params !== undefined,
    },
    history: state.history,
  };
  file.metadata.checkpoint = JSON.stringify(json, (_key, value) =>
    // JSON has no Infinity or NaN ("no best yet", an empty epoch): spell them.
    typeof value === "number" && !Number.isFinite(value) ? String(value) : value);
  if (state.settings) file.metadata.training = JSON.stringify(state.settings);
  // The key predates the typed settings: it holds the caller's extra.
  file.metadata.settings = JSON.stringify(extra);
  const tensor = (name: string, data: Float32Array): void => {
    file.tensors.set(name, { shape: [data.length], data });
  };
  state.optimizer.arrays.forEach((a, i) => tensor(`optimizer.${i}`, a));
  if (state.early.params && state.early.state) {
    tensor("best.params", state.early.params);
    tensor("best.state", state.early.state);
  }
  return encodeSafetensors(file);
}

/**
 * Writes a checkpoint atomically.
 *
 * @param path Where to write.
 * @param network The network being trained.
 * @param state The state `fit` passes to `onEpochEnd`.
 * @param extra Anything else JSON the caller needs to continue.
 * @returns Resolves when the file is in place.
 * @example See {@link checkpointToBytes}.
 * ```ts ignore
 * import { saveCheckpoint } from "jsr:@x/mnist-dnn";
 * ```
 */
export async function saveCheckpoint(
  path: string,
  network: Network,
  state: TrainingState,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await writeFileAtomic(path, checkpointToBytes(network, state, extra));
}

/**
 * Reads a checkpoint written by {@link saveCheckpoint}.
 *
 * @param path The checkpoint file.
 * @param options Backend of the rebuilt network.
 * @returns The network, the state to pass as `fit`'s `resume` (with the run's
 *   settings), and the caller's extra.
 * @throws {ModelFormatError} If the file is not a valid checkpoint.
 * @example Continue a run up to 10 epochs in total
 * ```ts ignore
 * import { fit, loadCheckpoint } from "jsr:@x/mnist-dnn";
 * const { network, state } = await loadCheckpoint("run.ckpt");
 * await fit(network, train, { epochs: 10, resume: state });
 * ```
 */
export async function loadCheckpoint(path: string, options: LoadOptions = {}): Promise<Checkpoint> {
  const bytes = await readDataFile(path, MAX_CHECKPOINT_BYTES);
  const fail = (why: string): never => {
    throw new ModelFormatError(`Cannot resume from "${path}": ${why}`);
  };
  const file = decodeSafetensors(bytes, path);
  const { checkpoint, settings, training, ...metadata } = file.metadata;
  if (checkpoint === undefined) {
    fail('it is a model file, not a checkpoint (no "checkpoint" metadata)');
  }
  let json: StateJson, extra: Record<string, unknown>, run: unknown;
  try {
    json = JSON.parse(
      checkpoint,
      (_key, value) =>
        value === "Infinity" || value === "-Infinity" || value === "NaN" ? Number(value) : value,
    );
    extra = JSON.parse(settings ?? "{}");
    run = training === undefined ? undefined : JSON.parse(training);
  } catch {
    return fail("its checkpoint metadata is not JSON");
  }
  if (typeof extra! !== "object" || extra === null || Array.isArray(extra)) {
    fail("its settings metadata is not a JSON object");
  }
  let runSettings: TrainingSettings | undefined;
  try {
    if (run !== undefined) runSettings = trainingSettings(run as Partial<TrainingSettings>);
  } catch (error) {
    fail(`its training settings are invalid: ${(error as Error).message}`);
  }
  const tensors = new Map<string, Tensor>(), kept = new Map<string, Tensor>();
  for (const [name, t] of file.tensors) (name.startsWith("layers.") ? kept : tensors).set(name, t);
  const seed = Number.isSafeInteger(json!.seed) ? json!.seed : fail("its seed is missing");
  const network = networkFromBytes(encodeSafetensors({ metadata, tensors: kept }), path, {
    ...options,
    seed,
  });
  const n = network.params.length;
  const array = (name: string, length: number): Float32Array => {
    const t = tensors.get(name);
    if (!t || t.data.length !== length) {
      fail(`tensor "${name}" is ${t ? `${t.data.length} long` : "missing"}, expected ${length}`);
    }
    return t!.data;
  };
  const o = json!.optimizer;
  if (
    !Number.isSafeInteger(json!.epoch) || json!.epoch < 0 || !o ||
    !OPTIMIZER_NAMES.includes(o.type) || !Number.isSafeInteger(o.steps) || o.steps < 0 ||
    !Number.isInteger(o.arrays) || o.arrays < 0 || o.arrays > 2 ||
    !Array.isArray(json!.dropoutCounters) || !Array.isArray(json!.history) ||
    !json!.plateau || !json!.early
  ) {
    fail("its checkpoint metadata is incomplete or out of range");
  }
  const state: TrainingState = {
    epoch: json!.epoch,
    seed,
    optimizer: {
      type: o.type,
      steps: o.steps,
      arrays: Array.from({ length: o.arrays }, (_, i) => array(`optimizer.${i}`, n)),
    },
    dropoutCounters: json!.dropoutCounters.map(Number),
    plateau: { ...json!.plateau },
    early: {
      best: json!.early.best,
      wait: json!.early.wait,
      epoch: json!.early.epoch,
      ...(json!.early.weights
        ? { params: array("best.params", n), state: array("best.state", network.state.length) }
        : {}),
    },
    history: json!.history,
  };
  if (runSettings) state.settings = runSettings;
  return { network, state, extra: extra! };
}

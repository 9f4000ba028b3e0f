// The train command's training settings: parsed and range-checked from the
// flags (and the preset), stored in checkpoints as JSON, and read back by
// --resume so that a resumed run continues with exactly the same settings.

import { AUGMENT_NAMES, type AugmentName } from "../data/augment.ts";
import { OPTIMIZER_NAMES, type OptimizerName } from "../model/optimizers.ts";
import type { Preset } from "../train/presets.ts";
import { type Schedule, SCHEDULES } from "../train/schedules.ts";
import { choiceOption, intOption, numberOption, UsageError } from "./_io.ts";

/** Largest --batch-size (work buffers grow with it). */
const MAX_BATCH = 65536;

/** How a run trains: everything but the architecture, the epochs and the outputs. */
export interface RunSettings {
  optimizer: OptimizerName;
  learningRate: number;
  momentum: number;
  weightDecay?: number;
  schedule: Schedule;
  stepSize?: number;
  gamma?: number;
  warmupEpochs: number;
  plateau?: number;
  batchSize: number;
  seed: number;
  validationSplit?: number;
  earlyStop?: number;
  monitor: "loss" | "accuracy";
  testEveryEpoch: boolean;
  augment?: AugmentName;
  limit?: number;
  data?: string;
  "train-csv"?: string;
  "test-csv"?: string;
  /** The run's total epochs (stored in checkpoints: --resume's default). */
  epochs?: number;
}

/** The flags that set {@link RunSettings} (all but the booleans take a value). */
export const RUN_FLAGS = [
  "optimizer",
  "lr",
  "momentum",
  "weight-decay",
  "schedule",
  "step-size",
  "gamma",
  "warmup",
  "plateau",
  "batch-size",
  "seed",
  "validation-split",
  "early-stop",
  "monitor",
  "test-every-epoch",
  "augment",
  "limit",
  "data",
  "train-csv",
  "test-csv",
] as const;

type Values = Partial<Record<(typeof RUN_FLAGS)[number], string | boolean>>;

const optional = <T>(value: string | boolean | undefined, parse: (v: string) => T): T | undefined =>
  value === undefined ? undefined : parse(String(value));

/** Parses the run flags, with the preset's values where a flag is absent. */
export function runSettings(values: Values, preset: Preset): RunSettings {
  const text = (name: keyof Values): string | undefined =>
    values[name] === undefined ? undefined : String(values[name]);
  const schedule = choiceOption("schedule", text("schedule") ?? preset.schedule, SCHEDULES);
  const settings: RunSettings = {
    optimizer: choiceOption("optimizer", text("optimizer") ?? preset.optimizer, OPTIMIZER_NAMES),
    learningRate: numberOption("lr", text("lr") ?? String(preset.learningRate), Number.MIN_VALUE),
    momentum: numberOption(
      "momentum",
      text("momentum") ?? String(preset.momentum ?? 0.9),
      0,
      0.999999,
    ),
    weightDecay: optional(values["weight-decay"], (v) => numberOption("weight-decay", v, 0, 1)) ??
      preset.weightDecay,
    schedule,
    stepSize: optional(values["step-size"], (v) => intOption("step-size", v)),
    gamma: optional(values.gamma, (v) => numberOption("gamma", v, Number.MIN_VALUE, 1)),
    warmupEpochs: optional(values.warmup, (v) => numberOption("warmup", v, 0, 1e6)) ?? 0,
    plateau: optional(values.plateau, (v) => intOption("plateau", v)),
    batchSize: intOption(
      "batch-size",
      text("batch-size") ?? String(preset.batchSize),
      false,
      MAX_BATCH,
    ),
    seed: intOption("seed", text("seed") ?? "1", true, 0xffffffff),
    validationSplit: optional(
      values["validation-split"],
      (v) => numberOption("validation-split", v, Number.MIN_VALUE, 0.99),
    ) ?? preset.validationSplit,
    earlyStop: optional(values["early-stop"], (v) => intOption("early-stop", v)),
    monitor: choiceOption("monitor", text("monitor") ?? "loss", ["loss", "accuracy"] as const),
    testEveryEpoch: values["test-every-epoch"] === true,
    augment: optional(values.augment, (v) => choiceOption("augment", v, AUGMENT_NAMES)) ??
      preset.augment,
    limit: optional(values.limit, (v) => intOption("limit", v)),
    data: text("data"),
    "train-csv": text("train-csv"),
    "test-csv": text("test-csv"),
  };
  if (
    (settings.stepSize !== undefined || settings.gamma !== undefined) &&
    schedule !== "step" && schedule !== "exponential"
  ) {
    throw new UsageError("--step-size and --gamma apply to --schedule step or exponential");
  }
  if (schedule === "exponential" && settings.stepSize !== undefined) {
    throw new UsageError("--step-size applies to --schedule step (exponential decays every epoch)");
  }
  for (const flag of ["early-stop", "plateau"] as const) {
    if (values[flag] !== undefined && settings.validationSplit === undefined) {
      throw new UsageError(`--${flag} watches the validation loss; give --validation-split too`);
    }
  }
  return settings;
}

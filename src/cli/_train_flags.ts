// The train command's training flags: one table of flag -> setting -> parser
// that fills a TrainingSettings (over the preset's partial), and prints
// itself as the help. Checkpoints store the settings typed; the data source
// flags ride along as the checkpoint's extra, so --resume continues with
// exactly the same run.

import { AUGMENT_NAMES } from "../data/augment.ts";
import { DECAY_GROUPS, OPTIMIZER_NAMES } from "../model/optimizers.ts";
import { SCHEDULES } from "../train/schedules.ts";
import { PLATEAU, type TrainingSettings, trainingSettings } from "../train/settings.ts";
import { choiceOption, intOption, numberOption, UsageError } from "./_io.ts";

/** Largest --batch-size (work buffers grow with it). */
const MAX_BATCH = 65536;

/** A flag of the table: its help line and how its text sets the settings. */
interface FlagRow {
  /** The flag without dashes. */
  flag: string;
  /** Its value's placeholder in the help (`""` for a switch). */
  value: string;
  /** The help text. */
  help: string;
  /** Parses `text` (the flag's value, `"true"` for a switch) into `settings`. */
  set(settings: Partial<TrainingSettings>, text: string): void;
}

/** A row whose flag sets one key with one parser. */
function row<K extends keyof TrainingSettings>(
  [flag, value, help]: [string, string, string],
  key: K,
  parse: (text: string) => TrainingSettings[K],
): FlagRow {
  return { flag, value, help, set: (settings, text) => settings[key] = parse(text) };
}

/** The training flags, in help order (early-stop before monitor, which refines it). */
export const TRAINING_FLAGS: readonly FlagRow[] = Object.freeze([
  row(
    ["epochs", "N", "passes over the training set     (default 10)"],
    "epochs",
    (v) => intOption("epochs", v),
  ),
  row(
    ["batch-size", "N", "samples per update, 1..65536; 1 = per-sample SGD (default 64)"],
    "batchSize",
    (v) => intOption("batch-size", v, false, MAX_BATCH),
  ),
  row(
    ["lr", "X", "learning rate                    (default 0.1)"],
    "learningRate",
    (v) => numberOption("lr", v, Number.MIN_VALUE),
  ),
  row(
    ["optimizer", "NAME", `${OPTIMIZER_NAMES.join(" | ")} (default sgd)`],
    "optimizer",
    (v) => choiceOption("optimizer", v, OPTIMIZER_NAMES),
  ),
  row(
    ["momentum", "X", "momentum coefficient, 0..0.999999 (default 0.9)"],
    "momentum",
    (v) => numberOption("momentum", v, 0, 0.999999),
  ),
  row(
    ["weight-decay", "X", "L2 penalty (decoupled for adamw, lamb) (default 0; adamw 0.01)"],
    "weightDecay",
    (v) => numberOption("weight-decay", v, 0, 1),
  ),
  row(
    ["decay", "GROUP", "what weight decay applies to: all | weights (not biases or batch norm)"],
    "decay",
    (v) => choiceOption("decay", v, DECAY_GROUPS),
  ),
  row(
    ["schedule", "NAME", `${SCHEDULES.join(" | ")} (default constant)`],
    "schedule",
    (v) => choiceOption("schedule", v, SCHEDULES),
  ),
  row(
    ["step-size", "N", "epochs between decays of the step schedule (default 10)"],
    "stepSize",
    (v) => intOption("step-size", v),
  ),
  row(
    ["gamma", "X", "decay factor: step 0.1, exponential 0.95 per epoch (defaults)"],
    "gamma",
    (v) => numberOption("gamma", v, Number.MIN_VALUE, 1),
  ),
  row(
    ["warmup", "E", "linear learning-rate warm-up over E epochs (default 0)"],
    "warmupEpochs",
    (v) => numberOption("warmup", v, 0, 1e6),
  ),
  row(
    ["plateau", "N", "scale the rate by 0.1 after N epochs without a better validation loss"],
    "reduceOnPlateau",
    (v) => ({ ...PLATEAU, patience: intOption("plateau", v) }),
  ),
  row(
    ["validation-split", "F", "hold out fraction F of the training set (seeded) for validation"],
    "validationSplit",
    (v) => numberOption("validation-split", v, Number.MIN_VALUE, 0.99),
  ),
  row(
    ["early-stop", "N", "stop after N epochs without a better validation figure; keep the best"],
    "earlyStopping",
    (v) => ({ patience: intOption("early-stop", v), monitor: "loss" }),
  ),
  {
    flag: "monitor",
    value: "NAME",
    help: "what --early-stop watches: loss | accuracy (default loss)",
    set(settings, text): void {
      const monitor = choiceOption("monitor", text, ["loss", "accuracy"] as const);
      if (!settings.earlyStopping) {
        throw new UsageError("--monitor says what --early-stop watches; give --early-stop too");
      }
      settings.earlyStopping = { ...settings.earlyStopping, monitor };
    },
  },
  row(
    ["test-every-epoch", "", "score the test set after every epoch (default: at the end only)"],
    "testEachEpoch",
    () => true,
  ),
  row(
    ["augment", "NAME", `augment every batch: ${AUGMENT_NAMES.join(" | ")} (default none)`],
    "augment",
    (v) => choiceOption("augment", v, AUGMENT_NAMES),
  ),
  row(
    ["seed", "N", "seed of weights and shuffles, 0..4294967295 (default 1)"],
    "seed",
    (v) => intOption("seed", v, true, 0xffffffff),
  ),
]);

/** The help lines of {@link TRAINING_FLAGS}. */
export const TRAINING_HELP: string = TRAINING_FLAGS.map(({ flag, value, help }) => {
  const usage = `  --${flag}${value && ` ${value}`}`;
  return `${usage.padEnd(Math.max(22, usage.length + 2))}${help}\n`;
}).join("");

/** The flags that say where the data comes from, kept as a checkpoint's extra. */
export const SOURCE_FLAGS = ["data", "train-csv", "test-csv", "limit"] as const;

/** Where a run's data comes from (the source flags' values). */
export type DataSource = Partial<Record<(typeof SOURCE_FLAGS)[number], string>>;

type Values = Record<string, string | boolean | undefined>;

/** The source flags' values (from the flags, or a checkpoint's extra: old ones hold `limit` as a number). */
export function sourceFromFlags(values: Record<string, unknown>): DataSource {
  const source: DataSource = {};
  for (const flag of SOURCE_FLAGS) {
    const value = values[flag];
    if (typeof value === "string" || typeof value === "number") source[flag] = String(value);
  }
  return source;
}

/** Applies the training flags present in `values` over `base`. */
export function applyFlags(base: Partial<TrainingSettings>, values: Values): void {
  for (const { flag, set } of TRAINING_FLAGS) {
    if (values[flag] !== undefined && values[flag] !== false) set(base, String(values[flag]));
  }
}

/**
 * The run's settings: the preset's, then the flags over them, checked
 * together (a bad combination is a UsageError naming the flags).
 */
export function settingsFromFlags(
  values: Values,
  preset: Partial<TrainingSettings>,
): TrainingSettings {
  const settings: Partial<TrainingSettings> = {};
  for (const key of Object.keys(preset) as (keyof TrainingSettings)[]) {
    (settings as Record<string, unknown>)[key] = preset[key];
  }
  applyFlags(settings, values);
  const schedule = settings.schedule ?? "constant";
  if (
    (values["step-size"] !== undefined || values.gamma !== undefined) &&
    schedule !== "step" && schedule !== "exponential"
  ) {
    throw new UsageError("--step-size and --gamma apply to --schedule step or exponential");
  }
  if (schedule === "exponential" && values["step-size"] !== undefined) {
    throw new UsageError("--step-size applies to --schedule step (exponential decays every epoch)");
  }
  for (const flag of ["early-stop", "plateau"] as const) {
    if (values[flag] !== undefined && settings.validationSplit === undefined) {
      throw new UsageError(`--${flag} watches the validation loss; give --validation-split too`);
    }
  }
  try {
    return trainingSettings(settings);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The settings of a checkpoint written before they were stored typed: the
 * command line's old flat record, in the `settings` metadata.
 */
export function legacySettings(old: Record<string, unknown>): TrainingSettings {
  const number = (key: string): number | undefined =>
    typeof old[key] === "number" ? old[key] as number : undefined;
  const early = number("earlyStop"), plateau = number("plateau");
  return trainingSettings({
    ...(old as Partial<TrainingSettings>),
    reduceOnPlateau: plateau === undefined ? undefined : { ...PLATEAU, patience: plateau },
    earlyStopping: early === undefined
      ? undefined
      : { patience: early, monitor: old.monitor === "accuracy" ? "accuracy" : "loss" },
    testEachEpoch: old.testEveryEpoch === true,
  });
}

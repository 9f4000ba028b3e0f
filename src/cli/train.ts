/**
 * `deno task train`: trains a network on MNIST (or any IDX or CSV image
 * data), printing a line per epoch, and saves it atomically at the end.
 *
 * @module
 */

import { subset } from "../data/dataset.ts";
import { BACKEND_CHOICES } from "../kernels/select.ts";
import { INIT_NAMES } from "../model/initializers.ts";
import { saveNetwork } from "../model/model_file.ts";
import { ACTIVATION_NAMES, type Network } from "../model/network.ts";
import { type EpochMetrics, fit, type TrainingState } from "../train/fit.ts";
import { loadCheckpoint, saveCheckpoint } from "../train/checkpoint.ts";
import { renderReport, reportTestSet } from "../view/report.ts";
import { writeFileAtomic } from "../_atomic.ts";
import {
  applyFlags,
  type DataSource,
  legacySettings,
  settingsFromFlags,
  SOURCE_FLAGS,
  sourceFromFlags,
  TRAINING_FLAGS,
  TRAINING_HELP,
} from "./_train_flags.ts";
import type { TrainingSettings } from "../train/settings.ts";
import { choiceOption, intOption, type Io, processIo, runWithFlags, UsageError } from "./_io.ts";
import { ProgressBar } from "./progress.ts";
import { checkNotAnInput, checkPaths } from "./_output.ts";
import { PRESET_NAMES, PRESETS } from "../train/presets.ts";
import { loadTrainingData, type TrainingData } from "./_data.ts";
import { buildNetwork, computeFlags } from "./_model_flags.ts";

const USAGE = `Usage: deno task train [options]

Trains a network on MNIST (or other IDX or CSV image data) and saves it.
Input width and class count follow from the data.

Options:
  --preset NAME       a measured recipe: ${PRESET_NAMES.join(" | ")} (flags below override it)
  --layers SPEC       layer spec, e.g. "conv(32,5,pad=2) relu maxpool(2) flatten dense(10)"
  --sizes LIST        dense stack widths, input first  (default PIXELS,128,64,CLASSES)
  --activation NAME   ${ACTIVATION_NAMES.join(" | ")}   (default relu)
  --init NAME         ${INIT_NAMES.join(" | ")}                (default he)
${TRAINING_HELP}  --checkpoint FILE   write a checkpoint (weights, optimizer and RNG state) after every epoch
  --resume FILE       continue a checkpoint's run, with its settings, up to --epochs in total
  --report FILE       write an HTML report: curves, confusion matrix, mistakes, settings
  --standardize       standardize pixels with the training mean/std
  --data DIR          train on the IDX files in DIR (any dataset: KMNIST, EMNIST, ...;
                      the four standard names, raw or .gz; default: MNIST, verified)
  --train-csv FILE    train on a CSV with a label column (Kaggle's train.csv)
  --test-csv FILE     score on this CSV (with --train-csv; unlabelled = not scored)
  --out FILE          where to save the model          (default mnist.safetensors)
  --backend NAME      ${BACKEND_CHOICES.join(" | ")}             (default auto)
  --threads N         native backend threads           (default: all cores)
  --limit N           train on the first N samples only
  --quiet             print only the summary
  --help              show this help
`;

const pct = (x: number | undefined): string => x === undefined ? "-" : `${(x * 100).toFixed(2)}%`;

/**
 * Runs the train command.
 *
 * @param args Command-line arguments.
 * @param io Output streams.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 */
export function train(args: string[], io: Io): Promise<number> {
  return runWithFlags(io, USAGE, args, {
    preset: { type: "string" },
    layers: { type: "string" },
    sizes: { type: "string" },
    activation: { type: "string" },
    init: { type: "string" },
    standardize: { type: "boolean" },
    out: { type: "string", default: "mnist.safetensors" },
    backend: { type: "string", default: "auto" },
    threads: { type: "string" },
    checkpoint: { type: "string" },
    report: { type: "string" },
    resume: { type: "string" },
    quiet: { type: "boolean", default: false },
    ...Object.fromEntries(
      TRAINING_FLAGS.map((r) => [r.flag, { type: r.value ? "string" : "boolean" }]),
    ) as Record<string, { type: "string" }>,
    ...Object.fromEntries(SOURCE_FLAGS.map((f) => [f, { type: "string" }])) as Record<
      (typeof SOURCE_FLAGS)[number],
      { type: "string" }
    >,
  }, async ({ values, tokens }) => {
    const preset = choiceOption("preset", values.preset ?? "mlp", PRESET_NAMES);
    const given = new Set(tokens.flatMap((t) => t.kind === "option" ? [t.name] : []));
    const { backend, threads } = computeFlags(values);
    const say = values.quiet ? () => {} : io.out;
    const outputs = { out: values.out, checkpoint: values.checkpoint, report: values.report };
    await checkPaths(outputs, {
      resume: values.resume,
      data: values.data,
      "train-csv": values["train-csv"],
      "test-csv": values["test-csv"],
    });

    let network: Network, settings: TrainingSettings, resume: TrainingState | undefined;
    let data: TrainingData, source: DataSource, model: string, init = "";
    if (values.resume !== undefined) {
      const stray = [...given].find((f) => !RESUME_FLAGS.includes(f));
      if (stray) {
        throw new UsageError(
          `--resume continues the checkpoint's run with its settings; --${stray} cannot change ` +
            `them (with --resume give only ${RESUME_FLAGS.map((f) => `--${f}`).join(", ")})`,
        );
      }
      const checkpoint = await loadCheckpoint(values.resume, { backend, threads });
      ({ network, state: resume } = checkpoint);
      // Checkpoints from before the settings were stored typed hold the old flat record.
      // The only training flag --resume takes is --epochs (the rest are stray above).
      const overrides: Partial<TrainingSettings> = {};
      applyFlags(overrides, values);
      settings = { ...(resume.settings ?? legacySettings(checkpoint.extra)), ...overrides };
      source = sourceFromFlags(checkpoint.extra);
      data = await loadTrainingData(source);
      model = network.spec;
    } else {
      settings = settingsFromFlags(values, PRESETS[preset]);
      source = sourceFromFlags(values);
      data = await loadTrainingData(source);
      ({ network, model, init } = buildNetwork(
        values,
        PRESETS[preset],
        data,
        settings.seed,
        backend,
        threads,
      ));
    }
    try {
      for (const [flag, path] of Object.entries(outputs)) {
        if (path !== undefined) await checkNotAnInput(flag, path, data.files);
      }
      if (values.report !== undefined && !data.test) {
        throw new UsageError("--report scores the test set, and this data has no labelled one");
      }
      const { epochs } = settings;
      if (resume && epochs <= resume.epoch) {
        throw new UsageError(
          `--epochs ${epochs}: "${values.resume}" has trained ${resume.epoch} epochs already; ` +
            "give the total to reach, more than that",
        );
      }
      const limit = source.limit === undefined ? undefined : intOption("limit", source.limit);
      const trainSet = limit !== undefined && limit < data.train.count
        ? subset(data.train, Array.from({ length: limit }, (_, i) => i))
        : data.train;
      if (network.fallbackReason) {
        const using = network.kernels.name === "wasm" ? "WebAssembly" : "TS";
        io.err(`note: using the ${using} backend; ${network.fallbackReason}\n`);
      }
      say(`backend: ${network.backend}\n`);
      say(
        `data: ${data.source} (${trainSet.count} train, ${
          data.test ? `${data.test.count} test` : "no labelled test set"
        }; ${trainSet.rows}x${trainSet.cols} pixels, ${data.classes} classes)\n`,
      );
      say(
        `model: ${model}, ${network.summary().trainableParams} parameters${
          init && `, ${init} init`
        }\n`,
      );
      say(`training: ${describeRun(settings, epochs)}\n`);
      if (resume) say(`resuming after epoch ${resume.epoch} from ${values.resume}\n`);

      const bar = io.isTerminal && !values.quiet ? new ProgressBar(io.out) : undefined;
      const history = await fit(network, trainSet, {
        ...settings,
        testData: data.test,
        resume,
        onBatchEnd: bar && ((p) => bar.update(p)),
        onEpochEnd: async (m, _stop, state) => {
          bar?.clear();
          say(epochLine(m, epochs));
          if (values.checkpoint !== undefined) {
            await saveCheckpoint(values.checkpoint, network, state, source);
          }
        },
      });
      // One atomic write at the end: an interrupted run leaves any old file intact.
      await saveNetwork(network, values.out);
      const ran = history.epochs.length;
      const total = history.epochs.reduce((sum, m) => sum + m.seconds, 0);
      if (history.bestEpoch !== undefined && (history.stopped || history.bestEpoch !== ran)) {
        say(
          `${history.stopped ? `stopped early after epoch ${ran}; ` : ""}kept the weights of ` +
            `epoch ${history.bestEpoch} (best validation ${
              settings.earlyStopping?.monitor ?? "loss"
            })\n`,
        );
      }
      io.out(
        `${
          history.test ? `test accuracy ${pct(history.test.accuracy)} ` : "no labelled test set; "
        }` +
          `after ${ran} epochs (${total.toFixed(1)}s training)\n`,
      );
      io.out(`saved ${values.out}\n`);
      if (values.report !== undefined) {
        const html = renderReport({
          title: `mnist-dnn training report: ${values.out}`,
          settings: {
            model: `${model}, ${network.summary().trainableParams} parameters`,
            training: describeRun(settings, epochs),
            backend: network.backend,
            data: `${data.source} (${trainSet.count} train, ${data.test!.count} test)`,
            "written at": new Date().toISOString(),
          },
          history: history.epochs,
          ...await reportTestSet(network, data.test!),
        });
        await writeFileAtomic(values.report, new TextEncoder().encode(html));
        io.out(`wrote ${values.report}\n`);
      }
      return 0;
    } finally {
      // In-process callers (tests, scripts) train one network after another.
      network.dispose();
    }
  });
}

/** The flags --resume may be given with (the rest come from the checkpoint). */
const RESUME_FLAGS = [
  "resume",
  "epochs",
  "out",
  "checkpoint",
  "report",
  "backend",
  "threads",
  "quiet",
];

/** One line per epoch: rate, training and (when present) validation and test figures. */
function epochLine(m: EpochMetrics, epochs: number): string {
  const parts = [
    `epoch ${String(m.epoch).padStart(3)}/${epochs}  ${m.seconds.toFixed(2).padStart(7)}s`,
    `lr ${m.learningRate.toPrecision(3)}`,
    `loss ${m.trainLoss.toFixed(4)}`,
    `train ${pct(m.trainAccuracy)}`,
  ];
  if (m.validationLoss !== undefined) {
    parts.push(`val loss ${m.validationLoss.toFixed(4)}`, `val ${pct(m.validationAccuracy)}`);
  }
  if (m.testAccuracy !== undefined) parts.push(`test ${pct(m.testAccuracy)}`);
  return parts.join("  ") + "\n";
}

/** The settings line of the log. */
function describeRun(s: TrainingSettings, epochs: number): string {
  const parts = [`${s.optimizer} lr ${s.learningRate}`];
  if (s.weightDecay) {
    parts.push(`weight decay ${s.weightDecay}${s.decay === "weights" ? " (weights only)" : ""}`);
  }
  parts.push(`batch ${s.batchSize}`, `${epochs} epochs`);
  if (s.schedule !== "constant") parts.push(`${s.schedule} schedule`);
  if (s.warmupEpochs) parts.push(`${s.warmupEpochs} warm-up epochs`);
  if (s.validationSplit) parts.push(`${s.validationSplit} held out for validation`);
  const early = s.earlyStopping, plateau = s.reduceOnPlateau;
  if (early) parts.push(`early stop after ${early.patience} (${early.monitor ?? "loss"})`);
  if (plateau) {
    parts.push(`rate x${plateau.factor ?? 0.1} after ${plateau.patience ?? 2} flat epochs`);
  }
  if (s.augment) {
    parts.push(`${typeof s.augment === "string" ? s.augment : "custom"} augmentation`);
  }
  return parts.join(", ");
}

if (import.meta.main) Deno.exit(await train(Deno.args, processIo()));

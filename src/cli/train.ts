/**
 * `deno task train`: trains a network on MNIST (or any IDX or CSV image
 * data), printing a line per epoch, and saves it atomically at the end.
 *
 * @module
 */

import { subset } from "../data/dataset.ts";
import { AUGMENT_NAMES } from "../data/augment.ts";
import { BACKEND_CHOICES } from "../kernels/select.ts";
import { INIT_NAMES } from "../model/initializers.ts";
import { saveNetwork } from "../model/model_file.ts";
import { ACTIVATION_NAMES, type Network } from "../model/network.ts";
import { OPTIMIZER_NAMES } from "../model/optimizers.ts";
import { type EpochMetrics, fit, type TrainingState } from "../train/fit.ts";
import { SCHEDULES } from "../train/schedules.ts";
import { loadCheckpoint, saveCheckpoint } from "../train/checkpoint.ts";
import { renderReport, reportTestSet } from "../view/report.ts";
import { writeFileAtomic } from "../_atomic.ts";
import { RUN_FLAGS, type RunSettings, runSettings } from "./_train_flags.ts";
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
  --epochs N          passes over the training set     (default 10)
  --batch-size N      samples per update, 1..65536; 1 = per-sample SGD (default 64)
  --lr X              learning rate                    (default 0.1)
  --optimizer NAME    ${OPTIMIZER_NAMES.join(" | ")}                   (default sgd)
  --momentum X        momentum coefficient, 0..0.999999 (default 0.9)
  --weight-decay X    L2 penalty (decoupled for adamw)  (default 0; adamw 0.01)
  --schedule NAME     ${SCHEDULES.join(" | ")} (default constant)
  --step-size N       epochs between decays of the step schedule (default 10)
  --gamma X           decay factor: step 0.1, exponential 0.95 per epoch (defaults)
  --warmup E          linear learning-rate warm-up over E epochs (default 0)
  --plateau N         scale the rate by 0.1 after N epochs without a better validation loss
  --validation-split F  hold out fraction F of the training set (seeded) for validation
  --early-stop N      stop after N epochs without a better validation figure; keep the best
  --monitor NAME      what --early-stop watches: loss | accuracy (default loss)
  --test-every-epoch  score the test set after every epoch (default: at the end only)
  --augment NAME      augment every batch: ${AUGMENT_NAMES.join(" | ")} (default none)
  --checkpoint FILE   write a checkpoint (weights, optimizer and RNG state) after every epoch
  --resume FILE       continue a checkpoint's run, with its settings, up to --epochs in total
  --report FILE       write an HTML report: curves, confusion matrix, mistakes, settings
  --standardize       standardize pixels with the training mean/std
  --seed N            seed of weights and shuffles, 0..4294967295 (default 1)
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
    epochs: { type: "string" },
    standardize: { type: "boolean" },
    out: { type: "string", default: "mnist.safetensors" },
    backend: { type: "string", default: "auto" },
    threads: { type: "string" },
    checkpoint: { type: "string" },
    report: { type: "string" },
    resume: { type: "string" },
    quiet: { type: "boolean", default: false },
    ...Object.fromEntries(
      RUN_FLAGS.map((f) => [f, { type: f === "test-every-epoch" ? "boolean" : "string" }]),
    ) as Record<(typeof RUN_FLAGS)[number], { type: "string" }>,
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

    let network: Network, settings: RunSettings, resume: TrainingState | undefined;
    let data: TrainingData, model: string, init = "";
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
      settings = checkpoint.settings as unknown as RunSettings;
      data = await loadTrainingData(settings);
      model = network.spec;
    } else {
      settings = runSettings(values, PRESETS[preset]);
      data = await loadTrainingData(settings);
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
      const epochs = intOption(
        "epochs",
        values.epochs ?? String(settings.epochs ?? PRESETS[preset].epochs),
      );
      if (resume && epochs <= resume.epoch) {
        throw new UsageError(
          `--epochs ${epochs}: "${values.resume}" has trained ${resume.epoch} epochs already; ` +
            "give the total to reach, more than that",
        );
      }
      const trainSet = settings.limit !== undefined && settings.limit < data.train.count
        ? subset(data.train, Array.from({ length: settings.limit }, (_, i) => i))
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
      const s = settings;
      const history = await fit(network, trainSet, {
        epochs,
        batchSize: s.batchSize,
        optimizer: s.optimizer,
        learningRate: s.learningRate,
        momentum: s.momentum,
        weightDecay: s.weightDecay,
        schedule: s.schedule,
        stepSize: s.stepSize,
        gamma: s.gamma,
        warmupEpochs: s.warmupEpochs,
        reduceOnPlateau: s.plateau === undefined ? undefined : { patience: s.plateau },
        seed: s.seed,
        validationSplit: s.validationSplit,
        earlyStopping: s.earlyStop === undefined
          ? undefined
          : { patience: s.earlyStop, monitor: s.monitor },
        testData: data.test,
        testEachEpoch: s.testEveryEpoch,
        augment: s.augment,
        resume,
        onBatchEnd: bar && ((p) => bar.update(p)),
        onEpochEnd: async (m, _stop, state) => {
          bar?.clear();
          say(epochLine(m, epochs));
          if (values.checkpoint !== undefined) {
            await saveCheckpoint(values.checkpoint, network, state, { ...s, epochs });
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
            `epoch ${history.bestEpoch} (best validation ${settings.monitor})\n`,
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
function describeRun(s: RunSettings, epochs: number): string {
  const parts = [`${s.optimizer} lr ${s.learningRate}`];
  if (s.weightDecay) parts.push(`weight decay ${s.weightDecay}`);
  parts.push(`batch ${s.batchSize}`, `${epochs} epochs`);
  if (s.schedule !== "constant") parts.push(`${s.schedule} schedule`);
  if (s.warmupEpochs) parts.push(`${s.warmupEpochs} warm-up epochs`);
  if (s.validationSplit) parts.push(`${s.validationSplit} held out for validation`);
  if (s.earlyStop) parts.push(`early stop after ${s.earlyStop} (${s.monitor})`);
  if (s.plateau) parts.push(`rate x0.1 after ${s.plateau} flat epochs`);
  if (s.augment) parts.push(`${s.augment} augmentation`);
  return parts.join(", ");
}

if (import.meta.main) Deno.exit(await train(Deno.args, processIo()));

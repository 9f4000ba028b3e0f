/**
 * `deno task train`: trains a network on MNIST (or any IDX or CSV image
 * data), printing a line per epoch, and saves it atomically at the end.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { pixelStatistics } from "../data/batcher.ts";
import { subset } from "../data/dataset.ts";
import type { ActivationName } from "../kernels/kernels.ts";
import { BACKEND_CHOICES, type BackendChoice } from "../kernels/select.ts";
import { INIT_NAMES } from "../model/initializers.ts";
import { saveNetwork } from "../model/model_file.ts";
import { ACTIVATION_NAMES, Network } from "../model/network.ts";
import { OPTIMIZER_NAMES } from "../model/optimizers.ts";
import { fit, SCHEDULES } from "../train/fit.ts";
import {
  choiceOption,
  intOption,
  type Io,
  numberOption,
  processIo,
  runCommand,
  UsageError,
} from "./_io.ts";
import { ProgressBar } from "./progress.ts";
import { checkOutputPath } from "./_output.ts";
import { parseSpec } from "../model/layers/spec.ts";
import { PRESET_NAMES, presetArchitecture, PRESETS } from "../train/presets.ts";
import { loadTrainingData } from "./_data.ts";

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
  --schedule NAME     ${SCHEDULES.join(" | ")}   (default constant)
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

/** Largest --batch-size (work buffers grow with it). */
const MAX_BATCH = 65536;
/** Largest --threads (the native pool's MND_MAX_THREADS). */
const MAX_THREADS = 256;

const pct = (x: number | undefined): string => x === undefined ? "-" : `${(x * 100).toFixed(2)}%`;

/**
 * Runs the train command.
 *
 * @param args Command-line arguments.
 * @param io Output streams.
 * @returns The exit code: 0 success, 1 failure, 2 usage error.
 */
export function train(args: string[], io: Io): Promise<number> {
  return runCommand(io, USAGE, async () => {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        preset: { type: "string" },
        layers: { type: "string" },
        sizes: { type: "string" },
        activation: { type: "string" },
        init: { type: "string", default: "he" },
        epochs: { type: "string" },
        "batch-size": { type: "string" },
        lr: { type: "string" },
        optimizer: { type: "string" },
        momentum: { type: "string", default: "0.9" },
        "weight-decay": { type: "string" },
        schedule: { type: "string" },
        standardize: { type: "boolean", default: false },
        seed: { type: "string", default: "1" },
        data: { type: "string" },
        "train-csv": { type: "string" },
        "test-csv": { type: "string" },
        out: { type: "string", default: "mnist.safetensors" },
        backend: { type: "string", default: "auto" },
        threads: { type: "string" },
        limit: { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    });
    if (values.help) {
      io.out(USAGE);
      return 0;
    }
    const preset = PRESETS[
      choiceOption("preset", values.preset ?? "mlp", PRESET_NAMES)
    ];
    if (values.layers !== undefined && (values.sizes !== undefined || values.activation)) {
      throw new UsageError("--layers replaces --sizes and --activation; give one or the other");
    }
    // Without --layers or --sizes the preset's architecture is used, resized to the data.
    const fromPreset = values.layers === undefined && values.sizes === undefined;
    if (fromPreset && values.activation !== undefined && !preset.sizes) {
      throw new UsageError("--activation applies to dense stacks (--sizes); use --layers");
    }
    let sizes: number[] | undefined;
    const activation = choiceOption<ActivationName>(
      "activation",
      values.activation ?? preset.activation ?? "relu",
      ACTIVATION_NAMES,
    );
    if (values.sizes !== undefined) {
      sizes = values.sizes.split(",").map((s) => intOption("sizes", s));
      if (sizes.length < 2) {
        throw new UsageError(`--sizes needs at least two widths, got "${values.sizes}"`);
      }
    }
    if (values.layers !== undefined) {
      try {
        parseSpec(values.layers);
      } catch (e) {
        throw new UsageError(`--layers: ${(e as Error).message}`);
      }
    }
    const init = choiceOption("init", values.init, INIT_NAMES);
    const epochs = intOption("epochs", values.epochs ?? String(preset.epochs));
    const batchSize = intOption(
      "batch-size",
      values["batch-size"] ?? String(preset.batchSize),
      false,
      MAX_BATCH,
    );
    const learningRate = numberOption(
      "lr",
      values.lr ?? String(preset.learningRate),
      Number.MIN_VALUE,
    );
    const optimizer = choiceOption(
      "optimizer",
      values.optimizer ?? preset.optimizer,
      OPTIMIZER_NAMES,
    );
    const momentum = numberOption("momentum", values.momentum, 0, 0.999999);
    const weightDecay = values["weight-decay"] === undefined
      ? undefined
      : numberOption("weight-decay", values["weight-decay"], 0, 1);
    const schedule = choiceOption("schedule", values.schedule ?? preset.schedule, SCHEDULES);
    const seed = intOption("seed", values.seed, true, 0xffffffff);
    const backend = choiceOption<BackendChoice>("backend", values.backend, BACKEND_CHOICES);
    const threads = values.threads === undefined
      ? undefined
      : intOption("threads", values.threads, false, MAX_THREADS);
    const limit = values.limit === undefined ? undefined : intOption("limit", values.limit);
    const say = values.quiet ? () => {} : io.out;

    await checkOutputPath("out", values.out);
    const data = await loadTrainingData(values);
    await checkOutputPath("out", values.out, data.files);
    const pixels = data.train.rows * data.train.cols;
    const trainSet = limit !== undefined && limit < data.train.count
      ? subset(data.train, Array.from({ length: limit }, (_, i) => i))
      : data.train;
    let layers = values.layers;
    if (fromPreset) ({ sizes, layers } = presetArchitecture(preset, pixels, data.classes));
    if (sizes && sizes[0] !== pixels) {
      throw new UsageError(
        `--sizes starts with ${sizes[0]}, but the images have ${pixels} pixels ` +
          `(${trainSet.rows}x${trainSet.cols})`,
      );
    }
    const preprocessing = values.standardize ? pixelStatistics(trainSet) : undefined;
    const common = { init, seed, backend, threads, preprocessing };
    let network: Network;
    try {
      network = sizes
        ? new Network({ sizes, activation, ...common })
        : new Network({ layers, inputShape: [trainSet.rows, trainSet.cols, 1], ...common });
    } catch (e) {
      if (e instanceof RangeError) {
        throw new UsageError(`--${sizes ? "sizes" : "layers"}: ${e.message}`);
      }
      throw e;
    }
    if (network.outputSize < data.classes) {
      throw new UsageError(
        `--${sizes ? "sizes" : "layers"}: the network has ${network.outputSize} outputs, but ` +
          `the labels go up to ${data.classes - 1}; end with ${data.classes} units or more`,
      );
    }
    if (network.fallbackReason) io.err(`note: using the TS backend; ${network.fallbackReason}\n`);
    say(`backend: ${network.backend}\n`);
    say(
      `data: ${data.source} (${trainSet.count} train, ${
        data.test ? `${data.test.count} test` : "no labelled test set"
      }; ${trainSet.rows}x${trainSet.cols} pixels, ${data.classes} classes)\n`,
    );
    say(
      `model: ${sizes ? `${sizes.join("-")} ${activation}` : network.spec}, ` +
        `${network.summary().trainableParams} parameters, ${init} init, ${optimizer} lr ${learningRate}${
          weightDecay ? ` weight decay ${weightDecay}` : ""
        }, ` +
        `batch ${batchSize}, ${epochs} epochs${
          schedule === "constant" ? "" : `, ${schedule} schedule`
        }\n`,
    );
    const bar = io.isTerminal && !values.quiet ? new ProgressBar(io.out) : undefined;
    const history = fit(network, trainSet, {
      epochs,
      batchSize,
      optimizer,
      learningRate,
      momentum,
      weightDecay,
      schedule,
      seed,
      validationData: data.test,
      onBatchEnd: bar && ((p) => bar.update(p)),
      onEpochEnd: (m) => {
        bar?.clear();
        say(
          `epoch ${String(m.epoch).padStart(3)}/${epochs}  ${m.seconds.toFixed(2).padStart(7)}s  ` +
            `loss ${m.trainLoss.toFixed(4)}  train ${pct(m.trainAccuracy)}  ` +
            `test ${pct(m.validationAccuracy)}\n`,
        );
      },
    });
    // One atomic write at the end: an interrupted run leaves any old file intact.
    await saveNetwork(network, values.out);
    const last = history.epochs.at(-1);
    const total = history.epochs.reduce((s, m) => s + m.seconds, 0);
    const tested = data.test &&
      (last?.validationAccuracy ?? network.evaluate(data.test).accuracy);
    io.out(
      `${tested === undefined ? "no labelled test set; " : `test accuracy ${pct(tested)} `}` +
        `after ${history.epochs.length} epochs (${total.toFixed(1)}s training)\n`,
    );
    io.out(`saved ${values.out}\n`);
    return 0;
  });
}

if (import.meta.main) Deno.exit(await train(Deno.args, processIo()));

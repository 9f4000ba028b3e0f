// The train command's architecture flags (--layers, --sizes, --activation,
// --init, --standardize, or the preset's network), turned into a network
// sized for the data, with usage errors that name the flag.

import { pixelStatistics } from "../data/pixel_transform.ts";
import type { ActivationName } from "../kernels/kernels.ts";
import { BACKEND_CHOICES, type BackendChoice, MAX_THREADS } from "../kernels/select.ts";
import { INIT_NAMES } from "../model/initializers.ts";
import { parseSpec } from "../model/layers/spec.ts";
import { ACTIVATION_NAMES, Network } from "../model/network.ts";
import { type Preset, presetArchitecture } from "../train/presets.ts";
import type { TrainingData } from "./_data.ts";
import { choiceOption, intOption, UsageError } from "./_io.ts";

/** `--backend` and `--threads`, as the network options take them. */
export function computeFlags(
  values: { backend: string; threads?: string },
): { backend: BackendChoice; threads?: number } {
  return {
    backend: choiceOption<BackendChoice>("backend", values.backend, BACKEND_CHOICES),
    threads: values.threads === undefined
      ? undefined
      : intOption("threads", values.threads, false, MAX_THREADS),
  };
}

/** The architecture flags. */
export interface ModelFlags {
  layers?: string;
  sizes?: string;
  activation?: string;
  init?: string;
  standardize?: boolean;
}

/**
 * Builds the network the flags describe for `data`: `--layers`, `--sizes`,
 * or the preset's architecture resized to the data's pixels and classes.
 */
export function buildNetwork(
  flags: ModelFlags,
  preset: Preset,
  data: TrainingData,
  seed: number,
  backend: BackendChoice,
  threads: number | undefined,
): { network: Network; model: string; init: string } {
  if (flags.layers !== undefined && (flags.sizes !== undefined || flags.activation)) {
    throw new UsageError("--layers replaces --sizes and --activation; give one or the other");
  }
  // Without --layers or --sizes the preset's architecture is used, resized to the data.
  const fromPreset = flags.layers === undefined && flags.sizes === undefined;
  if (fromPreset && flags.activation !== undefined && !preset.sizes) {
    throw new UsageError("--activation applies to dense stacks (--sizes); use --layers");
  }
  const activation = choiceOption<ActivationName>(
    "activation",
    flags.activation ?? preset.activation ?? "relu",
    ACTIVATION_NAMES,
  );
  const init = choiceOption("init", flags.init ?? preset.init ?? "he", INIT_NAMES);
  const { rows, cols } = data.train, pixels = rows * cols;
  let sizes = flags.sizes?.split(",").map((s) => intOption("sizes", s));
  let layers = flags.layers;
  if (sizes && sizes.length < 2) {
    throw new UsageError(`--sizes needs at least two widths, got "${flags.sizes}"`);
  }
  if (layers !== undefined) {
    try {
      parseSpec(layers);
    } catch (e) {
      throw new UsageError(`--layers: ${(e as Error).message}`);
    }
  }
  if (fromPreset) ({ sizes, layers } = presetArchitecture(preset, pixels, data.classes));
  if (sizes && sizes[0] !== pixels) {
    throw new UsageError(
      `--sizes starts with ${sizes[0]}, but the images have ${pixels} pixels (${rows}x${cols})`,
    );
  }
  const standardize = flags.standardize ?? preset.standardize ?? false;
  const preprocessing = standardize ? pixelStatistics(data.train) : undefined;
  const common = { init, seed, backend, threads, preprocessing };
  const flag = sizes ? "sizes" : "layers";
  let network: Network;
  try {
    network = sizes
      ? new Network({ sizes, activation, ...common })
      : new Network({ layers, inputShape: [rows, cols, 1], ...common });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(`--${flag}: ${e.message}`);
    throw e;
  }
  if (network.outputSize < data.classes) {
    throw new UsageError(
      `--${flag}: the network has ${network.outputSize} outputs, but the labels go up to ` +
        `${data.classes - 1}; end with ${data.classes} units or more`,
    );
  }
  return { network, model: sizes ? `${sizes.join("-")} ${activation}` : network.spec, init };
}

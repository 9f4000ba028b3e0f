/**
 * Saving and loading a {@link Network}: one safetensors file holding the
 * layer spec, input shape and preprocessing (in `__metadata__`) and every
 * tensor as `layers.<i>.<name>`, where `i` indexes `Network.layers` (an
 * activation fused into a dense or conv layer has no index of its own):
 * dense `weight` (out x in, like PyTorch's `nn.Linear`) and `bias`, conv
 * `weight` (filters x k x k x channels) and `bias`, batch norm `weight`,
 * `bias`, `running_mean`, `running_var`. Version-1 files (dense stacks
 * described by `sizes` and `activation`) still load. Writes are atomic: a
 * crash never leaves a partial file.
 *
 * @module
 */

import { writeFileAtomic } from "../_atomic.ts";
import type { BackendChoice } from "../kernels/select.ts";
import type { Kernels } from "../kernels/kernels.ts";
import { type ActivationName, LEAKY_RELU_SLOPE } from "../kernels/kernels.ts";
import { affineOf } from "../data/pixel_transform.ts";
import { ACTIVATION_NAMES, MAX_PARAMETERS, Network } from "./network.ts";
import { buildLayers, mlpSpec, parseSpec } from "./layers/spec.ts";
import type { Layer } from "./layers/layer.ts";
import { architecture } from "./_architecture.ts";
import { createTsKernels } from "../kernels/ts_kernels.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  ModelFormatError,
  readSafetensorsFile,
  type Tensor,
} from "./safetensors.ts";

/** Value of the `format` metadata field. */
export const MODEL_FORMAT = "mnist-dnn";
/** Current model file format version; files of other versions are rejected. */
export const MODEL_FORMAT_VERSION = 2;

/** Options for the network a loaded model runs on. */
export interface LoadOptions {
  /** Compute backend. Default `"auto"`. */
  backend?: BackendChoice | Kernels;
  /** Threads for the native backend. */
  threads?: number;
  /** Seed of the dropout masks in further training (the weights come from the file). Default 1. */
  seed?: number;
}

/**
 * Serializes a network to safetensors bytes.
 *
 * @param network The network to save.
 * @returns The file contents.
 * @example Round-trip in memory
 * ```ts
 * import { Network } from "jsr:@x/mnist-dnn";
 * import { networkFromBytes, networkToBytes } from "jsr:@x/mnist-dnn";
 * const net = new Network({ sizes: [4, 3, 2], backend: "ts" });
 * const copy = networkFromBytes(networkToBytes(net), "mem", { backend: "ts" });
 * console.log(copy.spec); // dense(3) relu dense(2)
 * ```
 */
export function networkToBytes(network: Network): Uint8Array {
  const [scale, shift] = affineOf(network.preprocessing);
  const tensors = new Map<string, Tensor>();
  network.layers.forEach((layer, i) => {
    for (const t of layer.tensors()) {
      tensors.set(`layers.${i}.${t.name}`, { shape: t.shape, data: t.data });
    }
  });
  return encodeSafetensors({
    metadata: {
      format: MODEL_FORMAT,
      format_version: String(MODEL_FORMAT_VERSION),
      spec: network.spec,
      input_shape: network.inputShape.join(","),
      preprocessing: JSON.stringify(network.preprocessing),
      // For other tools: everything needed to run the model from this file.
      pixel_scale: String(1 / 255),
      input: `per sample ${network.inputShape.join("x")} values, row-major (NHWC), each ` +
        `(pixel * pixel_scale - mean) / std = pixel * ${scale} + ${shift}`,
      output: `logits (${network.outputSize} classes); softmax gives probabilities`,
      layout: "dense weight (out, in); conv weight (filters, k, k, channels); activations NHWC",
      leaky_relu_slope: String(LEAKY_RELU_SLOPE),
    },
    tensors,
  });
}

/**
 * Rebuilds a network from safetensors bytes written by {@link networkToBytes}
 * (format version 2) or by version 1 (dense stacks).
 *
 * @param bytes The file contents.
 * @param source File name used in error messages.
 * @param options Backend for the new network.
 * @returns The network, with the saved weights, state and preprocessing.
 * @throws {ModelFormatError} If the file is truncated, corrupted, of another
 *   format version, or its tensors do not match its architecture.
 * @example See {@link networkToBytes}.
 * ```ts
 * import { networkFromBytes } from "jsr:@x/mnist-dnn";
 * try { networkFromBytes(new Uint8Array(2), "x", {}); } catch (e) { console.log((e as Error).name); }
 * // ModelFormatError
 * ```
 */
export function networkFromBytes(
  bytes: Uint8Array,
  source: string,
  options: LoadOptions = {},
): Network {
  const { metadata, tensors } = decodeSafetensors(bytes, source);
  const fail = (why: string): never => {
    throw new ModelFormatError(`Cannot load model "${source}": ${why}`);
  };
  if (metadata.format !== MODEL_FORMAT) {
    fail(`metadata "format" is ${JSON.stringify(metadata.format)}, expected "${MODEL_FORMAT}"`);
  }
  let spec = "", inputShape: number[] = [];
  if (metadata.format_version === "1") {
    const sizes = (metadata.sizes ?? "").split(",").map(Number);
    if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
      fail(`metadata "sizes" is ${JSON.stringify(metadata.sizes)}, expected e.g. "784,128,10"`);
    }
    const activation = metadata.activation as ActivationName;
    if (!ACTIVATION_NAMES.includes(activation)) {
      fail(`metadata "activation" is ${JSON.stringify(metadata.activation)}`);
    }
    spec = mlpSpec(sizes, activation);
    inputShape = [sizes[0]];
  } else if (metadata.format_version === String(MODEL_FORMAT_VERSION)) {
    spec = metadata.spec ?? "";
    inputShape = (metadata.input_shape ?? "").split(",").map(Number);
  } else {
    fail(
      `format_version ${JSON.stringify(metadata.format_version)} is not supported ` +
        `(this version reads 1 and ${MODEL_FORMAT_VERSION}); re-save the model with a matching version`,
    );
  }
  let preprocessing = { mean: 0, std: 1 };
  try {
    preprocessing = JSON.parse(metadata.preprocessing ?? '{"mean":0,"std":1}');
  } catch {
    fail(`metadata "preprocessing" is not JSON: ${metadata.preprocessing}`);
  }
  if (!(Number.isFinite(preprocessing?.mean) && preprocessing?.std > 0)) {
    fail(`metadata "preprocessing" ${metadata.preprocessing} needs a finite mean and positive std`);
  }
  // Everything is checked against the layers' shapes before the network
  // and its arenas are allocated: a short file cannot make us allocate more
  // than the parameters it holds.
  let layers: Layer[];
  try {
    const resolved = architecture({ layers: spec, inputShape });
    layers = buildLayers(parseSpec(resolved.spec), resolved.inputShape, createTsKernels(), 1);
  } catch (e) {
    if (!(e instanceof RangeError || e instanceof TypeError)) throw e;
    return fail(
      `metadata "spec" ${JSON.stringify(spec)} / "input_shape" ` +
        `${JSON.stringify(metadata.input_shape ?? inputShape.join(","))}: ${e.message}`,
    );
  }
  const expected = layers.flatMap((layer, i) =>
    layer.tensors().map((t) => ({ name: `layers.${i}.${t.name}`, shape: t.shape }))
  );
  if (tensors.size !== expected.length) {
    fail(`it holds ${tensors.size} tensors, but spec "${spec}" needs ${expected.length}`);
  }
  for (const { name, shape } of expected) {
    const t = tensors.get(name);
    if (!t) return fail(`tensor "${name}" is missing`);
    if (t.shape.join(",") !== shape.join(",")) {
      fail(`tensor "${name}" has shape [${t.shape}], but spec "${spec}" needs [${shape}]`);
    }
    const bad = t.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      fail(`tensor "${name}" holds ${t.data[bad]} at index ${bad}; weights must be finite`);
    }
  }
  let network: Network;
  try {
    network = new Network({ layers: spec, inputShape, preprocessing, ...options });
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return fail(`metadata "spec" ${JSON.stringify(spec)}: ${e.message}`);
  }
  network.layers.forEach((layer, i) => {
    for (const t of layer.tensors()) t.data.set(tensors.get(`layers.${i}.${t.name}`)!.data);
  });
  return network;
}

/**
 * Saves a network to `path` atomically (temp file + rename).
 *
 * @param network The network.
 * @param path Destination, conventionally `*.safetensors`.
 * @returns Resolves once the file is in place.
 * @throws {Deno.errors.PermissionDenied} Or another I/O error; the old file, if any, is intact.
 * @example Save after training
 * ```ts ignore
 * import { saveNetwork } from "jsr:@x/mnist-dnn";
 * await saveNetwork(net, "mnist.safetensors");
 * ```
 */
export async function saveNetwork(network: Network, path: string): Promise<void> {
  await writeFileAtomic(path, networkToBytes(network));
}

/**
 * Largest model file read: the parameter cap in float32, as much again for
 * state (batch-norm statistics are far smaller), and the header.
 */
const MAX_MODEL_BYTES = 2 * 4 * MAX_PARAMETERS + 100_000_008;

/**
 * Loads a network saved by {@link saveNetwork}.
 *
 * @param path The model file.
 * @param options Backend for the network.
 * @returns The network.
 * @throws {ModelFormatError} If the file is not a valid model; `Deno.errors.NotFound` if missing.
 * @example Load and predict
 * ```ts ignore
 * import { loadNetwork } from "jsr:@x/mnist-dnn";
 * const net = await loadNetwork("mnist.safetensors");
 * ```
 */
export async function loadNetwork(path: string, options: LoadOptions = {}): Promise<Network> {
  return networkFromBytes(await readSafetensorsFile(path, MAX_MODEL_BYTES), path, options);
}

/**
 * Saving and loading a {@link Network}: one safetensors file holding the
 * architecture and preprocessing (in `__metadata__`) and the weights as
 * `layers.<i>.weight` (out x in, like PyTorch's `nn.Linear`) and
 * `layers.<i>.bias`. Writes are atomic: a crash never leaves a partial file.
 *
 * @module
 */

import { writeFileAtomic } from "../data/_atomic.ts";
import type { BackendChoice } from "../kernels/select.ts";
import type { Kernels } from "../kernels/kernels.ts";
import type { ActivationName } from "../kernels/kernels.ts";
import { ACTIVATION_NAMES, Network } from "./network.ts";
import {
  decodeSafetensors,
  encodeSafetensors,
  ModelFormatError,
  type Tensor,
} from "./safetensors.ts";

/** Value of the `format` metadata field. */
export const MODEL_FORMAT = "mnist-dnn";
/** Current model file format version; files of other versions are rejected. */
export const MODEL_FORMAT_VERSION = 1;

/** Options for the network a loaded model runs on. */
export interface LoadOptions {
  /** Compute backend. Default `"auto"`. */
  backend?: BackendChoice | Kernels;
  /** Threads for the native backend. */
  threads?: number;
}

/**
 * Serializes a network to safetensors bytes.
 *
 * @param network The network to save.
 * @returns The file contents.
 * @example Round-trip in memory
 * ```ts
 * import { Network } from "./network.ts";
 * import { networkFromBytes, networkToBytes } from "./model_file.ts";
 * const net = new Network({ sizes: [4, 3, 2], backend: "ts" });
 * const copy = networkFromBytes(networkToBytes(net), "mem", { backend: "ts" });
 * console.log(copy.sizes); // [ 4, 3, 2 ]
 * ```
 */
export function networkToBytes(network: Network): Uint8Array {
  const tensors = new Map<string, Tensor>();
  const sizes = network.sizes;
  for (let l = 1; l < sizes.length; l++) {
    tensors.set(`layers.${l - 1}.weight`, {
      shape: [sizes[l], sizes[l - 1]],
      data: network.weights[l - 1],
    });
    tensors.set(`layers.${l - 1}.bias`, { shape: [sizes[l]], data: network.biases[l - 1] });
  }
  return encodeSafetensors({
    metadata: {
      format: MODEL_FORMAT,
      format_version: String(MODEL_FORMAT_VERSION),
      sizes: sizes.join(","),
      activation: network.activation,
      preprocessing: JSON.stringify(network.preprocessing),
    },
    tensors,
  });
}

/**
 * Rebuilds a network from safetensors bytes written by {@link networkToBytes}.
 *
 * @param bytes The file contents.
 * @param source File name used in error messages.
 * @param options Backend for the new network.
 * @returns The network, with the saved weights and preprocessing.
 * @throws {ModelFormatError} If the file is truncated, corrupted, of another
 *   format version, or its tensors do not match its architecture.
 * @example See {@link networkToBytes}.
 * ```ts
 * import { networkFromBytes } from "./model_file.ts";
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
  if (metadata.format_version !== String(MODEL_FORMAT_VERSION)) {
    fail(
      `format_version ${JSON.stringify(metadata.format_version)} is not supported ` +
        `(this version reads ${MODEL_FORMAT_VERSION}); re-save the model with a matching version`,
    );
  }
  const sizes = (metadata.sizes ?? "").split(",").map(Number);
  if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    fail(`metadata "sizes" is ${JSON.stringify(metadata.sizes)}, expected e.g. "784,128,10"`);
  }
  const activation = metadata.activation as ActivationName;
  if (!ACTIVATION_NAMES.includes(activation)) {
    fail(`metadata "activation" is ${JSON.stringify(metadata.activation)}`);
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
  const network = new Network({ sizes, activation, preprocessing, ...options });
  if (tensors.size !== 2 * (sizes.length - 1)) {
    fail(`it holds ${tensors.size} tensors, but sizes [${sizes}] need ${2 * (sizes.length - 1)}`);
  }
  for (let l = 1; l < sizes.length; l++) {
    for (
      const [name, shape, target] of [
        [`layers.${l - 1}.weight`, [sizes[l], sizes[l - 1]], network.weights[l - 1]],
        [`layers.${l - 1}.bias`, [sizes[l]], network.biases[l - 1]],
      ] as const
    ) {
      const t = tensors.get(name);
      if (!t) fail(`tensor "${name}" is missing`);
      if (t!.shape.join(",") !== shape.join(",")) {
        fail(`tensor "${name}" has shape [${t!.shape}], but sizes [${sizes}] need [${shape}]`);
      }
      target.set(t!.data);
    }
  }
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
 * import { saveNetwork } from "./model_file.ts";
 * await saveNetwork(net, "mnist.safetensors");
 * ```
 */
export async function saveNetwork(network: Network, path: string): Promise<void> {
  await writeFileAtomic(path, networkToBytes(network));
}

/**
 * Loads a network saved by {@link saveNetwork}.
 *
 * @param path The model file.
 * @param options Backend for the network.
 * @returns The network.
 * @throws {ModelFormatError} If the file is not a valid model; `Deno.errors.NotFound` if missing.
 * @example Load and predict
 * ```ts ignore
 * import { loadNetwork } from "./model_file.ts";
 * const net = await loadNetwork("mnist.safetensors");
 * ```
 */
export async function loadNetwork(path: string, options: LoadOptions = {}): Promise<Network> {
  return networkFromBytes(await Deno.readFile(path), path, options);
}

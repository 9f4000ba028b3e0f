// Batched inference for Network: predict, predictProba and evaluate run the
// forward pass over chunks of samples, converting pixel bytes with the
// network's preprocessing on the way in.

import { checkDataset, type Dataset } from "../data/dataset.ts";
import { affineOf } from "../data/pixel_transform.ts";
import type { Kernels } from "../kernels/kernels.ts";
import type { Preprocessing } from "../data/pixel_transform.ts";
import { bytesOf, checkImages, type Images } from "./_inputs.ts";

/** What inference needs of a network (`Network` is one). */
export interface InferenceModel {
  /** Values per sample. */
  readonly inputSize: number;
  /** Classes. */
  readonly outputSize: number;
  /** Backend. */
  readonly kernels: Kernels;
  /** Applied to byte inputs. */
  readonly preprocessing: Preprocessing;
  /** Bytes held to run `rows` samples (see `Network.memoryBytes`). */
  memoryBytes?(rows: number): number;
  /** Logits of `rows` float samples (evaluation mode). */
  forward(x: Float32Array, rows: number): Float32Array;
}

/** Result of `Network.evaluate`. */
export interface Evaluation {
  /** Mean cross-entropy loss. */
  loss: number;
  /** Fraction of samples classified correctly. */
  accuracy: number;
  /** `confusion[label][predicted]` counts. */
  confusion: number[][];
}

/** Largest number of rows pushed through the network at once. */
const CHUNK_ROWS = 500;
/**
 * Work memory one chunk may take: 64 MiB. The `cnn` preset's layers hold
 * about 200 KB per image, so its chunks are 300-odd images, and a deep
 * stack of wide convolutions gets a few images per chunk instead of
 * gigabytes.
 */
const CHUNK_BYTES = 64 * 2 ** 20;

/** Rows per chunk: at most {@link CHUNK_ROWS}, and within {@link CHUNK_BYTES} of work memory. */
function chunkRows(network: InferenceModel, count: number): number {
  const rows = Math.min(count, CHUNK_ROWS);
  if (!network.memoryBytes || rows === 0) return rows;
  const perRow = (network.memoryBytes(rows) - network.memoryBytes(0)) / rows;
  return Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / perRow)));
}

/**
 * Calls `visit` with the logits of each chunk of samples. Byte inputs are
 * gathered into floats with the network's preprocessing (and, given
 * `labels`, the chunk's labels into `chunkLabels`).
 */
function forEachChunk(
  network: InferenceModel,
  input: Images,
  visit: (logits: Float32Array, start: number, rows: number, chunkLabels: Int32Array) => void,
  labels?: Uint8Array,
): void {
  const width = network.inputSize;
  const count = input.length / width;
  const chunk = chunkRows(network, count);
  if (chunk === 0) return;
  const kernels = network.kernels;
  const bytes = input instanceof Float32Array ? undefined : bytesOf(input);
  const floats = bytes ? kernels.allocate(chunk * width) : undefined;
  const indices = new Int32Array(chunk);
  const chunkLabels = new Int32Array(chunk);
  const [scale, shift] = affineOf(network.preprocessing);
  try {
    for (let start = 0; start < count; start += chunk) {
      const rows = Math.min(chunk, count - start);
      let x: Float32Array;
      if (bytes) {
        for (let i = 0; i < rows; i++) indices[i] = start + i;
        kernels.gatherBatch(
          floats!,
          labels ? chunkLabels : null,
          bytes,
          labels ?? null,
          indices,
          rows,
          width,
          scale,
          shift,
        );
        x = floats!;
      } else {
        x = (input as Float32Array).subarray(start * width, (start + rows) * width);
      }
      visit(network.forward(x, rows), start, rows, chunkLabels);
    }
  } finally {
    // The wasm heap is not garbage-collected: give the chunk buffer back.
    if (floats) kernels.free(floats);
  }
}

/** Throws unless `input` is an accepted array of whole samples. */
function checkInput(network: InferenceModel, input: Images): void {
  checkImages(input);
  const width = network.inputSize;
  if (input.length % width !== 0) {
    throw new RangeError(
      `Input holds ${input.length} values, not a whole number of ${width}-feature samples`,
    );
  }
}

/** Index of the largest of `n` values starting at `offset`. */
function argmax(values: Float32Array, offset: number, n: number): number {
  let best = 0;
  for (let j = 1; j < n; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

/** See `Network.predictProba`. */
export function predictProba(network: InferenceModel, input: Images): Float32Array {
  checkInput(network, input);
  const classes = network.outputSize;
  const out = new Float32Array((input.length / network.inputSize) * classes);
  forEachChunk(network, input, (logits, start, rows) => {
    const dst = out.subarray(start * classes, (start + rows) * classes);
    dst.set(logits.subarray(0, rows * classes));
    network.kernels.softmax(dst, rows, classes);
  });
  return out;
}

/** See `Network.predict`. */
export function predict(network: InferenceModel, input: Images): Int32Array {
  checkInput(network, input);
  const classes = network.outputSize;
  const out = new Int32Array(input.length / network.inputSize);
  forEachChunk(network, input, (logits, start, rows) => {
    for (let i = 0; i < rows; i++) out[start + i] = argmax(logits, i * classes, classes);
  });
  return out;
}

/** See `Network.evaluate`. */
export function evaluate(network: InferenceModel, data: Dataset): Evaluation {
  checkDataset(data, "evaluate on", network.inputSize, network.outputSize);
  const labels = data.labels!;
  const width = network.inputSize;
  const classes = network.outputSize;
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  const stats = new Float64Array(2);
  const grad = new Float32Array(chunkRows(network, data.count) * classes);
  forEachChunk(
    network,
    data.images.subarray(0, data.count * width),
    (logits, start, rows, chunkLabels) => {
      network.kernels.softmaxCrossEntropy(logits, chunkLabels, grad, rows, classes, 0, stats);
      for (let i = 0; i < rows; i++) {
        confusion[labels[start + i]][argmax(logits, i * classes, classes)]++;
      }
    },
    labels,
  );
  const n = data.count;
  return { loss: stats[0] / n, accuracy: stats[1] / n, confusion };
}

/**
 * The in-memory form of a labelled image dataset.
 *
 * @module
 */

import { Random } from "../random.ts";

/**
 * Images as one contiguous byte array (`count` samples of `rows * cols`
 * pixels, row-major, 0..255) with one label per image, or `null` labels for
 * data meant only for prediction.
 */
export interface Dataset {
  /** Pixel bytes, `count * rows * cols` of them. */
  readonly images: Uint8Array;
  /** Class per image (`count` of them), or `null` when unlabelled. */
  readonly labels: Uint8Array | null;
  /** Number of samples. */
  readonly count: number;
  /** Image height in pixels. */
  readonly rows: number;
  /** Image width in pixels. */
  readonly cols: number;
}

/**
 * Copies the samples at `indices` into a new dataset.
 *
 * @param data The source dataset.
 * @param indices Sample indices to keep, in order.
 * @returns A dataset of `indices.length` samples.
 * @throws {RangeError} If an index is outside the dataset.
 * @example Keep the first sample
 * ```ts
 * import { subset } from "./dataset.ts";
 * const data = { images: new Uint8Array([1, 2, 3, 4]), labels: new Uint8Array([0, 1]),
 *   count: 2, rows: 1, cols: 2 };
 * console.log(subset(data, [1]).images); // Uint8Array(2) [ 3, 4 ]
 * ```
 */
export function subset(data: Dataset, indices: ArrayLike<number>): Dataset {
  const features = data.rows * data.cols;
  const images = new Uint8Array(indices.length * features);
  const labels = data.labels ? new Uint8Array(indices.length) : null;
  for (let i = 0; i < indices.length; i++) {
    const s = indices[i];
    if (!(Number.isInteger(s) && s >= 0 && s < data.count)) {
      throw new RangeError(`Cannot take sample ${s}: the dataset has ${data.count} samples`);
    }
    images.set(data.images.subarray(s * features, (s + 1) * features), i * features);
    if (labels && data.labels) labels[i] = data.labels[s];
  }
  return { images, labels, count: indices.length, rows: data.rows, cols: data.cols };
}

/**
 * Splits a dataset into a training part and a held-out validation part,
 * after a seeded shuffle.
 *
 * @param data The dataset to split.
 * @param validationCount How many samples go to validation (0..count).
 * @param seed Seed of the shuffle.
 * @returns The two parts; together they hold every sample once.
 * @throws {RangeError} If `validationCount` is out of range.
 * @example Hold out one sample
 * ```ts
 * import { splitDataset } from "./dataset.ts";
 * const data = { images: new Uint8Array(4), labels: new Uint8Array(4), count: 4, rows: 1, cols: 1 };
 * const { train, validation } = splitDataset(data, 1, 7);
 * console.log(train.count, validation.count); // 3 1
 * ```
 */
export function splitDataset(
  data: Dataset,
  validationCount: number,
  seed: number,
): { train: Dataset; validation: Dataset } {
  if (!Number.isInteger(validationCount) || validationCount < 0 || validationCount > data.count) {
    throw new RangeError(
      `Cannot hold out ${validationCount} validation samples from ${data.count}`,
    );
  }
  const order = Int32Array.from({ length: data.count }, (_, i) => i);
  new Random(seed).shuffle(order);
  return {
    validation: subset(data, order.subarray(0, validationCount)),
    train: subset(data, order.subarray(validationCount)),
  };
}

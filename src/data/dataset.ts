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
 * Checks that a dataset is usable for `what` (e.g. "train on"): a positive
 * sample count, images and labels holding as many samples as it claims,
 * and images of `features` values when given.
 *
 * @param data The dataset.
 * @param what What is being done, for the message (e.g. `"train on"`).
 * @param features Values per sample the consumer expects, if any.
 * @param classes Number of classes the consumer predicts, if any: every label must be below it.
 * @throws {TypeError} If the labels are missing or the images have the wrong size.
 * @throws {RangeError} If the dataset is empty or its arrays disagree with its count.
 * @example
 * ```ts
 * import { checkDataset } from "jsr:@x/mnist-dnn/data";
 * const data = { images: new Uint8Array(4), labels: new Uint8Array(2), count: 2, rows: 1, cols: 2 };
 * checkDataset(data, "train on", 2); // fine
 * try { checkDataset({ ...data, count: 3 }, "train on"); } catch (e) { console.log((e as Error).message); }
 * // Cannot train on the dataset: its count is 3, but its images hold 2 samples of 1x2 pixels
 * ```
 */
export function checkDataset(
  data: Dataset,
  what: string,
  features?: number,
  classes?: number,
): void {
  const { count, rows, cols } = data;
  if (!(Number.isSafeInteger(count) && count >= 1)) {
    throw new RangeError(`Cannot ${what} an empty dataset (count ${count})`);
  }
  if (!data.labels) throw new TypeError(`Cannot ${what} an unlabelled dataset`);
  const held = Math.floor(data.images.length / (rows * cols));
  if (!(rows >= 1 && cols >= 1) || held < count) {
    throw new RangeError(
      `Cannot ${what} the dataset: its count is ${count}, but its images hold ${held} samples ` +
        `of ${rows}x${cols} pixels`,
    );
  }
  if (data.labels.length < count) {
    throw new RangeError(
      `Cannot ${what} the dataset: its count is ${count}, but it has ${data.labels.length} labels`,
    );
  }
  if (classes !== undefined) {
    let top = 0;
    for (let i = 0; i < count; i++) if (data.labels[i] > top) top = data.labels[i];
    if (top >= classes) {
      throw new RangeError(
        `Cannot ${what} the dataset: its labels go up to ${top}, but the network has ` +
          `${classes} outputs; give the last layer at least ${top + 1} units`,
      );
    }
  }
  if (features !== undefined && rows * cols !== features) {
    throw new TypeError(
      `Cannot ${what} the dataset: its samples have ${rows}x${cols} = ${rows * cols} features; ` +
        `the network expects ${features}`,
    );
  }
}

/**
 * The number of classes a set of datasets uses: the largest label plus one.
 *
 * @param datasets Labelled datasets (unlabelled ones are skipped).
 * @returns Largest label + 1, or 0 when there are no labels.
 * @example
 * ```ts
 * import { classCount } from "jsr:@x/mnist-dnn/data";
 * const data = { images: new Uint8Array(3), labels: new Uint8Array([0, 4, 2]), count: 3, rows: 1, cols: 1 };
 * console.log(classCount(data)); // 5
 * ```
 */
export function classCount(...datasets: Dataset[]): number {
  let top = -1;
  for (const { labels, count } of datasets) {
    if (!labels) continue;
    for (let i = 0; i < count; i++) if (labels[i] > top) top = labels[i];
  }
  return top + 1;
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
 * import { subset } from "jsr:@x/mnist-dnn/data";
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
 * import { splitDataset } from "jsr:@x/mnist-dnn/data";
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

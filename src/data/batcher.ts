/**
 * Mini-batches for training: a seeded shuffle per epoch and a gather of each
 * batch into buffers allocated once, so an epoch allocates nothing per batch.
 *
 * @module
 */

import type { Kernels } from "../kernels/kernels.ts";
import { Random } from "../random.ts";
import type { Dataset } from "./dataset.ts";
import { affineOf, type Preprocessing, UNIT_SCALE } from "./pixel_transform.ts";

/** Options of a {@link Batcher}. */
export interface BatcherOptions {
  /** Samples per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Reshuffle at every epoch. Default `true`. */
  shuffle?: boolean;
  /** Seed of the shuffles. Default `1`. */
  seed?: number;
  /** Pixel preprocessing. Default {@link UNIT_SCALE}. */
  preprocessing?: Preprocessing;
}

/**
 * Serves a dataset as mini-batches of `Float32Array` inputs and `Int32Array`
 * labels, written into the same two buffers every time.
 *
 * @example Two batches from three samples
 * ```ts
 * import { Batcher } from "jsr:@x/mnist-dnn/data";
 * import { createTsKernels } from "jsr:@x/mnist-dnn/kernels";
 * const data = { images: new Uint8Array([0, 255, 51]), labels: new Uint8Array([1, 2, 3]),
 *   count: 3, rows: 1, cols: 1 };
 * const batcher = new Batcher(data, createTsKernels(), { batchSize: 2, shuffle: false });
 * batcher.startEpoch();
 * console.log(batcher.next(), batcher.input); // 2 Float32Array(2) [ 0, 1 ]
 * console.log(batcher.next(), batcher.labels[0]); // 1 3
 * ```
 */
export class Batcher {
  /** Input buffer: `batchSize` rows of `rows * cols` features. */
  readonly input: Float32Array;
  /** Label buffer: `batchSize` class indices. */
  readonly labels: Int32Array;
  /** Samples per full batch. */
  readonly batchSize: number;
  readonly #data: Dataset;
  readonly #kernels: Kernels;
  readonly #order: Int32Array;
  readonly #batchIndices: Int32Array;
  readonly #random: Random;
  readonly #shuffle: boolean;
  readonly #scale: number;
  readonly #shift: number;
  #position = 0;

  /**
   * Prepares batches of `data`; call {@link startEpoch} before {@link next}.
   *
   * @param data The dataset; must be labelled.
   * @param kernels Backend that gathers the batches.
   * @param options Batch size, shuffling and preprocessing.
   * @throws {TypeError} If the dataset has no labels.
   * @throws {RangeError} If the batch size is not a positive integer.
   */
  constructor(data: Dataset, kernels: Kernels, options: BatcherOptions) {
    const { batchSize } = options;
    if (!data.labels) throw new TypeError("Cannot batch an unlabelled dataset for training");
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`Batch size must be a positive integer, got ${batchSize}`);
    }
    this.batchSize = batchSize;
    this.#data = data;
    this.#kernels = kernels;
    this.#order = Int32Array.from({ length: data.count }, (_, i) => i);
    this.#batchIndices = new Int32Array(Math.max(1, Math.min(batchSize, data.count)));
    this.#random = new Random(options.seed ?? 1);
    this.#shuffle = options.shuffle ?? true;
    [this.#scale, this.#shift] = affineOf(options.preprocessing ?? UNIT_SCALE);
    // A batch never holds more than the dataset (a larger size is one batch).
    const rows = Math.max(1, Math.min(batchSize, data.count));
    this.input = kernels.allocate(rows * data.rows * data.cols);
    this.labels = new Int32Array(rows);
    this.#position = data.count;
  }

  /** Gives {@link input} back to the backend (the batcher is not used afterwards). */
  dispose(): void {
    this.#kernels.free(this.input);
  }

  /** Same as {@link dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    return Math.ceil(this.#data.count / this.batchSize);
  }

  /** Starts a new epoch, reshuffling if enabled. */
  startEpoch(): void {
    if (this.#shuffle) this.#random.shuffle(this.#order);
    this.#position = 0;
  }

  /**
   * Fills {@link input} and {@link labels} with the next batch.
   *
   * @returns The number of samples in the batch; 0 once the epoch is over.
   */
  next(): number {
    const count = Math.min(this.batchSize, this.#data.count - this.#position);
    if (count <= 0) return 0;
    for (let i = 0; i < count; i++) this.#batchIndices[i] = this.#order[this.#position + i];
    this.#position += count;
    const data = this.#data;
    this.#kernels.gatherBatch(
      this.input,
      this.labels,
      data.images,
      data.labels,
      this.#batchIndices,
      count,
      data.rows * data.cols,
      this.#scale,
      this.#shift,
    );
    return count;
  }
}

/**
 * Data for mnist-dnn: IDX (any dataset in MNIST's format, raw or gzipped),
 * CSV, MNIST itself (located, verified, downloaded), datasets and their
 * splits, batching, augmentation, the pixel transform and digit pictures.
 * `loadMnist` and the `Dataset` type are also in the main entry point.
 *
 * @example Split a dataset and take a subset
 * ```ts
 * import { splitDataset, subset } from "jsr:@x/mnist-dnn/data";
 *
 * const data = { images: new Uint8Array(10 * 4), labels: new Uint8Array(10), count: 10, rows: 2, cols: 2 };
 * const { train, validation } = splitDataset(data, 2, 1);
 * console.log(train.count, validation.count, subset(data, [0, 1, 2]).count); // 8 2 3
 * ```
 *
 * @module
 */

export { checkDataset, classCount, type Dataset, splitDataset, subset } from "./dataset.ts";
export {
  findIdxFile,
  IDX_SPLIT_FILES,
  type IdxDirectory,
  type IdxSplit,
  loadIdxDir,
} from "./idx_dir.ts";
export {
  IdxFormatError,
  type IdxImages,
  makeIdxDataset,
  parseIdxImages,
  parseIdxLabels,
  readIdxDataset,
} from "./idx.ts";
export { CsvFormatError, parseDigitCsv, readDigitCsv } from "./csv.ts";
export {
  loadMnist,
  type LoadMnistOptions,
  loadMnistTest,
  type Mnist,
  MNIST_FILES,
  MNIST_MIRRORS,
  MNIST_SOURCES,
  type MnistFile,
  MnistNotFoundError,
  type MnistSource,
} from "./mnist.ts";
export {
  AUGMENT_NAMES,
  AUGMENTATIONS,
  type AugmentName,
  type AugmentOptions,
  augmentParams,
} from "./augment.ts";
export { Batcher, type BatcherOptions } from "./batcher.ts";
export { pixelStatistics, type Preprocessing } from "./pixel_transform.ts";
export { type DigitLayout, mnistStyle, type RasterImage, toGrey } from "./digit_image.ts";
export { Random } from "../random.ts";

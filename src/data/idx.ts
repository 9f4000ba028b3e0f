/**
 * Reader for the IDX format of MNIST-style datasets, raw or gzip-compressed.
 *
 * An IDX file is a 4-byte magic (`0x00 0x00 type ndim`), `ndim` big-endian
 * 32-bit sizes, then the data. Images are `0x00000803` (ubyte, 3 dims),
 * labels `0x00000801` (ubyte, 1 dim).
 *
 * @module
 */

import type { Dataset } from "./dataset.ts";
import { inflateBounded, readDataFile } from "../_read.ts";

/** Magic number of an unsigned-byte, 3-dimensional IDX file (images). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** Magic number of an unsigned-byte, 1-dimensional IDX file (labels). */
export const IDX_LABELS_MAGIC = 0x00000801;

/**
 * A malformed IDX file or an inconsistent image/label pair.
 *
 * @example Catch a bad file
 * ```ts
 * import { IdxFormatError, parseIdxLabels } from "jsr:@x/mnist-dnn/data";
 * try {
 *   parseIdxLabels(new Uint8Array(3), "labels.idx");
 * } catch (e) {
 *   console.log(e instanceof IdxFormatError); // true
 * }
 * ```
 */
export class IdxFormatError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong, naming the file and the fix.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "IdxFormatError";
  }
}

/** Images parsed from an IDX file. */
export interface IdxImages {
  /** Number of images. */
  count: number;
  /** Height in pixels. */
  rows: number;
  /** Width in pixels. */
  cols: number;
  /** `count * rows * cols` pixel bytes (a view into the file's bytes). */
  pixels: Uint8Array;
}

const hex = (n: number): string => "0x" + n.toString(16).padStart(8, "0");

function parseUbyteIdx(bytes: Uint8Array, source: string, magic: number, what: string): number[] {
  const fail = (why: string): never => {
    throw new IdxFormatError(`Cannot read IDX ${what} file "${source}": ${why}`);
  };
  if (bytes.length < 4) fail(`it has ${bytes.length} bytes, fewer than the 4-byte magic`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const found = view.getUint32(0);
  if (found !== magic) {
    const kind = found === IDX_IMAGES_MAGIC
      ? " (an image file)"
      : found === IDX_LABELS_MAGIC
      ? " (a label file)"
      : (found >>> 16) !== 0
      ? " (not an IDX file; is it compressed with something other than gzip?)"
      : "";
    fail(`magic ${hex(found)}${kind} is not a ${what} file (expected ${hex(magic)})`);
  }
  const ndim = magic & 0xff;
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    fail(`the header needs ${header} bytes but the file has ${bytes.length} (truncated?)`);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d));
  const expected = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected) {
    const how = bytes.length < expected ? "truncated" : "has trailing bytes";
    fail(
      `dimensions ${dims.join("x")} need ${expected} bytes but the file has ` +
        `${bytes.length} (${how}); re-download it`,
    );
  }
  return dims;
}

/**
 * Parses an IDX image file (magic `0x00000803`).
 *
 * @param bytes The uncompressed file contents.
 * @param source File name used in error messages.
 * @returns The images, viewing `bytes` without a copy.
 * @throws {IdxFormatError} On a wrong magic, a truncated file, or trailing bytes.
 * @example Parse one 2x2 image
 * ```ts
 * import { parseIdxImages } from "jsr:@x/mnist-dnn/data";
 * const bytes = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
 * console.log(parseIdxImages(bytes, "tiny").rows); // 2
 * ```
 */
export function parseIdxImages(bytes: Uint8Array, source: string): IdxImages {
  const [count, rows, cols] = parseUbyteIdx(bytes, source, IDX_IMAGES_MAGIC, "image");
  if (rows === 0 || cols === 0) {
    throw new IdxFormatError(
      `Cannot read IDX image file "${source}": images are ${rows}x${cols} pixels (expected both > 0)`,
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/**
 * Parses an IDX label file (magic `0x00000801`).
 *
 * @param bytes The uncompressed file contents.
 * @param source File name used in error messages.
 * @returns The labels, viewing `bytes` without a copy.
 * @throws {IdxFormatError} On a wrong magic, a truncated file, or trailing bytes.
 * @example Parse two labels
 * ```ts
 * import { parseIdxLabels } from "jsr:@x/mnist-dnn/data";
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 3]);
 * console.log(parseIdxLabels(bytes, "tiny")); // Uint8Array(2) [ 7, 3 ]
 * ```
 */
export function parseIdxLabels(bytes: Uint8Array, source: string): Uint8Array {
  parseUbyteIdx(bytes, source, IDX_LABELS_MAGIC, "label");
  return bytes.subarray(8);
}

/**
 * Pairs parsed images with labels into a {@link Dataset}, checking that the
 * counts agree and every label is a valid class.
 *
 * @param images Parsed images.
 * @param labels Parsed labels.
 * @param sources `[imagesFile, labelsFile]` for error messages.
 * @param classes Number of classes; labels must be below it.
 * @returns The dataset.
 * @throws {IdxFormatError} If the counts differ or a label is out of range.
 * @example Pair one image with its label
 * ```ts
 * import { makeIdxDataset } from "jsr:@x/mnist-dnn/data";
 * const data = makeIdxDataset({ count: 1, rows: 1, cols: 1, pixels: new Uint8Array([9]) },
 *   new Uint8Array([4]), ["img", "lbl"]);
 * console.log(data.count); // 1
 * ```
 */
export function makeIdxDataset(
  images: IdxImages,
  labels: Uint8Array,
  sources: [string, string],
  classes = 10,
): Dataset {
  if (images.count !== labels.length) {
    throw new IdxFormatError(
      `IDX files do not match: "${sources[0]}" holds ${images.count} images but ` +
        `"${sources[1]}" holds ${labels.length} labels; use files from the same set`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new IdxFormatError(
        `Cannot read IDX label file "${sources[1]}": label ${labels[i]} at index ${i} ` +
          `is not one of the ${classes} classes 0..${classes - 1}`,
      );
    }
  }
  const { count, rows, cols, pixels } = images;
  return { images: pixels, labels, count, rows, cols };
}

/**
 * Returns `bytes` uncompressed if they start with the gzip signature.
 *
 * @param bytes Raw or gzip file contents.
 * @param source File name used in error messages.
 * @returns The uncompressed bytes (the same array when not compressed).
 * @throws {IdxFormatError} If the gzip stream is corrupt, or inflates beyond
 *   the size its IDX header declares (or 1 GiB).
 * @example Pass through uncompressed bytes
 * ```ts
 * import { gunzipIfNeeded } from "./idx.ts";
 * const raw = new Uint8Array([0, 0, 8, 1]);
 * console.log((await gunzipIfNeeded(raw, "x")) === raw); // true
 * ```
 */
export async function gunzipIfNeeded(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return await inflateBounded(bytes, source);
  } catch (cause) {
    if (cause instanceof RangeError) throw new IdxFormatError(cause.message, { cause });
    throw new IdxFormatError(
      `Cannot decompress "${source}": the gzip data is corrupt or truncated; re-download it`,
      { cause },
    );
  }
}

/**
 * Reads an image file and a label file (raw or `.gz`) into a dataset.
 *
 * @param imagesPath Path of the IDX image file.
 * @param labelsPath Path of the IDX label file.
 * @param classes Number of classes; labels must be below it (256 accepts any byte).
 * @returns The validated dataset.
 * @throws {IdxFormatError} On any format problem; `Deno.errors.NotFound` if a file is missing.
 * @example Read the test set
 * ```ts ignore
 * import { readIdxDataset } from "jsr:@x/mnist-dnn/data";
 * const test = await readIdxDataset("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");
 * ```
 */
export async function readIdxDataset(
  imagesPath: string,
  labelsPath: string,
  classes = 10,
): Promise<Dataset> {
  const [imageBytes, labelBytes] = await Promise.all([
    readDataFile(imagesPath).then((b) => gunzipIfNeeded(b, imagesPath)),
    readDataFile(labelsPath).then((b) => gunzipIfNeeded(b, labelsPath)),
  ]);
  return makeIdxDataset(
    parseIdxImages(imageBytes, imagesPath),
    parseIdxLabels(labelBytes, labelsPath),
    [imagesPath, labelsPath],
    classes,
  );
}

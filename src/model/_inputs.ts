// The array types the public API accepts, and their conversion to what the
// kernels take (Float32Array images, Int32Array labels). Anything else is a
// TypeError naming the argument, on every backend.

import { affineOf, type Preprocessing } from "../data/batcher.ts";

/**
 * Images: floats as the network sees them, or pixel bytes (a canvas's
 * `ImageData.data` is a `Uint8ClampedArray`) that get the preprocessing.
 */
export type Images = Float32Array | Uint8Array | Uint8ClampedArray;

/** Class labels: `Int32Array`, or `Uint8Array` as IDX files and datasets hold them. */
export type Labels = Int32Array | Uint8Array;

/** Throws a TypeError unless `input` is one of the {@link Images} types. */
export function checkImages(input: unknown, what = "images"): asserts input is Images {
  if (
    !(input instanceof Float32Array || input instanceof Uint8Array ||
      input instanceof Uint8ClampedArray)
  ) {
    throw new TypeError(
      `The ${what} must be a Float32Array, Uint8Array or Uint8ClampedArray, got ${nameOf(input)}`,
    );
  }
}

/** Pixel bytes as a plain `Uint8Array` view (no copy). */
export function bytesOf(input: Uint8Array | Uint8ClampedArray): Uint8Array {
  return input instanceof Uint8ClampedArray
    ? new Uint8Array(input.buffer, input.byteOffset, input.length)
    : input;
}

/** Writes `count` preprocessed pixel values of `input` into `out`. */
export function toFloatImages(
  input: Images,
  out: Float32Array,
  count: number,
  preprocessing: Preprocessing,
): void {
  checkImages(input);
  if (input instanceof Float32Array) {
    out.set(input.subarray(0, count));
    return;
  }
  const [scale, shift] = affineOf(preprocessing);
  for (let i = 0; i < count; i++) out[i] = Math.fround(input[i] * scale) + shift;
}

/** Copies `count` labels into `out`, checking the type. */
export function toInt32Labels(labels: unknown, out: Int32Array, count: number): void {
  if (!(labels instanceof Int32Array || labels instanceof Uint8Array)) {
    throw new TypeError(`The labels must be an Int32Array or Uint8Array, got ${nameOf(labels)}`);
  }
  if (labels.length < count) {
    throw new RangeError(`Labels hold ${labels.length} values, but the batch has ${count} rows`);
  }
  for (let i = 0; i < count; i++) out[i] = labels[i];
}

function nameOf(x: unknown): string {
  return x === null ? "null" : (x as object)?.constructor?.name ?? typeof x;
}

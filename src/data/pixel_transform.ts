/**
 * The pixel transform: how pixel bytes become the floats a network sees
 * (`x = (pixel / 255 - mean) / std`), as one multiply-add per pixel, and
 * the statistics that standardize a dataset. Saved with every model.
 *
 * @module
 */

import type { Dataset } from "./dataset.ts";

/**
 * Pixel preprocessing: `x = (pixel / 255 - mean) / std`. The default
 * `{ mean: 0, std: 1 }` maps pixels to [0, 1].
 */
export interface Preprocessing {
  /** Mean subtracted after scaling to [0, 1]. */
  mean: number;
  /** Standard deviation divided by after subtracting the mean. */
  std: number;
}

/** Maps pixels to [0, 1] unchanged otherwise. */
export const UNIT_SCALE: Readonly<Preprocessing> = Object.freeze({ mean: 0, std: 1 });

/**
 * The per-pixel `[scale, shift]` that apply a preprocessing in one multiply-add.
 *
 * @param p The preprocessing.
 * @returns `[scale, shift]` with `x = pixel * scale + shift`.
 * @throws {RangeError} If `std` is not a positive finite number or `mean` is not finite.
 * @example Unit scaling
 * ```ts
 * import { affineOf } from "./pixel_transform.ts";
 * console.log(affineOf({ mean: 0, std: 1 })); // [ 0.00392156862745098, -0 ]
 * ```
 */
export function affineOf(p: Preprocessing): [number, number] {
  if (!(p.std > 0 && Number.isFinite(p.std)) || !Number.isFinite(p.mean)) {
    throw new RangeError(
      `Preprocessing needs a finite mean and a positive std, got mean ${p.mean}, std ${p.std}`,
    );
  }
  return [1 / (255 * p.std), -p.mean / p.std];
}

/**
 * Mean and standard deviation of all pixels scaled to [0, 1], for
 * standardizing inputs (MNIST's are about 0.1307 and 0.3081).
 *
 * @param data The dataset to measure.
 * @returns The statistics as a {@link Preprocessing}.
 * @example Two pixels
 * ```ts
 * import { pixelStatistics } from "jsr:@x/mnist-dnn/data";
 * const p = pixelStatistics({ images: new Uint8Array([0, 255]), labels: null, count: 2, rows: 1, cols: 1 });
 * console.log(p); // { mean: 0.5, std: 0.5 }
 * ```
 */
export function pixelStatistics(data: Dataset): Preprocessing {
  const histogram = new Float64Array(256);
  for (const v of data.images) histogram[v]++;
  let n = 0, sum = 0, squares = 0;
  for (let v = 0; v < 256; v++) {
    const x = v / 255;
    n += histogram[v];
    sum += histogram[v] * x;
    squares += histogram[v] * x * x;
  }
  const mean = n ? sum / n : 0;
  const std = n ? Math.sqrt(Math.max(squares / n - mean * mean, 0)) : 1;
  return { mean, std: std || 1 };
}

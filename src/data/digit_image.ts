/**
 * MNIST-style preprocessing of an arbitrary picture of a digit: grey, white
 * ink on black, cropped to the ink, fitted into a 20x20 box (aspect kept,
 * anti-aliased), and placed in a 28x28 field with its centre of mass at the
 * centre, as LeCun et al. prepared MNIST.
 *
 * @module
 */

/** An 8-bit image: `channels` values per pixel, row-major. */
export interface RasterImage {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA). */
  channels: 1 | 2 | 3 | 4;
  /** `width * height * channels` bytes. */
  data: Uint8Array;
}

/** Output size and the box the ink is fitted into (MNIST: 28 and 20). */
export interface DigitLayout {
  /** Side of the output field. Default 28. */
  size?: number;
  /** Side of the box the ink's longer side is scaled to. Default 20. */
  box?: number;
}

/**
 * Grey 0..255 values of an image (luma for colour); transparent pixels
 * count as white, as on paper.
 *
 * @param image Any image.
 * @returns `width * height` grey values.
 * @example
 * ```ts
 * import { toGrey } from "jsr:@x/mnist-dnn/data";
 * console.log(toGrey({ width: 1, height: 1, channels: 2, data: Uint8Array.of(0, 0) })); // Float32Array(1) [ 255 ]
 * ```
 */
export function toGrey(image: RasterImage): Float32Array {
  const { width, height, channels, data } = image;
  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) {
    const p = data.subarray(i * channels, (i + 1) * channels);
    const value = channels >= 3 ? 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] : p[0];
    const alpha = channels === 2 ? p[1] : channels === 4 ? p[3] : 255;
    grey[i] = (value * alpha + 255 * (255 - alpha)) / 255;
  }
  return grey;
}

/** `src (sw, sh)` resampled to `(tw, th)` by averaging each target pixel's footprint. */
function resample(src: Float32Array, sw: number, sh: number, tw: number, th: number): Float32Array {
  const out = new Float32Array(tw * th);
  const fx = sw / tw, fy = sh / th;
  for (let y = 0; y < th; y++) {
    const y0 = y * fy, y1 = y0 + fy;
    for (let x = 0; x < tw; x++) {
      const x0 = x * fx, x1 = x0 + fx;
      let sum = 0, area = 0;
      for (let sy = Math.floor(y0); sy < Math.min(Math.ceil(y1), sh); sy++) {
        const wy = Math.min(sy + 1, y1) - Math.max(sy, y0);
        for (let sx = Math.floor(x0); sx < Math.min(Math.ceil(x1), sw); sx++) {
          const w = wy * (Math.min(sx + 1, x1) - Math.max(sx, x0));
          sum += w * src[sy * sw + sx];
          area += w;
        }
      }
      out[y * tw + x] = area > 0 ? sum / area : 0;
    }
  }
  return out;
}

/**
 * Turns a picture of one digit into an MNIST-like input: white ink on black
 * (a light background is inverted), cropped to the ink, scaled so its
 * longer side fills the box, centred by centre of mass.
 *
 * @param image Any image (grey, grey + alpha, RGB, RGBA).
 * @param layout Output and box sizes (default 28 and 20).
 * @returns `size * size` pixel bytes, row-major; all zero when there is no ink.
 * @example A dark stroke on white becomes a centred white stroke
 * ```ts
 * import { mnistStyle } from "jsr:@x/mnist-dnn/data";
 * const data = new Uint8Array(40 * 40).fill(255);
 * for (let y = 5; y < 35; y++) data[y * 40 + 8] = 0; // a vertical line near the left
 * const digit = mnistStyle({ width: 40, height: 40, channels: 1, data });
 * console.log(digit[14 * 28 + 14] > 100, digit[14 * 28 + 2]); // true 0
 * ```
 */
export function mnistStyle(image: RasterImage, layout: DigitLayout = {}): Uint8Array {
  const size = layout.size ?? 28, box = layout.box ?? 20;
  const { width, height } = image;
  let grey = toGrey(image);
  // The border tells the background: mostly light means dark ink on light.
  let border = 0, count = 0;
  for (let x = 0; x < width; x++) border += grey[x] + grey[(height - 1) * width + x], count += 2;
  for (let y = 0; y < height; y++) {
    border += grey[y * width] + grey[y * width + width - 1], count += 2;
  }
  if (border / count > 127) grey = grey.map((v) => 255 - v);
  let top = height, bottom = -1, left = width, right = -1, peak = 0;
  for (const v of grey) peak = Math.max(peak, v);
  const out = new Uint8Array(size * size);
  if (peak < 32) return out; // no ink
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (grey[y * width + x] > peak * 0.2) {
        top = Math.min(top, y), bottom = Math.max(bottom, y);
        left = Math.min(left, x), right = Math.max(right, x);
      }
    }
  }
  const cw = right - left + 1, ch = bottom - top + 1;
  const crop = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++) {
    crop.set(grey.subarray((top + y) * width + left, (top + y) * width + left + cw), y * cw);
  }
  const scale = box / Math.max(cw, ch);
  const tw = Math.max(1, Math.round(cw * scale)), th = Math.max(1, Math.round(ch * scale));
  const fitted = resample(crop, cw, ch, tw, th);
  let mass = 0, my = 0, mx = 0;
  fitted.forEach((v, i) => (mass += v, my += v * Math.floor(i / tw), mx += v * (i % tw)));
  const dy = Math.round((size - 1) / 2 - my / mass), dx = Math.round((size - 1) / 2 - mx / mass);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const oy = y + dy, ox = x + dx;
      if (oy >= 0 && oy < size && ox >= 0 && ox < size) {
        out[oy * size + ox] = Math.min(255, Math.round(fitted[y * tw + x] * 255 / peak));
      }
    }
  }
  return out;
}

// Augmentation in TypeScript, the same math as native/augment.c: per sample
// a random shift, rotation and scale, and an elastic displacement
// interpolated from random values at grid nodes, then bilinear resampling.
// The random numbers are the same draws as native's (src/kernels/_hash.ts);
// sin/cos may differ in the last bit, so the outputs agree to rounding.
// With its argument check.

import { draw, mix, stepKey } from "./_hash.ts";
import { checkDim, checkFinite, checkInt32, checkLength } from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

/** Uniform in [-1, 1) from draw `i` of `key`. */
function uniform(key: number, i: number): number {
  return Math.fround(draw(key, i) * (2 / 16777216) - 1);
}

/** `x` (h, w) from offset `at`, at (y, xx), or `fill` outside the image. */
function pixel(
  x: Float32Array,
  at: number,
  h: number,
  w: number,
  y: number,
  xx: number,
  fill: number,
): number {
  return y >= 0 && y < h && xx >= 0 && xx < w ? x[at + y * w + xx] : fill;
}

/** Bilinear sample of `x` (h, w) from offset `at` at real coordinates (sy, sx). */
function sampleAt(
  x: Float32Array,
  at: number,
  h: number,
  w: number,
  sy: number,
  sx: number,
  fill: number,
): number {
  const y0 = Math.floor(sy), x0 = Math.floor(sx), fy = sy - y0, fx = sx - x0;
  return (1 - fy) *
      ((1 - fx) * pixel(x, at, h, w, y0, x0, fill) + fx * pixel(x, at, h, w, y0, x0 + 1, fill)) +
    fy * ((1 - fx) * pixel(x, at, h, w, y0 + 1, x0, fill) +
        fx * pixel(x, at, h, w, y0 + 1, x0 + 1, fill));
}

/** `Kernels.augment` in TypeScript (arguments already checked). */
export const TS_AUGMENT: Pick<Kernels, "augment"> = {
  augment(out, x, rows, h, w, params, seed, counter): void {
    const [shift, rotate, scale, elastic, spacing, fill] = params;
    const batchKey = stepKey(seed, counter), size = h * w;
    const cy = (h - 1) / 2, cx = (w - 1) / 2;
    const gh = elastic > 0 ? Math.ceil((h - 1) / spacing) + 1 : 0;
    const gw = elastic > 0 ? Math.ceil((w - 1) / spacing) + 1 : 0;
    const grid = new Float32Array(2 * gh * gw), step = Math.fround(1 / spacing);
    for (let i = 0; i < rows; i++) {
      const key = mix((batchKey ^ mix(i)) >>> 0), at = i * size;
      const dx = shift * uniform(key, 0), dy = shift * uniform(key, 1);
      const angle = rotate * uniform(key, 2), zoom = 1 + scale * uniform(key, 3);
      const c = Math.cos(angle) / zoom, s = Math.sin(angle) / zoom;
      for (let k = 0; k < grid.length; k++) grid[k] = elastic * uniform(key, 4 + k);
      for (let r = 0; r < h; r++) {
        for (let q = 0; q < w; q++) {
          const oy = r - cy - dy, ox = q - cx - dx;
          let sy = c * oy - s * ox + cy, sx = s * oy + c * ox + cx;
          if (gh > 0) {
            const gy = Math.fround(r * step), gx = Math.fround(q * step);
            const iy = Math.min(Math.floor(gy), gh - 2), ix = Math.min(Math.floor(gx), gw - 2);
            const fy = gy - iy, fx = gx - ix, n0 = 2 * (iy * gw + ix), n1 = n0 + 2 * gw;
            sy += (1 - fy) * ((1 - fx) * grid[n0] + fx * grid[n0 + 2]) +
              fy * ((1 - fx) * grid[n1] + fx * grid[n1 + 2]);
            sx += (1 - fy) * ((1 - fx) * grid[n0 + 1] + fx * grid[n0 + 3]) +
              fy * ((1 - fx) * grid[n1 + 1] + fx * grid[n1 + 3]);
          }
          out[at + r * w + q] = sampleAt(x, at, h, w, sy, sx, fill);
        }
      }
    }
  },
};

/** Most elastic grid nodes per sample (MND_AUGMENT_MAX_NODES in native/kernels.h). */
export const AUGMENT_MAX_NODES = 4096;
/** Widest image with elastic distortion (MND_AUGMENT_MAX_WIDTH in native/kernels.h). */
export const AUGMENT_MAX_WIDTH = 4096;

/** Its argument check. */
export const AUGMENT_CHECKS: KernelChecks<"augment"> = {
  augment(out, x, rows, h, w, params, seed, counter): void {
    const op = "augment";
    for (const [name, n] of [["rows", rows], ["h", h], ["w", w]] as const) checkDim(op, name, n);
    checkLength(op, "x", x, rows * h * w);
    checkLength(op, "out", out, rows * h * w);
    if (out.buffer === x.buffer && rows * h * w > 0) {
      const a = out.byteOffset, b = x.byteOffset, bytes = rows * h * w * 4;
      if (a < b + bytes && b < a + bytes) throw new RangeError(`${op}: out and x overlap`);
    }
    checkLength(op, "params", params, 6);
    const [shift, rotate, scale, elastic, spacing] = params;
    params.subarray(0, 6).forEach((v, i) => checkFinite(op, `params[${i}]`, v));
    if (!(shift >= 0 && rotate >= 0 && scale >= 0 && scale < 1 && elastic >= 0 && spacing >= 1)) {
      throw new RangeError(
        `${op}: params need shift, rotate, elastic >= 0, scale in [0, 1) and spacing >= 1, ` +
          `got ${Array.from(params.subarray(0, 5))}`,
      );
    }
    if (elastic > 0) {
      const nodes = (Math.ceil((h - 1) / spacing) + 1) * (Math.ceil((w - 1) / spacing) + 1);
      if (h < 2 || w < 2 || w > AUGMENT_MAX_WIDTH || nodes > AUGMENT_MAX_NODES) {
        throw new RangeError(
          `${op}: an elastic grid of ${nodes} nodes over ${h}x${w} pixels; it needs images of ` +
            `at least 2x2, at most ${AUGMENT_MAX_WIDTH} wide, and at most ${AUGMENT_MAX_NODES} ` +
            "nodes (raise the spacing)",
        );
      }
    }
    checkInt32(op, "seed", seed);
    checkInt32(op, "counter", counter);
  },
};

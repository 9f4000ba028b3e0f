// The dropout generator shared by every backend: element i of step
// `counter` is kept when the top 24 bits of a hash of (seed, counter, i)
// reach floor(rate * 2^24). native/dropout.c computes the same function, so
// both backends draw identical masks for any thread count.

import type { Kernels } from "./kernels.ts";

/** The 32-bit finalizer of `native/dropout.c` (`mix`), with `Math.imul`. */
function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** `Kernels.dropoutForward` in TypeScript (arguments already checked). */
export const TS_DROPOUT: Pick<Kernels, "dropoutForward"> = {
  dropoutForward(y, mask, x, n, rate, scale, seed, counter): void {
    const threshold = Math.floor(Math.fround(rate) * 16777216);
    const key = mix((seed ^ mix((counter + 0x9e3779b9) >>> 0)) >>> 0);
    const s = Math.fround(scale);
    for (let i = 0; i < n; i++) {
      const keep = mix(key ^ mix(i)) >>> 8 >= threshold;
      mask[i] = keep ? s : 0;
      y[i] = x[i] * mask[i];
    }
  },
};

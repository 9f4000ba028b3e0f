// The dropout kernel shared by every backend's semantics: element i of step
// `counter` is kept when a 24-bit draw of (seed, counter, i) reaches
// floor(rate * 2^24). native/dropout.c computes the same function, so both
// backends draw identical masks for any thread count. With its checks.

import { draw, stepKey } from "./_hash.ts";
import { checkDim, checkFinite, checkInt32, checkLength } from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

/** `Kernels.dropoutForward` in TypeScript (arguments already checked). */
export const TS_DROPOUT: Pick<Kernels, "dropoutForward"> = {
  dropoutForward(y, mask, x, n, rate, scale, seed, counter): void {
    const threshold = Math.floor(Math.fround(rate) * 16777216);
    const key = stepKey(seed, counter);
    const s = Math.fround(scale);
    for (let i = 0; i < n; i++) {
      mask[i] = draw(key, i) >= threshold ? s : 0;
      y[i] = x[i] * mask[i];
    }
  },
};

/** Its argument check. */
export const DROPOUT_CHECKS: KernelChecks<"dropoutForward"> = {
  dropoutForward(y, mask, x, n, rate, scale, seed, counter): void {
    const op = "dropoutForward";
    checkDim(op, "n", n);
    for (const [name, a] of [["y", y], ["mask", mask], ["x", x]] as const) {
      checkLength(op, name, a, n);
    }
    if (!(rate >= 0 && rate < 1)) {
      throw new RangeError(`${op}: rate must be in [0, 1), got ${rate}`);
    }
    checkFinite(op, "scale", scale);
    checkInt32(op, "seed", seed);
    checkInt32(op, "counter", counter);
  },
};

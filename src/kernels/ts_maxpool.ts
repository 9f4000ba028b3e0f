// Max pooling in TypeScript over NHWC tensors, the twins of
// native/maxpool.c, with their argument checks.

import { checkArray, checkDim, checkGeometry, checkLength } from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

type MaxPoolOp = "maxPoolForward" | "maxPoolBackward";

/** `Kernels.maxPoolForward` and `maxPoolBackward` (arguments already checked). */
export const TS_MAXPOOL: Pick<Kernels, MaxPoolOp> = {
  maxPoolForward(out, argmax, x, geom): void {
    const [b, h, w, c, k, s, p, oh, ow] = geom;
    for (let n = 0; n < b; n++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const o = ((n * oh + oy) * ow + ox) * c;
          out.fill(-Infinity, o, o + c);
          argmax.fill(-1, o, o + c);
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * s - p + ky;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * s - p + kx;
              if (ix < 0 || ix >= w) continue;
              const i = ((n * h + iy) * w + ix) * c;
              for (let ch = 0; ch < c; ch++) {
                if (x[i + ch] > out[o + ch] || argmax[o + ch] < 0) {
                  out[o + ch] = x[i + ch];
                  argmax[o + ch] = i + ch;
                }
              }
            }
          }
        }
      }
    }
  },
  maxPoolBackward(dx, dy, argmax, nIn, nOut): void {
    dx.fill(0, 0, nIn);
    for (let i = 0; i < nOut; i++) {
      const j = argmax[i];
      if (j >= 0 && j < nIn) dx[j] += dy[i];
    }
  },
};

/** Their argument checks. */
export const MAXPOOL_CHECKS: KernelChecks<MaxPoolOp> = {
  maxPoolForward(out, argmax, x, geom): void {
    const op = "maxPoolForward";
    const { input, positions } = checkGeometry(op, geom);
    checkLength(op, "x", x, input);
    checkLength(op, "out", out, positions * geom[3]);
    checkArray(op, "argmax", argmax, Int32Array, positions * geom[3]);
  },
  maxPoolBackward(dx, dy, argmax, nIn, nOut): void {
    const op = "maxPoolBackward";
    checkDim(op, "nIn", nIn);
    checkDim(op, "nOut", nOut);
    checkLength(op, "dx", dx, nIn);
    checkLength(op, "dy", dy, nOut);
    checkArray(op, "argmax", argmax, Int32Array, nOut);
  },
};

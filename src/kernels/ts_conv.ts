// The convolution's unfolding in TypeScript over NHWC tensors, the twins of
// native/conv.c, with their argument checks.

import { checkGeometry, checkLength } from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

/** `Kernels.im2col` and `col2im` (arguments already checked). */
export const TS_CONV: Pick<Kernels, "im2col" | "col2im"> = {
  im2col(col, x, geom): void {
    const [b, h, w, c, k, s, p, oh, ow] = geom;
    const run = k * c;
    let at = 0;
    for (let n = 0; n < b; n++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const x0 = ox * s - p;
          for (let ky = 0; ky < k; ky++, at += run) {
            const iy = oy * s - p + ky;
            if (iy < 0 || iy >= h) {
              col.fill(0, at, at + run);
              continue;
            }
            const row = (n * h + iy) * w * c;
            if (x0 >= 0 && x0 + k <= w) {
              col.set(x.subarray(row + x0 * c, row + x0 * c + run), at);
              continue;
            }
            for (let kx = 0; kx < k; kx++) {
              const ix = x0 + kx, d = at + kx * c;
              if (ix < 0 || ix >= w) col.fill(0, d, d + c);
              else for (let ch = 0; ch < c; ch++) col[d + ch] = x[row + ix * c + ch];
            }
          }
        }
      }
    }
  },
  col2im(dx, col, geom): void {
    const [b, h, w, c, k, s, p, oh, ow] = geom;
    let at = 0;
    for (let n = 0; n < b; n++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * s - p + ky;
            for (let kx = 0; kx < k; kx++, at += c) {
              const ix = ox * s - p + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
              const d = ((n * h + iy) * w + ix) * c;
              for (let ch = 0; ch < c; ch++) dx[d + ch] += col[at + ch];
            }
          }
        }
      }
    }
  },
};

/** Checks `im2col` (`col2im` with `scatter`): x (B,H,W,C), col (B*OH*OW, K*K*C). */
function checkUnfold(
  op: "im2col" | "col2im",
  col: Float32Array,
  x: Float32Array,
  geom: Int32Array,
): void {
  const { input, positions } = checkGeometry(op, geom);
  checkLength(op, op === "im2col" ? "x" : "dx", x, input);
  checkLength(op, "col", col, positions * geom[4] * geom[4] * geom[3]);
}

/** Their argument checks. */
export const CONV_CHECKS: KernelChecks<"im2col" | "col2im"> = {
  im2col: (col, x, geom) => checkUnfold("im2col", col, x, geom),
  col2im: (dx, col, geom) => checkUnfold("col2im", col, dx, geom),
};

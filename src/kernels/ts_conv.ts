// Convolution and pooling loops of the TS backend over NHWC tensors, the
// twins of native/conv.c and native/maxpool.c (arguments already checked).

import type { Kernels } from "./kernels.ts";

/** `Kernels.im2col`, `col2im`, `maxPoolForward` and `maxPoolBackward`. */
export const TS_CONV: Pick<Kernels, "im2col" | "col2im" | "maxPoolForward" | "maxPoolBackward"> = {
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

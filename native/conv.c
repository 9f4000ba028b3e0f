// im2col / col2im: a convolution as one GEMM over the whole batch.
//
// NHWC keeps the C channels of a pixel contiguous, and a window row of K
// pixels is then one run of K*C floats in x: each (ky) step of a receptive
// field is a single memcpy when the window row lies inside the image.
#include "kernels.h"

#include <string.h>

// Receptive-field row (b,oy,ox) -> col row: K runs of K*C floats, one per ky.
static void gather_field(float *dst, const float *x, const int32_t *g,
                         int32_t b, int32_t oy, int32_t ox) {
  const int32_t H = g[1], W = g[2], C = g[3], K = g[4], S = g[5], P = g[6];
  const int32_t y0 = oy * S - P, x0 = ox * S - P;
  const size_t run = (size_t)K * C;
  for (int32_t ky = 0; ky < K; ky++, dst += run) {
    const int32_t iy = y0 + ky;
    if (iy < 0 || iy >= H) {
      memset(dst, 0, run * sizeof(float));
      continue;
    }
    const float *row = x + (((size_t)b * H + iy) * W) * C;
    if (x0 >= 0 && x0 + K <= W) {
      memcpy(dst, row + (size_t)x0 * C, run * sizeof(float));
      continue;
    }
    for (int32_t kx = 0; kx < K; kx++) {
      const int32_t ix = x0 + kx;
      float *d = dst + (size_t)kx * C;
      if (ix < 0 || ix >= W)
        memset(d, 0, (size_t)C * sizeof(float));
      else
        memcpy(d, row + (size_t)ix * C, (size_t)C * sizeof(float));
    }
  }
}

MND_API void mnd_im2col(float *col, const float *x, const int32_t *geom) {
  // x is (B,H,W,C); col is (B*OH*OW, K*K*C).
  const int32_t B = geom[0], C = geom[3], K = geom[4], OH = geom[7],
                OW = geom[8];
  const size_t width = (size_t)K * K * C;
  for (int32_t b = 0; b < B; b++)
    for (int32_t oy = 0; oy < OH; oy++)
      for (int32_t ox = 0; ox < OW; ox++, col += width)
        gather_field(col, x, geom, b, oy, ox);
}

MND_API void mnd_col2im(float *dx, const float *col, const int32_t *geom) {
  // dx is (B,H,W,C), accumulated; col is (B*OH*OW, K*K*C).
  const int32_t B = geom[0], H = geom[1], W = geom[2], C = geom[3],
                K = geom[4], S = geom[5], P = geom[6], OH = geom[7],
                OW = geom[8];
  for (int32_t b = 0; b < B; b++)
    for (int32_t oy = 0; oy < OH; oy++)
      for (int32_t ox = 0; ox < OW; ox++) {
        for (int32_t ky = 0; ky < K; ky++) {
          const int32_t iy = oy * S - P + ky;
          for (int32_t kx = 0; kx < K; kx++, col += C) {
            const int32_t ix = ox * S - P + kx;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
              continue;
            float *d = dx + (((size_t)b * H + iy) * W + ix) * C;
            for (int32_t c = 0; c < C; c++)
              d[c] += col[c];
          }
        }
      }
}

// Max pooling over NHWC windows, remembering where each maximum came from so
// the backward pass is a scatter of dy through those indices.
#include "kernels.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

MND_API void mnd_maxpool_forward(float *out, int32_t *argmax, const float *x,
                                 const int32_t *geom) {
  // x is (B,H,W,C); out and argmax are (B,OH,OW,C).
  const int32_t B = geom[0], H = geom[1], W = geom[2], C = geom[3],
                K = geom[4], S = geom[5], P = geom[6], OH = geom[7],
                OW = geom[8];
  for (int32_t b = 0; b < B; b++)
    for (int32_t oy = 0; oy < OH; oy++)
      for (int32_t ox = 0; ox < OW; ox++) {
        const size_t o = (((size_t)b * OH + oy) * OW + ox) * C;
        for (int32_t c = 0; c < C; c++) {
          out[o + c] = -INFINITY;
          argmax[o + c] = -1;
        }
        for (int32_t ky = 0; ky < K; ky++) {
          const int32_t iy = oy * S - P + ky;
          if (iy < 0 || iy >= H)
            continue;
          for (int32_t kx = 0; kx < K; kx++) {
            const int32_t ix = ox * S - P + kx;
            if (ix < 0 || ix >= W)
              continue;
            const size_t i = (((size_t)b * H + iy) * W + ix) * C;
            // Channels innermost: unit-stride loads, vectorizable compare.
            for (int32_t c = 0; c < C; c++)
              if (x[i + c] > out[o + c] || argmax[o + c] < 0) {
                out[o + c] = x[i + c];
                argmax[o + c] = (int32_t)(i + c);
              }
          }
        }
      }
}

MND_API void mnd_maxpool_backward(float *dx, const float *dy,
                                  const int32_t *argmax, int32_t n_in,
                                  int32_t n_out) {
  memset(dx, 0, (size_t)n_in * sizeof(float));
  for (int32_t i = 0; i < n_out; i++)
    if ((uint32_t)argmax[i] < (uint32_t)n_in)
      dx[argmax[i]] += dy[i];
}

// im2col / col2im: a convolution as one GEMM over the whole batch.
//
// NHWC keeps the C channels of a pixel contiguous, and a window row of K
// pixels is then one run of K*C floats in x: each (ky) step of a receptive
// field is a single memcpy when the window row lies inside the image.
//
// Both are memory-bound copies of B*OH*OW*K*K*C floats (40 MB per batch of
// 64 for a 5x5 conv with 32 input channels on 14x14); the worker pool
// splits them by whole samples, which never share output memory.
#include "kernels.h"
#include "threads.h"

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

typedef struct {
  float *out;
  const float *in;
  const int32_t *geom;
  int32_t tasks;
} conv_job;

static void sample_range(const conv_job *j, int32_t task, int32_t *lo,
                         int32_t *hi) {
  *lo = (int32_t)((int64_t)j->geom[0] * task / j->tasks);
  *hi = (int32_t)((int64_t)j->geom[0] * (task + 1) / j->tasks);
}

static void im2col_task(void *ctx, int32_t task) {
  const conv_job *j = ctx;
  const int32_t *g = j->geom;
  const int32_t C = g[3], K = g[4], OH = g[7], OW = g[8];
  const size_t width = (size_t)K * K * C;
  int32_t lo, hi;
  sample_range(j, task, &lo, &hi);
  float *col = j->out + (size_t)lo * OH * OW * width;
  for (int32_t b = lo; b < hi; b++)
    for (int32_t oy = 0; oy < OH; oy++)
      for (int32_t ox = 0; ox < OW; ox++, col += width)
        gather_field(col, j->in, g, b, oy, ox);
}

static void col2im_task(void *ctx, int32_t task) {
  const conv_job *j = ctx;
  const int32_t *g = j->geom;
  const int32_t H = g[1], W = g[2], C = g[3], K = g[4], S = g[5], P = g[6],
                OH = g[7], OW = g[8];
  int32_t lo, hi;
  sample_range(j, task, &lo, &hi);
  float *dx = j->out;
  const float *col = j->in + (size_t)lo * OH * OW * K * K * C;
  for (int32_t b = lo; b < hi; b++)
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

// Below this many floats moved, a hand-off to the pool costs more than the
// second core saves.
#define PARALLEL_MIN_FLOATS 262144

static void run(mnd_task_fn fn, float *out, const float *in,
                const int32_t *geom) {
  conv_job j = {.out = out, .in = in, .geom = geom, .tasks = 1};
  const double floats = (double)geom[0] * geom[7] * geom[8] * geom[4] *
                        geom[4] * geom[3];
  mnd_lock();
  if (floats >= PARALLEL_MIN_FLOATS)
    j.tasks = geom[0] < mnd_pool_threads() ? geom[0] : mnd_pool_threads();
  if (j.tasks < 1)
    j.tasks = 1;
  mnd_pool_run(fn, &j, j.tasks);
  mnd_unlock();
}

MND_API void mnd_im2col(float *col, const float *x, const int32_t *geom) {
  // x is (B,H,W,C); col is (B*OH*OW, K*K*C).
  run(im2col_task, col, x, geom);
}

MND_API void mnd_col2im(float *dx, const float *col, const int32_t *geom) {
  // dx is (B,H,W,C), accumulated; col is (B*OH*OW, K*K*C).
  run(col2im_task, dx, col, geom);
}

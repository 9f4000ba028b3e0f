// Data augmentation on the fly: each sample of a batch is resampled through
// a random affine map (shift, rotation, scale) and, optionally, an elastic
// distortion (Simard, Steinkraus and Platt, 2003). Simard smooths a random
// displacement field with a Gaussian; here the field is random at nodes
// every `spacing` pixels and interpolated bilinearly between them, which
// gives the same smooth, local warps for a few hundred operations per
// sample instead of a convolution per pixel. The random numbers come from
// hash.h, a function of (seed, counter, sample, draw): reproducible, and the
// same in the TS kernel. Samples are independent, so the pool splits the
// batch by samples.
#include "hash.h"
#include "kernels.h"
#include "threads.h"

#include <math.h>
#include <stddef.h>

// Uniform in [-1, 1) from 24 random bits.
static float uniform(uint32_t key, uint32_t i) {
  return (float)mnd_draw(key, i) * (2.0f / 16777216.0f) - 1.0f;
}

// x (h,w) at real coordinates (sy, sx), bilinear, `fill` outside.
static inline float sample_at(const float *x, int32_t h, int32_t w, float sy,
                              float sx, float fill) {
  const float fy0 = floorf(sy), fx0 = floorf(sx);
  const int32_t y0 = (int32_t)fy0, x0 = (int32_t)fx0;
  const float fy = sy - fy0, fx = sx - fx0;
  float a, b, c, d;
  if (y0 >= 0 && y0 < h - 1 && x0 >= 0 && x0 < w - 1) {
    // The whole 2x2 neighbourhood inside: no per-pixel tests.
    const float *p = x + (size_t)y0 * w + x0;
    a = p[0], b = p[1], c = p[w], d = p[w + 1];
  } else {
    const int in_y0 = y0 >= 0 && y0 < h, in_y1 = y0 + 1 >= 0 && y0 + 1 < h;
    const int in_x0 = x0 >= 0 && x0 < w, in_x1 = x0 + 1 >= 0 && x0 + 1 < w;
    const float *p = x + (ptrdiff_t)y0 * w + x0;
    a = in_y0 && in_x0 ? p[0] : fill;
    b = in_y0 && in_x1 ? p[1] : fill;
    c = in_y1 && in_x0 ? p[w] : fill;
    d = in_y1 && in_x1 ? p[w + 1] : fill;
  }
  return (1.0f - fy) * ((1.0f - fx) * a + fx * b) +
         fy * ((1.0f - fx) * c + fx * d);
}

static void augment_sample(float *out, const float *x, int32_t h, int32_t w,
                           const float *p, uint32_t key) {
  const float shift = p[0], rotate = p[1], scale = p[2], elastic = p[3],
              spacing = p[4], fill = p[5];
  const float dx = shift * uniform(key, 0), dy = shift * uniform(key, 1);
  const float angle = rotate * uniform(key, 2);
  const float zoom = 1.0f + scale * uniform(key, 3);
  const float c = cosf(angle) / zoom, s = sinf(angle) / zoom;
  const float cy = 0.5f * (float)(h - 1), cx = 0.5f * (float)(w - 1);
  // Elastic displacements (y, x) at the nodes of a gh x gw grid; per row
  // they are interpolated in y at every node column, then per pixel in x
  // between the two node columns around it (col_ix, col_fx).
  float grid[2 * MND_AUGMENT_MAX_NODES], node_y[MND_AUGMENT_MAX_NODES],
      node_x[MND_AUGMENT_MAX_NODES];
  int32_t col_ix[MND_AUGMENT_MAX_WIDTH];
  float col_fx[MND_AUGMENT_MAX_WIDTH];
  int32_t gh = 0, gw = 0;
  const float step = 1.0f / spacing;
  if (elastic > 0.0f) {
    gh = (int32_t)ceilf((float)(h - 1) / spacing) + 1;
    gw = (int32_t)ceilf((float)(w - 1) / spacing) + 1;
    for (int32_t k = 0; k < 2 * gh * gw; k++)
      grid[k] = elastic * uniform(key, 4 + (uint32_t)k);
    for (int32_t q = 0; q < w; q++) {
      const float gx = (float)q * step;
      const int32_t ix = (int32_t)gx < gw - 2 ? (int32_t)gx : gw - 2;
      col_ix[q] = ix;
      col_fx[q] = gx - (float)ix;
    }
  }
  for (int32_t r = 0; r < h; r++) {
    if (gh > 0) {
      const float gy = (float)r * step;
      const int32_t iy = (int32_t)gy < gh - 2 ? (int32_t)gy : gh - 2;
      const float fy = gy - (float)iy;
      const float *n0 = grid + 2 * (size_t)iy * gw, *n1 = n0 + 2 * gw;
      for (int32_t k = 0; k < gw; k++) {
        node_y[k] = (1.0f - fy) * n0[2 * k] + fy * n1[2 * k];
        node_x[k] = (1.0f - fy) * n0[2 * k + 1] + fy * n1[2 * k + 1];
      }
    }
    // Output pixel -> source: undo the shift, then the rotation and scale
    // about the image centre, then add the elastic displacement.
    const float oy = (float)r - cy - dy;
    float *o = out + (size_t)r * w;
    for (int32_t q = 0; q < w; q++) {
      const float ox = (float)q - cx - dx;
      float sy = c * oy - s * ox + cy, sx = s * oy + c * ox + cx;
      if (gh > 0) {
        const int32_t k = col_ix[q];
        const float fx = col_fx[q];
        sy += (1.0f - fx) * node_y[k] + fx * node_y[k + 1];
        sx += (1.0f - fx) * node_x[k] + fx * node_x[k + 1];
      }
      o[q] = sample_at(x, h, w, sy, sx, fill);
    }
  }
}

typedef struct {
  float *out;
  const float *x;
  int32_t rows, h, w, tasks;
  const float *params;
  uint32_t key;
} augment_job;

static void augment_task(void *ctx, int32_t task) {
  const augment_job *j = ctx;
  const size_t size = (size_t)j->h * j->w;
  for (int32_t i = task; i < j->rows; i += j->tasks)
    augment_sample(j->out + i * size, j->x + i * size, j->h, j->w, j->params,
                   mnd_mix(j->key ^ mnd_mix((uint32_t)i)));
}

// Below this many pixels per batch, a hand-off to the pool costs more than
// the second core saves.
#define PARALLEL_MIN_PIXELS 16384

MND_API void mnd_augment(float *out, const float *x, int32_t rows, int32_t h,
                         int32_t w, const float *params, int32_t seed,
                         int32_t counter) {
  augment_job j = {.out = out, .x = x, .rows = rows, .h = h, .w = w,
                   .tasks = 1, .params = params,
                   .key = mnd_step_key(seed, counter)};
  mnd_lock();
  if ((double)rows * h * w >= PARALLEL_MIN_PIXELS)
    j.tasks = rows < mnd_pool_threads() ? rows : mnd_pool_threads();
  if (j.tasks < 1)
    j.tasks = 1;
  mnd_pool_run(augment_task, &j, j.tasks);
  mnd_unlock();
}

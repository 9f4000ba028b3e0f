// The u8 -> f32 batch gather: shuffled samples of a dataset's pixels,
// converted by an affine map into one batch matrix, split over the worker
// pool for large batches.
#include "kernels.h"
#include "threads.h"

#include <stddef.h>

typedef struct {
  float *out;
  int32_t *out_labels;
  const uint8_t *pixels, *labels;
  const int32_t *indices;
  int32_t count, features, tasks;
  double scale, shift;
  // 1 / scale when that is a whole number and shift is 0 (else 0).
  float divisor;
} gather_job;

// Samples [from, to) of a gather.
static void gather_rows(const gather_job *g, int32_t from, int32_t to) {
  // Shuffled samples sit at random addresses, so samples PREFETCH_AHEAD
  // positions on are prefetched while this one converts: the loop is
  // otherwise bound by memory latency, and several samples in flight
  // overlap their misses.
  enum { PREFETCH_AHEAD = 4 };
  const int32_t features = g->features;
  for (int32_t i = from; i < to && i < from + PREFETCH_AHEAD; i++)
    for (int32_t j = 0; j < features; j += 64)
      __builtin_prefetch(g->pixels + (size_t)g->indices[i] * features + j);
  for (int32_t i = from; i < to; i++) {
    if (i + PREFETCH_AHEAD < to) {
      const uint8_t *next =
          g->pixels + (size_t)g->indices[i + PREFETCH_AHEAD] * features;
      for (int32_t j = 0; j < features; j += 64)
        __builtin_prefetch(next + j);
    }
    const uint8_t *src = g->pixels + (size_t)g->indices[i] * features;
    float *dst = g->out + (size_t)i * features;
    if (g->divisor > 0) {
      // The unit scale (1/255): a float division is correctly rounded, so
      // this is pixel / 255 exactly, as PyTorch's ToTensor has it (a float
      // multiply by 1/255, twice as fast, was an ulp off for half the bytes).
      const float divisor = g->divisor;
      for (int32_t j = 0; j < features; j++)
        dst[j] = (float)src[j] / divisor;
    } else {
      // Any other affine map in double, rounded as the TS kernels round
      // (pixel * scale to float, then + shift).
      const double scale = g->scale, shift = g->shift;
      for (int32_t j = 0; j < features; j++)
        dst[j] = (float)((double)(float)((double)src[j] * scale) + shift);
    }
    if (g->out_labels && g->labels)
      g->out_labels[i] = g->labels[g->indices[i]];
  }
}

static void gather_task(void *ctx, int32_t task) {
  const gather_job *g = ctx;
  const int64_t count = g->count;
  gather_rows(g, (int32_t)(count * task / g->tasks),
              (int32_t)(count * (task + 1) / g->tasks));
}

// Below this many pixels per batch a hand-off to the pool costs more than
// the second core saves; above it, the gather is bound by the latency of
// its cache and TLB misses, which each core's share overlaps.
#define GATHER_PARALLEL_MIN_PIXELS 16384

MND_API void mnd_gather_batch(float *out, int32_t *out_labels,
                              const uint8_t *pixels, const uint8_t *labels,
                              const int32_t *indices, int32_t count,
                              int32_t features, double scale, double shift) {
  // out is (count,features); pixels is (samples,features).
  gather_job g = {.out = out, .out_labels = out_labels, .pixels = pixels,
                  .labels = labels, .indices = indices, .count = count,
                  .features = features, .tasks = 1, .scale = scale,
                  .shift = shift};
  const double d = 1.0 / scale;
  if (shift == 0 && d >= 1 && d <= 16777216 && d == (double)(int32_t)d &&
      1.0 / d == scale)
    g.divisor = (float)d;
  if ((double)count * features < GATHER_PARALLEL_MIN_PIXELS) {
    gather_rows(&g, 0, count);
    return;
  }
  mnd_lock();
  g.tasks = count < mnd_pool_threads() ? count : mnd_pool_threads();
  mnd_pool_run(gather_task, &g, g.tasks);
  mnd_unlock();
}

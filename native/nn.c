// Bias + activation forward and backward, softmax + cross-entropy, column
// sums and the u8 -> f32 batch gather. Single pass each, vectorizable loops.
#include "expf.h"
#include "kernels.h"
#include "vec.h"
#include "pool.h"

#include <math.h>
#include <string.h>

MND_API void mnd_bias_act_forward(float *x, const float *bias, int32_t rows,
                                  int32_t cols, int32_t act) {
  // x is (rows,cols), bias is (cols).
  for (int32_t i = 0; i < rows; i++) {
    float *row = x + (size_t)i * cols;
    switch (act) {
    case MND_ACT_IDENTITY:
      for (int32_t j = 0; j < cols; j++)
        row[j] += bias[j];
      break;
    case MND_ACT_SIGMOID:
      for (int32_t j = 0; j < cols; j++)
        row[j] = 1.0f / (1.0f + mnd_expf(-(row[j] + bias[j])));
      break;
    case MND_ACT_RELU:
      for (int32_t j = 0; j < cols; j++) {
        const float z = row[j] + bias[j];
        row[j] = z > 0.0f ? z : 0.0f;
      }
      break;
    case MND_ACT_TANH:
      for (int32_t j = 0; j < cols; j++)
        row[j] = tanhf(row[j] + bias[j]);
      break;
    default:
      for (int32_t j = 0; j < cols; j++) {
        const float z = row[j] + bias[j];
        row[j] = z > 0.0f ? z : MND_LEAKY_SLOPE * z;
      }
    }
  }
}

MND_API void mnd_act_forward(float *y, const float *x, int32_t n,
                             int32_t act) {
  // y and x are (n) and may be the same array. One loop per activation (a
  // switch per element kept every loop scalar); ReLU in explicit vectors,
  // which in-place calls need (see mnd_act_backward).
  int32_t i = 0;
  switch (act) {
  case MND_ACT_IDENTITY:
    if (y != x)
      memmove(y, x, (size_t)n * sizeof(float));
    return;
  case MND_ACT_SIGMOID:
    for (; i < n; i++)
      y[i] = 1.0f / (1.0f + mnd_expf(-x[i]));
    return;
  case MND_ACT_RELU:
    for (; i + 16 <= n; i += 16) {
      const v16 z = load16(x + i);
      store16(y + i, (v16)((v16i)z & (z > 0.0f)));
    }
    for (; i < n; i++)
      y[i] = x[i] > 0.0f ? x[i] : 0.0f;
    return;
  case MND_ACT_TANH:
    for (; i < n; i++)
      y[i] = tanhf(x[i]);
    return;
  default:
    for (; i < n; i++)
      y[i] = x[i] > 0.0f ? x[i] : MND_LEAKY_SLOPE * x[i];
  }
}

MND_API void mnd_act_backward(float *grad, const float *out, int32_t n,
                              int32_t act) {
  // Every supported activation's derivative is a function of its output.
  switch (act) {
  case MND_ACT_IDENTITY:
    return;
  case MND_ACT_SIGMOID:
    for (int32_t i = 0; i < n; i++)
      grad[i] *= out[i] * (1.0f - out[i]);
    return;
  case MND_ACT_RELU: {
    // In explicit vectors: written as a scalar select, the loop became a
    // conditional store, which WebAssembly cannot vectorize (a branch per
    // element, mispredicted half the time: 13 us for 64x128 in V8).
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
      const v16i live = load16(out + i) > 0.0f;
      store16(grad + i, (v16)((v16i)load16(grad + i) & live));
    }
    for (; i < n; i++)
      grad[i] = out[i] > 0.0f ? grad[i] : 0.0f;
    return;
  }
  case MND_ACT_TANH:
    for (int32_t i = 0; i < n; i++)
      grad[i] *= 1.0f - out[i] * out[i];
    return;
  default:
    for (int32_t i = 0; i < n; i++)
      grad[i] = out[i] > 0.0f ? grad[i] : MND_LEAKY_SLOPE * grad[i];
  }
}

MND_API void mnd_softmax_xent(const float *logits, const int32_t *labels,
                              float *grad, int32_t rows, int32_t cols,
                              float grad_scale, double *stats) {
  // logits, grad are (rows,cols); labels is (rows); log-sum-exp is shifted
  // by the row max so no exp overflows.
  double loss = 0.0;
  int32_t correct = 0;
  for (int32_t i = 0; i < rows; i++) {
    const float *z = logits + (size_t)i * cols;
    float *g = grad + (size_t)i * cols;
    int32_t best = 0;
    for (int32_t j = 1; j < cols; j++)
      if (z[j] > z[best])
        best = j;
    const float max = z[best];
    // The exponentials first, in a loop of their own that vectorizes; then
    // their sum, in double.
    for (int32_t j = 0; j < cols; j++)
      g[j] = mnd_expf(z[j] - max);
    double sum = 0.0;
    for (int32_t j = 0; j < cols; j++)
      sum += g[j];
    const int32_t y = labels[i];
    loss += log(sum) + max - z[y];
    correct += best == y;
    const float scale = (float)(grad_scale / sum);
    for (int32_t j = 0; j < cols; j++)
      g[j] *= scale;
    g[y] -= grad_scale;
  }
  stats[0] += loss;
  stats[1] += correct;
}

MND_API void mnd_softmax(float *x, int32_t rows, int32_t cols) {
  for (int32_t i = 0; i < rows; i++) {
    float *z = x + (size_t)i * cols;
    float max = -INFINITY;
    for (int32_t j = 0; j < cols; j++)
      max = z[j] > max ? z[j] : max;
    for (int32_t j = 0; j < cols; j++)
      z[j] = mnd_expf(z[j] - max);
    double sum = 0.0;
    for (int32_t j = 0; j < cols; j++)
      sum += z[j];
    const float inv = (float)(1.0 / sum);
    for (int32_t j = 0; j < cols; j++)
      z[j] *= inv;
  }
}

MND_API void mnd_column_sums(float *out, const float *x, int32_t rows,
                             int32_t cols, float alpha, float beta) {
  // out is (cols), x is (rows,cols); row-major sweep keeps loads unit-stride.
  // The sums are scaled once at the end, so alpha = 1 adds the plain sum.
  if (beta == 0.0f)
    memset(out, 0, (size_t)cols * sizeof(float));
  else if (beta != 1.0f)
    for (int32_t j = 0; j < cols; j++)
      out[j] *= beta;
  if (alpha == 1.0f) {
    for (int32_t i = 0; i < rows; i++) {
      const float *row = x + (size_t)i * cols;
      for (int32_t j = 0; j < cols; j++)
        out[j] += row[j];
    }
    return;
  }
  // Per column, the float sum over rows in order, then one scaled add (the
  // TS kernel's order); rows are swept unit-stride into a block of sums.
  enum { BLOCK = 256 };
  for (int32_t j0 = 0; j0 < cols; j0 += BLOCK) {
    const int32_t width = cols - j0 < BLOCK ? cols - j0 : BLOCK;
    float sum[BLOCK];
    memset(sum, 0, (size_t)width * sizeof(float));
    for (int32_t i = 0; i < rows; i++) {
      const float *row = x + (size_t)i * cols + j0;
      for (int32_t j = 0; j < width; j++)
        sum[j] += row[j];
    }
    for (int32_t j = 0; j < width; j++)
      out[j0 + j] += alpha * sum[j];
  }
}

MND_API void mnd_multiply(float *out, const float *a, const float *b,
                          int32_t n) {
  // out usually is a (in place): vectors by hand, since the compiler's
  // overlap check sends in-place calls to its scalar loop.
  int32_t i = 0;
  for (; i + 16 <= n; i += 16)
    store16(out + i, load16(a + i) * load16(b + i));
  for (; i < n; i++)
    out[i] = a[i] * b[i];
}

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

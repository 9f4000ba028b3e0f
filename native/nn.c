// Bias + activation forward and backward, softmax + cross-entropy, column
// sums and the element-wise product. Single pass each, vectorizable loops.
#include "expf.h"
#include "kernels.h"
#include "vec.h"

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

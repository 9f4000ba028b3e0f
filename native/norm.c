// Batch normalization over the columns of a (rows,cols) matrix: features
// after a dense layer, channels of an NHWC tensor after a convolution.
//
// Column statistics are summed row by row (unit-stride loads) into double
// accumulators for a block of BLOCK columns at a time, which bounds the
// stack space and keeps the sums exact enough for batches of any size.
#include "kernels.h"

#include <math.h>
#include <stddef.h>

#define BLOCK 256

MND_API void mnd_batchnorm_forward(float *y, float *xhat, float *inv_std,
                                   const float *x, const float *gamma_beta,
                                   float *running, int32_t rows, int32_t cols,
                                   float momentum, float eps,
                                   int32_t training) {
  // x, y, xhat are (rows,cols); inv_std is (cols); gamma_beta and running
  // are (2*cols).
  const float *gamma = gamma_beta, *beta = gamma_beta + cols;
  float *run_mean = running, *run_var = running + cols;
  if (!training) {
    for (int32_t i = 0; i < rows; i++)
      for (int32_t j = 0; j < cols; j++) {
        const size_t at = (size_t)i * cols + j;
        const float inv = 1.0f / sqrtf(run_var[j] + eps);
        y[at] = (x[at] - run_mean[j]) * inv * gamma[j] + beta[j];
      }
    return;
  }
  for (int32_t j0 = 0; j0 < cols; j0 += BLOCK) {
    const int32_t width = cols - j0 < BLOCK ? cols - j0 : BLOCK;
    double sum[BLOCK] = {0}, squares[BLOCK] = {0};
    for (int32_t i = 0; i < rows; i++) {
      const float *row = x + (size_t)i * cols + j0;
      for (int32_t j = 0; j < width; j++)
        sum[j] += row[j];
    }
    for (int32_t j = 0; j < width; j++)
      sum[j] /= rows;
    for (int32_t i = 0; i < rows; i++) {
      const float *row = x + (size_t)i * cols + j0;
      for (int32_t j = 0; j < width; j++) {
        const double d = row[j] - sum[j];
        squares[j] += d * d;
      }
    }
    for (int32_t j = 0; j < width; j++) {
      const double var = squares[j] / rows;
      const double unbiased = rows > 1 ? squares[j] / (rows - 1) : var;
      inv_std[j0 + j] = (float)(1.0 / sqrt(var + eps));
      run_mean[j0 + j] = (1.0f - momentum) * run_mean[j0 + j] +
                         momentum * (float)sum[j];
      run_var[j0 + j] = (1.0f - momentum) * run_var[j0 + j] +
                        momentum * (float)unbiased;
    }
    for (int32_t i = 0; i < rows; i++) {
      const size_t at = (size_t)i * cols + j0;
      for (int32_t j = 0; j < width; j++) {
        const float h = (x[at + j] - (float)sum[j]) * inv_std[j0 + j];
        xhat[at + j] = h;
        y[at + j] = gamma[j0 + j] * h + beta[j0 + j];
      }
    }
  }
}

MND_API void mnd_batchnorm_backward(float *dx, float *dgamma_beta,
                                    const float *dy, const float *xhat,
                                    const float *inv_std,
                                    const float *gamma_beta, int32_t rows,
                                    int32_t cols, float alpha, float beta) {
  // dy, xhat, dx are (rows,cols); inv_std is (cols); dgamma_beta and
  // gamma_beta are (2*cols). dgamma_beta may be gamma_beta itself (an SGD
  // step folded in), so dx is computed before it is written.
  for (int32_t j0 = 0; j0 < cols; j0 += BLOCK) {
    const int32_t width = cols - j0 < BLOCK ? cols - j0 : BLOCK;
    double dgamma[BLOCK] = {0}, dbeta[BLOCK] = {0};
    for (int32_t i = 0; i < rows; i++) {
      const size_t at = (size_t)i * cols + j0;
      for (int32_t j = 0; j < width; j++) {
        dgamma[j] += (double)dy[at + j] * xhat[at + j];
        dbeta[j] += dy[at + j];
      }
    }
    for (int32_t i = 0; i < rows; i++) {
      const size_t at = (size_t)i * cols + j0;
      for (int32_t j = 0; j < width; j++) {
        const float k = gamma_beta[j0 + j] * inv_std[j0 + j] / (float)rows;
        dx[at + j] = k * ((float)rows * dy[at + j] - (float)dbeta[j] -
                          xhat[at + j] * (float)dgamma[j]);
      }
    }
    for (int32_t j = 0; j < width; j++) {
      float *dg = dgamma_beta + j0 + j, *db = dgamma_beta + cols + j0 + j;
      *dg = alpha * (float)dgamma[j] + (beta == 0.0f ? 0.0f : beta * *dg);
      *db = alpha * (float)dbeta[j] + (beta == 0.0f ? 0.0f : beta * *db);
    }
  }
}

// The naive SGEMM every optimized path is tested against (the C tests and
// tests/_reference_kernels.ts), and the fallback the GEMV paths take for
// shapes no layer produces: a triple loop summing in double.
#include "kernels.h"

#include <stddef.h>

MND_API void mnd_gemm_naive(int32_t trans_a, int32_t trans_b, int32_t m,
                            int32_t n, int32_t k, float alpha, const float *a,
                            const float *b, float beta, float *c) {
  for (int32_t i = 0; i < m; i++) {
    for (int32_t j = 0; j < n; j++) {
      double sum = 0.0;
      for (int32_t p = 0; p < k; p++) {
        const float av = trans_a ? a[(size_t)p * m + i] : a[(size_t)i * k + p];
        const float bv = trans_b ? b[(size_t)j * k + p] : b[(size_t)p * n + j];
        sum += (double)av * bv;
      }
      float *out = c + (size_t)i * n + j;
      *out = alpha * (float)sum + (beta == 0.0f ? 0.0f : beta * *out);
    }
  }
}

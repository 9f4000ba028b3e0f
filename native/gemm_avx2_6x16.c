// AVX2+FMA SGEMM micro-kernel, 6 rows x 16 columns.
//
// Why 6x16: the classic Haswell-class tile. 12 ymm accumulators cover the
// FMA latency x throughput product (2 ports x 5 cycles = 10) and leave 4 of
// the 16 ymm registers for two B vectors and one broadcast.
#if defined(__x86_64__)
#include "gemm_internal.h"
#include "kernels.h"

#include <immintrin.h>

#define TARGET __attribute__((target("avx2,fma")))

TARGET static inline void store_row(float *c, __m256 lo, __m256 hi,
                                    __m256 va, __m256 vb, float beta) {
  lo = _mm256_mul_ps(lo, va);
  hi = _mm256_mul_ps(hi, va);
  if (beta != 0.0f) {
    lo = _mm256_fmadd_ps(_mm256_loadu_ps(c), vb, lo);
    hi = _mm256_fmadd_ps(_mm256_loadu_ps(c + 8), vb, hi);
  }
  _mm256_storeu_ps(c, lo);
  _mm256_storeu_ps(c + 8, hi);
}

// Element (r, p) of the A tile is a[r * rs + p * ps]: packed (rs 1, ps 6) or
// read in place (rs lda, ps 1); the compiler builds one loop for each.
TARGET static inline __attribute__((always_inline)) void
tile(int32_t kc, const float *a, int32_t rs, int32_t ps, const float *bp,
     int32_t ldb, float *c, int32_t ldc, float alpha, float beta) {
  __m256 c0l = _mm256_setzero_ps(), c0h = _mm256_setzero_ps();
  __m256 c1l = _mm256_setzero_ps(), c1h = _mm256_setzero_ps();
  __m256 c2l = _mm256_setzero_ps(), c2h = _mm256_setzero_ps();
  __m256 c3l = _mm256_setzero_ps(), c3h = _mm256_setzero_ps();
  __m256 c4l = _mm256_setzero_ps(), c4h = _mm256_setzero_ps();
  __m256 c5l = _mm256_setzero_ps(), c5h = _mm256_setzero_ps();
  // The C tile's 12 lines are fetched while the k loop runs, not after it.
  for (int r = 0; r < 6; r++) {
    _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + r * ldc + 15), _MM_HINT_T0);
  }
  for (int32_t p = 0; p < kc; p++) {
    const __m256 bl = _mm256_loadu_ps(bp);
    const __m256 bh = _mm256_loadu_ps(bp + 8);
    const float *ap = a + (size_t)p * ps;
    __m256 v;
#define ROW(r)                                                                 \
  v = _mm256_broadcast_ss(ap + (size_t)(r) * rs);                              \
  c##r##l = _mm256_fmadd_ps(v, bl, c##r##l);                                   \
  c##r##h = _mm256_fmadd_ps(v, bh, c##r##h);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
#undef ROW
    bp += ldb;
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  store_row(c + 0 * ldc, c0l, c0h, va, vb, beta);
  store_row(c + 1 * ldc, c1l, c1h, va, vb, beta);
  store_row(c + 2 * ldc, c2l, c2h, va, vb, beta);
  store_row(c + 3 * ldc, c3l, c3h, va, vb, beta);
  store_row(c + 4 * ldc, c4l, c4h, va, vb, beta);
  store_row(c + 5 * ldc, c5l, c5h, va, vb, beta);
}

MND_TILE_ENTRY_POINTS(TARGET, 6)

const mnd_ukernel mnd_ukernel_avx2 = {ukernel, 6, 16, MND_ISA_AVX2, ukernel_rows};
#endif

// AVX-512 SGEMM micro-kernel, 8 rows x 32 columns.
//
// Why 8x32: 16 zmm accumulators (8 rows x 2 vectors) hide the 4-cycle FMA
// latency on two FMA ports (8 in flight needed), leaving registers for the
// two B vectors and the broadcast; 8 divides the batch sizes we train with
// (8..256) and 32 the layer widths (64, 128, 256), so edge tiles are rare.
// Each k step is 2 loads + 8 broadcasts for 16 FMAs.
#if defined(__x86_64__)
#include "gemm_internal.h"
#include "kernels.h"

#include <immintrin.h>

// LLVM 18+ gates 512-bit registers behind "evex512"; GCC has no such name.
#if defined(__clang__) && __clang_major__ >= 18
#define TARGET __attribute__((target("avx512f,evex512,fma")))
#else
#define TARGET __attribute__((target("avx512f,fma")))
#endif

TARGET static inline void store_row(float *c, __m512 lo, __m512 hi,
                                    __m512 va, __m512 vb, float beta) {
  lo = _mm512_mul_ps(lo, va);
  hi = _mm512_mul_ps(hi, va);
  if (beta != 0.0f) {
    lo = _mm512_fmadd_ps(_mm512_loadu_ps(c), vb, lo);
    hi = _mm512_fmadd_ps(_mm512_loadu_ps(c + 16), vb, hi);
  }
  _mm512_storeu_ps(c, lo);
  _mm512_storeu_ps(c + 16, hi);
}

// Element (r, p) of the A tile is a[r * rs + p * ps]: packed (rs 1, ps 8) or
// read in place (rs lda, ps 1); each caller passes constants or a fixed
// stride, and the compiler builds one loop for each.
TARGET static inline __attribute__((always_inline)) void
tile(int32_t kc, const float *a, int32_t rs, int32_t ps, const float *bp,
     int32_t ldb, float *c, int32_t ldc, float alpha, float beta) {
  __m512 c0l = _mm512_setzero_ps(), c0h = _mm512_setzero_ps();
  __m512 c1l = _mm512_setzero_ps(), c1h = _mm512_setzero_ps();
  __m512 c2l = _mm512_setzero_ps(), c2h = _mm512_setzero_ps();
  __m512 c3l = _mm512_setzero_ps(), c3h = _mm512_setzero_ps();
  __m512 c4l = _mm512_setzero_ps(), c4h = _mm512_setzero_ps();
  __m512 c5l = _mm512_setzero_ps(), c5h = _mm512_setzero_ps();
  __m512 c6l = _mm512_setzero_ps(), c6h = _mm512_setzero_ps();
  __m512 c7l = _mm512_setzero_ps(), c7h = _mm512_setzero_ps();
  for (int32_t p = 0; p < kc; p++) {
    const __m512 bl = _mm512_loadu_ps(bp);
    const __m512 bh = _mm512_loadu_ps(bp + 16);
    const float *ap = a + (size_t)p * ps;
    __m512 v;
#define ROW(r)                                                                 \
  v = _mm512_set1_ps(ap[(size_t)(r) * rs]);                                    \
  c##r##l = _mm512_fmadd_ps(v, bl, c##r##l);                                   \
  c##r##h = _mm512_fmadd_ps(v, bh, c##r##h);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
    bp += ldb;
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  store_row(c + 0 * ldc, c0l, c0h, va, vb, beta);
  store_row(c + 1 * ldc, c1l, c1h, va, vb, beta);
  store_row(c + 2 * ldc, c2l, c2h, va, vb, beta);
  store_row(c + 3 * ldc, c3l, c3h, va, vb, beta);
  store_row(c + 4 * ldc, c4l, c4h, va, vb, beta);
  store_row(c + 5 * ldc, c5l, c5h, va, vb, beta);
  store_row(c + 6 * ldc, c6l, c6h, va, vb, beta);
  store_row(c + 7 * ldc, c7l, c7h, va, vb, beta);
}

MND_TILE_ENTRY_POINTS(TARGET, 8)

const mnd_ukernel mnd_ukernel_avx512 = {ukernel, 8, 32, MND_ISA_AVX512,
                                      ukernel_rows};
#endif

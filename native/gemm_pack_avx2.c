// Transposing panel packers, AVX2: dst[p*width + j] = src[j*ld + p] for
// j < cols (zero-padded up to width) and p < kc. Packing op(B) from a
// transposed B and op(A) from a plain A are both this transpose; done one
// scalar at a time it costs a third of a 64x128x784 GEMM, so 8x8 blocks
// are transposed in registers (8 loads, 24 shuffles, 8 stores per block).
#if defined(__x86_64__)
#include "gemm_internal.h"

#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx2")))

TARGET static inline void transpose8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
  const __m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
  const __m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
  const __m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]);
  const __m256 t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

TARGET void mnd_pack_transpose_avx2(const float *src, int32_t ld, int32_t kc,
                                    int32_t cols, int32_t width, float *dst) {
  int32_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    int32_t p = 0;
    for (; p + 8 <= kc; p += 8) {
      __m256 r[8];
      for (int q = 0; q < 8; q++)
        r[q] = _mm256_loadu_ps(src + (size_t)(j + q) * ld + p);
      transpose8(r);
      for (int q = 0; q < 8; q++)
        _mm256_storeu_ps(dst + (size_t)(p + q) * width + j, r[q]);
    }
    for (; p < kc; p++)
      for (int q = 0; q < 8; q++)
        dst[(size_t)p * width + j + q] = src[(size_t)(j + q) * ld + p];
  }
  for (; j < width; j++)
    for (int32_t p = 0; p < kc; p++)
      dst[(size_t)p * width + j] = j < cols ? src[(size_t)j * ld + p] : 0.0f;
}

TARGET void mnd_pack_narrow_avx2(const float *src, int32_t ld, int32_t kc,
                                 int32_t cols, int32_t width, float *dst) {
  // As above for width < 8 (the 6-row AVX2 panels): 8x8 blocks with the
  // missing rows zero; each transposed row is stored as 8 floats, of which
  // the next row's store overwrites the last 8 - width, so only the panel's
  // last row is written narrowly (nothing past the panel is touched).
  int32_t p = 0;
  for (; p + 8 <= kc; p += 8) {
    __m256 r[8];
    for (int q = 0; q < 8; q++)
      r[q] = q < cols ? _mm256_loadu_ps(src + (size_t)q * ld + p)
                      : _mm256_setzero_ps();
    transpose8(r);
    const int last = p + 8 == kc ? 7 : 8;
    for (int q = 0; q < last; q++)
      _mm256_storeu_ps(dst + (size_t)(p + q) * width, r[q]);
    if (last == 7) {
      _Alignas(32) float row[8];
      _mm256_store_ps(row, r[7]);
      memcpy(dst + (size_t)(p + 7) * width, row, (size_t)width * sizeof(float));
    }
  }
  for (; p < kc; p++)
    for (int32_t j = 0; j < width; j++)
      dst[(size_t)p * width + j] = j < cols ? src[(size_t)j * ld + p] : 0.0f;
}
#endif

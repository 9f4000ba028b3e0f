// NEON SGEMM micro-kernel for aarch64, 8 rows x 12 columns: 24 accumulator
// q-registers (8 rows x 3 vectors of 4), 3 for the B row and 2 for the A
// column, 29 of the 32. Each step is 24 FMAs by lane (vfmaq_laneq_f32), so
// the A values never leave their vectors. Compiled to nothing elsewhere.
#include "gemm_internal.h"
#include "kernels.h"

#if defined(__aarch64__)
#include <arm_neon.h>

#define ROW(r, a, lane)                                                        \
  c##r##0 = vfmaq_laneq_f32(c##r##0, b0, a, lane);                             \
  c##r##1 = vfmaq_laneq_f32(c##r##1, b1, a, lane);                             \
  c##r##2 = vfmaq_laneq_f32(c##r##2, b2, a, lane)

static void store_row(float *c, float32x4_t v0, float32x4_t v1, float32x4_t v2,
                      float alpha, float beta) {
  float32x4_t out[3] = {vmulq_n_f32(v0, alpha), vmulq_n_f32(v1, alpha),
                        vmulq_n_f32(v2, alpha)};
  for (int j = 0; j < 3; j++) {
    if (beta != 0.0f)
      out[j] = vfmaq_n_f32(out[j], vld1q_f32(c + 4 * j), beta);
    vst1q_f32(c + 4 * j, out[j]);
  }
}

static void ukernel(int32_t kc, const float *ap, const float *bp,
                    int32_t ldb, float *c, int32_t ldc, float alpha,
                    float beta) {
  const float32x4_t z = vdupq_n_f32(0.0f);
  float32x4_t c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z;
  float32x4_t c20 = z, c21 = z, c22 = z, c30 = z, c31 = z, c32 = z;
  float32x4_t c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
  float32x4_t c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
  for (int32_t p = 0; p < kc; p++) {
    const float32x4_t b0 = vld1q_f32(bp), b1 = vld1q_f32(bp + 4),
                      b2 = vld1q_f32(bp + 8);
    const float32x4_t a0 = vld1q_f32(ap), a1 = vld1q_f32(ap + 4);
    ROW(0, a0, 0);
    ROW(1, a0, 1);
    ROW(2, a0, 2);
    ROW(3, a0, 3);
    ROW(4, a1, 0);
    ROW(5, a1, 1);
    ROW(6, a1, 2);
    ROW(7, a1, 3);
    ap += 8;
    bp += ldb;
  }
  store_row(c + 0 * ldc, c00, c01, c02, alpha, beta);
  store_row(c + 1 * ldc, c10, c11, c12, alpha, beta);
  store_row(c + 2 * ldc, c20, c21, c22, alpha, beta);
  store_row(c + 3 * ldc, c30, c31, c32, alpha, beta);
  store_row(c + 4 * ldc, c40, c41, c42, alpha, beta);
  store_row(c + 5 * ldc, c50, c51, c52, alpha, beta);
  store_row(c + 6 * ldc, c60, c61, c62, alpha, beta);
  store_row(c + 7 * ldc, c70, c71, c72, alpha, beta);
}

const mnd_ukernel mnd_ukernel_neon = {ukernel, 8, 12, MND_ISA_NEON, 0};
#endif

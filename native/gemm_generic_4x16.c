// Portable SGEMM micro-kernel, 4 rows x 16 columns, in GCC/Clang vector
// extensions: the compiler maps a 16-float vector to whatever the target
// has (4 NEON q-registers on aarch64, 4 xmm on baseline x86-64), so this
// one file is the SIMD path of every architecture without intrinsics.
#include "gemm_internal.h"
#include "kernels.h"
#include "vec.h"

static void ukernel(int32_t kc, const float *ap, const float *bp,
                    int32_t ldb, float *c, int32_t ldc, float alpha,
                    float beta) {
  v16 c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0};
  for (int32_t p = 0; p < kc; p++) {
    const v16 b = load16(bp);
    c0 += ap[0] * b;
    c1 += ap[1] * b;
    c2 += ap[2] * b;
    c3 += ap[3] * b;
    ap += 4;
    bp += ldb;
  }
  v16 rows[4] = {c0, c1, c2, c3};
  for (int r = 0; r < 4; r++) {
    v16 out = alpha * rows[r];
    if (beta != 0.0f)
      out += beta * load16(c + r * ldc);
    store16(c + r * ldc, out);
  }
}

const mnd_ukernel mnd_ukernel_generic = {ukernel, 4, 16, MND_ISA_GENERIC, 0};

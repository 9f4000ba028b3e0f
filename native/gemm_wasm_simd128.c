// WebAssembly SIMD128 SGEMM micro-kernel, 4 rows x 8 columns.
//
// Why not the portable 4x16 kernel: a 16-float vector is four v128 values,
// so its 4x16 tile needs 16 accumulators + 4 B vectors + a broadcast, more
// than the 16 xmm registers V8 compiles SIMD128 to on x86-64, and spills
// (6x8 and 8x8 spilled too: 2x slower than 4x8 here). Plain SIMD128, not
// relaxed SIMD: its fused multiply-add was 20% faster in V8, but Safari and
// older browsers would then refuse the module the page loads.
#if defined(__wasm__)
#include "gemm_internal.h"
#include "kernels.h"

#include "vec.h"

#define WASM_MR 4

static void ukernel(int32_t kc, const float *ap, const float *bp,
                    int32_t ldb, float *c, int32_t ldc, float alpha,
                    float beta) {
  v4 lo[WASM_MR], hi[WASM_MR];
  for (int r = 0; r < WASM_MR; r++)
    lo[r] = hi[r] = (v4){0, 0, 0, 0};
  for (int32_t p = 0; p < kc; p++) {
    const v4 bl = load4(bp), bh = load4(bp + 4);
    for (int r = 0; r < WASM_MR; r++) {
      const v4 a = (v4){ap[r], ap[r], ap[r], ap[r]};
      lo[r] += a * bl;
      hi[r] += a * bh;
    }
    ap += WASM_MR;
    bp += ldb;
  }
  for (int r = 0; r < WASM_MR; r++) {
    v4 l = alpha * lo[r], h = alpha * hi[r];
    if (beta != 0.0f) {
      l += beta * load4(c + r * ldc);
      h += beta * load4(c + r * ldc + 4);
    }
    store4(c + r * ldc, l);
    store4(c + r * ldc + 4, h);
  }
}

const mnd_ukernel mnd_ukernel_wasm = {ukernel, WASM_MR, 8, MND_ISA_GENERIC, 0};
#endif

// Transposing panel packer in 4-float vectors (GCC/Clang vector extensions:
// SSE on x86-64, NEON on aarch64, SIMD128 on WebAssembly), for the kernels
// without an AVX2 packer: dst[p*width + j] = src[j*ld + p] for j < cols
// (zero-padded up to width) and p < kc. One scalar at a time, packing the
// transposed operand of a 64x128x784 product took half of its time in wasm;
// 4x4 blocks are transposed in registers (4 loads, 8 shuffles, 4 stores).
#include "gemm_internal.h"

#include "vec.h"

void mnd_pack_transpose_v4(const float *src, int32_t ld, int32_t kc,
                           int32_t cols, int32_t width, float *dst) {
  int32_t j = 0;
  for (; j + 4 <= cols; j += 4) {
    const float *s = src + (size_t)j * ld;
    int32_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      const v4 r0 = load4(s + p), r1 = load4(s + ld + p);
      const v4 r2 = load4(s + 2 * (size_t)ld + p);
      const v4 r3 = load4(s + 3 * (size_t)ld + p);
      const v4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
      const v4 t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
      const v4 t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
      const v4 t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
      float *d = dst + (size_t)p * width + j;
      store4(d, __builtin_shufflevector(t0, t2, 0, 1, 4, 5));
      store4(d + width, __builtin_shufflevector(t0, t2, 2, 3, 6, 7));
      store4(d + 2 * (size_t)width, __builtin_shufflevector(t1, t3, 0, 1, 4, 5));
      store4(d + 3 * (size_t)width, __builtin_shufflevector(t1, t3, 2, 3, 6, 7));
    }
    for (; p < kc; p++)
      for (int q = 0; q < 4; q++)
        dst[(size_t)p * width + j + q] = s[(size_t)q * ld + p];
  }
  for (; j < width; j++)
    for (int32_t p = 0; p < kc; p++)
      dst[(size_t)p * width + j] = j < cols ? src[(size_t)j * ld + p] : 0.0f;
}

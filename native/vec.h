// Float vectors in GCC/Clang vector extensions, mapped by the compiler to the
// target's registers: v16 is one zmm, two ymm, four xmm, four NEON q or four
// SIMD128 values; v4 is one xmm, NEON q or v128. Unaligned loads and stores.
// Internal to the library.
#ifndef MNIST_DNN_VEC_H
#define MNIST_DNN_VEC_H

#include <string.h>

#define MND_VECTOR(type, lanes)                                                \
  typedef float type __attribute__((vector_size(lanes * sizeof(float))));      \
  static inline type load##lanes(const float *p) {                             \
    type v;                                                                    \
    memcpy(&v, p, sizeof v);                                                   \
    return v;                                                                  \
  }                                                                            \
  static inline void store##lanes(float *p, type v) { memcpy(p, &v, sizeof v); }

MND_VECTOR(v16, 16)
MND_VECTOR(v4, 4)

// Lane masks of v16 comparisons (all ones or zero per lane).
typedef int v16i __attribute__((vector_size(16 * sizeof(int))));

#endif

// A 4-float vector in GCC/Clang vector extensions (an xmm on x86-64, a NEON
// q register, a SIMD128 v128), with unaligned loads and stores. Internal to
// the library.
#ifndef MNIST_DNN_VEC4_H
#define MNIST_DNN_VEC4_H

#include <string.h>

typedef float v4 __attribute__((vector_size(16)));

static inline v4 load4(const float *p) {
  v4 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void store4(float *p, v4 v) { memcpy(p, &v, sizeof v); }

#endif

// A 16-float vector in GCC/Clang vector extensions, mapped by the compiler
// to the target's registers (one zmm, two ymm, four xmm or NEON q), with
// unaligned loads and stores. Internal to the library.
#ifndef MNIST_DNN_VEC16_H
#define MNIST_DNN_VEC16_H

#include <string.h>

typedef float v16 __attribute__((vector_size(64)));
// Lane masks of v16 comparisons (all ones or zero per lane).
typedef int v16i __attribute__((vector_size(64)));

static inline v16 load16(const float *p) {
  v16 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }

#endif

// The counter-based generator shared by dropout and augmentation: a 32-bit
// integer finalizer (xorshift-multiply, two rounds), a bijection whose
// output bits each depend on every input bit. Draws are pure functions of
// (seed, counter, index), so any thread split and the TS kernels
// (src/kernels/_hash.ts, with Math.imul) draw the same numbers.
#ifndef MNIST_DNN_HASH_H
#define MNIST_DNN_HASH_H

#include <stdint.h>

static inline uint32_t mnd_mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x21f0aaadu;
  x ^= x >> 15;
  x *= 0x735a2d97u;
  x ^= x >> 15;
  return x;
}

// The key of step `counter` of a generator seeded with `seed`.
static inline uint32_t mnd_step_key(int32_t seed, int32_t counter) {
  return mnd_mix((uint32_t)seed ^ mnd_mix((uint32_t)counter + 0x9e3779b9u));
}

// Draw `i` of a key, as 24 random bits.
static inline uint32_t mnd_draw(uint32_t key, uint32_t i) {
  return mnd_mix(key ^ mnd_mix(i)) >> 8;
}

#endif

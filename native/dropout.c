// Dropout with a counter-based generator: the keep decision of element i is
// a pure function of (seed, counter, i), so the TS kernel, this one, and any
// split across threads draw the same mask, and a step can be replayed.
#include "kernels.h"

#include <stddef.h>

// A 32-bit integer finalizer (xorshift-multiply, two rounds): a bijection
// whose output bits each depend on every input bit. src/kernels/_dropout.ts
// computes the same function with Math.imul.
static uint32_t mix(uint32_t x) {
  x ^= x >> 16;
  x *= 0x21f0aaadu;
  x ^= x >> 15;
  x *= 0x735a2d97u;
  x ^= x >> 15;
  return x;
}

MND_API void mnd_dropout_forward(float *y, float *mask, const float *x,
                                 int32_t n, float rate, float scale,
                                 int32_t seed, int32_t counter) {
  // x, y, mask are (n). rate * 2^24 is exact in float, so the threshold
  // matches the TS side's Math.floor(fround(rate) * 2^24).
  const uint32_t threshold = (uint32_t)(rate * 16777216.0f);
  const uint32_t key =
      mix((uint32_t)seed ^ mix((uint32_t)counter + 0x9e3779b9u));
  for (int32_t i = 0; i < n; i++) {
    const uint32_t u = mix(key ^ mix((uint32_t)i)) >> 8;
    mask[i] = u >= threshold ? scale : 0.0f;
    y[i] = x[i] * mask[i];
  }
}

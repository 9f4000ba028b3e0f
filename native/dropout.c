// Dropout with a counter-based generator (hash.h): the keep decision of
// element i is a pure function of (seed, counter, i), so the TS kernel, this
// one, and any split across threads draw the same mask, and a step can be
// replayed.
#include "hash.h"
#include "kernels.h"

MND_API void mnd_dropout_forward(float *y, float *mask, const float *x,
                                 int32_t n, float rate, float scale,
                                 int32_t seed, int32_t counter) {
  // x, y, mask are (n). rate * 2^24 is exact in float, so the threshold
  // matches the TS side's Math.floor(fround(rate) * 2^24).
  const uint32_t threshold = (uint32_t)(rate * 16777216.0f);
  const uint32_t key = mnd_step_key(seed, counter);
  for (int32_t i = 0; i < n; i++) {
    mask[i] = mnd_draw(key, (uint32_t)i) >= threshold ? scale : 0.0f;
    y[i] = x[i] * mask[i];
  }
}

// e^x for float loops the compiler can vectorize: libm's expf is a call per
// element (about half of a 64x10 softmax + cross-entropy went to it).
// Cody-Waite reduction x = n ln2 + r, |r| <= ln2/2, a degree-6 Taylor
// polynomial for e^r (relative error under 2e-7 before rounding), and 2^n
// built in the exponent bits. Arguments are clamped to [-87.3, 88]: results
// stay normal and finite (e^88 = 1.65e38); a NaN argument gives NaN.
#ifndef MNIST_DNN_EXPF_H
#define MNIST_DNN_EXPF_H

#include <stdint.h>
#include <string.h>

static inline float mnd_expf(float x) {
  float c = x > -87.3f ? x : -87.3f; // also NaN -> -87.3, kept finite below
  c = c < 88.0f ? c : 88.0f;
  // Round to nearest by the 1.5 * 2^23 trick (no libm call, vectorizes).
  const float n = (c * 1.44269504f + 12582912.0f) - 12582912.0f;
  const float r = (c - n * 0.693145752f) - n * 1.42860677e-6f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  const float e = p * scale;
  return x == x ? e : x;
}

#endif

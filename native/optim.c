// Optimizer updates over the whole parameter arena, one pass each.
#include "kernels.h"

#include <math.h>

MND_API void mnd_sgd_step(float *params, const float *grads, int32_t n,
                          float lr, float weight_decay) {
  if (weight_decay == 0.0f) {
    for (int32_t i = 0; i < n; i++)
      params[i] -= lr * grads[i];
  } else {
    for (int32_t i = 0; i < n; i++)
      params[i] -= lr * (grads[i] + weight_decay * params[i]);
  }
}

MND_API void mnd_momentum_step(float *params, const float *grads,
                               float *velocity, int32_t n, float lr,
                               float momentum, float weight_decay,
                               int32_t nesterov) {
  for (int32_t i = 0; i < n; i++) {
    const float g = grads[i] + weight_decay * params[i];
    const float v = velocity[i] = momentum * velocity[i] + g;
    params[i] -= lr * (nesterov ? g + momentum * v : v);
  }
}

MND_API void mnd_adam_step(float *params, const float *grads, float *m,
                           float *v, int32_t n, float lr_t, float beta1,
                           float beta2, float one_minus_beta1,
                           float one_minus_beta2, float eps_t,
                           float weight_decay, float keep) {
  for (int32_t i = 0; i < n; i++) {
    const float g = grads[i] + weight_decay * params[i];
    const float mi = m[i] = beta1 * m[i] + one_minus_beta1 * g;
    const float vi = v[i] = beta2 * v[i] + one_minus_beta2 * g * g;
    params[i] = keep * params[i] - lr_t * mi / (sqrtf(vi) + eps_t);
  }
}

MND_API void mnd_rms_step(float *params, const float *grads, float *s,
                          int32_t n, float lr, float rho, float c, float eps,
                          float weight_decay) {
  for (int32_t i = 0; i < n; i++) {
    const float g = grads[i] + weight_decay * params[i];
    const float si = s[i] = rho * s[i] + c * g * g;
    params[i] -= lr * g / (sqrtf(si) + eps);
  }
}

// Per-sample SGD for dense stacks (see kernels.h): the batch-1 fast path.
// It composes the same kernels the TS layers call one by one, in one FFI
// call per chunk of samples instead of about twenty per sample, and folds
// the update into the weight-gradient GEMM (alpha = -lr, beta = keep) as the
// layers do for plain SGD. Measured on the 784-128-64-10 epoch (AVX-512, 2
// threads): see the README's performance section.
#include "kernels.h"

#include <stddef.h>


MND_API int32_t mnd_mlp_work_size(const int32_t *sizes, int32_t layers) {
  const int32_t rows = 1;
  // Activations of layers 1..L, plus two delta buffers of the widest layer.
  int64_t total = 0, widest = 0;
  for (int32_t l = 1; l <= layers; l++) {
    total += (int64_t)rows * sizes[l];
    if (sizes[l] > widest)
      widest = sizes[l];
  }
  total += 2 * (int64_t)rows * widest;
  return total > 0x7fffffff ? -1 : (int32_t)total;
}

static void sgd_step(float *params, float *work,
                              const int32_t *sizes, int32_t layers,
                              const float *input, const int32_t *labels,
                              int32_t rows, int32_t act, float lr,
                              float keep, double *stats) {
  // Layer l maps IN=sizes[l-1] to OUT=sizes[l]; weights[l] is (OUT,IN).
  // rows == 1 here, but the step is written for any batch, as the layers.
  float *weights[MND_MLP_MAX_LAYERS + 1], *bias[MND_MLP_MAX_LAYERS + 1];
  const float *acts[MND_MLP_MAX_LAYERS + 1];
  float *out_acts[MND_MLP_MAX_LAYERS + 1];
  int32_t widest = 0;
  float *p = params, *w = work;
  acts[0] = input;
  for (int32_t l = 1; l <= layers; l++) {
    weights[l] = p;
    p += (size_t)sizes[l] * sizes[l - 1];
    bias[l] = p;
    p += sizes[l];
    out_acts[l] = w;
    acts[l] = w;
    w += (size_t)rows * sizes[l];
    if (sizes[l] > widest)
      widest = sizes[l];
  }
  float *delta = w, *spare = w + (size_t)rows * widest;

  for (int32_t l = 1; l <= layers; l++) {
    mnd_gemm(0, 1, rows, sizes[l], sizes[l - 1], 1.0f, acts[l - 1],
             weights[l], 0.0f, out_acts[l]);
    mnd_bias_act_forward(out_acts[l], bias[l], rows, sizes[l],
                         l < layers ? act : MND_ACT_IDENTITY);
  }
  mnd_softmax_xent(acts[layers], labels, delta, rows, sizes[layers],
                   1.0f / (float)rows, stats);

  for (int32_t l = layers; l >= 1; l--) {
    const int32_t in = sizes[l - 1], out = sizes[l];
    if (l > 1) {
      // The input gradient needs the weights before this step's update.
      mnd_gemm(0, 0, rows, in, out, 1.0f, delta, weights[l], 0.0f, spare);
      mnd_act_backward(spare, acts[l - 1], rows * in, act);
    }
    mnd_gemm(1, 0, out, in, rows, -lr, delta, acts[l - 1], keep, weights[l]);
    mnd_column_sums(bias[l], delta, rows, out, -lr, keep);
    float *t = delta;
    delta = spare;
    spare = t;
  }
}

MND_API void mnd_mlp_sgd_samples(float *params, float *work,
                                 const int32_t *sizes, int32_t layers,
                                 const float *inputs, const int32_t *labels,
                                 int32_t count, int32_t act, float lr,
                                 float keep, double *stats) {
  for (int32_t s = 0; s < count; s++)
    sgd_step(params, work, sizes, layers, inputs + (size_t)s * sizes[0],
             labels + s, 1, act, lr, keep, stats);
}

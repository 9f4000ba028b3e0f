/**
 * The FFI symbol table: one entry per function of `native/kernels.h`, each
 * parameter commented with its C declaration. Only `buffer`, `i32` and `f32`
 * parameters with `void`/`i32` results, which keep Deno's fast call path.
 *
 * @module
 */

/** Symbols of libmnist_dnn, mirroring `native/kernels.h` one to one. */
export const SYMBOLS = {
  mnd_abi_version: { parameters: [], result: "i32" },
  mnd_misalignment: { parameters: ["buffer"], result: "i32" }, // const void *p
  mnd_isa: { parameters: [], result: "i32" },
  mnd_force_isa: { parameters: ["i32"], result: "i32" }, // int32_t isa
  mnd_cpu_count: { parameters: [], result: "i32" },
  mnd_set_threads: { parameters: ["i32"], result: "i32" }, // int32_t threads
  mnd_threads: { parameters: [], result: "i32" },
  mnd_pool_solo_spells: { parameters: [], result: "i32" },
  mnd_gemm: {
    parameters: [
      "i32", // int32_t trans_a
      "i32", // int32_t trans_b
      "i32", // int32_t m
      "i32", // int32_t n
      "i32", // int32_t k
      "f32", // float alpha
      "buffer", // const float *a
      "buffer", // const float *b
      "f32", // float beta
      "buffer", // float *c
    ],
    result: "void",
  },
  // The naive twin the GEMM is tested against (same contract).
  mnd_gemm_naive: {
    parameters: [
      "i32", // int32_t trans_a
      "i32", // int32_t trans_b
      "i32", // int32_t m
      "i32", // int32_t n
      "i32", // int32_t k
      "f32", // float alpha
      "buffer", // const float *a
      "buffer", // const float *b
      "f32", // float beta
      "buffer", // float *c
    ],
    result: "void",
  },
  mnd_bias_act_forward: {
    parameters: [
      "buffer", // float *x
      "buffer", // const float *bias
      "i32", // int32_t rows
      "i32", // int32_t cols
      "i32", // int32_t act
    ],
    result: "void",
  },
  mnd_act_backward: {
    parameters: [
      "buffer", // float *grad
      "buffer", // const float *out
      "i32", // int32_t n
      "i32", // int32_t act
    ],
    result: "void",
  },
  mnd_softmax_xent: {
    parameters: [
      "buffer", // const float *logits
      "buffer", // const int32_t *labels
      "buffer", // float *grad
      "i32", // int32_t rows
      "i32", // int32_t cols
      "f32", // float grad_scale
      "buffer", // double *stats
    ],
    result: "void",
  },
  mnd_softmax: {
    parameters: [
      "buffer", // float *x
      "i32", // int32_t rows
      "i32", // int32_t cols
    ],
    result: "void",
  },
  mnd_column_sums: {
    parameters: [
      "buffer", // float *out
      "buffer", // const float *x
      "i32", // int32_t rows
      "i32", // int32_t cols
      "f32", // float alpha
      "f32", // float beta
    ],
    result: "void",
  },
  mnd_act_forward: {
    parameters: [
      "buffer", // float *y
      "buffer", // const float *x
      "i32", // int32_t n
      "i32", // int32_t act
    ],
    result: "void",
  },
  mnd_multiply: {
    parameters: [
      "buffer", // float *out
      "buffer", // const float *a
      "buffer", // const float *b
      "i32", // int32_t n
    ],
    result: "void",
  },
  mnd_im2col: {
    parameters: [
      "buffer", // float *col
      "buffer", // const float *x
      "buffer", // const int32_t *geom
    ],
    result: "void",
  },
  mnd_col2im: {
    parameters: [
      "buffer", // float *dx
      "buffer", // const float *col
      "buffer", // const int32_t *geom
    ],
    result: "void",
  },
  mnd_maxpool_forward: {
    parameters: [
      "buffer", // float *out
      "buffer", // int32_t *argmax
      "buffer", // const float *x
      "buffer", // const int32_t *geom
    ],
    result: "void",
  },
  mnd_maxpool_backward: {
    parameters: [
      "buffer", // float *dx
      "buffer", // const float *dy
      "buffer", // const int32_t *argmax
      "i32", // int32_t n_in
      "i32", // int32_t n_out
    ],
    result: "void",
  },
  mnd_batchnorm_forward: {
    parameters: [
      "buffer", // float *y
      "buffer", // float *xhat
      "buffer", // float *inv_std
      "buffer", // const float *x
      "buffer", // const float *gamma_beta
      "buffer", // float *running
      "i32", // int32_t rows
      "i32", // int32_t cols
      "f32", // float momentum
      "f32", // float eps
      "i32", // int32_t training
    ],
    result: "void",
  },
  mnd_batchnorm_backward: {
    parameters: [
      "buffer", // float *dx
      "buffer", // float *dgamma_beta
      "buffer", // const float *dy
      "buffer", // const float *xhat
      "buffer", // const float *inv_std
      "buffer", // const float *gamma_beta
      "i32", // int32_t rows
      "i32", // int32_t cols
      "f32", // float alpha
      "f32", // float beta
    ],
    result: "void",
  },
  mnd_dropout_forward: {
    parameters: [
      "buffer", // float *y
      "buffer", // float *mask
      "buffer", // const float *x
      "i32", // int32_t n
      "f32", // float rate
      "f32", // float scale
      "i32", // int32_t seed
      "i32", // int32_t counter
    ],
    result: "void",
  },
  mnd_gather_batch: {
    parameters: [
      "buffer", // float *out
      "buffer", // int32_t *out_labels (nullable)
      "buffer", // const uint8_t *pixels
      "buffer", // const uint8_t *labels (nullable)
      "buffer", // const int32_t *indices
      "i32", // int32_t count
      "i32", // int32_t features
      "f64", // double scale
      "f64", // double shift
    ],
    result: "void",
  },
  mnd_sgd_step: {
    parameters: [
      "buffer", // float *params
      "buffer", // const float *grads
      "i32", // int32_t n
      "f32", // float lr
      "f32", // float weight_decay
    ],
    result: "void",
  },
  mnd_momentum_step: {
    parameters: [
      "buffer", // float *params
      "buffer", // const float *grads
      "buffer", // float *velocity
      "i32", // int32_t n
      "f32", // float lr
      "f32", // float momentum
      "f32", // float weight_decay
      "i32", // int32_t nesterov
    ],
    result: "void",
  },
  mnd_adam_step: {
    parameters: [
      "buffer", // float *params
      "buffer", // const float *grads
      "buffer", // float *m
      "buffer", // float *v
      "i32", // int32_t n
      "f32", // float lr_t
      "f32", // float beta1
      "f32", // float beta2
      "f32", // float one_minus_beta1
      "f32", // float one_minus_beta2
      "f32", // float eps_t
      "f32", // float weight_decay
      "f32", // float keep
    ],
    result: "void",
  },
  mnd_rms_step: {
    parameters: [
      "buffer", // float *params
      "buffer", // const float *grads
      "buffer", // float *s
      "i32", // int32_t n
      "f32", // float lr
      "f32", // float rho
      "f32", // float c
      "f32", // float eps
      "f32", // float weight_decay
    ],
    result: "void",
  },
  mnd_augment: {
    parameters: [
      "buffer", // float *out
      "buffer", // const float *x
      "i32", // int32_t rows
      "i32", // int32_t h
      "i32", // int32_t w
      "buffer", // const float *params
      "i32", // int32_t seed
      "i32", // int32_t counter
    ],
    result: "void",
  },
  mnd_mlp_sgd_samples: {
    parameters: [
      "buffer", // float *params
      "buffer", // float *work
      "buffer", // const int32_t *sizes
      "i32", // int32_t layers
      "buffer", // const float *inputs
      "buffer", // const int32_t *labels
      "i32", // int32_t count
      "i32", // int32_t act
      "f32", // float lr
      "f32", // float keep
      "buffer", // double *stats
    ],
    result: "void",
  },
  mnd_mlp_work_size: {
    parameters: [
      "buffer", // const int32_t *sizes
      "i32", // int32_t layers
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** ABI version this module was written against (`MND_ABI_VERSION`). */
export const ABI_VERSION = 7;

/** The loaded library's functions. */
export type NativeSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

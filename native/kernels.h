// mnist-dnn native kernels: the whole C ABI.
//
// Every function here is exported from libmnist_dnn and mirrored one to one
// by src/ffi/symbols.ts; change both in the same commit. Callers (the TS
// side) check every length and shape before calling, so kernels trust their
// arguments.
//
// Dimension glossary
//   rows     leading dimension of an activation matrix (usually batch B)
//   cols     features per row (a layer's width)
//   m, n, k  GEMM sizes: C (m,n) = op(A) (m,k) * op(B) (k,n)
//   IN, OUT  a dense layer's input and output widths
//
// Conventions
//   - All matrices are dense, row-major, contiguous float32.
//   - Outputs come first, then inputs, then dimensions.
//   - Nothing here accumulates into its output unless a beta argument says
//     so: gradients are written, not added (the model calls each backward
//     op once per batch).
//   - Integer flags are 0/1; activation codes are MND_ACT_*.
//   - Calls must not overlap: one caller thread at a time (the library
//     parallelizes internally with its own worker pool).
#ifndef MNIST_DNN_KERNELS_H
#define MNIST_DNN_KERNELS_H

#include <stdint.h>

#ifdef _WIN32
#define MND_API __declspec(dllexport)
#else
#define MND_API __attribute__((visibility("default")))
#endif

#define MND_ABI_VERSION 1

#define MND_ACT_IDENTITY 0
#define MND_ACT_SIGMOID 1
#define MND_ACT_RELU 2
#define MND_ACT_TANH 3
#define MND_ACT_LEAKY_RELU 4
#define MND_LEAKY_SLOPE 0.01f

// Instruction sets reported by mnd_isa().
#define MND_ISA_GENERIC 0
#define MND_ISA_AVX2 1
#define MND_ISA_AVX512 2

// ---- library ---------------------------------------------------------------

// ABI version; the TS loader refuses a library whose version differs.
MND_API int32_t mnd_abi_version(void);
// Instruction set the GEMM dispatches to on this CPU (MND_ISA_*).
MND_API int32_t mnd_isa(void);
// Restricts the GEMM to a given instruction set (for tests and benchmarks);
// returns the ISA now in use, which is `isa` if the CPU supports it.
MND_API int32_t mnd_force_isa(int32_t isa);
// Logical CPUs available to this process.
MND_API int32_t mnd_cpu_count(void);
// Sets the worker-pool size (1 = no workers); returns the size now in use.
MND_API int32_t mnd_set_threads(int32_t threads);
// Current worker-pool size.
MND_API int32_t mnd_threads(void);

// ---- GEMM (gemm.c) ---------------------------------------------------------

// C (m,n) = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T.
// A is (m,k) or, transposed, (k,m); B is (k,n) or (n,k). beta == 0 ignores
// C's old contents (NaN included). Results do not depend on the thread count.
MND_API void mnd_gemm(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n,
                      int32_t k, float alpha, const float *a, const float *b,
                      float beta, float *c);
// The naive triple loop mnd_gemm is tested against (same contract).
MND_API void mnd_gemm_naive(int32_t trans_a, int32_t trans_b, int32_t m,
                            int32_t n, int32_t k, float alpha, const float *a,
                            const float *b, float beta, float *c);

// ---- layers and losses (nn.c) ----------------------------------------------

// In place: x (rows,cols) = act(x + bias), bias is (cols).
MND_API void mnd_bias_act_forward(float *x, const float *bias, int32_t rows,
                                  int32_t cols, int32_t act);
// In place: grad (n) *= act'(z), from the activation output out = act(z) (n).
MND_API void mnd_act_backward(float *grad, const float *out, int32_t n,
                              int32_t act);
// Softmax + cross-entropy over logits (rows,cols) with labels (rows).
// Writes grad (rows,cols) = (softmax - onehot) * grad_scale; adds the summed
// loss to stats[0] and the count of correct argmaxes to stats[1].
MND_API void mnd_softmax_xent(const float *logits, const int32_t *labels,
                              float *grad, int32_t rows, int32_t cols,
                              float grad_scale, double *stats);
// In place, row-wise softmax of x (rows,cols).
MND_API void mnd_softmax(float *x, int32_t rows, int32_t cols);
// out (cols) = beta * out + column sums of x (rows,cols).
MND_API void mnd_column_sums(float *out, const float *x, int32_t rows,
                             int32_t cols, float beta);
// out (count,features) = pixels[indices[i]] * scale + shift, and when both
// label pointers are non-null, out_labels[i] = labels[indices[i]].
MND_API void mnd_gather_batch(float *out, int32_t *out_labels,
                              const uint8_t *pixels, const uint8_t *labels,
                              const int32_t *indices, int32_t count,
                              int32_t features, float scale, float shift);

// ---- optimizers (optim.c) --------------------------------------------------

// p (n) -= lr * (g + weight_decay * p).
MND_API void mnd_sgd_step(float *params, const float *grads, int32_t n,
                          float lr, float weight_decay);
// g' = g + weight_decay * p; v = momentum * v + g';
// p -= lr * (nesterov ? g' + momentum * v : v). All (n).
MND_API void mnd_momentum_step(float *params, const float *grads,
                               float *velocity, int32_t n, float lr,
                               float momentum, float weight_decay,
                               int32_t nesterov);

// Adam with bias correction folded into the arguments by the caller:
// g' = g + weight_decay * p; m = beta1 * m + (1 - beta1) * g';
// v = beta2 * v + (1 - beta2) * g'^2; p -= lr_t * m / (sqrt(v) + eps_t),
// where lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), eps_t = eps *
// sqrt(1 - beta2^t) at step t. All arrays (n).
MND_API void mnd_adam_step(float *params, const float *grads, float *m,
                           float *v, int32_t n, float lr_t, float beta1,
                           float beta2, float eps_t, float weight_decay);

// ---- fused training step (mlp.c) -------------------------------------------

// One plain-SGD step of a dense stack on a batch, in a single call: forward,
// softmax + cross-entropy, backward, and the update applied straight to the
// weights (no gradient arena), so batch 1 costs one FFI call per sample.
// params: per layer l (IN=sizes[l], OUT=sizes[l+1]) weights (OUT,IN) then
// bias (OUT), back to back. sizes has layers+1 entries. work holds at least
// mnd_mlp_work_size(sizes, layers, rows) floats. Hidden layers use `act`,
// the last is linear. Adds loss and correct count to stats as softmax_xent.
MND_API void mnd_mlp_sgd_step(float *params, float *work,
                              const int32_t *sizes, int32_t layers,
                              const float *input, const int32_t *labels,
                              int32_t rows, int32_t act, float lr,
                              double *stats);
// Per-sample SGD over `count` samples in order (inputs (count,sizes[0]),
// labels (count)): exactly `count` calls of mnd_mlp_sgd_step with rows = 1,
// in one call. work holds mnd_mlp_work_size(sizes, layers, 1) floats.
MND_API void mnd_mlp_sgd_samples(float *params, float *work,
                                 const int32_t *sizes, int32_t layers,
                                 const float *inputs, const int32_t *labels,
                                 int32_t count, int32_t act, float lr,
                                 double *stats);
// Floats of work space mnd_mlp_sgd_step needs.
MND_API int32_t mnd_mlp_work_size(const int32_t *sizes, int32_t layers,
                                  int32_t rows);

#endif

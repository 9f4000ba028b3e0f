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
//   - Nothing here accumulates into its output unless a beta argument or
//     the comment says so: parameter gradients are `out = beta * out +
//     alpha * grad`, so a layer can write them (beta 0), add them (beta 1),
//     or apply a plain SGD step straight to its weights (alpha -lr, beta 1).
//   - Convolution and pooling use NHWC activations (B,H,W,C) and a geometry
//     array geom = {B, H, W, C, K, S, P, OH, OW}: batch, input height, width
//     and channels, square window K, stride S, zero padding P, output height
//     and width (the caller checks OH = (H + 2P - K) / S + 1, likewise OW).
//   - Integer flags are 0/1; activation codes are MND_ACT_*.
//   - Calls may come from several threads (Web Workers): the kernels that
//     use the worker pool or shared buffers (GEMM, im2col, col2im) hold a
//     process-wide lock, so concurrent callers take turns and never share
//     state; every other kernel touches only its arguments.
#ifndef MNIST_DNN_KERNELS_H
#define MNIST_DNN_KERNELS_H

#include <stdint.h>

#ifdef _WIN32
#define MND_API __declspec(dllexport)
#else
#define MND_API __attribute__((visibility("default")))
#endif

#define MND_ABI_VERSION 7

#define MND_ACT_IDENTITY 0
#define MND_ACT_SIGMOID 1
#define MND_ACT_RELU 2
#define MND_ACT_TANH 3
#define MND_ACT_LEAKY_RELU 4
#define MND_LEAKY_SLOPE 0.01f

// Instruction sets reported by mnd_isa(); MND_ISA_BEST asks mnd_force_isa
// for the best this CPU has.
#define MND_ISA_BEST -1
#define MND_ISA_GENERIC 0
#define MND_ISA_AVX2 1
#define MND_ISA_AVX512 2
#define MND_ISA_NEON 3

// ---- library (library.c) ---------------------------------------------------

// ABI version; the TS loader refuses a library whose version differs.
MND_API int32_t mnd_abi_version(void);
// Bytes by which `p` is past a 64-byte boundary (0..63): lets the loader
// align buffers without the pointer API, which scoped --allow-ffi denies.
MND_API int32_t mnd_misalignment(const void *p);
// Instruction set the GEMM dispatches to on this CPU (MND_ISA_*).
MND_API int32_t mnd_isa(void);
// Restricts the GEMM to a given instruction set (for tests and benchmarks);
// returns the ISA now in use: `isa` if the CPU supports it, else the next
// best this build has (MND_ISA_BEST: the best).
MND_API int32_t mnd_force_isa(int32_t isa);
// Logical CPUs available to this process.
MND_API int32_t mnd_cpu_count(void);
// Sets the worker-pool size (1 = no workers); returns the size now in use.
MND_API int32_t mnd_set_threads(int32_t threads);
// Current worker-pool size.
MND_API int32_t mnd_threads(void);
// Times the pool has run jobs on the calling thread alone because its
// workers kept waiting for a core (a busy machine); for benchmarks.
MND_API int32_t mnd_pool_solo_spells(void);

// ---- GEMM (gemm.c) ---------------------------------------------------------

// C (m,n) = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T.
// A is (m,k) or, transposed, (k,m); B is (k,n) or (n,k). beta == 0 ignores
// C's old contents (NaN included). Results do not depend on the thread count.
MND_API void mnd_gemm(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n,
                      int32_t k, float alpha, const float *a, const float *b,
                      float beta, float *c);
// The naive triple loop mnd_gemm is tested against (same contract; gemm_naive.c).
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
// In place or not: y (n) = act(x).
MND_API void mnd_act_forward(float *y, const float *x, int32_t n, int32_t act);
// out (cols) = beta * out + alpha * column sums of x (rows,cols).
MND_API void mnd_column_sums(float *out, const float *x, int32_t rows,
                             int32_t cols, float alpha, float beta);
// out (n) = a * b, elementwise (dropout backward: dx = dy * mask).
MND_API void mnd_multiply(float *out, const float *a, const float *b,
                          int32_t n);
// ---- batch gather (gather.c) -------------------------------------------------

// out (count,features) = (float)(pixels[indices[i]] * scale) + shift, in
// double (pixel / 255 exactly), and when both label pointers are non-null,
// out_labels[i] = labels[indices[i]].
MND_API void mnd_gather_batch(float *out, int32_t *out_labels,
                              const uint8_t *pixels, const uint8_t *labels,
                              const int32_t *indices, int32_t count,
                              int32_t features, double scale, double shift);

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
// v = beta2 * v + (1 - beta2) * g'^2; p = keep * p - lr_t * m / (sqrt(v) + eps_t),
// where lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t), eps_t = eps *
// sqrt(1 - beta2^t) at step t, and keep = 1 - lr * decoupled decay (AdamW;
// 1 for Adam). All arrays (n).
// one_minus_beta1 and one_minus_beta2 are formed by the caller in double
// (as PyTorch does): 1.0f - beta2 in float is 0.0009999871 for 0.999.
MND_API void mnd_adam_step(float *params, const float *grads, float *m,
                           float *v, int32_t n, float lr_t, float beta1,
                           float beta2, float one_minus_beta1,
                           float one_minus_beta2, float eps_t,
                           float weight_decay, float keep);
// Steps scaled by a running mean of squared gradients (RMSprop, AdaGrad):
// g' = g + weight_decay * p; s = rho * s + c * g'^2;
// p -= lr * g' / (sqrt(s) + eps). RMSprop: rho = alpha, c = 1 - alpha;
// AdaGrad: rho = c = 1. All arrays (n).
MND_API void mnd_rms_step(float *params, const float *grads, float *s,
                          int32_t n, float lr, float rho, float c, float eps,
                          float weight_decay);

// ---- convolution (conv.c) --------------------------------------------------

// col (B*OH*OW, K*K*C) = the receptive fields of x (B,H,W,C): row (b,oy,ox),
// column (ky,kx,c) holds x[b, oy*S-P+ky, ox*S-P+kx, c], or 0 in the padding.
// A convolution is then one GEMM: out (B*OH*OW, OC) = col * W^T, with the
// weights W (OC, K*K*C).
MND_API void mnd_im2col(float *col, const float *x, const int32_t *geom);
// The adjoint of im2col: dx (B,H,W,C) += every col entry scattered back to
// the input position it was read from (padding entries are dropped).
// Accumulates: the caller zeroes dx first.
MND_API void mnd_col2im(float *dx, const float *col, const int32_t *geom);

// ---- max pooling (maxpool.c) -----------------------------------------------

// out (B,OH,OW,C) = max over each KxK window of x (B,H,W,C) (padding never
// wins); argmax (B,OH,OW,C) = the flat index into x of each maximum.
MND_API void mnd_maxpool_forward(float *out, int32_t *argmax, const float *x,
                                 const int32_t *geom);
// dx (n_in) = 0, then dx[argmax[i]] += dy[i] for each i < n_out. Indices
// outside [0, n_in) are skipped, so a stale argmax cannot write out of bounds.
MND_API void mnd_maxpool_backward(float *dx, const float *dy,
                                  const int32_t *argmax, int32_t n_in,
                                  int32_t n_out);

// ---- batch normalization (norm.c) ------------------------------------------

// Per column (feature, or channel of an NHWC tensor) of x (rows,cols):
// gamma_beta (2*cols) holds gamma then beta; running (2*cols) the running
// mean then variance. Training: normalizes with the batch mean and biased
// variance, writes xhat (rows,cols) and inv_std (cols) for the backward
// pass, and moves running toward the batch statistics (running = (1 -
// momentum) * running + momentum * batch, unbiased variance, as PyTorch).
// Evaluation (training 0): normalizes with running; xhat, inv_std unused.
// y (rows,cols) = gamma * xhat + beta. Sums are taken in double.
MND_API void mnd_batchnorm_forward(float *y, float *xhat, float *inv_std,
                                   const float *x, const float *gamma_beta,
                                   float *running, int32_t rows, int32_t cols,
                                   float momentum, float eps,
                                   int32_t training);
// From a training forward: dgamma_beta (2*cols) = beta * dgamma_beta +
// alpha * (sum dy*xhat, sum dy); dx (rows,cols) = gamma * inv_std / rows *
// (rows * dy - sum dy - xhat * sum dy*xhat), written (not accumulated).
MND_API void mnd_batchnorm_backward(float *dx, float *dgamma_beta,
                                    const float *dy, const float *xhat,
                                    const float *inv_std,
                                    const float *gamma_beta, int32_t rows,
                                    int32_t cols, float alpha, float beta);

// ---- dropout (dropout.c) ---------------------------------------------------

// mask (n) = scale where element i is kept, else 0; y (n) = x * mask. Element
// i is kept when the top 24 bits of a hash of (seed, counter, i) are at
// least floor(rate * 2^24): a counter-based generator, so TS and C draw the
// same mask for any thread count and the mask is reproducible from (seed,
// counter). scale is 1 / (1 - rate), rounded to float by the caller.
MND_API void mnd_dropout_forward(float *y, float *mask, const float *x,
                                 int32_t n, float rate, float scale,
                                 int32_t seed, int32_t counter);

// ---- augmentation (augment.c) ------------------------------------------------

// Most elastic grid nodes per sample (a 64 x 64 grid: images up to 253
// pixels a side at spacing 4), and the widest image with elastic distortion.
#define MND_AUGMENT_MAX_NODES 4096
#define MND_AUGMENT_MAX_WIDTH 4096
// out (rows,h*w) = x (rows,h*w) resampled per sample through a random
// shift (up to params[0] pixels), rotation (params[1] radians), scale
// (1 +- params[2]) and elastic displacement (up to params[3] pixels at
// nodes every params[4] pixels, bilinear between), bilinear, params[5]
// outside the image. Sample i's draws depend on (seed, counter, i) only.
// All zeros but the spacing is the identity. out and x must not overlap.
MND_API void mnd_augment(float *out, const float *x, int32_t rows, int32_t h,
                         int32_t w, const float *params, int32_t seed,
                         int32_t counter);

// ---- per-sample SGD fast path (mlp.c) ----------------------------------------

// Most dense layers the fast path takes.
#define MND_MLP_MAX_LAYERS 64

// Plain SGD with batch size 1 over `count` samples, in order, for a dense
// stack: per sample, forward, softmax + cross-entropy, backward, and the
// update folded into the weight-gradient GEMM, all in one FFI call (the same
// math as the TS layers, which the tests hold it to). params: per layer l
// (IN=sizes[l], OUT=sizes[l+1]) weights (OUT,IN) then bias (OUT), back to
// back; sizes has layers+1 entries; inputs (count,sizes[0]), labels (count).
// Hidden layers use `act`, the last is linear. Each update is
// p = keep * p - lr * grad (keep = 1 - lr * weight_decay: L2 decay). work holds
// mnd_mlp_work_size(sizes, layers) floats. Adds loss and correct count to
// stats as softmax_xent.
MND_API void mnd_mlp_sgd_samples(float *params, float *work,
                                 const int32_t *sizes, int32_t layers,
                                 const float *inputs, const int32_t *labels,
                                 int32_t count, int32_t act, float lr,
                                 float keep, double *stats);
// Floats of work space mnd_mlp_sgd_samples needs.
MND_API int32_t mnd_mlp_work_size(const int32_t *sizes, int32_t layers);

#endif

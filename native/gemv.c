// Single-row and rank-1 products: the GEMM's batch-1 paths (no packing).
//
// Batch-1 training is bound by L2 bandwidth over the weights, not by flops.
// These paths read each weight once, skip 16-float blocks of the vector
// that are all zero (MNIST images are ~80% zeros), and split the weight
// rows across threads in the same fixed ranges for the forward GEMV and the
// rank-1 update, so each core keeps its half of W in its own L2 cache.

#include "gemm_internal.h"
#include "kernels.h"
#include "threads.h"
#include "vec.h"

static inline float sum16(v16 v) {
  float s = 0.0f;
  for (int i = 0; i < 16; i++)
    s += v[i];
  return s;
}

#define VEC_JOB_MAX_BLOCKS 4096 // vectors up to 65,536 floats use skipping
// Weights (floats) worth a second thread. At 128x784 (100k) the hand-offs
// cost more than the split saves (batch-1 epoch 0.447 s on 2 threads vs
// 0.412 s on 1), so only layers of 256k weights and up are split.
#define VEC_PARALLEL_MIN 262144
#define ROW_GRAIN 16            // rows per unit of the thread split

typedef struct {
  int32_t rows, len;    // weights are (rows, len)
  float alpha, beta;
  const float *vec;     // the dense-or-sparse vector (len)
  const float *coef;    // rank-1: per-row coefficients (rows)
  const float *w_in;    // GEMV: weights read
  float *w_out;         // rank-1: weights updated
  float *out;           // GEMV: output (rows)
  int32_t blocks;       // number of nonzero 16-blocks listed
  int32_t tasks;
  int32_t block[VEC_JOB_MAX_BLOCKS];
} vec_job;

// Lists the 16-float blocks of v that hold a nonzero (or NaN) value.
static int32_t nonzero_blocks(const float *v, int32_t len, int32_t *block) {
  int32_t count = 0;
  for (int32_t b = 0; b + 16 <= len; b += 16) {
    const v16 x = load16(v + b);
    int any = 0;
    for (int i = 0; i < 16; i++)
      any |= x[i] != 0.0f;
    if (any)
      block[count++] = b;
  }
  return count;
}

static void row_range(const vec_job *j, int32_t task, int32_t *lo,
                      int32_t *hi) {
  const int32_t units = (j->rows + ROW_GRAIN - 1) / ROW_GRAIN;
  *lo = (int32_t)((int64_t)units * task / j->tasks) * ROW_GRAIN;
  *hi = (int32_t)((int64_t)units * (task + 1) / j->tasks) * ROW_GRAIN;
  if (*hi > j->rows)
    *hi = j->rows;
}

// out[r] = alpha * dot(vec, W[r,:]) + beta * out[r], four rows at a time so
// four independent FMA chains share each load of vec.
static void gemv_task(void *ctx, int32_t task) {
  const vec_job *j = ctx;
  int32_t lo, hi;
  row_range(j, task, &lo, &hi);
  const int32_t len = j->len, tail = len - len % 16;
  int32_t r = lo;
  for (; r + 4 <= hi; r += 4) {
    const float *w0 = j->w_in + (size_t)r * len, *w1 = w0 + len;
    const float *w2 = w1 + len, *w3 = w2 + len;
    v16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    for (int32_t i = 0; i < j->blocks; i++) {
      const int32_t b = j->block[i];
      const v16 x = load16(j->vec + b);
      a0 += x * load16(w0 + b);
      a1 += x * load16(w1 + b);
      a2 += x * load16(w2 + b);
      a3 += x * load16(w3 + b);
    }
    float s[4] = {sum16(a0), sum16(a1), sum16(a2), sum16(a3)};
    for (int32_t p = tail; p < len; p++) {
      s[0] += j->vec[p] * w0[p];
      s[1] += j->vec[p] * w1[p];
      s[2] += j->vec[p] * w2[p];
      s[3] += j->vec[p] * w3[p];
    }
    for (int q = 0; q < 4; q++) {
      float *o = j->out + r + q;
      *o = j->alpha * s[q] + (j->beta == 0.0f ? 0.0f : j->beta * *o);
    }
  }
  for (; r < hi; r++) {
    const float *w = j->w_in + (size_t)r * len;
    v16 acc = {0};
    for (int32_t i = 0; i < j->blocks; i++)
      acc += load16(j->vec + j->block[i]) * load16(w + j->block[i]);
    float s = sum16(acc);
    for (int32_t p = tail; p < len; p++)
      s += j->vec[p] * w[p];
    float *o = j->out + r;
    *o = j->alpha * s + (j->beta == 0.0f ? 0.0f : j->beta * *o);
  }
}

// W[r,:] = beta * W[r,:] + alpha * coef[r] * vec. With beta == 1 only the
// nonzero blocks of vec are touched; otherwise every element is rescaled.
static void ger_task(void *ctx, int32_t task) {
  const vec_job *j = ctx;
  int32_t lo, hi;
  row_range(j, task, &lo, &hi);
  const int32_t len = j->len, tail = len - len % 16;
  for (int32_t r = lo; r < hi; r++) {
    float *w = j->w_out + (size_t)r * len;
    const float s = j->alpha * j->coef[r];
    if (j->beta != 1.0f) {
      for (int32_t p = 0; p < len; p++)
        w[p] = s * j->vec[p] + (j->beta == 0.0f ? 0.0f : j->beta * w[p]);
      continue;
    }
    if (s == 0.0f)
      continue;
    for (int32_t i = 0; i < j->blocks; i++) {
      float *dst = w + j->block[i];
      store16(dst, load16(dst) + s * load16(j->vec + j->block[i]));
    }
    for (int32_t p = tail; p < len; p++)
      w[p] += s * j->vec[p];
  }
}

static void run_vec_job(vec_job *j, mnd_task_fn fn) {
  const int32_t units = (j->rows + ROW_GRAIN - 1) / ROW_GRAIN;
  int32_t threads = mnd_pool_threads();
  if ((int64_t)j->rows * j->len < VEC_PARALLEL_MIN)
    threads = 1;
  j->tasks = units < threads ? units : threads;
  if (j->tasks < 1)
    j->tasks = 1;
  mnd_pool_run(fn, j, j->tasks);
}

// c (n) = alpha * W (n,k) * a (k) + beta * c.
void mnd_gemv_rows(int32_t n, int32_t k, float alpha, const float *a,
                      const float *b, float beta, float *c) {
  if (k / 16 > VEC_JOB_MAX_BLOCKS) {
    mnd_gemm_naive(0, 1, 1, n, k, alpha, a, b, beta, c); // beyond any layer
    return;
  }
  static vec_job j; // guarded by the GEMM lock (threads.h); too big for the stack
  j.rows = n, j.len = k, j.alpha = alpha, j.beta = beta;
  j.vec = a, j.w_in = b, j.out = c;
  j.blocks = nonzero_blocks(a, k, j.block);
  run_vec_job(&j, gemv_task);
}

// C (m,n) = alpha * coef (m) x vec (n) + beta * C: a rank-1 update.
void mnd_ger(int32_t m, int32_t n, float alpha, const float *coef,
                const float *vec, float beta, float *c) {
  if (n / 16 > VEC_JOB_MAX_BLOCKS) {
    mnd_gemm_naive(0, 0, m, n, 1, alpha, coef, vec, beta, c);
    return;
  }
  static vec_job j;
  j.rows = m, j.len = n, j.alpha = alpha, j.beta = beta;
  j.coef = coef, j.vec = vec, j.w_out = c;
  j.blocks = nonzero_blocks(vec, n, j.block);
  run_vec_job(&j, ger_task);
}

// c (n) = alpha * sum_p a[p] * B[p,:] (B (k,n)) + beta * c.
void mnd_gemv_cols(int32_t n, int32_t k, float alpha, const float *a,
                   const float *b, float beta, float *c) {
  if (beta == 0.0f)
    memset(c, 0, (size_t)n * sizeof(float));
  else if (beta != 1.0f)
    for (int32_t j = 0; j < n; j++)
      c[j] *= beta;
  for (int32_t p = 0; p < k; p++) {
    const float s = alpha * a[p];
    if (s == 0.0f)
      continue; // ReLU zeros skip whole rows
    const float *row = b + (size_t)p * n;
    int32_t j = 0;
    for (; j + 16 <= n; j += 16)
      store16(c + j, load16(c + j) + s * load16(row + j));
    for (; j < n; j++)
      c[j] += s * row[j];
  }
}


// BLAS-free SGEMM: packing, cache blocking, micro-kernel dispatch, threads.
//
// Structure (GotoBLAS/BLIS): for each NC-wide column block of op(B) and
// each KC-deep slice, op(B) is packed into NR-wide micro-panels; for each
// MC-tall row block, op(A) is packed into MR-tall micro-panels; the
// micro-kernel then sweeps MR x NR tiles. Packing absorbs both transposes,
// so one micro-kernel serves all four cases. A single-row product (batch-1
// forward and backward) skips packing and runs as a vectorized GEMV.
//
// Threads split the output into contiguous ranges of whole micro-tiles
// (columns when there are enough, else rows). Every element of C is then
// computed by exactly the same instruction sequence whatever the thread
// count, so results are bit-identical for 1, 2 or N threads.
#include "gemm_internal.h"
#include "kernels.h"
#include "pool.h"

#include <stdlib.h>
#include <string.h>

// KC x NR of B (32 KiB for 256 x 32) stays in L1 while MR x KC micro-panels
// of A stream from L2; MC x KC of A (96 KiB) fits in L2 with room to spare.
#define KC 256
#define MC 96   // a multiple of every MR (8, 6, 4)
#define NC 2048 // a multiple of every NR (32, 16)
#define MAX_MR 8
#define MAX_NR 32
// Below this many flops (~20 us on one core) a split costs more than it
// saves: besides the hand-off, the next kernel then finds half its inputs
// in the other core's cache. Measured on the 784-128-64-10 step: serial
// layer-2 GEMMs (1 MFLOP) make the whole step 10% faster.
#define PARALLEL_MIN_FLOPS 2500000.0

// ---- instruction set selection ---------------------------------------------

#if defined(__x86_64__)
#include <cpuid.h>

// CPUID says what the core implements; XGETBV says whether the OS saves the
// matching register state (YMM: XCR0 bits 1-2; ZMM and mask: bits 5-7).
static int cpu_supports(int32_t isa) {
  unsigned a, b, c, d;
  if (__get_cpuid_max(0, 0) < 7 || !__get_cpuid(1, &a, &b, &c, &d))
    return 0;
  const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!osxsave || !avx || !fma)
    return 0;
  unsigned xcr0_lo, xcr0_hi;
  __asm__ __volatile__("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  (void)xcr0_hi;
  if ((xcr0_lo & 0x6) != 0x6)
    return 0;
  __cpuid_count(7, 0, a, b, c, d);
  if (isa == MND_ISA_AVX2)
    return (b >> 5) & 1;
  return ((b >> 16) & 1) && (xcr0_lo & 0xe6) == 0xe6;
}
#endif

static const mnd_ukernel *kernel_for(int32_t isa) {
#if defined(__x86_64__)
  if (isa >= MND_ISA_AVX512 && cpu_supports(MND_ISA_AVX512))
    return &mnd_ukernel_avx512;
  if (isa >= MND_ISA_AVX2 && cpu_supports(MND_ISA_AVX2))
    return &mnd_ukernel_avx2;
#else
  (void)isa;
#endif
  return &mnd_ukernel_generic;
}

static const mnd_ukernel *active;

static const mnd_ukernel *kernel(void) {
  if (!active)
    active = kernel_for(MND_ISA_AVX512);
  return active;
}

MND_API int32_t mnd_isa(void) { return kernel()->isa; }

MND_API int32_t mnd_force_isa(int32_t isa) {
  active = kernel_for(isa);
  return active->isa;
}

MND_API int32_t mnd_abi_version(void) { return MND_ABI_VERSION; }

// ---- per-thread packing buffers ----------------------------------------------

#define MAX_WORKERS 256

static float *pack_a_buf[MAX_WORKERS];
static float *pack_b_buf[MAX_WORKERS];

static float *aligned_floats(size_t count) {
  // 64-byte aligned without aligned_alloc (absent from some C runtimes); the
  // pointer is kept for the library's lifetime, so the offset is never freed.
  char *raw = malloc(count * sizeof(float) + 64);
  if (!raw)
    abort();
  return (float *)(((uintptr_t)raw + 63) & ~(uintptr_t)63);
}

static float *buffer_a(int32_t worker) {
  if (!pack_a_buf[worker])
    pack_a_buf[worker] = aligned_floats((size_t)MC * KC);
  return pack_a_buf[worker];
}

static float *buffer_b(int32_t worker) {
  if (!pack_b_buf[worker])
    pack_b_buf[worker] = aligned_floats((size_t)KC * NC);
  return pack_b_buf[worker];
}

// ---- packing -----------------------------------------------------------------

typedef struct {
  int32_t trans_a, trans_b, m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  const mnd_ukernel *uk;
  int32_t split_cols; // 1: tasks own column ranges; 0: row ranges
  int32_t units;      // micro-tiles along the split dimension
  int32_t tasks;
} gemm_job;

// op(A)[i0:i0+mc, p0:p0+kc] -> MR-row micro-panels, zero-padded.
static void pack_a(const gemm_job *g, int32_t i0, int32_t mc, int32_t p0,
                   int32_t kc, float *dst) {
  const int32_t mr = g->uk->mr;
  for (int32_t ir = 0; ir < mc; ir += mr) {
    const int32_t rows = mc - ir < mr ? mc - ir : mr;
    float *panel = dst + (size_t)ir * kc;
#if defined(__x86_64__)
    if (!g->trans_a && mr % 8 == 0 && g->uk->isa >= MND_ISA_AVX2) {
      mnd_pack_transpose_avx2(g->a + (size_t)(i0 + ir) * g->k + p0, g->k, kc,
                              rows, mr, panel);
      continue;
    }
#endif
    if (g->trans_a) {
      // A is (k,m): the MR values of step p are contiguous.
      for (int32_t p = 0; p < kc; p++) {
        const float *src = g->a + (size_t)(p0 + p) * g->m + i0 + ir;
        for (int32_t r = 0; r < rows; r++)
          panel[p * mr + r] = src[r];
        for (int32_t r = rows; r < mr; r++)
          panel[p * mr + r] = 0.0f;
      }
    } else {
      for (int32_t r = 0; r < mr; r++) {
        if (r < rows) {
          const float *src = g->a + (size_t)(i0 + ir + r) * g->k + p0;
          for (int32_t p = 0; p < kc; p++)
            panel[p * mr + r] = src[p];
        } else {
          for (int32_t p = 0; p < kc; p++)
            panel[p * mr + r] = 0.0f;
        }
      }
    }
  }
}

// op(B)[p0:p0+kc, j0:j0+nc] -> NR-column micro-panels, zero-padded.
static void pack_b(const gemm_job *g, int32_t p0, int32_t kc, int32_t j0,
                   int32_t nc, float *dst) {
  const int32_t nr = g->uk->nr;
  for (int32_t jr = 0; jr < nc; jr += nr) {
    const int32_t cols = nc - jr < nr ? nc - jr : nr;
    float *panel = dst + (size_t)jr * kc;
#if defined(__x86_64__)
    if (g->trans_b && g->uk->isa >= MND_ISA_AVX2) {
      mnd_pack_transpose_avx2(g->b + (size_t)(j0 + jr) * g->k + p0, g->k, kc,
                              cols, nr, panel);
      continue;
    }
#endif
    if (g->trans_b) {
      // B is (n,k): column j of op(B) is row j of B, contiguous in p.
      for (int32_t j = 0; j < nr; j++) {
        if (j < cols) {
          const float *src = g->b + (size_t)(j0 + jr + j) * g->k + p0;
          for (int32_t p = 0; p < kc; p++)
            panel[p * nr + j] = src[p];
        } else {
          for (int32_t p = 0; p < kc; p++)
            panel[p * nr + j] = 0.0f;
        }
      }
    } else {
      for (int32_t p = 0; p < kc; p++) {
        const float *src = g->b + (size_t)(p0 + p) * g->n + j0 + jr;
        memcpy(panel + p * nr, src, (size_t)cols * sizeof(float));
        for (int32_t j = cols; j < nr; j++)
          panel[p * nr + j] = 0.0f;
      }
    }
  }
}

// ---- the blocked loop ------------------------------------------------------

// Writes a partial tile computed into `tile` (MR x NR, ldc NR) into C.
static void merge_edge(float *c, int32_t ldc, const float *tile, int32_t nr,
                       int32_t rows, int32_t cols, float beta) {
  for (int32_t r = 0; r < rows; r++)
    for (int32_t j = 0; j < cols; j++)
      c[r * ldc + j] = tile[r * nr + j] +
                       (beta == 0.0f ? 0.0f : beta * c[r * ldc + j]);
}

// Whether kc rows of a B panel, n floats apart, can be read in place: the
// panel's 2*kc cache lines fall in 4096/gcd(4096, row bytes) of L1's 64
// sets, and more than 8 lines per set would evict A and C (a 4 KiB stride
// puts every row in one set: 1024^3 ran at 0.7x OpenBLAS in place).
static int in_place_ok(int32_t n, int32_t kc) {
  uint32_t a = 4096, b = (uint32_t)n * 4 % 4096;
  while (b) {
    const uint32_t t = a % b;
    a = b;
    b = t;
  }
  uint32_t sets = 4096 / a;
  if (sets > 64)
    sets = 64;
  return 2 * (uint32_t)kc <= 8 * sets;
}

static void gemm_block(const gemm_job *g, int32_t worker, int32_t i0,
                       int32_t i1, int32_t j0, int32_t j1) {
  const mnd_ukernel *uk = g->uk;
  const int32_t mr = uk->mr, nr = uk->nr, n = g->n;
  float *pa = buffer_a(worker), *pb = buffer_b(worker);
  _Alignas(64) float tile[MAX_MR * MAX_NR];
  for (int32_t jc = j0; jc < j1; jc += NC) {
    const int32_t nc = j1 - jc < NC ? j1 - jc : NC;
    for (int32_t pc = 0; pc < g->k; pc += KC) {
      const int32_t kc = g->k - pc < KC ? g->k - pc : KC;
      // A plain B whose rows do not alias in L1 is read in place (its rows
      // are already NR-float runs); a transposed B, an aliasing one, and the
      // ragged last panel are packed.
      const int32_t direct = !g->trans_b && in_place_ok(n, kc) ? nc - nc % nr : 0;
      const float beta = pc == 0 ? g->beta : 1.0f;
      if (direct < nc)
        pack_b(g, pc, kc, jc + direct, nc - direct, pb);
      for (int32_t ic = i0; ic < i1; ic += MC) {
        const int32_t mc = i1 - ic < MC ? i1 - ic : MC;
        pack_a(g, ic, mc, pc, kc, pa);
        for (int32_t jr = 0; jr < nc; jr += nr) {
          const int32_t cols = nc - jr < nr ? nc - jr : nr;
          const float *bp = jr < direct
                                ? g->b + (size_t)pc * n + jc + jr
                                : pb + (size_t)(jr - direct) * kc;
          const int32_t ldb = jr < direct ? n : nr;
          for (int32_t ir = 0; ir < mc; ir += mr) {
            const int32_t rows = mc - ir < mr ? mc - ir : mr;
            float *c = g->c + (size_t)(ic + ir) * n + jc + jr;
            const float *ap = pa + (size_t)ir * kc;
            if (rows == mr && cols == nr) {
              uk->run(kc, ap, bp, ldb, c, n, g->alpha, beta);
            } else {
              uk->run(kc, ap, bp, ldb, tile, nr, g->alpha, 0.0f);
              merge_edge(c, n, tile, nr, rows, cols, beta);
            }
          }
        }
      }
    }
  }
}

static void gemm_task(void *ctx, int32_t task) {
  const gemm_job *g = ctx;
  const int32_t step = g->split_cols ? g->uk->nr : g->uk->mr;
  const int32_t first = (int32_t)((int64_t)g->units * task / g->tasks);
  const int32_t last = (int32_t)((int64_t)g->units * (task + 1) / g->tasks);
  int32_t lo = first * step, hi = last * step;
  const int32_t extent = g->split_cols ? g->n : g->m;
  if (hi > extent)
    hi = extent;
  if (lo >= hi)
    return;
  if (g->split_cols)
    gemm_block(g, task, 0, g->m, lo, hi);
  else
    gemm_block(g, task, lo, hi, 0, g->n);
}

// ---- single-row and rank-1 products (no packing) --------------------------
//
// Batch-1 training is bound by L2 bandwidth over the weights, not by flops.
// These paths read each weight once, skip 16-float blocks of the vector
// that are all zero (MNIST images are ~80% zeros), and split the weight
// rows across threads in the same fixed ranges for the forward GEMV and the
// rank-1 update, so each core keeps its half of W in its own L2 cache.

typedef float v16 __attribute__((vector_size(64)));

static inline v16 load16(const float *p) {
  v16 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline void store16(float *p, v16 v) { memcpy(p, &v, sizeof v); }

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
  int32_t threads = mnd_threads();
  if ((int64_t)j->rows * j->len < VEC_PARALLEL_MIN)
    threads = 1;
  j->tasks = units < threads ? units : threads;
  if (j->tasks < 1)
    j->tasks = 1;
  mnd_pool_run(fn, j, j->tasks);
}

// c (n) = alpha * W (n,k) * a (k) + beta * c.
static void gemv_rows(int32_t n, int32_t k, float alpha, const float *a,
                      const float *b, float beta, float *c) {
  if (k / 16 > VEC_JOB_MAX_BLOCKS) {
    mnd_gemm_naive(0, 1, 1, n, k, alpha, a, b, beta, c); // beyond any layer
    return;
  }
  static vec_job j; // calls never overlap (kernels.h); too big for the stack
  j.rows = n, j.len = k, j.alpha = alpha, j.beta = beta;
  j.vec = a, j.w_in = b, j.out = c;
  j.blocks = nonzero_blocks(a, k, j.block);
  run_vec_job(&j, gemv_task);
}

// C (m,n) = alpha * coef (m) x vec (n) + beta * C: a rank-1 update.
static void ger(int32_t m, int32_t n, float alpha, const float *coef,
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
static void gemv_cols(int32_t n, int32_t k, float alpha, const float *a,
                      int32_t a_stride, const float *b, float beta, float *c) {
  if (beta == 0.0f)
    memset(c, 0, (size_t)n * sizeof(float));
  else if (beta != 1.0f)
    for (int32_t j = 0; j < n; j++)
      c[j] *= beta;
  for (int32_t p = 0; p < k; p++) {
    const float s = alpha * a[(size_t)p * a_stride];
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

// ---- thread plan -------------------------------------------------------------

static void plan_threads(gemm_job *g) {
  const int32_t col_units = (g->n + g->uk->nr - 1) / g->uk->nr;
  const int32_t row_units = (g->m + g->uk->mr - 1) / g->uk->mr;
  int32_t threads = mnd_threads();
  // Small products, and thin ones (k < 16: bound by memory, where a split
  // only moves cache lines between cores), run on the calling thread.
  if (2.0 * g->m * g->n * g->k < PARALLEL_MIN_FLOPS || g->k < 16)
    threads = 1;
  // A^T*B (a weight gradient) splits rows, like the A*B^T forward product
  // splits the same weights, so each core keeps updating its own rows.
  if (!(g->trans_a && !g->trans_b && row_units >= threads) &&
      (col_units >= threads || col_units >= row_units)) {
    g->split_cols = 1;
    g->units = col_units;
  } else {
    g->split_cols = 0;
    g->units = row_units;
  }
  g->tasks = g->units < threads ? g->units : threads;
}

// ---- entry points ----------------------------------------------------------

MND_API void mnd_gemm(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n,
                      int32_t k, float alpha, const float *a, const float *b,
                      float beta, float *c) {
  if (m <= 0 || n <= 0)
    return;
  if (k <= 0 || alpha == 0.0f) {
    for (size_t i = 0; i < (size_t)m * n; i++)
      c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return;
  }
  if (m == 1) {
    // op(A) is one row: A[p] (trans_a: A is (k,1), the same memory).
    if (trans_b)
      gemv_rows(n, k, alpha, a, b, beta, c);
    else
      gemv_cols(n, k, alpha, a, 1, b, beta, c);
    return;
  }
  if (k == 1) {
    // Outer product. With k == 1, op(A) and op(B) are contiguous vectors
    // whether or not they are transposed.
    ger(m, n, alpha, a, b, beta, c);
    return;
  }
  gemm_job g = {.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n,
                .k = k, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c,
                .uk = kernel()};
  plan_threads(&g);
  mnd_pool_run(gemm_task, &g, g.tasks);
}

MND_API void mnd_gemm_naive(int32_t trans_a, int32_t trans_b, int32_t m,
                            int32_t n, int32_t k, float alpha, const float *a,
                            const float *b, float beta, float *c) {
  for (int32_t i = 0; i < m; i++) {
    for (int32_t j = 0; j < n; j++) {
      double sum = 0.0;
      for (int32_t p = 0; p < k; p++) {
        const float av = trans_a ? a[(size_t)p * m + i] : a[(size_t)i * k + p];
        const float bv = trans_b ? b[(size_t)j * k + p] : b[(size_t)p * n + j];
        sum += (double)av * bv;
      }
      float *out = c + (size_t)i * n + j;
      *out = alpha * (float)sum + (beta == 0.0f ? 0.0f : beta * *out);
    }
  }
}

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
// Below this many flops a second thread costs more than it saves.
#define PARALLEL_MIN_FLOPS 150000.0

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
      const float beta = pc == 0 ? g->beta : 1.0f;
      pack_b(g, pc, kc, jc, nc, pb);
      for (int32_t ic = i0; ic < i1; ic += MC) {
        const int32_t mc = i1 - ic < MC ? i1 - ic : MC;
        pack_a(g, ic, mc, pc, kc, pa);
        for (int32_t jr = 0; jr < nc; jr += nr) {
          const int32_t cols = nc - jr < nr ? nc - jr : nr;
          for (int32_t ir = 0; ir < mc; ir += mr) {
            const int32_t rows = mc - ir < mr ? mc - ir : mr;
            float *c = g->c + (size_t)(ic + ir) * n + jc + jr;
            const float *ap = pa + (size_t)ir * kc, *bp = pb + (size_t)jr * kc;
            if (rows == mr && cols == nr) {
              uk->run(kc, ap, bp, c, n, g->alpha, beta);
            } else {
              uk->run(kc, ap, bp, tile, nr, g->alpha, 0.0f);
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

// ---- single-row products (no packing) ------------------------------------

typedef float v16 __attribute__((vector_size(64)));

static inline v16 load16(const float *p) {
  v16 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline float sum16(v16 v) {
  float s = 0.0f;
  for (int i = 0; i < 16; i++)
    s += v[i];
  return s;
}

// c (n) = alpha * dot(a (k, stride sa), row j of B (n,k)) + beta * c.
static void gemv_rows(int32_t n, int32_t k, float alpha, const float *a,
                      const float *b, float beta, float *c) {
  for (int32_t j = 0; j < n; j++) {
    const float *row = b + (size_t)j * k;
    v16 acc0 = {0}, acc1 = {0};
    int32_t p = 0;
    for (; p + 32 <= k; p += 32) {
      acc0 += load16(a + p) * load16(row + p);
      acc1 += load16(a + p + 16) * load16(row + p + 16);
    }
    for (; p + 16 <= k; p += 16)
      acc0 += load16(a + p) * load16(row + p);
    float s = sum16(acc0 + acc1);
    for (; p < k; p++)
      s += a[p] * row[p];
    c[j] = alpha * s + (beta == 0.0f ? 0.0f : beta * c[j]);
  }
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
      continue; // sparse inputs (MNIST is ~80% zeros) skip whole rows
    const float *row = b + (size_t)p * n;
    int32_t j = 0;
    for (; j + 16 <= n; j += 16) {
      v16 out = load16(c + j) + s * load16(row + j);
      memcpy(c + j, &out, sizeof out);
    }
    for (; j < n; j++)
      c[j] += s * row[j];
  }
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
  gemm_job g = {trans_a, trans_b, m, n, k, alpha, beta, a, b, c, kernel(),
                1, 0, 1};
  const int32_t col_units = (n + g.uk->nr - 1) / g.uk->nr;
  const int32_t row_units = (m + g.uk->mr - 1) / g.uk->mr;
  int32_t threads = mnd_threads();
  if (2.0 * m * n * k < PARALLEL_MIN_FLOPS)
    threads = 1;
  if (col_units >= threads || col_units >= row_units) {
    g.split_cols = 1;
    g.units = col_units;
  } else {
    g.split_cols = 0;
    g.units = row_units;
  }
  g.tasks = g.units < threads ? g.units : threads;
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

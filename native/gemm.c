// BLAS-free SGEMM: packing, cache blocking, micro-kernel dispatch, threads.
//
// Structure (GotoBLAS/BLIS): for each NC-wide column block of op(B) and
// each KC-deep slice, op(B) is packed into NR-wide micro-panels; for each
// MC-tall row block, op(A) is packed into MR-tall micro-panels; the
// micro-kernel then sweeps MR x NR tiles. Packing absorbs both transposes,
// so one micro-kernel serves all four cases. Operands already laid out for
// the kernel skip it: a plain B whose rows do not alias in L1, and, for the
// x86 kernels, a plain A (each tile row read from its own row of A: the
// forward 64x128x784 products of a training epoch took 0.070-0.072 s on two
// threads against 0.078-0.094 s packed, when every thread packed all of
// A). Single-row and rank-1
// products (batch-1 training) skip all of this: see gemv.c.
//
// Threads split the output into contiguous ranges of whole micro-tiles
// (columns when there are enough, else rows). Every element of C is then
// computed by exactly the same instruction sequence whatever the thread
// count, so results are bit-identical for 1, 2 or N threads.
#include "gemm_internal.h"
#include "kernels.h"
#include "threads.h"

#include <stdlib.h>
#include <string.h>

// KC x NR of B (32 KiB for 256 x 32) stays in L1 while MR x KC micro-panels
// of A stream from L2; MC x KC of A (96 KiB) fits in L2 with room to spare.
#define KC 256
#define MC 96   // a multiple of every MR (8, 6, 4)
#define NC 2016 // a multiple of every NR (32, 16, 12)
#define MAX_MR 8
#define MAX_NR 32
// Below this many flops (~20 us on one core) a split costs more than it
// saves: besides the hand-off, the next kernel then finds half its inputs
// in the other core's cache. Measured on the 784-128-64-10 step: serial
// layer-2 GEMMs (1 MFLOP) make the whole step 10% faster.
#define PARALLEL_MIN_FLOPS 2500000.0

// ---- per-thread packing buffers ----------------------------------------------

static float *pack_a_buf[MND_MAX_THREADS];
static float *pack_b_buf[MND_MAX_THREADS];

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
    if (!g->trans_a && g->uk->isa >= MND_ISA_AVX2) {
      (mr % 8 == 0 ? mnd_pack_transpose_avx2 : mnd_pack_narrow_avx2)(
          g->a + (size_t)(i0 + ir) * g->k + p0, g->k, kc, rows, mr, panel);
      continue;
    }
#endif
    if (!g->trans_a && mr % 4 == 0) {
      mnd_pack_transpose_v4(g->a + (size_t)(i0 + ir) * g->k + p0, g->k, kc,
                            rows, mr, panel);
      continue;
    }
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
    if (g->trans_b && nr % 4 == 0) {
      mnd_pack_transpose_v4(g->b + (size_t)(j0 + jr) * g->k + p0, g->k, kc,
                            cols, nr, panel);
      continue;
    }
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

// How many of L1's 64 sets rows `stride` floats apart fall in:
// 4096 / gcd(4096, row bytes), at most 64 (a 4 KiB stride puts every row in
// one set).
static uint32_t l1_sets(int32_t stride) {
  uint32_t a = 4096, b = (uint32_t)stride * 4 % 4096;
  while (b) {
    const uint32_t t = a % b;
    a = b;
    b = t;
  }
  return 4096 / a > 64 ? 64 : 4096 / a;
}

// Whether kc rows of a B panel, n floats apart, can be read in place: more
// than 8 of the panel's 2*kc cache lines per set would evict A and C (1024^3
// ran at 0.7x OpenBLAS in place).
static int in_place_ok(int32_t n, int32_t kc) {
  return 2 * (uint32_t)kc <= 8 * l1_sets(n);
}

// Whether MR rows of a plain A, lda floats apart, can be read in place by
// the micro-kernel: each row is a stream of its own, and rows sharing a set
// would evict each other and B, so such an A is packed.
static int a_in_place_ok(int32_t lda, int32_t mr) {
  return l1_sets(lda) >= (uint32_t)mr;
}

static void gemm_block(const gemm_job *g, int32_t worker, int32_t i0,
                       int32_t i1, int32_t j0, int32_t j1) {
  const mnd_ukernel *uk = g->uk;
  const int32_t mr = uk->mr, nr = uk->nr, n = g->n;
  float *pa = buffer_a(worker), *pb = buffer_b(worker);
  _Alignas(64) float tile[MAX_MR * MAX_NR];
  const int a_rows = !g->trans_a && uk->run_rows && a_in_place_ok(g->k, mr);
  for (int32_t jc = j0; jc < j1; jc += NC) {
    const int32_t nc = j1 - jc < NC ? j1 - jc : NC;
    // K is cut into equal slices of at most KC (784: 4 x 200, not 3 x 256
    // and a ragged 16 that reloads every C tile for 16 steps of work).
    const int32_t kblocks = (g->k + KC - 1) / KC;
    const int32_t kstep = ((g->k + kblocks - 1) / kblocks + 7) & ~7;
    for (int32_t pc = 0; pc < g->k; pc += kstep) {
      const int32_t kc = g->k - pc < kstep ? g->k - pc : kstep;
      // A plain B whose rows do not alias in L1 is read in place (its rows
      // are already NR-float runs); a transposed B, an aliasing one, and the
      // ragged last panel are packed.
      const int32_t direct = !g->trans_b && in_place_ok(n, kc) ? nc - nc % nr : 0;
      const float beta = pc == 0 ? g->beta : 1.0f;
      if (direct < nc)
        pack_b(g, pc, kc, jc + direct, nc - direct, pb);
      for (int32_t ic = i0; ic < i1; ic += MC) {
        const int32_t mc = i1 - ic < MC ? i1 - ic : MC;
        // Whole MR-row panels of a plain A are read in place when the kernel
        // can (no packing at all for A); a ragged last panel is packed.
        const int32_t direct_a = a_rows ? mc - mc % mr : 0;
        if (direct_a < mc)
          pack_a(g, ic + direct_a, mc - direct_a, pc, kc,
                 pa + (size_t)direct_a * kc);
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
            const float *arow = g->a + (size_t)(ic + ir) * g->k + pc;
            if (rows == mr && cols == nr) {
              if (ir < direct_a)
                uk->run_rows(kc, arow, g->k, bp, ldb, c, n, g->alpha, beta);
              else
                uk->run(kc, ap, bp, ldb, c, n, g->alpha, beta);
            } else {
              if (ir < direct_a)
                uk->run_rows(kc, arow, g->k, bp, ldb, tile, nr, g->alpha, 0.0f);
              else
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

// ---- thread plan -------------------------------------------------------------

static void plan_threads(gemm_job *g) {
  const int32_t col_units = (g->n + g->uk->nr - 1) / g->uk->nr;
  const int32_t row_units = (g->m + g->uk->mr - 1) / g->uk->mr;
  int32_t threads = mnd_pool_threads();
  // Small products, and thin ones (k < 16: bound by memory, where a split
  // only moves cache lines between cores), run on the calling thread.
  if (2.0 * g->m * g->n * g->k < PARALLEL_MIN_FLOPS || g->k < 16)
    threads = 1;
  // Every task packs all of the operand it does not split: a column split
  // repeats A's packing (m*k) on each core, a row split repeats B's (k*n),
  // so split the longer side. Tall im2col products (conv layers: m = B*OH*OW
  // in the tens of thousands, n = filters) ran 1.4x faster split by rows.
  // An A^T*B with one K block (an MLP weight gradient) splits rows, like the
  // A*B^T forward product splits the same weights, so each core keeps
  // updating its own rows.
  int rows = g->m > g->n || (g->trans_a && !g->trans_b && g->k <= KC);
  // ... unless that side has too few micro-tiles to feed every thread.
  if (rows && row_units < threads && col_units > row_units)
    rows = 0;
  else if (!rows && col_units < threads && row_units > col_units)
    rows = 1;
  g->split_cols = !rows;
  g->units = rows ? row_units : col_units;
  g->tasks = g->units < threads ? g->units : threads;
}

// ---- entry points ----------------------------------------------------------

static void gemm_locked(int32_t trans_a, int32_t trans_b, int32_t m,
                        int32_t n, int32_t k, float alpha, const float *a,
                        const float *b, float beta, float *c) {
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
      mnd_gemv_rows(n, k, alpha, a, b, beta, c);
    else
      mnd_gemv_cols(n, k, alpha, a, b, beta, c);
    return;
  }
  if (k == 1) {
    // Outer product. With k == 1, op(A) and op(B) are contiguous vectors
    // whether or not they are transposed.
    mnd_ger(m, n, alpha, a, b, beta, c);
    return;
  }
  gemm_job g = {.trans_a = trans_a, .trans_b = trans_b, .m = m, .n = n,
                .k = k, .alpha = alpha, .beta = beta, .a = a, .b = b, .c = c,
                .uk = mnd_ukernel_active()};
  plan_threads(&g);
  mnd_pool_run(gemm_task, &g, g.tasks);
}

MND_API void mnd_gemm(int32_t trans_a, int32_t trans_b, int32_t m, int32_t n,
                      int32_t k, float alpha, const float *a, const float *b,
                      float beta, float *c) {
  mnd_lock();
  gemm_locked(trans_a, trans_b, m, n, k, alpha, a, b, beta, c);
  mnd_unlock();
}

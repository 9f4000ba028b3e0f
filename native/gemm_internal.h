// Micro-kernel contract shared by gemm.c and the gemm_<isa>_<tile>.c files.
#ifndef MNIST_DNN_GEMM_INTERNAL_H
#define MNIST_DNN_GEMM_INTERNAL_H

#include <stdint.h>

// Computes one full MR x NR tile: C = alpha * Ap * Bp + beta * C, where Ap
// is a packed A micro-panel (kc x MR, ap[p*MR + r], 64-byte aligned) and Bp
// is kc rows of NR floats, ldb floats apart: a packed panel (ldb = NR) or,
// for a plain B, the matrix itself (ldb = n), read in place. beta == 0 must
// not read C. C rows are ldc floats apart.
typedef void (*mnd_ukernel_fn)(int32_t kc, const float *ap, const float *bp,
                               int32_t ldb, float *c, int32_t ldc,
                               float alpha, float beta);

// The same tile with A read in place: row r of the tile is a + r * lda, kc
// contiguous floats (a row-major op(A) whose rows do not alias in L1).
typedef void (*mnd_ukernel_rows_fn)(int32_t kc, const float *a, int32_t lda,
                                    const float *bp, int32_t ldb, float *c,
                                    int32_t ldc, float alpha, float beta);

// A kernel file defines `tile(kc, a, rs, ps, bp, ldb, c, ldc, alpha, beta)`,
// whose A element (r, p) is a[r * rs + p * ps], and gets both entry points
// from it: packed (rs 1, ps MR) and in place (rs lda, ps 1).
#define MND_TILE_ENTRY_POINTS(TARGET, MR)                                      \
  TARGET static void ukernel(int32_t kc, const float *ap, const float *bp,     \
                             int32_t ldb, float *c, int32_t ldc, float alpha,  \
                             float beta) {                                     \
    tile(kc, ap, 1, MR, bp, ldb, c, ldc, alpha, beta);                         \
  }                                                                            \
  TARGET static void ukernel_rows(int32_t kc, const float *a, int32_t lda,     \
                                  const float *bp, int32_t ldb, float *c,      \
                                  int32_t ldc, float alpha, float beta) {      \
    tile(kc, a, lda, 1, bp, ldb, c, ldc, alpha, beta);                         \
  }

typedef struct {
  mnd_ukernel_fn run;
  int32_t mr, nr;
  int32_t isa;                 // MND_ISA_*
  mnd_ukernel_rows_fn run_rows; // NULL: A is always packed
} mnd_ukernel;

extern const mnd_ukernel mnd_ukernel_generic;

// The micro-kernel the GEMM runs: the best the CPU supports, or the one
// mnd_force_isa chose (library.c holds the table).
const mnd_ukernel *mnd_ukernel_active(void);

// Batch-1 paths (gemv.c). Rows of W are split across threads in the same
// fixed ranges by the GEMV and the rank-1 update.
// c (n) = alpha * W (n,k) * a (k) + beta * c.
void mnd_gemv_rows(int32_t n, int32_t k, float alpha, const float *a,
                   const float *w, float beta, float *c);
// c (n) = alpha * a (k) * B (k,n) + beta * c.
void mnd_gemv_cols(int32_t n, int32_t k, float alpha, const float *a,
                   const float *b, float beta, float *c);
// C (m,n) = alpha * coef (m) x vec (n) + beta * C.
void mnd_ger(int32_t m, int32_t n, float alpha, const float *coef,
             const float *vec, float beta, float *c);
// dst[p*width + j] = src[j*ld + p], j < cols (zero-padded to width), p < kc;
// 4x4 register transposes (gemm_pack_v4.c), for kernels without AVX2.
void mnd_pack_transpose_v4(const float *src, int32_t ld, int32_t kc,
                           int32_t cols, int32_t width, float *dst);
#if defined(__aarch64__)
extern const mnd_ukernel mnd_ukernel_neon;
#endif
#if defined(__wasm__)
extern const mnd_ukernel mnd_ukernel_wasm;
#endif
#if defined(__x86_64__)
extern const mnd_ukernel mnd_ukernel_avx2;
extern const mnd_ukernel mnd_ukernel_avx512;

// dst[p*width + j] = src[j*ld + p], j < cols (zero-padded to width), p < kc.
void mnd_pack_transpose_avx2(const float *src, int32_t ld, int32_t kc,
                             int32_t cols, int32_t width, float *dst);
// The same for width < 8 (and cols <= width).
void mnd_pack_narrow_avx2(const float *src, int32_t ld, int32_t kc,
                          int32_t cols, int32_t width, float *dst);
#endif

#endif

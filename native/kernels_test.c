// C-side tests: every optimized kernel against its naive twin over a size
// sweep with awkward edges (1, 7, 33, 784), on every instruction set this
// CPU supports, with 1 and 2 threads. Prints "N passed, N failed".
#include "expf.h"
#include "kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;

static void check(int ok, const char *what, double diff) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s (max difference %g)\n", what, diff);
  }
}

static unsigned rng = 12345;
static float uniform(void) {
  rng = rng * 1103515245u + 12345u;
  return (float)((rng >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static float *randoms(size_t n) {
  float *p = malloc((n ? n : 1) * sizeof(float));
  for (size_t i = 0; i < n; i++)
    p[i] = uniform();
  return p;
}

static double max_rel_diff(const float *a, const float *b, size_t n) {
  double worst = 0, scale = 1;
  for (size_t i = 0; i < n; i++)
    scale = fmax(scale, fabs(b[i]));
  for (size_t i = 0; i < n; i++) {
    double d = fabs((double)a[i] - b[i]);
    if (!(d <= worst))
      worst = d; // NaN propagates as a failure
  }
  return worst / scale;
}

// ---- GEMM --------------------------------------------------------------------

static void test_gemm_shape(int m, int n, int k, int ta, int tb, float alpha,
                            float beta, const char *isa) {
  float *a = randoms((size_t)m * k), *b = randoms((size_t)k * n);
  float *c1 = randoms((size_t)m * n);
  float *c2 = malloc((size_t)m * n * sizeof(float));
  if (beta == 0.0f)
    for (size_t i = 0; i < (size_t)m * n; i++)
      c1[i] = NAN; // beta == 0 must ignore the old contents
  memcpy(c2, c1, (size_t)m * n * sizeof(float));
  mnd_gemm(ta, tb, m, n, k, alpha, a, b, beta, c1);
  mnd_gemm_naive(ta, tb, m, n, k, alpha, a, b, beta, c2);
  double d = max_rel_diff(c1, c2, (size_t)m * n);
  char what[160];
  snprintf(what, sizeof what, "gemm %s %dx%dx%d ta=%d tb=%d a=%g b=%g", isa,
           m, n, k, ta, tb, alpha, beta);
  check(d <= 2e-6 * sqrt(k + 1.0) * 4, what, d);
  free(a), free(b), free(c1), free(c2);
}

static void test_gemm(void) {
  static const int sizes[] = {1, 7, 33, 784};
  static const int isas[] = {MND_ISA_GENERIC, MND_ISA_AVX2, MND_ISA_AVX512,
                             MND_ISA_NEON};
  static const char *names[] = {"generic", "avx2", "avx512", "neon"};
  for (int s = 0; s < 4; s++) {
    if (mnd_force_isa(isas[s]) != isas[s])
      continue; // not supported on this CPU
    for (int threads = 1; threads <= 2; threads++) {
      mnd_set_threads(threads);
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
          for (int l = 0; l < 4; l++)
            for (int t = 0; t < 4; t++)
              if (i + j + l < 9) // all three 784: naive is too slow
                test_gemm_shape(sizes[i], sizes[j], sizes[l], t & 1, t >> 1,
                              t == 3 ? -0.5f : 1.0f, t == 1 ? 0.7f : 0.0f,
                              names[s]);
      // MNIST training shapes and a block-crossing square.
      test_gemm_shape(64, 128, 784, 0, 1, 1, 0, names[s]);
      test_gemm_shape(128, 784, 64, 1, 0, 1, 0, names[s]);
      test_gemm_shape(64, 784, 128, 0, 0, 1, 0, names[s]);
      test_gemm_shape(300, 300, 300, 0, 0, 1, 1, names[s]);
      // A rows 4 KiB apart (packed, not read in place), NN and NT.
      test_gemm_shape(13, 40, 1024, 0, 0, 1, 0.5f, names[s]);
      test_gemm_shape(13, 40, 1024, 0, 1, 1, 0, names[s]);
      // Wider than one NC column block (2016), with a partial last tile.
      test_gemm_shape(9, 2100, 20, 0, 0, 1, 0.5f, names[s]);
      test_gemm_shape(9, 2100, 20, 1, 1, 1, 0, names[s]);
    }
  }
  mnd_force_isa(MND_ISA_NEON); // back to the best this CPU has
}

static void test_gemm_thread_invariance(void) {
  const int m = 64, n = 784, k = 128;
  float *a = randoms((size_t)m * k), *b = randoms((size_t)k * n);
  float *c1 = calloc((size_t)m * n, sizeof(float));
  float *c2 = calloc((size_t)m * n, sizeof(float));
  mnd_set_threads(1);
  mnd_gemm(0, 0, m, n, k, 1, a, b, 0, c1);
  mnd_set_threads(2);
  mnd_gemm(0, 0, m, n, k, 1, a, b, 0, c2);
  check(memcmp(c1, c2, (size_t)m * n * sizeof(float)) == 0,
        "gemm is bit-identical with 1 and 2 threads",
        max_rel_diff(c1, c2, (size_t)m * n));
  free(a), free(b), free(c1), free(c2);
}

// ---- layers, loss, optimizers ---------------------------------------------

static void test_expf(void) {
  // Against double exp over the whole clamped range, in steps of 1/1024.
  double worst = 0;
  for (int i = -87 * 1024; i <= 88 * 1024; i++) {
    const float x = (float)i / 1024.0f;
    worst = fmax(worst, fabs(mnd_expf(x) / exp((double)x) - 1.0));
  }
  check(worst < 4e-7, "mnd_expf: relative error on [-87, 88]", worst);
  const float nan = (float)NAN;
  check(isnan(mnd_expf(nan)), "mnd_expf: NaN gives NaN", 0);
  check(mnd_expf(-1000.0f) >= 1.17549435e-38f && mnd_expf(-1000.0f) < 1.3e-38f &&
            isfinite(mnd_expf(1000.0f)) && mnd_expf(1000.0f) > 1e38f &&
            mnd_expf(-(float)INFINITY) >= 0 && isfinite(mnd_expf((float)INFINITY)),
        "mnd_expf: clamped, finite and normal at the extremes", 0);
}

static void test_softmax_xent(void) {
  const int rows = 7, cols = 33;
  float *z = randoms((size_t)rows * cols), *g = randoms((size_t)rows * cols);
  z[5] = 1000.0f; // must not overflow
  int32_t labels[7] = {5, 5, 32, 1, 2, 3, 4}; // row 0: argmax is column 5
  double stats[2] = {0, 0};
  mnd_softmax_xent(z, labels, g, rows, cols, 1.0f, stats);
  double worst = 0;
  for (int i = 0; i < rows; i++) {
    double s = 0;
    for (int j = 0; j < cols; j++)
      s += g[i * cols + j];
    worst = fmax(worst, fabs(s)); // softmax - onehot sums to 0
  }
  check(worst < 1e-5 && isfinite(stats[0]) && stats[1] >= 1,
        "softmax_xent gradient rows sum to 0, loss finite", worst);
  free(z), free(g);
}

static void test_mlp_samples_match_composed_ops(void) {
  // Per-sample SGD over 3 samples equals, per sample, forward + backward +
  // update done op by op.
  int32_t sizes[4] = {33, 7, 5, 3};
  const int layers = 3, count = 3;
  size_t total = 0;
  for (int l = 1; l <= layers; l++)
    total += (size_t)sizes[l] * sizes[l - 1] + sizes[l];
  float *p1 = randoms(total), *p2 = malloc(total * sizeof(float));
  memcpy(p2, p1, total * sizeof(float));
  float *x = randoms((size_t)count * sizes[0]);
  int32_t labels[3] = {0, 2, 1};
  float *work = malloc(mnd_mlp_work_size(sizes, layers) * sizeof(float));
  double s1[2] = {0, 0}, s2[2] = {0, 0};
  // With L2 weight decay 0.01: keep = 1 - lr * decay.
  mnd_mlp_sgd_samples(p1, work, sizes, layers, x, labels, count,
                      MND_ACT_TANH, 0.1f, 1.0f - 0.1f * 0.01f, s1);

  float *acts[4], *deltas[4], *grads = calloc(total, sizeof(float));
  float *w[4], *b[4], *gw[4], *gb[4];
  for (int l = 1; l <= layers; l++) {
    acts[l] = malloc((size_t)sizes[l] * sizeof(float));
    deltas[l] = malloc((size_t)sizes[l] * sizeof(float));
  }
  for (int s = 0; s < count; s++) {
    size_t off = 0;
    acts[0] = x + (size_t)s * sizes[0];
    for (int l = 1; l <= layers; l++) {
      w[l] = p2 + off, gw[l] = grads + off;
      off += (size_t)sizes[l] * sizes[l - 1];
      b[l] = p2 + off, gb[l] = grads + off;
      off += sizes[l];
      mnd_gemm_naive(0, 1, 1, sizes[l], sizes[l - 1], 1, acts[l - 1], w[l],
                     0, acts[l]);
      mnd_bias_act_forward(acts[l], b[l], 1, sizes[l],
                           l < layers ? MND_ACT_TANH : MND_ACT_IDENTITY);
    }
    mnd_softmax_xent(acts[layers], labels + s, deltas[layers], 1, 3, 1, s2);
    for (int l = layers; l >= 1; l--) {
      mnd_gemm_naive(1, 0, sizes[l], sizes[l - 1], 1, 1, deltas[l],
                     acts[l - 1], 0, gw[l]);
      mnd_column_sums(gb[l], deltas[l], 1, sizes[l], 1, 0);
      if (l > 1) {
        mnd_gemm_naive(0, 0, 1, sizes[l - 1], sizes[l], 1, deltas[l], w[l],
                       0, deltas[l - 1]);
        mnd_act_backward(deltas[l - 1], acts[l - 1], sizes[l - 1],
                         MND_ACT_TANH);
      }
    }
    mnd_sgd_step(p2, grads, (int32_t)total, 0.1f, 0.01f);
  }
  double d = max_rel_diff(p1, p2, total);
  check(d < 1e-5 && fabs(s1[0] - s2[0]) < 1e-4 && s1[1] == s2[1],
        "mlp_sgd_samples (with weight decay) matches the composed ops", d);
  for (int l = 1; l <= layers; l++)
    free(acts[l]), free(deltas[l]);
  free(p1), free(p2), free(x), free(work), free(grads);
}

// ---- convolution and pooling -------------------------------------------------

static void test_conv_matches_direct(void) {
  // im2col + GEMM equals the direct 6-loop convolution; col2im is the
  // adjoint of im2col (<im2col(x), c> == <x, col2im(c)>).
  static const int32_t cases[][5] = {
      // H, C, K, S, P (square images; B = 2, OC = 3)
      {5, 1, 3, 1, 0}, {6, 2, 3, 2, 1}, {7, 3, 5, 1, 2}, {4, 1, 4, 1, 3}};
  for (int t = 0; t < 4; t++) {
    const int32_t B = 2, H = cases[t][0], C = cases[t][1], K = cases[t][2],
                  S = cases[t][3], P = cases[t][4], OC = 3;
    const int32_t O = (H + 2 * P - K) / S + 1;
    const int32_t geom[9] = {B, H, H, C, K, S, P, O, O};
    const size_t nx = (size_t)B * H * H * C, nc = (size_t)B * O * O * K * K * C;
    float *x = randoms(nx), *w = randoms((size_t)OC * K * K * C);
    float *col = malloc(nc * sizeof(float)), *c = randoms(nc);
    float *out = malloc((size_t)B * O * O * OC * sizeof(float));
    float *ref = calloc((size_t)B * O * O * OC, sizeof(float));
    float *dx = calloc(nx, sizeof(float));
    mnd_im2col(col, x, geom);
    mnd_gemm(0, 1, B * O * O, OC, K * K * C, 1, col, w, 0, out);
    for (int b = 0; b < B; b++)
      for (int oy = 0; oy < O; oy++)
        for (int ox = 0; ox < O; ox++)
          for (int oc = 0; oc < OC; oc++) {
            double sum = 0;
            for (int ky = 0; ky < K; ky++)
              for (int kx = 0; kx < K; kx++)
                for (int ch = 0; ch < C; ch++) {
                  const int iy = oy * S - P + ky, ix = ox * S - P + kx;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < H)
                    sum += (double)x[((b * H + iy) * H + ix) * C + ch] *
                           w[((oc * K + ky) * K + kx) * C + ch];
                }
            ref[((b * O + oy) * O + ox) * OC + oc] = (float)sum;
          }
    double d = max_rel_diff(out, ref, (size_t)B * O * O * OC);
    check(d < 1e-5, "im2col + gemm matches the direct convolution", d);
    mnd_col2im(dx, c, geom);
    double lhs = 0, rhs = 0;
    for (size_t i = 0; i < nc; i++)
      lhs += (double)col[i] * c[i];
    for (size_t i = 0; i < nx; i++)
      rhs += (double)x[i] * dx[i];
    check(fabs(lhs - rhs) < 1e-3 * (1 + fabs(lhs)),
          "col2im is the adjoint of im2col", fabs(lhs - rhs));
    free(x), free(w), free(col), free(c), free(out), free(ref), free(dx);
  }
}

static void test_maxpool(void) {
  const int32_t geom[9] = {2, 5, 5, 3, 2, 2, 0, 2, 2};
  const int32_t n_in = 2 * 5 * 5 * 3, n_out = 2 * 2 * 2 * 3;
  float *x = randoms(n_in), out[24], dy[24], dx[150];
  int32_t arg[24];
  mnd_maxpool_forward(out, arg, x, geom);
  int ok = 1;
  for (int i = 0; i < n_out; i++) {
    ok &= arg[i] >= 0 && arg[i] < n_in && x[arg[i]] == out[i];
    dy[i] = 1.0f;
  }
  arg[0] = n_in; // out of range: skipped, not written
  mnd_maxpool_backward(dx, dy, arg, n_in, n_out);
  double sum = 0;
  for (int i = 0; i < n_in; i++)
    sum += dx[i];
  check(ok && sum == n_out - 1, "maxpool argmax points at each maximum", 0);
  free(x);
}

static void test_batchnorm(void) {
  // Training output columns have mean 0 and variance 1 (gamma 1, beta 0);
  // dx columns sum to 0 (the mean's gradient cancels); evaluation with
  // running statistics equal to the batch's reproduces the training output.
  enum { ROWS = 37, COLS = 300 };
  float *x = randoms(ROWS * COLS), *dy = randoms(ROWS * COLS);
  float *y = malloc(ROWS * COLS * sizeof(float));
  float *xhat = malloc(ROWS * COLS * sizeof(float));
  float *dx = malloc(ROWS * COLS * sizeof(float));
  float *y2 = malloc(ROWS * COLS * sizeof(float));
  float gb[2 * COLS], dgb[2 * COLS], running[2 * COLS], inv[COLS];
  for (int j = 0; j < COLS; j++)
    gb[j] = 1, gb[COLS + j] = 0, running[j] = 0, running[COLS + j] = 1;
  mnd_batchnorm_forward(y, xhat, inv, x, gb, running, ROWS, COLS, 1.0f,
                        1e-5f, 1);
  mnd_batchnorm_backward(dx, dgb, dy, xhat, inv, gb, ROWS, COLS, 1, 0);
  double worst = 0;
  for (int j = 0; j < COLS; j++) {
    double mean = 0, var = 0, dsum = 0;
    for (int i = 0; i < ROWS; i++)
      mean += y[i * COLS + j], dsum += dx[i * COLS + j];
    mean /= ROWS;
    for (int i = 0; i < ROWS; i++)
      var += (y[i * COLS + j] - mean) * (y[i * COLS + j] - mean);
    worst = fmax(worst, fmax(fabs(mean), fmax(fabs(var / ROWS - 1), fabs(dsum))));
    // momentum 1: running holds the batch mean and unbiased variance.
    running[COLS + j] *= (float)(ROWS - 1) / ROWS;
  }
  check(worst < 1e-3, "batchnorm normalizes columns; dx columns sum to 0",
        worst);
  mnd_batchnorm_forward(y2, NULL, NULL, x, gb, running, ROWS, COLS, 0.1f,
                        1e-5f, 0);
  double d = max_rel_diff(y2, y, ROWS * COLS);
  check(d < 1e-4, "batchnorm evaluation with the batch statistics", d);
  free(x), free(dy), free(y), free(xhat), free(dx), free(y2);
}

static void test_dropout(void) {
  const int n = 100000;
  float *x = randoms(n), *y = malloc(n * sizeof(float));
  float *mask = malloc(n * sizeof(float));
  mnd_dropout_forward(y, mask, x, n, 0.25f, 1.0f / 0.75f, 7, 3);
  int kept = 0;
  for (int i = 0; i < n; i++)
    kept += mask[i] != 0.0f;
  check(fabs(kept / (double)n - 0.75) < 0.01, "dropout keeps 1 - rate",
        kept / (double)n);
  free(x), free(y), free(mask);
}

static void test_augment(void) {
  // No change asked is the identity; with every kind of change, the batch
  // is bit-identical with 1 and 2 threads (draws depend on the sample only).
  const int rows = 64, h = 28, w = 28;
  const size_t n = (size_t)rows * h * w;
  float *x = randoms(n), *a = malloc(n * sizeof(float));
  float *b = malloc(n * sizeof(float));
  const float none[6] = {0, 0, 0, 0, 4, 0}, strong[6] = {3, 0.26f, 0.15f, 2, 4, 0};
  mnd_augment(a, x, rows, h, w, none, 1, 1);
  check(memcmp(a, x, n * sizeof(float)) == 0, "augment without change is the identity",
        max_rel_diff(a, x, n));
  mnd_set_threads(1);
  mnd_augment(a, x, rows, h, w, strong, 5, 9);
  mnd_set_threads(2);
  mnd_augment(b, x, rows, h, w, strong, 5, 9);
  check(memcmp(a, b, n * sizeof(float)) == 0 && memcmp(a, x, n * sizeof(float)) != 0,
        "augment changes images, bit-identically with 1 and 2 threads",
        max_rel_diff(a, b, n));
  free(x), free(a), free(b);
}

static void test_optimizers(void) {
  const int n = 33;
  float *p = randoms(n), *g = randoms(n), *v = calloc(n, sizeof(float));
  float *q = malloc(n * sizeof(float));
  memcpy(q, p, n * sizeof(float));
  mnd_momentum_step(p, g, v, n, 0.1f, 0.0f, 0.0f, 0);
  mnd_sgd_step(q, g, n, 0.1f, 0.0f);
  double d = max_rel_diff(p, q, n);
  check(d == 0, "momentum 0 equals plain SGD", d);
  free(p), free(g), free(v), free(q);
}

int main(void) {
  printf("isa %d, %d cpus\n", mnd_isa(), mnd_cpu_count());
  test_gemm();
  test_gemm_thread_invariance();
  test_expf();
  test_softmax_xent();
  test_mlp_samples_match_composed_ops();
  test_conv_matches_direct();
  test_maxpool();
  test_batchnorm();
  test_dropout();
  test_augment();
  test_optimizers();
  mnd_set_threads(1);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

/**
 * Cache-blocked GEMM in plain TypeScript (GotoBLAS structure, scalar code).
 *
 * `op(B)` is packed one K-block at a time into panels of {@link NR} columns
 * and `op(A)` into panels of {@link MR} rows, both as `Float64Array`, so the
 * 4x4 micro-kernel runs on doubles with unit-stride loads and no f32->f64
 * conversions; packing also absorbs the transposes. A 4x4 tile keeps 16
 * accumulators, which V8 holds in registers; measured on x86-64, 2x4 to 4x4
 * tiles all land within 5% of each other (about 4.5 GFLOP/s), and 4x4
 * divides the common layer widths. Rows fewer than MR take a GEMV-style path
 * that skips packing, so batch-1 training stays cheap. An operand that is
 * mostly zeros (as MNIST inputs are, ~80%) takes a sparse path that only
 * multiplies its nonzeros: on the layer-1 products this cuts a TS training
 * epoch from 7.1 s to 5.0 s.
 *
 * @module
 */

import { checkDim, checkLength } from "./_check.ts";
import type { KernelChecks } from "./kernels.ts";

const MR = 4;
const NR = 4;
/** K-block: a packed 4-column B panel of 256 doubles x 4 is 8 KiB (L1). */
const KC = 256;
/** M-block: 64 rows of A per packed block (128 KiB at KC, in L2). */
const MC = 64;

const packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(NR * KC);
/** Below this fraction of nonzeros an operand takes a sparse path. */
const SPARSE_DENSITY = 0.3;
/** Products smaller than this (m*n) are not worth the scan. */
const SPARSE_MIN_OUTPUT = 256;
let transposedB = new Float64Array(0);
let nonzeroIndex = new Int32Array(0);
let nonzeroValue = new Float64Array(0);

/** Spill space for edge tiles, so the hot path allocates nothing. */
const edgeTile = new Float64Array(MR * NR);

/** `C = alpha * op(A) * op(B) + beta * C`; see `Kernels.gemm`. Unchecked. */
export function gemmTs(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  beta: number,
  c: Float32Array,
): void {
  scaleC(c, m * n, beta);
  if (m === 0 || n === 0 || k === 0 || alpha === 0) return;
  if (!transA && m * n >= SPARSE_MIN_OUTPUT && density(a, m * k) < SPARSE_DENSITY) {
    gemmSparseA(transB, m, n, k, alpha, a, b, c);
    return;
  }
  if (!transB && m * n >= SPARSE_MIN_OUTPUT && density(b, k * n) < SPARSE_DENSITY) {
    gemmSparseB(transA, m, n, k, alpha, a, b, c);
    return;
  }
  if (m < MR) {
    gemmFewRows(transA, transB, m, n, k, alpha, a, b, c);
    return;
  }
  const nPanels = Math.ceil(n / NR);
  if (packedB.length < nPanels * NR * KC) packedB = new Float64Array(nPanels * NR * KC);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = Math.min(KC, k - pc);
    packB(b, transB, k, n, pc, kc, packedB);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = Math.min(MC, m - ic);
      packA(a, transA, m, k, ic, mc, pc, kc, packedA);
      macroKernel(mc, n, kc, alpha, packedA, packedB, c, ic);
    }
  }
}

function scaleC(c: Float32Array, size: number, beta: number): void {
  if (beta === 0) c.fill(0, 0, size);
  else if (beta !== 1) { for (let i = 0; i < size; i++) c[i] *= beta; }
}

// ---- packing ---------------------------------------------------------------

/** Packs op(B)[pc:pc+kc, 0:n] as panels: dst[(jp*kc + p)*NR + jj]. */
function packB(
  b: Float32Array,
  transB: boolean,
  k: number,
  n: number,
  pc: number,
  kc: number,
  dst: Float64Array,
): void {
  const nPanels = Math.ceil(n / NR);
  if (n % NR !== 0) dst.fill(0, 0, nPanels * kc * NR);
  if (transB) {
    // B is (n,k): each output column j reads a contiguous run of B's row j.
    for (let j = 0; j < n; j++) {
      const base = Math.floor(j / NR) * kc * NR + (j % NR);
      let src = j * k + pc;
      for (let p = 0; p < kc; p++) dst[base + p * NR] = b[src++];
    }
  } else {
    for (let p = 0; p < kc; p++) {
      const src = (pc + p) * n;
      for (let j = 0; j < n; j++) {
        dst[(Math.floor(j / NR) * kc + p) * NR + (j % NR)] = b[src + j];
      }
    }
  }
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] as panels: dst[(ip*kc + p)*MR + r]. */
function packA(
  a: Float32Array,
  transA: boolean,
  m: number,
  k: number,
  ic: number,
  mc: number,
  pc: number,
  kc: number,
  dst: Float64Array,
): void {
  const mPanels = Math.ceil(mc / MR);
  if (mc % MR !== 0) dst.fill(0, 0, mPanels * kc * MR);
  if (transA) {
    // A is (k,m): row p of A holds column p of op(A), contiguous in i.
    for (let p = 0; p < kc; p++) {
      const src = (pc + p) * m + ic;
      for (let i = 0; i < mc; i++) {
        dst[(Math.floor(i / MR) * kc + p) * MR + (i % MR)] = a[src + i];
      }
    }
  } else {
    for (let i = 0; i < mc; i++) {
      const base = Math.floor(i / MR) * kc * MR + (i % MR);
      let src = (ic + i) * k + pc;
      for (let p = 0; p < kc; p++) dst[base + p * MR] = a[src++];
    }
  }
}

// ---- compute ---------------------------------------------------------------

function macroKernel(
  mc: number,
  n: number,
  kc: number,
  alpha: number,
  ap: Float64Array,
  bp: Float64Array,
  c: Float32Array,
  ic: number,
): void {
  const tile = edgeTile;
  for (let ip = 0; ip * MR < mc; ip++) {
    const rows = Math.min(MR, mc - ip * MR);
    for (let jp = 0; jp * NR < n; jp++) {
      const cols = Math.min(NR, n - jp * NR);
      let ai = ip * kc * MR;
      let bi = jp * kc * NR;
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
      let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
      let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0; p < kc; p++) {
        const a0 = ap[ai], a1 = ap[ai + 1], a2 = ap[ai + 2], a3 = ap[ai + 3];
        const b0 = bp[bi], b1 = bp[bi + 1], b2 = bp[bi + 2], b3 = bp[bi + 3];
        c00 += a0 * b0, c01 += a0 * b1, c02 += a0 * b2, c03 += a0 * b3;
        c10 += a1 * b0, c11 += a1 * b1, c12 += a1 * b2, c13 += a1 * b3;
        c20 += a2 * b0, c21 += a2 * b1, c22 += a2 * b2, c23 += a2 * b3;
        c30 += a3 * b0, c31 += a3 * b1, c32 += a3 * b2, c33 += a3 * b3;
        ai += MR;
        bi += NR;
      }
      const row0 = (ic + ip * MR) * n + jp * NR;
      if (rows === MR && cols === NR) {
        let o = row0;
        c[o] += alpha * c00, c[o + 1] += alpha * c01, c[o + 2] += alpha * c02;
        c[o + 3] += alpha * c03;
        o += n;
        c[o] += alpha * c10, c[o + 1] += alpha * c11, c[o + 2] += alpha * c12;
        c[o + 3] += alpha * c13;
        o += n;
        c[o] += alpha * c20, c[o + 1] += alpha * c21, c[o + 2] += alpha * c22;
        c[o + 3] += alpha * c23;
        o += n;
        c[o] += alpha * c30, c[o + 1] += alpha * c31, c[o + 2] += alpha * c32;
        c[o + 3] += alpha * c33;
        continue;
      }
      tile[0] = c00, tile[1] = c01, tile[2] = c02, tile[3] = c03;
      tile[4] = c10, tile[5] = c11, tile[6] = c12, tile[7] = c13;
      tile[8] = c20, tile[9] = c21, tile[10] = c22, tile[11] = c23;
      tile[12] = c30, tile[13] = c31, tile[14] = c32, tile[15] = c33;
      for (let r = 0; r < rows; r++) {
        for (let q = 0; q < cols; q++) c[row0 + r * n + q] += alpha * tile[r * NR + q];
      }
    }
  }
}

/** GEMV-style path for m < MR: no packing, unit-stride inner loops. */
function gemmFewRows(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  for (let i = 0; i < m; i++) {
    const crow = i * n;
    if (transB) {
      // c[i,j] += alpha * dot(op(A)[i,:], B[j,:]); B rows are contiguous.
      for (let j = 0; j < n; j++) {
        const brow = j * k;
        let s0 = 0, s1 = 0;
        let p = 0;
        if (transA) {
          for (; p < k; p++) s0 += a[p * m + i] * b[brow + p];
        } else {
          const arow = i * k;
          for (; p + 1 < k; p += 2) {
            s0 += a[arow + p] * b[brow + p];
            s1 += a[arow + p + 1] * b[brow + p + 1];
          }
          if (p < k) s0 += a[arow + p] * b[brow + p];
        }
        c[crow + j] += alpha * (s0 + s1);
      }
    } else {
      // c[i,:] += alpha * op(A)[i,p] * B[p,:], skipping zero coefficients.
      for (let p = 0; p < k; p++) {
        const s = alpha * (transA ? a[p * m + i] : a[i * k + p]);
        if (s === 0) continue;
        const brow = p * n;
        for (let j = 0; j < n; j++) c[crow + j] += s * b[brow + j];
      }
    }
  }
}

// ---- sparse operands ---------------------------------------------------------
//
// MNIST inputs are ~80% zeros, and they are an operand of the two largest
// products of training (layer-1 forward and weight gradient). Scanning for
// zeros costs O(size) against O(m*n*k) of work, so when an operand is
// mostly zeros, only its nonzeros are multiplied.

/** Fraction of nonzero entries among the first `size` of `x`. */
function density(x: Float32Array, size: number): number {
  let nonzero = 0;
  for (let i = 0; i < size; i++) if (x[i] !== 0) nonzero++;
  return size === 0 ? 1 : nonzero / size;
}

/** A (m,k) mostly zeros: C[i,:] += alpha * A[i,p] * op(B)[p,:] over nonzero A[i,p]. */
function gemmSparseA(
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  // Rows of op(B) must be contiguous: a transposed B is transposed once.
  let rows: Float32Array | Float64Array = b;
  if (transB) {
    if (transposedB.length < k * n) transposedB = new Float64Array(k * n);
    for (let j = 0; j < n; j++) {
      const src = j * k;
      for (let p = 0; p < k; p++) transposedB[p * n + j] = b[src + p];
    }
    rows = transposedB;
  }
  for (let i = 0; i < m; i++) {
    const arow = i * k, crow = i * n;
    for (let p = 0; p < k; p++) {
      const v = a[arow + p];
      if (v === 0) continue;
      const s = alpha * v, brow = p * n;
      for (let j = 0; j < n; j++) c[crow + j] += s * rows[brow + j];
    }
  }
}

/** B (k,n) mostly zeros: C[i,j] += alpha * op(A)[i,p] * B[p,j] over nonzero B[p,j]. */
function gemmSparseB(
  transA: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  if (nonzeroIndex.length < n) {
    nonzeroIndex = new Int32Array(n);
    nonzeroValue = new Float64Array(n);
  }
  for (let p = 0; p < k; p++) {
    let count = 0;
    const brow = p * n;
    for (let j = 0; j < n; j++) {
      const v = b[brow + j];
      if (v !== 0) {
        nonzeroIndex[count] = j;
        nonzeroValue[count++] = v;
      }
    }
    if (count === 0) continue;
    for (let i = 0; i < m; i++) {
      const s = alpha * (transA ? a[p * m + i] : a[i * k + p]);
      if (s === 0) continue;
      const crow = i * n;
      for (let t = 0; t < count; t++) c[crow + nonzeroIndex[t]] += s * nonzeroValue[t];
    }
  }
}

/** The GEMM's argument check (see `Kernels.gemm`). */
export const GEMM_CHECKS: KernelChecks<"gemm"> = {
  gemm(_ta, _tb, m, n, k, _alpha, a, b, _beta, c): void {
    checkDim("gemm", "m", m);
    checkDim("gemm", "n", n);
    checkDim("gemm", "k", k);
    checkLength("gemm", "A", a, m * k);
    checkLength("gemm", "B", b, k * n);
    checkLength("gemm", "C", c, m * n);
  },
};

// The backends every parity test runs on: TS always, native and wasm when built.

import type { Kernels } from "../src/kernels/kernels.ts";
import { loadNativeKernels } from "../src/kernels/native_kernels.ts";
import { createTsKernels } from "../src/kernels/ts_kernels.ts";
import { loadWasmKernels } from "../src/kernels/wasm_kernels.ts";

const native = loadNativeKernels();

/** The native kernels, or undefined when the library is not built. */
export const nativeKernels: Kernels | undefined = native.kernels;

/** Backends to test, each with `ignore` set when unavailable (skips show up visibly). */
export const backends: { name: string; kernels: Kernels | undefined; ignore: boolean }[] = [
  { name: "ts", kernels: createTsKernels(), ignore: false },
  { name: "native", kernels: nativeKernels, ignore: !nativeKernels },
];

/** The WebAssembly kernels, or undefined when the module is not built. */
export const wasmKernels: Kernels | undefined = loadWasmKernels().kernels;
backends.push({ name: "wasm", kernels: wasmKernels, ignore: !wasmKernels });

/** Deterministic pseudo-random floats in [-1, 1). */
export function randomFloats(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13, s ^= s >>> 17, s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Largest absolute elementwise difference. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = d; // NaN counts as worst
  }
  return worst;
}

/** Throws with the maximum difference when it exceeds `tolerance` (relative to magnitude). */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: number,
  what: string,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  }
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const d = maxDiff(actual, expected);
  if (!(d <= tolerance * scale)) {
    throw new Error(`${what}: max difference ${d} exceeds ${tolerance} x scale ${scale}`);
  }
}

/**
 * The worst relative difference between `analytic` gradients and central
 * finite differences of `loss` over every `step`-th entry of `params`.
 */
export function worstGradientError(
  params: Float32Array,
  analytic: Float32Array,
  loss: () => number,
  step = 1,
  eps = 1e-3,
): number {
  let worst = 0;
  for (let i = 0; i < params.length; i += step) {
    const saved = params[i];
    params[i] = saved + eps;
    const up = loss();
    params[i] = saved - eps;
    const down = loss();
    params[i] = saved;
    const numeric = (up - down) / (2 * eps);
    const error = Math.abs(numeric - analytic[i]) /
      (Math.max(Math.abs(numeric), Math.abs(analytic[i])) + 1e-2);
    worst = Math.max(worst, error);
  }
  return worst;
}

/**
 * Chooses the compute backend: native when it is built and FFI is allowed,
 * else the WebAssembly build of the same kernels (no permission needed),
 * else the portable TypeScript kernels.
 *
 * @module
 */

import type { BackendName, Kernels } from "./kernels.ts";
import { createTsKernels } from "./ts_kernels.ts";
import { loadNativeKernels } from "./native_kernels.ts";
import { loadWasmKernels } from "./wasm_kernels.ts";

/** `"auto"` picks native when available, else WebAssembly when built, else TS. */
export type BackendChoice = "auto" | BackendName;

/** Most worker threads a backend runs (the native pool's `MND_MAX_THREADS`). */
export const MAX_THREADS = 256;

/** All backend choices, for validation and help texts. */
export const BACKEND_CHOICES: readonly BackendChoice[] = Object.freeze([
  "auto",
  "ts",
  "native",
  "wasm",
]);

/** The chosen kernels, and why native was passed over if it was. */
export interface KernelSelection {
  /** The backend to compute with. */
  kernels: Kernels;
  /** Set when `"auto"` fell back to wasm or TS: why native was passed over, and the fix. */
  fallbackReason?: string;
}

/**
 * Selects kernels for a backend choice.
 *
 * @param choice `"auto"`, `"ts"` or `"native"`.
 * @param threads Thread count for native (default: all cores).
 * @returns The kernels and, for a fallback, the reason.
 * @throws {RangeError} For an unknown choice or a bad thread count.
 * @throws {Error} If `"native"` was requested and cannot be loaded, or the
 *   library is present but broken.
 * @example Always works
 * ```ts
 * import { selectKernels } from "jsr:@x/mnist-dnn/kernels";
 * console.log(selectKernels("ts").kernels.name); // ts
 * ```
 */
export function selectKernels(choice: BackendChoice, threads?: number): KernelSelection {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new RangeError(`Thread count must be a positive integer, got ${threads}`);
  }
  if (threads !== undefined && threads > MAX_THREADS) {
    throw new RangeError(
      `Thread count ${threads} is more than the ${MAX_THREADS} the native pool runs; give fewer`,
    );
  }
  switch (choice) {
    case "ts":
      return { kernels: createTsKernels() };
    case "wasm": {
      const wasm = loadWasmKernels();
      if (wasm.kernels) return { kernels: wasm.kernels };
      throw new Error(`The WebAssembly backend is unavailable: ${wasm.reason}`);
    }
    case "native":
    case "auto": {
      const native = loadNativeKernels(threads);
      if (native.kernels) return { kernels: native.kernels };
      if (choice === "native") {
        throw new Error(`The native backend is unavailable: ${native.reason}`);
      }
      // Without native (no library, no --allow-ffi), WebAssembly needs no permission.
      const wasm = loadWasmKernels();
      if (wasm.kernels) {
        return { kernels: wasm.kernels, fallbackReason: native.reason };
      }
      return { kernels: createTsKernels(), fallbackReason: native.reason };
    }
    default:
      throw new RangeError(
        `Unknown backend "${choice}" (expected one of ${BACKEND_CHOICES.join(", ")})`,
      );
  }
}

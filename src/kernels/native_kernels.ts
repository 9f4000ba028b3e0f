/**
 * The native backend (C kernels through FFI).
 *
 * @module
 */

import type { Kernels } from "./kernels.ts";

/** The native kernels, or why they cannot be used. */
export interface NativeLoadResult {
  /** The kernels when the library loaded. */
  kernels?: Kernels;
  /** Why it did not, and how to fix that. */
  reason?: string;
}

/**
 * Loads the native kernels if the shared library is built and FFI allowed.
 *
 * @param _threads Thread count (default: all cores).
 * @returns The kernels or the reason they are unavailable.
 */
export function loadNativeKernels(_threads?: number): NativeLoadResult {
  return { reason: "the native library is not built yet (run `deno task build`)" };
}

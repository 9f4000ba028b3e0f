/**
 * The WebAssembly backend: the same C kernels as native, compiled by Zig to
 * `wasm32` with SIMD128 (`zig build wasm` writes `mnist_dnn.wasm` beside this
 * file, which the package ships) and imported as a Wasm module: no FFI and
 * no permission. The module has a fixed 256 MiB memory (so views of it never
 * detach): arrays from `allocate` live in it and are passed by address; any
 * other array is copied in and back around the call. One thread.
 *
 * @module
 */

import { ABI_VERSION, type NativeSymbols, SYMBOLS } from "../ffi/symbols.ts";
import * as wasmModule from "./mnist_dnn.wasm";
import { withChecks } from "./_checked.ts";
import type { Kernels } from "./kernels.ts";
import { nativeOps } from "./native_kernels.ts";
import { TS_KERNELS } from "./ts_kernels.ts";

/** The wasm kernels, or why they cannot be used. */
export interface WasmLoadResult {
  /** The kernels when the module loaded. */
  kernels?: Kernels;
  /** Why it did not, and how to fix that. */
  reason?: string;
}

type Exports = Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };

/** The module's exports, shared by every wasm `Kernels` of this thread (one memory). */
const wasm = wasmModule as unknown as Exports;
(wasm._initialize as unknown as (() => void) | undefined)?.();

/**
 * The WebAssembly kernels. All of a thread's wasm kernels share the module's
 * one memory (256 MiB); each Worker has its own.
 *
 * @returns The kernels, or the reason they are unavailable.
 * @example
 * ```ts
 * import { loadWasmKernels } from "jsr:@x/mnist-dnn/kernels";
 * const { kernels, reason } = loadWasmKernels();
 * console.log(kernels ? kernels.name : reason !== undefined); // wasm
 * ```
 */
export function loadWasmKernels(): WasmLoadResult {
  if (wasm.mnd_abi_version() !== ABI_VERSION) {
    return {
      reason:
        `the WebAssembly module has ABI ${wasm.mnd_abi_version()}, not ${ABI_VERSION}; rebuild it`,
    };
  }
  const memory = wasm.memory;
  const alloc = (bytes: number): number => {
    const at = wasm.mnd_wasm_alloc(bytes);
    if (at === 0) {
      throw new RangeError(`The WebAssembly backend is out of memory (256 MiB) for ${bytes} bytes`);
    }
    return at;
  };
  // Each symbol as the FFI would call it: typed arrays for "buffer".
  const lib = Object.fromEntries(
    Object.entries(SYMBOLS).map(([name, def]) => {
      const fn = wasm[name];
      const params = def.parameters as readonly string[];
      // Reused by every call (wasm calls are synchronous and never re-enter).
      const raw: number[] = new Array(params.length).fill(0);
      return [name, (...args: unknown[]): number => {
        let copies: [ArrayBufferView, number][] | undefined;
        for (let i = 0; i < params.length; i++) {
          const a = args[i];
          if (params[i] !== "buffer") {
            raw[i] = typeof a === "boolean" ? +a : a as number;
          } else if (a === null) {
            raw[i] = 0;
          } else if ((a as ArrayBufferView).buffer === memory.buffer) {
            raw[i] = (a as ArrayBufferView).byteOffset;
          } else {
            // An array outside the module's memory is copied in and back.
            const view = a as ArrayBufferView, at = alloc(view.byteLength);
            new Uint8Array(memory.buffer, at, view.byteLength).set(
              new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
            );
            (copies ??= []).push([view, at]);
            raw[i] = at;
          }
        }
        try {
          return fn(...raw);
        } finally {
          for (const [view, at] of copies ?? []) {
            new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(
              new Uint8Array(memory.buffer, at, view.byteLength),
            );
            wasm.mnd_wasm_free(at);
          }
        }
      }];
    }),
  ) as unknown as NativeSymbols;
  const ops = nativeOps(lib);
  return {
    kernels: withChecks({
      ...ops,
      name: "wasm",
      description: "wasm (SIMD128, 1 thread)",
      threads: 1,
      allocate(length: number): Float32Array {
        return new Float32Array(memory.buffer, alloc(length * 4), length).fill(0);
      },
      // The dataset stays in JS: gathering there writes straight into the batch buffer.
      gatherBatch: TS_KERNELS.gatherBatch,
    }),
  };
}

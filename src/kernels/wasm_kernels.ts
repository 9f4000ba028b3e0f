/**
 * The WebAssembly backend: the same C kernels as native, compiled by Zig to
 * `wasm32` with SIMD128 (`zig build wasm`), run with no FFI permission. The
 * module has a fixed 256 MiB memory (so views of it never detach): arrays
 * from `allocate` live in it and are passed by address; any other array is
 * copied in and back around the call. One thread.
 *
 * @module
 */

import { ABI_VERSION, type NativeSymbols, SYMBOLS } from "../ffi/symbols.ts";
import { withChecks } from "./_checked.ts";
import type { Kernels } from "./kernels.ts";
import { nativeOps } from "./native_kernels.ts";
import { tsGatherBatch } from "./ts_kernels.ts";

/** The wasm kernels, or why they cannot be used. */
export interface WasmLoadResult {
  /** The kernels when the module loaded. */
  kernels?: Kernels;
  /** Why it did not, and how to fix that. */
  reason?: string;
}

type Exports = Record<string, (...args: number[]) => number> & { memory: WebAssembly.Memory };

let module: WebAssembly.Module | undefined | null;

function compile(): WebAssembly.Module | string {
  if (module) return module;
  const url = new URL("../../zig-out/wasm/mnist_dnn.wasm", import.meta.url);
  try {
    if (url.protocol !== "file:") {
      return `the module is fetched only from local files, not ${url.href}`;
    }
    module = new WebAssembly.Module(Deno.readFileSync(url));
    return module;
  } catch (e) {
    return e instanceof Deno.errors.NotFound
      ? "no WebAssembly module; build it with `zig build wasm` (needs Zig)"
      : `cannot load the WebAssembly module (${(e as Error).message})`;
  }
}

/**
 * Loads the WebAssembly kernels (a new instance, with its own memory).
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
  const compiled = compile();
  if (typeof compiled === "string") return { reason: compiled };
  const instance = new WebAssembly.Instance(compiled, {});
  const wasm = instance.exports as unknown as Exports;
  (wasm._initialize as unknown as () => void)?.();
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
      return [name, (...args: unknown[]): number => {
        const copies: [ArrayBufferView, number][] = [];
        const raw = args.map((a, i) => {
          if (params[i] !== "buffer") return typeof a === "boolean" ? +a : a as number;
          if (a === null) return 0;
          const view = a as ArrayBufferView;
          if (view.buffer === memory.buffer) return view.byteOffset;
          const at = alloc(view.byteLength);
          new Uint8Array(memory.buffer, at, view.byteLength).set(
            new Uint8Array(view.buffer, view.byteOffset, view.byteLength),
          );
          copies.push([view, at]);
          return at;
        });
        try {
          return fn(...raw);
        } finally {
          for (const [view, at] of copies) {
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
      gatherBatch: tsGatherBatch,
    }),
  };
}

/**
 * The WebAssembly backend: the same C kernels as native, compiled by Zig to
 * `wasm32` with SIMD128 (`zig build wasm` writes `mnist_dnn.wasm` beside this
 * file, which the package ships) and imported as a Wasm module: no FFI and
 * no permission. The module has a fixed 256 MiB memory (so views of it never
 * detach): arrays from `allocate` live in it and are passed by address; any
 * other array is copied in and back around the call. One thread.
 *
 * That heap is invisible to the garbage collector, so its arrays come back
 * explicitly: `free` (which `Network.dispose` and the layers, optimizers and
 * batchers call) returns a block to the module's allocator, which reuses
 * it; a `FinalizationRegistry` frees the blocks of arrays that were dropped
 * without it, when the collector finds them. `wasmHeapUsage` reports what is
 * in use.
 *
 * Why 256 MiB, fixed: the largest preset's peak (`cnn`, one epoch of training
 * at batch 32, then scoring the test set in chunks of 500 images) measured
 * 104 MiB of live arrays, the `mlp-best` preset 27 MiB and the default
 * network 3 MiB, so two CNNs or many MLPs fit at once. A growable memory
 * would detach every view of it on each growth (every layer's buffers and
 * arenas would need re-deriving after any allocation), for little gain.
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

/** Bytes of the module's memory (fixed: growing would detach every view). */
const HEAP_BYTES = wasm.memory.buffer.byteLength;
const MIB = 1024 * 1024;

/** What the heap holds: the live blocks by address, their bytes, and their owners. */
const heap = { bytes: 0, peak: 0, blocks: new Map<number, number>(), networks: 0 };
/** The address of each live array from `allocate` (a freed or foreign array has none). */
const addresses = new WeakMap<Float32Array, number>();

function release(at: number): void {
  const bytes = heap.blocks.get(at);
  if (bytes === undefined) return;
  heap.blocks.delete(at);
  heap.bytes -= bytes;
  wasm.mnd_wasm_free(at);
}

/** Frees the block of an array from `allocate` that was dropped without `free`. */
const finalizer = new FinalizationRegistry<number>(release);

/** What the WebAssembly backend's heap holds (see {@link wasmHeapUsage}). */
export interface WasmHeapUsage {
  /** Bytes in live arrays from `allocate`. */
  bytes: number;
  /** Number of those arrays. */
  arrays: number;
  /** The most bytes in use at any time so far. */
  peakBytes: number;
  /** Networks on this backend that were created and not yet disposed. */
  networks: number;
  /** Size of the module's memory in bytes (fixed). */
  capacity: number;
}

/**
 * What the WebAssembly backend's heap holds now, in this thread (each
 * Worker has its own module and heap).
 *
 * @returns Bytes and arrays in use, live networks, and the heap's size.
 * @example A network's arrays come back when it is disposed
 * ```ts
 * import { wasmHeapUsage } from "jsr:@x/mnist-dnn/kernels";
 * import { Network } from "jsr:@x/mnist-dnn";
 * const before = wasmHeapUsage().bytes;
 * const net = new Network({ sizes: [784, 32, 10], backend: "wasm" });
 * net.predict(new Uint8Array(784));
 * net.dispose();
 * console.log(wasmHeapUsage().bytes === before); // true
 * ```
 */
export function wasmHeapUsage(): WasmHeapUsage {
  return {
    bytes: heap.bytes,
    arrays: heap.blocks.size,
    peakBytes: heap.peak,
    networks: heap.networks,
    capacity: HEAP_BYTES,
  };
}

/**
 * Counts a network as holding wasm memory (`+1` when created, `-1` when
 * disposed or collected), for {@link wasmHeapUsage} and the out-of-memory
 * message.
 */
export function countWasmNetwork(delta: 1 | -1): void {
  heap.networks += delta;
}

function outOfMemory(bytes: number): RangeError {
  const used = (heap.bytes / MIB).toFixed(1);
  return new RangeError(
    `The WebAssembly backend is out of memory for ${bytes} bytes: ${used} MiB of its ` +
      `${HEAP_BYTES / MIB} MiB are in use by ${heap.blocks.size} arrays of ${heap.networks} ` +
      "live network(s) and their optimizers and batchers; call dispose() on the networks you " +
      "no longer use (or declare them with `using`), or use a smaller batch or network",
  );
}

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
    if (at === 0) throw outOfMemory(bytes);
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
        const bytes = length * 4, at = alloc(bytes);
        const array = new Float32Array(memory.buffer, at, length).fill(0);
        heap.blocks.set(at, bytes);
        heap.bytes += bytes;
        if (heap.bytes > heap.peak) heap.peak = heap.bytes;
        addresses.set(array, at);
        finalizer.register(array, at, array);
        return array;
      },
      free(array: Float32Array): void {
        const at = addresses.get(array);
        if (at === undefined) return;
        addresses.delete(array);
        finalizer.unregister(array);
        release(at);
      },
      // The dataset stays in JS: gathering there writes straight into the batch buffer.
      gatherBatch: TS_KERNELS.gatherBatch,
    }),
  };
}

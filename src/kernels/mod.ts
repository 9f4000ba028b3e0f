/**
 * The kernel seam of mnist-dnn: the primitive whole-batch operations
 * (GEMM, convolution, pooling, activations, losses, optimizer updates)
 * that layers are written in, and the backends that implement them. For
 * writing a custom layer, testing a backend, or picking one explicitly;
 * training and using networks needs only the main entry point.
 *
 * @example Multiply two 2x2 matrices on whichever backend is available
 * ```ts
 * import { selectKernels } from "jsr:@x/mnist-dnn/kernels";
 *
 * const { kernels } = selectKernels("auto");
 * const a = kernels.allocate(4), b = kernels.allocate(4), c = kernels.allocate(4);
 * a.set([1, 2, 3, 4]);
 * b.set([1, 0, 0, 1]);
 * kernels.gemm(false, false, 2, 2, 2, 1, a, b, 0, c); // c = a·b
 * console.log(Array.from(c)); // [ 1, 2, 3, 4 ]
 * ```
 *
 * @module
 */

export type {
  ActivationName,
  BackendName,
  ConvGeometry,
  KernelCheck,
  KernelOp,
  Kernels,
} from "./kernels.ts";
export { ACTIVATION_CODES, LEAKY_RELU_SLOPE } from "./kernels.ts";
export {
  BACKEND_CHOICES,
  type BackendChoice,
  type KernelSelection,
  selectKernels,
} from "./select.ts";
export { createTsKernels } from "./ts_kernels.ts";
export { loadNativeKernels, type NativeLoadResult } from "./native_kernels.ts";
export {
  loadWasmKernels,
  type WasmHeapUsage,
  wasmHeapUsage,
  type WasmLoadResult,
} from "./wasm_kernels.ts";

/**
 * The layers of mnist-dnn and the one-line layer spec: for writing a
 * network layer by layer, or a layer of one's own against the kernel seam
 * (`jsr:@x/mnist-dnn/kernels`). Building and training networks needs only
 * the main entry point (`Network.fromSpec` parses the same spec).
 *
 * @example Parse a spec and look at its layers
 * ```ts
 * import { parseSpec } from "jsr:@x/mnist-dnn/layers";
 *
 * const tokens = parseSpec("conv(8,3,pad=1) relu maxpool(2) flatten dense(10)");
 * console.log(tokens.map((t) => t.type).join(" ")); // conv activation maxpool flatten dense
 * ```
 *
 * @module
 */

export { buildLayers, type LayerSpec, mlpSpec, parseSpec, SpecError } from "./spec.ts";
export { type GradientTarget, Layer, type LayerTensor, type Shape } from "./layer.ts";
export { Dense } from "./dense.ts";
export { Conv2d, type Conv2dOptions, convGeometry } from "./conv2d.ts";
export { MaxPool2d } from "./maxpool2d.ts";
export { BatchNorm } from "./batchnorm.ts";
export { Dropout } from "./dropout.ts";
export { Flatten } from "./flatten.ts";
export { Activation } from "./activation.ts";

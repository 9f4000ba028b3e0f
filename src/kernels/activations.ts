/**
 * Activations, in one place: their names, the hidden-layer list, the codes
 * shared with the C ABI (`MND_ACT_*` in `native/kernels.h`, held equal by
 * tests/mirror_test.ts), leaky ReLU's slope, and the scalar functions and
 * derivatives the TS kernels and the naive references compute.
 *
 * @module
 */

/** Activation function names accepted by layers and the CLI. */
export type ActivationName = "sigmoid" | "relu" | "tanh" | "leaky-relu" | "identity";

/** Hidden-layer activations a network may use (every one but `identity`). */
export const ACTIVATION_NAMES: readonly ActivationName[] = Object.freeze([
  "relu",
  "sigmoid",
  "tanh",
  "leaky-relu",
]);

/**
 * Numeric activation codes shared with the C ABI (`native/kernels.h`).
 *
 * @example Look up a code
 * ```ts
 * import { ACTIVATION_CODES } from "jsr:@x/mnist-dnn/kernels";
 * console.log(ACTIVATION_CODES.relu); // 2
 * ```
 */
export const ACTIVATION_CODES: Readonly<Record<ActivationName, number>> = Object.freeze({
  identity: 0,
  sigmoid: 1,
  relu: 2,
  tanh: 3,
  "leaky-relu": 4,
});

/** Slope of leaky ReLU for negative inputs (same constant as the C side). */
export const LEAKY_RELU_SLOPE = 0.01;

/** Activation functions by code, as native/nn.c computes them. */
export const ACTIVATION_FUNCTIONS: readonly ((z: number) => number)[] = Object.freeze([
  (z: number) => z,
  (z: number) => 1 / (1 + Math.exp(-z)),
  (z: number) => (z > 0 ? z : 0),
  Math.tanh,
  (z: number) => (z > 0 ? z : LEAKY_RELU_SLOPE * z),
]);

/** Derivatives by code, expressed through the output `y = act(z)`. */
export const ACTIVATION_DERIVATIVES: readonly ((y: number) => number)[] = Object.freeze([
  () => 1,
  (y: number) => y * (1 - y),
  (y: number) => (y > 0 ? 1 : 0),
  (y: number) => 1 - y * y,
  (y: number) => (y > 0 ? 1 : LEAKY_RELU_SLOPE),
]);

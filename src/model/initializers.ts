/**
 * Weight initializers.
 *
 * @module
 */

import type { Random } from "../random.ts";

/**
 * - `scaled`: weights N(0,1) * sqrt(1/fanIn), biases N(0,1) (the classic
 *   per-sample recipe for sigmoid networks);
 * - `xavier`: weights U(-a, a) with a = sqrt(6/(fanIn+fanOut)), biases 0;
 * - `he`: weights N(0, 2/fanIn), biases 0 (suits ReLU).
 */
export type InitName = "scaled" | "xavier" | "he";

/** All initializer names, for validation and help texts. */
export const INIT_NAMES: readonly InitName[] = Object.freeze(["scaled", "xavier", "he"]);

/**
 * Fills one dense layer's weights (fanOut x fanIn) and biases (fanOut).
 *
 * @param init The scheme.
 * @param weights Destination, `fanOut * fanIn` values.
 * @param biases Destination, `fanOut` values.
 * @param fanIn Inputs of the layer.
 * @param random Seeded generator, advanced by the draw.
 * @example He initialization of a 2x3 layer
 * ```ts
 * import { initializeLayer } from "./initializers.ts";
 * import { Random } from "jsr:@x/mnist-dnn/data";
 * const w = new Float32Array(6), b = new Float32Array(2);
 * initializeLayer("he", w, b, 3, new Random(1));
 * console.log(b); // Float32Array(2) [ 0, 0 ]
 * ```
 */
export function initializeLayer(
  init: InitName,
  weights: Float32Array,
  biases: Float32Array,
  fanIn: number,
  random: Random,
): void {
  const fanOut = biases.length;
  switch (init) {
    case "scaled": {
      const s = Math.sqrt(1 / fanIn);
      for (let i = 0; i < weights.length; i++) weights[i] = random.normal() * s;
      for (let i = 0; i < biases.length; i++) biases[i] = random.normal();
      return;
    }
    case "xavier": {
      const a = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < weights.length; i++) weights[i] = (2 * random.next() - 1) * a;
      biases.fill(0);
      return;
    }
    case "he": {
      const s = Math.sqrt(2 / fanIn);
      for (let i = 0; i < weights.length; i++) weights[i] = random.normal() * s;
      biases.fill(0);
      return;
    }
  }
}

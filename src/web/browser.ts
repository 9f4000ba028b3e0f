/**
 * The draw-a-digit page's in-browser predictor: the page fetches the served
 * model file and runs it here with the WebAssembly kernels, so drawing needs
 * no server round trip (and the page works from any static host with the
 * model beside it). `deno task bundle` bundles this module, the network code
 * and the Wasm module into `app.js`, which the page imports.
 *
 * @module
 */

import type { RasterImage } from "../data/digit_image.ts";
import { networkFromBytes } from "../model/model_file.ts";
import { checkDigitNetwork, classifyDrawing, type DigitPrediction } from "./_digit.ts";

export type { DigitPrediction, RasterImage };

/** A loaded model that classifies drawings in the browser. */
export interface DigitPredictor {
  /** The backend the model runs on (`"wasm"`). */
  backend: string;
  /** The model's layers, e.g. `dense(128) relu dense(64) relu dense(10)`. */
  spec: string;
  /** Classifies a drawing (any size, RGBA from `getImageData` or grey). */
  predict(image: RasterImage): DigitPrediction;
}

/**
 * Loads a model file's bytes on the WebAssembly backend for the page.
 *
 * @param bytes The safetensors model file.
 * @param source Its name, for error messages.
 * @returns The predictor.
 * @throws {ModelFormatError} If the bytes are not a model file.
 * @throws {RangeError} If the model does not take 28x28 digits.
 * @example
 * ```ts
 * import { digitPredictor } from "./browser.ts";
 * import { Network, networkToBytes } from "jsr:@x/mnist-dnn";
 * const bytes = networkToBytes(new Network({ sizes: [784, 10], backend: "ts" }));
 * const image = { width: 2, height: 2, channels: 1 as const, data: new Uint8Array(4) };
 * console.log(digitPredictor(bytes, "m").predict(image).probabilities.length); // 10
 * ```
 */
export function digitPredictor(bytes: Uint8Array, source: string): DigitPredictor {
  const network = networkFromBytes(bytes, source, { backend: "wasm" });
  try {
    checkDigitNetwork(network);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return {
    backend: network.backend,
    spec: network.spec,
    predict: (image) => classifyDrawing(network, image),
  };
}

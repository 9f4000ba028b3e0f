/**
 * One digit through a network, as the page shows it: the label, the class
 * probabilities and the 28x28 input the model saw. Shared by the server
 * (`api.ts`) and the in-browser predictor (`browser.ts`).
 *
 * @module
 */

import { mnistStyle, type RasterImage } from "../data/digit_image.ts";
import type { Network } from "../model/network.ts";

/** What the page shows for one drawing. */
export interface DigitPrediction {
  /** The most probable class. */
  label: number;
  /** One probability per class. */
  probabilities: number[];
  /** The 784 values 0..255 the model saw (row-major, white ink on black). */
  input: number[];
}

/** Classifies 784 MNIST-style input bytes. */
export function classifyDigit(network: Network, input: Uint8Array): DigitPrediction {
  const probabilities = Array.from(network.predictProba(input));
  const label = probabilities.indexOf(Math.max(...probabilities));
  return { label, probabilities, input: Array.from(input) };
}

/** Classifies a drawing: MNIST-style preprocessing, then {@link classifyDigit}. */
export function classifyDrawing(network: Network, image: RasterImage): DigitPrediction {
  return classifyDigit(network, mnistStyle(image));
}

/** Refuses networks that do not take the page's 28x28 one-channel digits. */
export function checkDigitNetwork(network: Network): void {
  if (network.inputSize !== 784) {
    throw new RangeError(
      `The page draws 28x28 digits; this model takes ${network.inputSize} values`,
    );
  }
}

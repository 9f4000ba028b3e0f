// Network options: the dense-stack shorthand (`sizes`) or a layer spec
// (`layers`), resolved to one spec and input shape.

import type { Preprocessing } from "../data/pixel_transform.ts";
import type { Kernels } from "../kernels/kernels.ts";
import { ACTIVATION_NAMES, type ActivationName } from "../kernels/activations.ts";
import type { BackendChoice } from "../kernels/select.ts";
import type { InitName } from "./initializers.ts";
import type { Shape } from "./layers/layer.ts";
import { mlpSpec } from "./layers/spec.ts";

export { ACTIVATION_NAMES } from "../kernels/activations.ts";

/** Per-sample input shape of spec networks when none is given: MNIST's. */
export const MNIST_SHAPE: Shape = Object.freeze([28, 28, 1]);

/** Options of a new {@link Network}: either `sizes` (a dense stack) or `layers` (a spec). */
export interface NetworkOptions {
  /** Dense-stack shorthand: layer widths from input to output, e.g. `[784, 128, 64, 10]`. */
  sizes?: readonly number[];
  /** Hidden-layer activation of a `sizes` network. Default `"relu"`. */
  activation?: ActivationName;
  /** A layer spec, e.g. `"conv(32,5,pad=2) relu maxpool(2) flatten dense(10)"`. */
  layers?: string;
  /** Per-sample input shape of a `layers` network. Default `[28, 28, 1]`. */
  inputShape?: Shape;
  /** Weight initializer. Default `"he"`. */
  init?: InitName;
  /** Seed of the initial weights and dropout masks. Default `1`. */
  seed?: number;
  /** Compute backend or its name. Default `"auto"` (native when built). */
  backend?: BackendChoice | Kernels;
  /** Threads for the native backend. Default: all cores. */
  threads?: number;
  /** Pixel preprocessing used on byte inputs. Default [0, 1] scaling. */
  preprocessing?: Preprocessing;
}

/** The spec and input shape of a network's options. */
export function architecture(options: NetworkOptions): { spec: string; inputShape: Shape } {
  if (options.layers !== undefined) {
    if (options.sizes !== undefined) {
      throw new TypeError("Give either `sizes` or `layers` for a Network, not both");
    }
    const inputShape = options.inputShape ?? MNIST_SHAPE;
    if (
      !Array.isArray(inputShape) || inputShape.length < 1 || inputShape.length > 3 ||
      !inputShape.every((s) => Number.isInteger(s) && s > 0)
    ) {
      throw new RangeError(
        `Network inputShape must be [features] or [height, width, channels] of positive ` +
          `integers, got ${JSON.stringify(inputShape)}`,
      );
    }
    return {
      spec: options.layers,
      inputShape: inputShape.length === 2 ? [...inputShape, 1] : inputShape,
    };
  }
  const sizes = [...(options.sizes ?? [])];
  if (sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw new RangeError(
      `Network sizes must be at least two positive integers, got [${sizes.join(", ")}]`,
    );
  }
  const activation = options.activation ?? "relu";
  if (!ACTIVATION_NAMES.includes(activation)) {
    throw new RangeError(
      `Unknown activation "${activation}" (expected one of ${ACTIVATION_NAMES.join(", ")})`,
    );
  }
  return { spec: mlpSpec(sizes, activation), inputShape: [sizes[0]] };
}

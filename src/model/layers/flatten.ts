/**
 * Flatten: `[height, width, channels]` to `[height * width * channels]`.
 * NHWC samples are already contiguous, so it moves no data.
 *
 * @module
 */

import { Layer, type Shape, sizeOf } from "./layer.ts";

/** A flatten layer (a shape change only). */
export class Flatten extends Layer {
  /** Always `"flatten"`. */
  readonly kind = "flatten";
  /** Always `flatten`. */
  readonly token = "flatten";

  /** `[inputSize]`. */
  get outputShape(): Shape {
    return [sizeOf(this.inputShape)];
  }

  /** See {@link Layer.forward}. */
  forward(x: Float32Array): Float32Array {
    return x;
  }

  /** See {@link Layer.backward}. */
  backward(dy: Float32Array): Float32Array {
    return dy;
  }

  /** See {@link Layer.workFloats}: a flatten is a view of its input. */
  override workFloats(): number {
    return 0;
  }
}

/**
 * Data augmentation settings: random shifts, rotations, scaling and elastic
 * distortions (Simard et al., 2003) applied on the fly to every training
 * batch by the `augment` kernel, seeded and reproducible.
 *
 * @module
 */

/** One augmentation: the largest change of each kind drawn per sample. */
export interface AugmentOptions {
  /** Shift in pixels, up and down, left and right. Default 0. */
  shift?: number;
  /** Rotation in degrees, either way. Default 0. */
  rotate?: number;
  /** Scale change, e.g. 0.1 for 0.9x to 1.1x. Default 0. */
  scale?: number;
  /** Elastic displacement in pixels at the grid nodes. Default 0. */
  elastic?: number;
  /** Pixels between elastic grid nodes (the smoothness of the warp). Default 4. */
  spacing?: number;
}

/** Named augmentation strengths (`--augment NAME`). */
export type AugmentName = "shift" | "light" | "elastic" | "strong";

/** The named strengths. */
export const AUGMENTATIONS: Readonly<Record<AugmentName, Readonly<AugmentOptions>>> = Object
  .freeze({
    shift: { shift: 2 },
    light: { shift: 2, rotate: 10, scale: 0.1 },
    elastic: { shift: 2, rotate: 10, scale: 0.1, elastic: 1.5 },
    strong: { shift: 3, rotate: 15, scale: 0.15, elastic: 2 },
  });

/** Every named strength, for validation and help texts. */
export const AUGMENT_NAMES: readonly AugmentName[] = Object.freeze(
  Object.keys(AUGMENTATIONS) as AugmentName[],
);

/**
 * The `augment` kernel's parameter block for `options`.
 *
 * @param options A named strength or explicit settings.
 * @param fill The value of a blank pixel as the network sees it (preprocessed 0).
 * @returns `[shift, rotate (radians), scale, elastic, spacing, fill]`.
 * @throws {RangeError} For an unknown name or a negative or out-of-range setting.
 * @example
 * ```ts
 * import { augmentParams } from "jsr:@x/mnist-dnn/data";
 * console.log(augmentParams("shift", 0)); // Float32Array(6) [ 2, 0, 0, 0, 4, 0 ]
 * ```
 */
export function augmentParams(options: AugmentName | AugmentOptions, fill: number): Float32Array {
  const o = typeof options === "string" ? AUGMENTATIONS[options] : options;
  if (!o) {
    throw new RangeError(
      `Unknown augmentation "${options}" (expected one of ${AUGMENT_NAMES.join(", ")})`,
    );
  }
  const { shift = 0, rotate = 0, scale = 0, elastic = 0, spacing = 4 } = o;
  const ok = [shift, rotate, elastic].every((v) => v >= 0 && v <= 1000) && scale >= 0 &&
    scale < 1 && spacing >= 1 && spacing <= 1000 && rotate <= 180;
  if (!ok) {
    throw new RangeError(
      `Augmentation needs shift, elastic in [0, 1000] pixels, rotate in [0, 180] degrees, ` +
        `scale in [0, 1) and spacing >= 1, got ${JSON.stringify(o)}`,
    );
  }
  return Float32Array.of(shift, (rotate * Math.PI) / 180, scale, elastic, spacing, fill);
}

// The batch gather in TypeScript, the twin of native/gather.c: shuffled
// samples of a dataset's bytes, through the pixel transform, into one batch
// matrix; with its argument checks.

import { checkArray, checkDim, checkLength } from "./_check.ts";
import type { KernelChecks, Kernels } from "./kernels.ts";

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** The gather's 32-bit view of the last dataset it read (one per dataset, not per batch). */
let lastWords: { pixels?: Uint8Array; words?: Uint32Array } = {};

function wordView(pixels: Uint8Array): Uint32Array | undefined {
  if (lastWords.pixels !== pixels) {
    const words = LITTLE_ENDIAN && pixels.byteOffset % 4 === 0
      ? new Uint32Array(pixels.buffer, pixels.byteOffset, pixels.length >> 2)
      : undefined;
    lastWords = { pixels, words };
  }
  return lastWords.words;
}

/** The gather's byte -> float table, kept for the last (scale, shift). */
let lastTable = { scale: NaN, shift: NaN, values: new Float32Array(256) };

function byteTable(scale: number, shift: number): Float32Array {
  if (lastTable.scale !== scale || lastTable.shift !== shift) {
    const values = Float32Array.from({ length: 256 }, (_, v) => v * scale + shift);
    lastTable = { scale, shift, values };
  }
  return lastTable.values;
}

/** `Kernels.gatherBatch` (arguments already checked). */
export const TS_GATHER: Pick<Kernels, "gatherBatch"> = {
  gatherBatch(out, outLabels, pixels, labels, indices, count, features, scale, shift): void {
    // Through a table of the 256 possible values (the same float each would
    // compute): a load replaces the int-to-float conversion and the math.
    const table = byteTable(scale, shift);
    // Four pixels per 32-bit load when the rows allow it (whole words, and
    // a little-endian platform, where the first pixel is the low byte).
    const words = features % 4 === 0 ? wordView(pixels) : undefined;
    for (let i = 0; i < count; i++) {
      const s = indices[i], src = s * features, dst = i * features;
      if (words) {
        for (let j = 0, w = src >> 2; j < features; j += 4, w++) {
          const v = words[w];
          out[dst + j] = table[v & 255];
          out[dst + j + 1] = table[(v >>> 8) & 255];
          out[dst + j + 2] = table[(v >>> 16) & 255];
          out[dst + j + 3] = table[v >>> 24];
        }
      } else {
        for (let j = 0; j < features; j++) out[dst + j] = table[pixels[src + j]];
      }
      if (outLabels && labels) outLabels[i] = labels[s];
    }
  },
};

/** Its argument check: indices must address whole samples inside `pixels`. */
export const GATHER_CHECKS: KernelChecks<"gatherBatch"> = {
  gatherBatch(out, outLabels, pixels, labels, indices, count, features): void {
    const op = "gatherBatch";
    checkDim(op, "count", count);
    checkDim(op, "features", features);
    checkArray(op, "indices", indices, Int32Array, count);
    checkLength(op, "out", out, count * features);
    checkArray(op, "pixels", pixels, Uint8Array, 0);
    if (outLabels !== null) checkArray(op, "outLabels", outLabels, Int32Array, count);
    if (labels !== null) checkArray(op, "labels", labels, Uint8Array, 0);
    const samples = features === 0 ? 0 : Math.floor(pixels.length / features);
    const limit = labels && outLabels ? Math.min(samples, labels.length) : samples;
    for (let i = 0; i < count; i++) {
      const s = indices[i];
      if (!(s >= 0 && s < limit)) {
        throw new RangeError(`${op}: index ${s} at position ${i} is outside the ${limit} samples`);
      }
    }
  },
};

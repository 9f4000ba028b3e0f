/**
 * Pictures and reports for mnist-dnn: a PNG and PGM codec, labelled digit
 * grids (as PNG or text), and the HTML training report.
 *
 * @example A one-digit grid as text
 * ```ts
 * import { gridText } from "jsr:@x/mnist-dnn/view";
 *
 * const pixels = new Uint8Array(4).fill(255);
 * console.log(gridText([{ pixels, predicted: 1, label: 1 }], 2, 2, 1).length > 0); // true
 * ```
 *
 * @module
 */

export {
  decodePgm,
  decodePng,
  encodePng,
  ImageFormatError,
  MAX_PIXELS,
  type RasterImage,
} from "./png.ts";
export { drawGrid, type GridCell, gridText } from "./grid.ts";
export { renderReport, type ReportInput, reportTestSet } from "./report.ts";

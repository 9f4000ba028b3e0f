/**
 * A grid of digits with their predicted and true labels, as an RGB image
 * (for a PNG file) or as terminal text drawn with Unicode half blocks.
 * Mistakes are marked in red, correct predictions in green.
 *
 * @module
 */

import type { RasterImage } from "./png.ts";

/** One cell of a grid: the image and its labels. */
export interface GridCell {
  /** `rows * cols` pixel bytes, white ink on black. */
  pixels: Uint8Array;
  /** The network's class. */
  predicted: number;
  /** The true class, when known. */
  label?: number;
}

/** 3x5 glyphs, one row of 3 bits per line, for the label text. */
const GLYPHS: Record<string, number[]> = {
  "0": [7, 5, 5, 5, 7],
  "1": [2, 6, 2, 2, 7],
  "2": [7, 1, 7, 4, 7],
  "3": [7, 1, 7, 1, 7],
  "4": [5, 5, 7, 1, 1],
  "5": [7, 4, 7, 1, 7],
  "6": [7, 4, 7, 5, 7],
  "7": [7, 1, 2, 2, 2],
  "8": [7, 5, 7, 5, 7],
  "9": [7, 5, 7, 1, 7],
  "/": [1, 1, 2, 4, 4],
  " ": [0, 0, 0, 0, 0],
};

const GREEN = [60, 200, 90], RED = [235, 60, 50], GREY = [150, 150, 150];
/** Pixels per image pixel, label strip height and cell padding. */
const ZOOM = 3, STRIP = 14, PAD = 4, TEXT = 2;

function labelOf(cell: GridCell): string {
  return cell.label === undefined ? `${cell.predicted}` : `${cell.predicted}/${cell.label}`;
}

/**
 * Draws cells in a grid of `columns` columns: each digit enlarged 3x, with
 * "predicted/true" under it, green when right and red (with a red frame)
 * when wrong.
 *
 * @param cells The digits, row by row.
 * @param rows Image height of each digit.
 * @param cols Image width of each digit.
 * @param columns Digits per grid row.
 * @returns An RGB image.
 * @example
 * ```ts
 * import { drawGrid } from "jsr:@x/mnist-dnn/view";
 * const cells = [{ pixels: new Uint8Array(784), predicted: 3, label: 5 }];
 * const image = drawGrid(cells, 28, 28, 1);
 * console.log(image.width, image.channels); // 92 3
 * ```
 */
export function drawGrid(
  cells: GridCell[],
  rows: number,
  cols: number,
  columns: number,
): RasterImage {
  const cellW = cols * ZOOM + 2 * PAD, cellH = rows * ZOOM + STRIP + 2 * PAD;
  const gridRows = Math.max(1, Math.ceil(cells.length / columns));
  const width = columns * cellW, height = gridRows * cellH;
  const data = new Uint8Array(width * height * 3).fill(24);
  const put = (x: number, y: number, rgb: number[]): void => {
    if (x >= 0 && x < width && y >= 0 && y < height) data.set(rgb, (y * width + x) * 3);
  };
  cells.forEach((cell, n) => {
    const x0 = (n % columns) * cellW, y0 = Math.floor(n / columns) * cellH;
    const wrong = cell.label !== undefined && cell.label !== cell.predicted;
    const color = cell.label === undefined ? GREY : wrong ? RED : GREEN;
    for (let y = 0; y < rows * ZOOM; y++) {
      for (let x = 0; x < cols * ZOOM; x++) {
        const v = cell.pixels[Math.floor(y / ZOOM) * cols + Math.floor(x / ZOOM)];
        put(x0 + PAD + x, y0 + PAD + y, [v, v, v]);
      }
    }
    if (wrong) {
      for (let i = 0; i < cellW - 2; i++) {
        for (const [x, y] of [[x0 + 1 + i, y0 + 1], [x0 + 1 + i, y0 + cellH - 2]]) put(x, y, RED);
      }
      for (let i = 0; i < cellH - 2; i++) {
        for (const [x, y] of [[x0 + 1, y0 + 1 + i], [x0 + cellW - 2, y0 + 1 + i]]) put(x, y, RED);
      }
    }
    const text = labelOf(cell), textW = text.length * 4 * TEXT;
    const tx = x0 + Math.floor((cellW - textW) / 2), ty = y0 + PAD + rows * ZOOM + 2;
    [...text].forEach((ch, k) => {
      (GLYPHS[ch] ?? GLYPHS[" "]).forEach((bits, gy) => {
        for (let gx = 0; gx < 3; gx++) {
          if (!(bits & (4 >> gx))) continue;
          for (let s = 0; s < TEXT * TEXT; s++) {
            put(
              tx + (k * 4 + gx) * TEXT + (s % TEXT),
              ty + gy * TEXT + Math.floor(s / TEXT),
              color,
            );
          }
        }
      });
    });
  });
  return { width, height, channels: 3, data };
}

/**
 * The same grid as terminal text: two pixel rows per line with Unicode
 * upper half blocks in 24-bit colour, and a label line under each row.
 *
 * @param cells The digits, row by row.
 * @param rows Image height of each digit.
 * @param cols Image width of each digit.
 * @param columns Digits per grid row.
 * @returns Text with ANSI colour codes, ending in a newline.
 * @example
 * ```ts
 * import { gridText } from "jsr:@x/mnist-dnn/view";
 * const text = gridText([{ pixels: new Uint8Array(4), predicted: 1 }], 2, 2, 1);
 * console.log(text.includes("▀")); // true
 * ```
 */
export function gridText(cells: GridCell[], rows: number, cols: number, columns: number): string {
  const lines: string[] = [];
  const grey = (v: number): string => `${v};${v};${v}`;
  for (let start = 0; start < cells.length; start += columns) {
    const row = cells.slice(start, start + columns);
    for (let y = 0; y < rows; y += 2) {
      lines.push(
        row.map((cell) => {
          let s = "";
          for (let x = 0; x < cols; x++) {
            const top = cell.pixels[y * cols + x],
              bottom = y + 1 < rows ? cell.pixels[(y + 1) * cols + x] : 0;
            s += `\x1b[38;2;${grey(top)}m\x1b[48;2;${grey(bottom)}m▀`;
          }
          return s + "\x1b[0m ";
        }).join(""),
      );
    }
    lines.push(
      row.map((cell) => {
        const wrong = cell.label !== undefined && cell.label !== cell.predicted;
        const color = cell.label === undefined ? "37" : wrong ? "31" : "32";
        const text = labelOf(cell) + (wrong ? " x" : "");
        return `\x1b[${color}m${
          text.padStart(Math.floor((cols + text.length) / 2)).padEnd(cols)
        }\x1b[0m `;
      }).join(""),
    );
  }
  return lines.join("\n") + "\n";
}

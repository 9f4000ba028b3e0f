/**
 * Reader for digit images stored as CSV, in the Kaggle "digit recognizer"
 * layout: a header line, then one image per line as `label,pixel0,...` or,
 * for data meant only for prediction, just `pixel0,...`. Pixels are
 * integers 0..255; a square pixel count becomes a square image.
 *
 * @module
 */

import { readDataFile } from "../_read.ts";
import type { Dataset } from "./dataset.ts";

/**
 * A malformed digit CSV file.
 *
 * @example Catch a bad file
 * ```ts
 * import { CsvFormatError, parseDigitCsv } from "jsr:@x/mnist-dnn/data";
 * try {
 *   parseDigitCsv("label,pixel0\n1,300\n", "bad.csv");
 * } catch (e) {
 *   console.log(e instanceof CsvFormatError); // true
 * }
 * ```
 */
export class CsvFormatError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong, naming the file, line and field.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CsvFormatError";
  }
}

const COMMA = 44, LF = 10, CR = 13, ZERO = 48, NINE = 57;

/**
 * Parses a digit CSV (see the module doc) into a dataset.
 *
 * @param input File contents as bytes or text.
 * @param source File name used in error messages.
 * @param classes Number of classes; labels must be below it.
 * @returns The dataset; `labels` is `null` when the header has no `label` column.
 * @throws {CsvFormatError} On a missing header, a wrong field count, or a bad value.
 * @example Parse two 2x2 images with labels
 * ```ts
 * import { parseDigitCsv } from "jsr:@x/mnist-dnn/data";
 * const data = parseDigitCsv("label,p0,p1,p2,p3\n3,0,0,9,255\n7,1,2,3,4\n", "tiny.csv");
 * console.log(data.count, data.rows, data.labels); // 2 2 Uint8Array(2) [ 3, 7 ]
 * ```
 */
export function parseDigitCsv(input: Uint8Array | string, source: string, classes = 10): Dataset {
  let bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  if (bytes.indexOf(LF) < 0 && bytes.indexOf(CR) >= 0) {
    // Lines ended by CR alone (classic Mac): read them as LF lines.
    bytes = bytes.map((b) => (b === CR ? LF : b));
  }
  let end = bytes.indexOf(LF);
  if (end < 0) end = bytes.length;
  const header = new TextDecoder().decode(bytes.subarray(0, end)).trim().split(",");
  if (header.length === 0 || header[0] === "" || /^\d+$/.test(header[0])) {
    throw new CsvFormatError(
      `Cannot read digit CSV "${source}": line 1 must be a header such as ` +
        `"label,pixel0,...,pixel783" (found "${header.slice(0, 3).join(",")}...")`,
    );
  }
  const labelled = header[0].trim().toLowerCase() === "label";
  const features = header.length - (labelled ? 1 : 0);
  if (features < 1) {
    throw new CsvFormatError(`Cannot read digit CSV "${source}": the header names no pixel column`);
  }

  // Count data lines first so the arrays are allocated once.
  let lines = 0;
  for (let i = end + 1, start = i; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === LF) {
      if (i > start && !(i - start === 1 && bytes[start] === CR)) lines++;
      start = i + 1;
    }
  }
  const images = new Uint8Array(lines * features);
  const labels = labelled ? new Uint8Array(lines) : null;
  const fields = header.length;

  let pos = end + 1;
  let lineNo = 1;
  for (let sample = 0; sample < lines;) {
    lineNo++;
    // Blank lines (empty, or a lone CR) were not counted above: skip them.
    // A line that merely starts with CR is data, and fails as such below.
    if (
      bytes[pos] === LF || (bytes[pos] === CR && (pos + 1 >= bytes.length || bytes[pos + 1] === LF))
    ) {
      pos = skipLine(bytes, pos);
      continue;
    }
    for (let f = 0; f < fields; f++) {
      let value = 0;
      let digits = 0;
      while (pos < bytes.length && bytes[pos] >= ZERO && bytes[pos] <= NINE && digits < 4) {
        value = value * 10 + bytes[pos++] - ZERO;
        digits++;
      }
      const next = pos < bytes.length ? bytes[pos] : LF;
      const atEnd = next === LF || next === CR;
      const name = header[f];
      if (digits === 0 || (next !== COMMA && !atEnd)) {
        throw new CsvFormatError(
          `Cannot read digit CSV "${source}" line ${lineNo}, field "${name}": ` +
            `expected an integer 0..255`,
        );
      }
      if (f < fields - 1 && next !== COMMA) {
        throw new CsvFormatError(
          `Cannot read digit CSV "${source}" line ${lineNo}: ${f + 1} fields but the header ` +
            `has ${fields}`,
        );
      }
      if (f === fields - 1 && next === COMMA) {
        throw new CsvFormatError(
          `Cannot read digit CSV "${source}" line ${lineNo}: more fields than the ${fields} ` +
            `in the header`,
        );
      }
      if (labels && f === 0) {
        if (value >= classes) {
          throw new CsvFormatError(
            `Cannot read digit CSV "${source}" line ${lineNo}, field "${name}": label ` +
              `${value} is not one of the ${classes} classes 0..${classes - 1}`,
          );
        }
        labels[sample] = value;
      } else {
        if (value > 255) {
          throw new CsvFormatError(
            `Cannot read digit CSV "${source}" line ${lineNo}, field "${name}": pixel ` +
              `${value} is above 255`,
          );
        }
        images[sample * features + f - (labels ? 1 : 0)] = value;
      }
      pos++;
    }
    if (pos <= bytes.length && bytes[pos - 1] === CR) pos = skipLine(bytes, pos - 1);
    sample++;
  }
  const side = Math.round(Math.sqrt(features));
  const square = side * side === features;
  return {
    images,
    labels,
    count: lines,
    rows: square ? side : 1,
    cols: square ? side : features,
  };
}

function skipLine(bytes: Uint8Array, pos: number): number {
  while (pos < bytes.length && bytes[pos] !== LF) pos++;
  return pos + 1;
}

/**
 * Reads a digit CSV file from disk.
 *
 * @param path File path.
 * @param classes Number of classes; labels must be below it (256 accepts any byte).
 * @returns The dataset (see {@link parseDigitCsv}).
 * @throws {CsvFormatError} On bad contents; `Deno.errors.NotFound` if missing.
 * @example Read a Kaggle training file
 * ```ts ignore
 * import { readDigitCsv } from "jsr:@x/mnist-dnn/data";
 * const train = await readDigitCsv("train.csv");
 * ```
 */
export async function readDigitCsv(path: string, classes = 10): Promise<Dataset> {
  return parseDigitCsv(await readDataFile(path), path, classes);
}

/**
 * A small PNG encoder and decoder (8-bit grey, grey+alpha, RGB, RGBA; 16-bit
 * read by its high byte; palette images read through their palette), and a
 * PGM reader. zlib is the runtime's `CompressionStream("deflate")`, so there
 * is no dependency; decoding is bounded by the size the header declares.
 *
 * @module
 */

import { inflateSlices, joinPieces } from "../_inflate.ts";
import type { RasterImage } from "../data/digit_image.ts";

export type { RasterImage } from "../data/digit_image.ts";

/** A malformed or unsupported image file. */
export class ImageFormatError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong, naming the file.
   */
  constructor(message: string) {
    super(message);
    this.name = "ImageFormatError";
  }
}

/** Largest image decoded by default: 64 megapixels. */
export const MAX_PIXELS = 64 * 2 ** 20;
const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];
const COLOR_CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 4: 2, 2: 3, 6: 4, 3: 1 };

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

async function through(bytes: Uint8Array, stream: GenericTransformStream): Promise<Uint8Array> {
  const body = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * Encodes an image as PNG (8-bit, no interlace, filter "none").
 *
 * @param image The pixels.
 * @returns The PNG file's bytes.
 * @throws {RangeError} If the data length does not match the size.
 * @example A 2x1 grey image round trip
 * ```ts
 * import { decodePng, encodePng } from "jsr:@x/mnist-dnn/view";
 * const png = await encodePng({ width: 2, height: 1, channels: 1, data: Uint8Array.of(0, 255) });
 * console.log((await decodePng(png, "x.png")).data); // Uint8Array(2) [ 0, 255 ]
 * ```
 */
export async function encodePng(image: RasterImage): Promise<Uint8Array> {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels || !(width > 0 && height > 0)) {
    throw new RangeError(
      `encodePng: ${data.length} bytes for ${width}x${height}x${channels} pixels`,
    );
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8;
  header[9] = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const parts = [
    Uint8Array.from(SIGNATURE),
    chunk("IHDR", header),
    chunk("IDAT", await through(raw, new CompressionStream("deflate"))),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) out.set(p, at), at += p.length;
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes a PNG file to 8-bit pixels.
 *
 * @param bytes The file's bytes.
 * @param source File name for messages.
 * @param maxPixels Largest width x height decoded (default 64 megapixels),
 *   checked against the header before anything is decoded.
 * @returns The image (palette images come back as RGB or RGBA).
 * @throws {ImageFormatError} If the file is not a PNG, is corrupt, interlaced or too large.
 * @example See {@link encodePng}.
 * ```ts ignore
 * import { decodePng } from "jsr:@x/mnist-dnn/view";
 * ```
 */
export async function decodePng(
  bytes: Uint8Array,
  source: string,
  maxPixels: number = MAX_PIXELS,
): Promise<RasterImage> {
  const fail = (why: string): never => {
    throw new ImageFormatError(`Cannot read PNG "${source}": ${why}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail("not a PNG file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, depth = 0, color = -1, palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < bytes.length;) {
    if (at + 12 > bytes.length) fail("truncated chunk");
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) fail(`chunk ${type} runs past the end`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) {
      fail(`chunk ${type} fails its CRC`);
    }
    if (type === "IHDR") {
      if (length !== 13) fail(`its IHDR chunk has ${length} bytes, not 13`);
      width = view.getUint32(at + 8), height = view.getUint32(at + 12);
      depth = data[8], color = data[9];
      if (data[12] !== 0) fail("interlaced images are not supported; save it without interlacing");
    } else if (type === "PLTE") palette = data;
    else if (type === "tRNS") transparency = data;
    else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  if (color < 0) fail("it has no IHDR chunk (the header giving its size and color type)");
  const stored = COLOR_CHANNELS[color];
  if (!stored || !(depth === 8 || depth === 16 || (color === 3 && depth === 8))) {
    fail(`color type ${color} at ${depth} bits is not supported (8-bit grey, RGB, RGBA, palette)`);
  }
  if (!(width > 0 && height > 0) || width * height > maxPixels) {
    fail(`${width}x${height} pixels is empty or more than the ${maxPixels} allowed`);
  }
  if (color === 3 && !palette) fail("palette image without a PLTE chunk");
  const bpp = stored * (depth / 8), stride = width * bpp;
  const packed = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  idat.reduce((at, d) => (packed.set(d, at), at + d.length), 0);
  // Inflated in slices and stopped at the size the header implies: a small
  // file that inflates to gigabytes is refused before it can take them.
  const need = (stride + 1) * height, pieces: Uint8Array[] = [];
  let inflated = 0;
  try {
    await inflateSlices(packed, "deflate", (piece) => {
      inflated += piece.length;
      if (inflated > need) throw new RangeError("too long");
      pieces.push(piece);
    });
  } catch (error) {
    if (error instanceof RangeError) {
      return fail(`the image data inflates to more than the ${need} bytes its header implies`);
    }
    return fail("the image data is corrupt");
  }
  if (inflated < need) fail("the image data is truncated");
  const raw = joinPieces(pieces, need);
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)],
      line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride),
      up = y ? pixels.subarray((y - 1) * stride, y * stride) : undefined;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0,
        b = up ? up[i] : 0,
        c = up && i >= bpp ? up[i - bpp] : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      if (predictor === undefined) fail(`row ${y} has unknown filter ${filter}`);
      out[i] = (line[i] + predictor!) & 0xff;
    }
  }
  if (color === 3) {
    const channels = transparency ? 4 : 3, data = new Uint8Array(width * height * channels);
    for (let i = 0; i < width * height; i++) {
      const k = pixels[i];
      if (3 * k + 2 >= palette!.length) fail(`pixel ${i} names palette entry ${k}, past its end`);
      data.set(palette!.subarray(3 * k, 3 * k + 3), i * channels);
      if (transparency) data[i * channels + 3] = k < transparency.length ? transparency[k] : 255;
    }
    return { width, height, channels, data };
  }
  if (depth === 16) {
    const data = new Uint8Array(width * height * stored);
    for (let i = 0; i < data.length; i++) data[i] = pixels[2 * i];
    return { width, height, channels: stored, data };
  }
  return { width, height, channels: stored, data: pixels };
}

/**
 * Decodes a PGM file (binary `P5` or text `P2`, maxval up to 65535).
 *
 * @param bytes The file's bytes.
 * @param source File name for messages.
 * @param maxPixels Largest width x height decoded (default 64 megapixels),
 *   checked against the header before anything is decoded.
 * @returns A grey image scaled to 0..255.
 * @throws {ImageFormatError} If the file is not a valid PGM.
 * @example
 * ```ts
 * import { decodePgm } from "jsr:@x/mnist-dnn/view";
 * const pgm = new TextEncoder().encode("P2 2 1 255 0 128");
 * console.log(decodePgm(pgm, "x.pgm").data); // Uint8Array(2) [ 0, 128 ]
 * ```
 */
export function decodePgm(
  bytes: Uint8Array,
  source: string,
  maxPixels: number = MAX_PIXELS,
): RasterImage {
  const fail = (why: string): never => {
    throw new ImageFormatError(`Cannot read PGM "${source}": ${why}`);
  };
  let at = 0;
  const token = (): string => {
    for (;;) {
      while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]))) at++;
      if (bytes[at] !== 0x23) break; // '#': a comment to the end of the line
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
    }
    const start = at;
    while (at < bytes.length && !/\s/.test(String.fromCharCode(bytes[at]))) at++;
    // An empty token (the file ended) reads as NaN below, never as 0.
    return start === at ? "NaN" : new TextDecoder().decode(bytes.subarray(start, at));
  };
  const magic = token();
  if (magic !== "P5" && magic !== "P2") fail(`magic "${magic.slice(0, 8)}" is not P5 or P2`);
  const [width, height, max] = [token(), token(), token()].map(Number);
  const whole = [width, height, max].every(Number.isInteger);
  if (
    !(whole && width > 0 && height > 0 && width * height <= maxPixels && max > 0 && max < 65536)
  ) {
    fail(`header ${width}x${height}, maxval ${max} is out of range`);
  }
  const data = new Uint8Array(width * height);
  const wide = max > 255;
  if (magic === "P5") {
    at++; // the single whitespace after maxval
    const need = data.length * (wide ? 2 : 1);
    if (bytes.length - at < need) fail(`${bytes.length - at} data bytes, expected ${need}`);
    for (let i = 0; i < data.length; i++) {
      const v = wide ? (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1] : bytes[at + i];
      data[i] = Math.round((Math.min(v, max) * 255) / max);
    }
  } else {
    for (let i = 0; i < data.length; i++) {
      const v = Number(token());
      if (!Number.isInteger(v) || v < 0 || v > max) fail(`value ${i} is not an integer 0..${max}`);
      data[i] = Math.round((v * 255) / max);
    }
  }
  return { width, height, channels: 1, data };
}

/**
 * The safetensors container: an 8-byte little-endian header length, a JSON
 * header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data. Only `F32` tensors are written or read here.
 *
 * @module
 */

/**
 * A model file that cannot be read: truncated, corrupted, of another format
 * version, or not matching the architecture it declares.
 *
 * @example Catch a bad file
 * ```ts
 * import { decodeSafetensors, ModelFormatError } from "./safetensors.ts";
 * try {
 *   decodeSafetensors(new Uint8Array(4), "model.safetensors");
 * } catch (e) {
 *   console.log(e instanceof ModelFormatError); // true
 * }
 * ```
 */
export class ModelFormatError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was wrong, naming the file and the field.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ModelFormatError";
  }
}

/** One named F32 tensor. */
export interface Tensor {
  /** Dimensions, outermost first. */
  shape: number[];
  /** Row-major values; length is the product of `shape`. */
  data: Float32Array;
}

/** Contents of a safetensors file. */
export interface Safetensors {
  /** The `__metadata__` string map. */
  metadata: Record<string, string>;
  /** Tensors by name, in file order. */
  tensors: Map<string, Tensor>;
}

const MAX_HEADER = 100_000_000;

/**
 * Encodes tensors and string metadata as safetensors bytes.
 *
 * @param file Tensors (written in iteration order) and metadata.
 * @returns The file contents.
 * @example Round-trip one tensor
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors({ metadata: { a: "1" },
 *   tensors: new Map([["w", { shape: [2], data: new Float32Array([1, 2]) }]]) });
 * console.log(decodeSafetensors(bytes, "mem").tensors.get("w")?.data); // Float32Array(2) [ 1, 2 ]
 * ```
 */
export function encodeSafetensors(file: Safetensors): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: file.metadata };
  let offset = 0;
  for (const [name, t] of file.tensors) {
    header[name] = {
      dtype: "F32",
      shape: t.shape,
      data_offsets: [offset, offset + t.data.byteLength],
    };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + json.length) % 8)) % 8); // align data to 8 bytes
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of file.tensors.values()) {
    const view = new DataView(out.buffer, at, t.data.byteLength);
    for (let i = 0; i < t.data.length; i++) view.setFloat32(i * 4, t.data[i], true);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes safetensors bytes, validating the header and every byte range.
 *
 * @param bytes The file contents.
 * @param source File name used in error messages.
 * @returns Metadata and tensors (copied out of `bytes`).
 * @throws {ModelFormatError} If the file is truncated or malformed, or holds a non-F32 tensor.
 * @example See {@link encodeSafetensors}.
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const file = decodeSafetensors(encodeSafetensors({ metadata: {}, tensors: new Map() }), "mem");
 * console.log(file.tensors.size); // 0
 * ```
 */
export function decodeSafetensors(bytes: Uint8Array, source: string): Safetensors {
  const fail = (why: string, cause?: unknown): never => {
    throw new ModelFormatError(`Cannot read model file "${source}": ${why}`, { cause });
  };
  if (bytes.length < 8) fail(`it has ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length) {
    fail(
      `header length ${headerLength} exceeds the file's ${bytes.length} bytes (truncated or not safetensors)`,
    );
  }
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (cause) {
    fail("the JSON header is corrupt", cause);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("the header is not a JSON object");
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      for (const [key, value] of Object.entries((entry ?? {}) as Record<string, unknown>)) {
        if (typeof value !== "string") fail(`metadata field "${key}" is not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e?.dtype !== "F32") {
      fail(`tensor "${name}" has dtype ${JSON.stringify(e?.dtype)}, expected "F32"`);
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(`tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = e.data_offsets;
    const [begin, end] = Array.isArray(offsets) ? offsets : [];
    const size = (shape as number[]).reduce((a, b) => a * b, 1) * 4;
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end - begin !== size) {
      fail(
        `tensor "${name}" has data_offsets ${
          JSON.stringify(offsets)
        }, inconsistent with shape [${shape}]`,
      );
    }
    if (end > dataLength) {
      fail(
        `tensor "${name}" ends at byte ${end} of the data, but only ${dataLength} are present (truncated)`,
      );
    }
    ranges.push([begin, end, name]);
    const data = new Float32Array(size / 4);
    const tensorView = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, size);
    for (let i = 0; i < data.length; i++) data[i] = tensorView.getFloat32(i * 4, true);
    tensors.set(name, { shape: shape as number[], data });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== covered) {
      fail(`tensor "${name}" starts at byte ${begin}, expected ${covered} (overlap or gap)`);
    }
    covered = end;
  }
  if (covered !== dataLength) fail(`${dataLength - covered} bytes follow the last tensor`);
  return { metadata, tensors };
}

/** Reads exactly `into.length` bytes from `file` (fewer only at its end); returns how many. */
async function readFull(file: Deno.FsFile, into: Uint8Array): Promise<number> {
  let at = 0;
  while (at < into.length) {
    const n = await file.read(into.subarray(at));
    if (n === null) break;
    at += n;
  }
  return at;
}

/**
 * Reads a safetensors file with every size bounded before it is read: a
 * regular file only (not a device, FIFO or directory), a header of at most
 * 100 MB, and a size that must equal what the header's byte ranges add up
 * to, itself at most `limit`.
 *
 * @param path The file.
 * @param limit Largest file accepted, in bytes.
 * @returns The file's bytes, for {@link decodeSafetensors}.
 * @throws {ModelFormatError} Naming the file and the sizes.
 * @throws {Deno.errors.NotFound} If the file does not exist.
 */
export async function readSafetensorsFile(path: string, limit: number): Promise<Uint8Array> {
  const fail = (why: string): never => {
    throw new ModelFormatError(`Cannot read model file "${path}": ${why}`);
  };
  const info = await Deno.stat(path); // follows links: the target counts
  if (!info.isFile) {
    fail("it is not a regular file (a directory, device or pipe); name the .safetensors file");
  }
  using file = await Deno.open(path);
  const head = new Uint8Array(8);
  if (await readFull(file, head) < 8) fail(`its ${info.size} bytes end inside the header length`);
  const headerLength = Number(new DataView(head.buffer).getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > info.size) {
    fail(`header length ${headerLength} exceeds the file's ${info.size} bytes or ${MAX_HEADER}`);
  }
  const header = new Uint8Array(headerLength);
  if (await readFull(file, header) < headerLength) fail("it ends inside its header");
  let end = 0;
  try {
    const json = JSON.parse(new TextDecoder().decode(header)) as Record<string, unknown>;
    for (const [name, entry] of Object.entries(json ?? {})) {
      const range = (entry as { data_offsets?: unknown })?.data_offsets;
      if (name !== "__metadata__" && Array.isArray(range) && Number.isSafeInteger(range[1])) {
        end = Math.max(end, range[1]);
      }
    }
  } catch {
    // decodeSafetensors names what is wrong with the header
  }
  const size = 8 + headerLength + end;
  if (size > limit) fail(`its header describes ${size} bytes, more than the ${limit} allowed`);
  if (info.size !== size) {
    fail(`it is ${info.size} bytes, but its header describes ${size} (truncated or appended to)`);
  }
  const bytes = new Uint8Array(size);
  bytes.set(head);
  bytes.set(header, 8);
  if (await readFull(file, bytes.subarray(8 + headerLength)) !== end) fail("it changed as read");
  return bytes;
}

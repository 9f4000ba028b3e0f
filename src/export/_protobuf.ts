// A small protocol-buffers writer: the wire format for the fields ONNX
// uses (varints, 32-bit floats, length-delimited bytes, strings and nested
// messages). A message is built as a list of encoded fields and measured
// once when it is nested, so no schema or code generation is needed.

const WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5;
const encoder = new TextEncoder();

/** A message under construction: its encoded fields in order. */
export class Message {
  #parts: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): this {
    this.#parts.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  #key(field: number, wire: number): this {
    return this.#push(varint(field * 8 + wire));
  }

  /** An integer field (int32, int64 or enum; negative values as 10-byte varints). */
  int(field: number, value: number): this {
    return this.#key(field, WIRE_VARINT).#push(varint(value));
  }

  /** A 32-bit float field. */
  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.#key(field, WIRE_FIXED32).#push(bytes);
  }

  /** A bytes field. */
  bytes(field: number, value: Uint8Array): this {
    return this.#key(field, WIRE_LEN).#push(varint(value.length)).#push(value);
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, encoder.encode(value));
  }

  /** A nested message field. */
  message(field: number, value: Message): this {
    return this.bytes(field, value.encode());
  }

  /** The encoded message. */
  encode(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const part of this.#parts) out.set(part, at), at += part.length;
    return out;
  }
}

/** Base-128 varint of a safe integer; negatives as two's complement in 64 bits. */
export function varint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not a safe integer`);
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Uint8Array.from(bytes);
}

// Bounded input: data files are read only when they are regular files of a
// sane size (a path to /dev/zero or a FIFO would otherwise be read forever),
// and gzip streams are inflated only as far as the IDX header they carry
// declares, so a small compressed file cannot expand into gigabytes.

import { inflateSlices, joinPieces } from "./_inflate.ts";

/** Largest data file read or inflated: 1 GiB (EMNIST's largest split is 0.65 GB). */
export const MAX_DATA_BYTES = 2 ** 30;

/**
 * Reads a regular file of at most `limit` bytes.
 *
 * @throws {Error} Naming the path when it is not a regular file or too large.
 */
export async function readDataFile(path: string, limit = MAX_DATA_BYTES): Promise<Uint8Array> {
  const info = await Deno.stat(path); // follows symlinks: the target counts
  if (!info.isFile) {
    throw new Error(
      `Cannot read "${path}": it is not a regular file (a directory, device or pipe); ` +
        "point at the data file itself",
    );
  }
  if (info.size > limit) {
    throw new Error(`Cannot read "${path}": ${info.size} bytes is more than the ${limit} allowed`);
  }
  return await Deno.readFile(path);
}

/**
 * The total size an unsigned-byte IDX file declares in its header
 * (magic `00 00 08 dims`, then `dims` big-endian sizes), or undefined when
 * `head` is too short or not such a header.
 */
export function idxDeclaredSize(head: Uint8Array): number | undefined {
  if (head.length < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08) return undefined;
  const dims = head[3];
  if (dims < 1 || head.length < 4 + 4 * dims) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.length);
  let items = 1;
  for (let d = 0; d < dims; d++) items *= view.getUint32(4 + 4 * d);
  return 4 + 4 * dims + items;
}

/** What has been inflated so far, and the bound it must stay within. */
interface Inflated {
  chunks: Uint8Array[];
  total: number;
  bound: number;
}

/** Inflates one gzip member onto `into`; on failure `into` is left as it was. */
async function inflateMember(
  member: Uint8Array,
  into: Inflated,
  source: string,
  limit: number,
): Promise<void> {
  const chunks = into.chunks.length, total = into.total, bound = into.bound;
  try {
    await inflateSlices(member, "gzip", (value) => {
      into.chunks.push(value);
      into.total += value.length;
      if (into.total - value.length < 64) {
        const declared = idxDeclaredSize(joinPieces(into.chunks, Math.min(into.total, 64)));
        if (declared !== undefined) into.bound = Math.min(limit, declared);
      }
      if (into.total > into.bound) {
        throw new RangeError(
          `Cannot decompress "${source}": it inflates to more than the ${into.bound} bytes ` +
            (into.bound < limit ? "its IDX header declares" : "allowed"),
        );
      }
    });
  } catch (error) {
    into.chunks.length = chunks, into.total = total, into.bound = bound;
    throw error;
  }
}

/**
 * Inflates a gzip file of one or more members (concatenated gzip streams
 * are one valid file), stopping with a RangeError as soon as the output
 * exceeds the size its IDX header declares (when it has one) or `limit`.
 * Member boundaries are not marked in the data: where the whole rest does
 * not inflate as one member, each later gzip signature is tried as the
 * start of the next (the trailer's CRC makes a false boundary fail).
 */
export async function inflateBounded(
  bytes: Uint8Array,
  source: string,
  limit = MAX_DATA_BYTES,
): Promise<Uint8Array> {
  const into: Inflated = { chunks: [], total: 0, bound: limit };
  let start = 0;
  while (start < bytes.length) {
    try {
      await inflateMember(bytes.subarray(start), into, source, limit);
      break;
    } catch (error) {
      if (error instanceof RangeError) throw error;
      let end = -1;
      for (let p = bytes.indexOf(0x1f, start + 18); p >= 0; p = bytes.indexOf(0x1f, p + 1)) {
        if (bytes[p + 1] !== 0x8b || bytes[p + 2] !== 0x08) continue;
        try {
          await inflateMember(bytes.subarray(start, p), into, source, limit);
          end = p;
          break;
        } catch (inner) {
          if (inner instanceof RangeError) throw inner;
        }
      }
      if (end < 0) throw error;
      start = end;
    }
  }
  return joinPieces(into.chunks, into.total);
}

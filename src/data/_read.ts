// Bounded input: data files are read only when they are regular files of a
// sane size (a path to /dev/zero or a FIFO would otherwise be read forever),
// and gzip streams are inflated only as far as the IDX header they carry
// declares, so a small compressed file cannot expand into gigabytes.

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

/**
 * Inflates a gzip stream, stopping with an error as soon as the output
 * exceeds the size its IDX header declares (when it has one) or `limit`.
 */
export async function inflateBounded(
  bytes: Uint8Array,
  source: string,
  limit = MAX_DATA_BYTES,
): Promise<Uint8Array> {
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0, bound = limit, head: Uint8Array = new Uint8Array(0);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
      if (head.length < 64) {
        head = concat(chunks, Math.min(total, 64));
        const declared = idxDeclaredSize(head);
        if (declared !== undefined) bound = Math.min(limit, declared);
      }
      if (total > bound) {
        throw new RangeError(
          `Cannot decompress "${source}": it inflates to more than the ${bound} bytes ` +
            (bound < limit ? "its IDX header declares" : "allowed"),
        );
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    if (at >= length) break;
    const part = c.subarray(0, length - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

// Inflation in slices: the compressed input is fed to the inflater a few
// kilobytes at a time and each piece of output is handed on as it appears,
// so a caller that stops at a size bound never holds more than the bound
// plus one piece. (Fed whole, a 1 MB stream that inflates to 1 GiB comes out
// as one 1 GiB chunk before any check can run.)

/**
 * Compressed bytes fed to the inflater at a time. Deflate expands at most
 * about 1032:1, so one piece of output stays under about 4 MiB.
 */
const SLICE_BYTES = 4096;

/**
 * Inflates `bytes` (`gzip` or zlib `deflate`), calling `visit` with each
 * piece of output in order; `visit` may throw to stop early.
 *
 * @throws {TypeError} If the data is corrupt (from the inflater), or what `visit` throws.
 */
export async function inflateSlices(
  bytes: Uint8Array,
  format: "gzip" | "deflate",
  visit: (piece: Uint8Array) => void,
): Promise<void> {
  let at = 0;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller): void {
      if (at >= bytes.length) return controller.close();
      const end = Math.min(bytes.length, at + SLICE_BYTES);
      controller.enqueue(bytes.slice(at, end));
      at = end;
    },
  }, { highWaterMark: 0 });
  const reader = source.pipeThrough(new DecompressionStream(format)).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      visit(value);
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/** The `length` first bytes of `pieces`, joined. */
export function joinPieces(pieces: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const piece of pieces) {
    if (at >= length) break;
    const part = piece.subarray(0, length - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}

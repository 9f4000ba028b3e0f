// Atomic file writes: data goes to a temporary file beside the target and is
// renamed over it only when complete, so a crash or Ctrl-C never leaves a
// half-written file under the final name.

/** Writes `bytes` to `path` atomically (temp file + rename). */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const name = path.slice(slash + 1);
  const temp = `${dir}.tmp-${name}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

// Atomic file writes: data goes to a temporary file beside the target and is
// renamed over it only when complete, so a crash or Ctrl-C never leaves a
// half-written file under the final name. A process killed mid-write (where
// no cleanup can run) leaves its temporary file behind: the next write to
// the same target removes such files once they are an hour old, which no
// write still in progress is.

/** Age after which a leftover temporary file is taken as abandoned. */
const STALE_MS = 60 * 60 * 1000;

/** Writes `bytes` to `path` atomically (temp file + rename). */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const slash = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  const dir = slash >= 0 ? path.slice(0, slash + 1) : "";
  const name = path.slice(slash + 1);
  const prefix = `.tmp-${name}-`;
  const temp = `${dir}${prefix}${crypto.randomUUID().slice(0, 8)}`;
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await removeStale(dir || ".", prefix);
}

/** Removes `prefix*` files in `dir` older than {@link STALE_MS}; best effort. */
async function removeStale(dir: string, prefix: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !entry.name.startsWith(prefix)) continue;
      const file = `${dir}/${entry.name}`;
      const { mtime } = await Deno.stat(file);
      if (mtime && Date.now() - mtime.getTime() > STALE_MS) await Deno.remove(file);
    }
  } catch {
    // Cleanup must never fail a write that succeeded.
  }
}

// Checks an output path before any work is done, so that a long training
// run is never thrown away at the end for a path that could not be written,
// and nothing the user did not name is replaced.

import { IDX_SPLIT_FILES } from "../data/idx_dir.ts";
import { UsageError } from "./_io.ts";

/** The directory part of a path ("." when there is none). */
function directoryOf(path: string): string {
  const cut = Math.max(
    path.lastIndexOf("/"),
    Deno.build.os === "windows" ? path.lastIndexOf("\\") : -1,
  );
  return cut < 0 ? "." : cut === 0 ? "/" : path.slice(0, cut);
}

/**
 * Throws a UsageError naming `--flag` unless `path` can take a new file:
 * not empty, not a dataset file's name, not one of the `inputs` being read,
 * not an existing directory, device or other non-regular file, in an
 * existing directory we can write to.
 */
export async function checkOutputPath(
  flag: string,
  path: string,
  inputs: readonly string[] = [],
): Promise<void> {
  const fail = (why: string): never => {
    throw new UsageError(`--${flag} ${JSON.stringify(path)}: ${why}`);
  };
  if (path.trim() === "") fail("name the file to write");
  const name = path.slice(directoryOf(path).length).replace(/^[\\/]/, "");
  const base = name.replace(/\.gz$/, "");
  if (Object.values(IDX_SPLIT_FILES).flat().some((f) => base === f || base.endsWith(`-${f}`))) {
    fail("that is the name of a dataset file; choose another name");
  }
  try {
    const info = await Deno.lstat(path);
    if (!info.isFile) fail("exists and is not a regular file; choose another path");
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if (!(e instanceof Deno.errors.NotFound)) fail(`cannot be checked (${(e as Error).message})`);
  }
  const dir = directoryOf(path);
  try {
    const probe = await Deno.makeTempFile({ dir, prefix: ".tmp-probe-" });
    await Deno.remove(probe);
  } catch (e) {
    fail(
      e instanceof Deno.errors.NotFound
        ? `directory "${dir}" does not exist`
        : `cannot write in "${dir}" (${(e as Error).message})`,
    );
  }
  await checkNotAnInput(flag, path, inputs);
}

/**
 * Throws a UsageError naming `--flag` when `path` is one of the `inputs`
 * (the same file by its real path): the output would replace what is read.
 */
export async function checkNotAnInput(
  flag: string,
  path: string,
  inputs: readonly string[],
): Promise<void> {
  let target: string;
  try {
    target = await Deno.realPath(path);
  } catch {
    return; // not there yet: it cannot be an input
  }
  for (const input of inputs) {
    if (await Deno.realPath(input) === target) {
      throw new UsageError(
        `--${flag} ${JSON.stringify(path)}: is the data file being read; choose another path`,
      );
    }
  }
}

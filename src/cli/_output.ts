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
 * not empty, not a dataset file's name, not an existing directory, device
 * or other non-regular file (a link to a regular file is fine: the atomic
 * write replaces the link, not its target), in an existing directory we
 * can write to.
 */
export async function checkOutputPath(flag: string, path: string): Promise<void> {
  const fail = (why: string): never => {
    throw new UsageError(`--${flag} ${JSON.stringify(path)}: ${why}`);
  };
  if (path.trim() === "") fail("name the file to write");
  const name = path.slice(directoryOf(path).length).replace(/^[\\/]/, "");
  const base = name.replace(/\.gz$/, "");
  // Every spelling the IDX loader accepts (`t10k-images-idx3-ubyte`,
  // `t10k-images.idx3-ubyte`, a prefixed one): a model there would break
  // every later `--data` run on that directory.
  const dataset = Object.values(IDX_SPLIT_FILES).flat()
    .flatMap((f) => [f, f.replace(/-(idx\d)-/, ".$1-")]);
  if (dataset.some((f) => base === f || base.endsWith(`-${f}`))) {
    fail("that is the name of a dataset file; choose another name");
  }
  // Devices and kernel files (`/dev/stdout`): Deno asks for --allow-all
  // before it even looks at them, and they are never a file to save.
  if (Deno.build.os !== "windows" && /^\/(dev|proc|sys)\//.test(path)) {
    fail("is a device or system file, not a file to save into; choose another path");
  }
  try {
    const info = await Deno.stat(path);
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
}

/** Paths by flag name (without the dashes); undefined for a flag not given. */
export type PathFlags = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The absolute path a file is or would be at: links resolved, `./x` and `x` alike. */
async function identity(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    // Not there yet: its directory's real path and its name.
    const dir = directoryOf(path);
    const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
    try {
      return `${await Deno.realPath(dir)}/${name}`;
    } catch {
      return path;
    }
  }
}

/**
 * Checks every output of a command before any work: each can take a new
 * file ({@link checkOutputPath}), and no two of the outputs and inputs are
 * the same file by real path (so `./m` and a link to `m` count as `m`).
 * Throws a UsageError naming both flags.
 *
 * @param outputs The files the command writes, by flag.
 * @param inputs The files (or directories) it reads, by flag.
 */
export async function checkPaths(outputs: PathFlags, inputs: PathFlags): Promise<void> {
  const seen: { flag: string; path: string; id: string; output: boolean }[] = [];
  const all = [
    ...Object.entries(outputs).map(([flag, p]) => ({ flag, p, output: true })),
    ...Object.entries(inputs).map(([flag, p]) => ({ flag, p, output: false })),
  ];
  for (const { flag, p, output } of all) {
    for (const path of p === undefined ? [] : typeof p === "string" ? [p] : p) {
      if (output) await checkOutputPath(flag, path);
      const id = await identity(path);
      const twin = seen.find((s) => s.id === id && (s.output || output));
      if (twin) {
        const named = (f: string, at: string): string => `--${f} ${JSON.stringify(at)}`;
        throw new UsageError(
          twin.output && output
            ? `${named(twin.flag, twin.path)} and ${named(flag, path)} name the same file; ` +
              "give two paths"
            : `${named(output ? flag : twin.flag, output ? path : twin.path)} would replace ` +
              `${named(output ? twin.flag : flag, output ? twin.path : path)}, which is read ` +
              "(the same file); give another path",
        );
      }
      seen.push({ flag, path, id, output });
    }
  }
}

/**
 * Throws a UsageError naming `--flag` when `path` is one of the `inputs`
 * (the same file by its real path): the output would replace what is read.
 * For inputs known only once loaded (the files of a dataset).
 */
export async function checkNotAnInput(
  flag: string,
  path: string,
  inputs: readonly string[],
): Promise<void> {
  const target = await identity(path);
  for (const input of inputs) {
    if (await identity(input) === target) {
      throw new UsageError(
        `--${flag} ${JSON.stringify(path)}: is the data file ${JSON.stringify(input)} being ` +
          "read; choose another path",
      );
    }
  }
}

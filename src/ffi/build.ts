/**
 * Builds the native library from the package's own sources with Zig, for
 * use outside this checkout: the sources are read beside this module (a
 * local path or the JSR URL it was imported from), built in a temporary
 * directory and installed atomically into the per-user cache, where
 * the loader looks.
 *
 * @module
 */

import { writeFileAtomic } from "../_atomic.ts";
import { cachedLibraryPath, libraryFileName } from "./_library_paths.ts";

async function works(command: string[]): Promise<boolean> {
  try {
    const { success } = await new Deno.Command(command[0], {
      args: [...command.slice(1), "version"],
      stdout: "null",
      stderr: "null",
    }).output();
    return success;
  } catch {
    return false;
  }
}

/**
 * Finds a working Zig command: `$ZIG` when it is set (an error if it does
 * not run: a setting is never silently replaced), else the first of `zig`
 * and `python3 -m ziglang` that runs.
 *
 * @returns The command and its leading arguments, or undefined.
 * @throws {Error} If `$ZIG` is set but does not run.
 */
export async function findZig(): Promise<string[] | undefined> {
  const fromEnv = Deno.env.get("ZIG")?.trim();
  if (fromEnv) {
    const command = fromEnv.split(/\s+/);
    if (await works(command)) return command;
    throw new Error(
      `ZIG is "${fromEnv}", but \`${fromEnv} version\` does not run; ` +
        "fix it or unset ZIG to use zig from the PATH or `python3 -m ziglang`",
    );
  }
  const options = [["zig"], ["python3", "-m", "ziglang"], ["python", "-m", "ziglang"]];
  for (const command of options) if (await works(command)) return command;
  return undefined;
}

/** The message for a machine without Zig. */
export const ZIG_MISSING = "Zig not found. Install it with `python3 -m venv ~/.venvs/zig && " +
  '~/.venvs/zig/bin/pip install ziglang==0.15.2` and `export ZIG="$HOME/.venvs/zig/bin/python ' +
  '-m ziglang"`, or put zig 0.15.2 on the PATH, or set ZIG to its command line.';

const ROOT = new URL("../../", import.meta.url);

async function fetchSource(path: string): Promise<Uint8Array> {
  const url = new URL(path, ROOT);
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Cannot fetch the native source ${url.href}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * The package's native sources: `build.zig`, `build.zig.zon`, the C files
 * `build.zig` lists and every header they include, by relative path.
 */
async function nativeSources(): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const text = new TextDecoder();
  for (const path of ["build.zig", "build.zig.zon"]) files.set(path, await fetchSource(path));
  const pending = [...text.decode(files.get("build.zig")).matchAll(/"(native\/[\w.]+\.c)"/g)]
    .map((m) => m[1]);
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (files.has(path)) continue;
    const bytes = await fetchSource(path);
    files.set(path, bytes);
    for (const [, header] of text.decode(bytes).matchAll(/^#include "([\w.]+)"/gm)) {
      pending.push(`native/${header}`);
    }
  }
  return files;
}

/** Options of {@link buildNativeLibrary}. */
export interface BuildOptions {
  /** The Zig command line. Default: {@link findZig}. */
  zig?: string[];
  /** Where to install. Default: the per-user cache (`~/.cache/mnist-dnn/native/<version>/` on Linux). */
  target?: string;
  /** Receives Zig's output lines. Default: dropped (the error carries them on failure). */
  onOutput?: (text: string) => void;
}

/**
 * Builds the native library (`zig build -Doptimize=ReleaseFast`) from the
 * sources published with this module and installs it atomically.
 *
 * @param options Zig command, target path, output sink.
 * @returns The installed library's path.
 * @throws {Error} If Zig is missing or fails, a source cannot be fetched,
 *   or there is no per-user cache directory and no `target`.
 * @example Build once, then the native backend works in any project
 * ```ts ignore
 * import { buildNativeLibrary } from "jsr:@x/mnist-dnn/build";
 * console.log(await buildNativeLibrary()); // ~/.cache/mnist-dnn/native/0.1.0/libmnist_dnn.so
 * ```
 */
export async function buildNativeLibrary(options: BuildOptions = {}): Promise<string> {
  const target = options.target ?? cachedLibraryPath();
  if (!target) {
    throw new Error(
      "No per-user cache directory (HOME, XDG_CACHE_HOME or LOCALAPPDATA unset, or no " +
        "--allow-env); set MNIST_DNN_CACHE to a directory",
    );
  }
  const zig = options.zig ?? await findZig();
  if (!zig) throw new Error(ZIG_MISSING);
  const work = await Deno.makeTempDir({ prefix: "mnist-dnn-build-" });
  try {
    for (const [path, bytes] of await nativeSources()) {
      await Deno.mkdir(`${work}/${path.replace(/\/?[^/]*$/, "") || "."}`, { recursive: true });
      await Deno.writeFile(`${work}/${path}`, bytes);
    }
    const args = ["build", "-Doptimize=ReleaseFast", "--prefix", `${work}/out`];
    const { code, stdout, stderr } = await new Deno.Command(zig[0], {
      args: [...zig.slice(1), ...args],
      cwd: work,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    options.onOutput?.(output);
    if (code !== 0) {
      throw new Error(`\`${[...zig, ...args].join(" ")}\` failed (exit ${code}):\n${output}`);
    }
    const built = `${work}/out/${Deno.build.os === "windows" ? "bin" : "lib"}/${libraryFileName()}`;
    await Deno.mkdir(target.replace(/[\\/][^\\/]*$/, ""), { recursive: true });
    await writeFileAtomic(target, await Deno.readFile(built));
    return target;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

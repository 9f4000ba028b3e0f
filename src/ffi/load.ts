/**
 * Finds and opens the native library: `MNIST_DNN_LIB` if set, else
 * `zig-out/lib/` beside this module's package root (a checkout), else the
 * per-user cache (`~/.cache/mnist-dnn/native/<version>/` on Linux, where
 * `jsr:@x/mnist-dnn/build` installs it), else the prebuilt library the
 * package ships for this platform (`native/prebuilt/`; fetched into the
 * per-user cache first when the package was imported over the network).
 *
 * @module
 */

import { ABI_VERSION, type NativeSymbols, SYMBOLS } from "./symbols.ts";
import { elfProblem } from "./_elf.ts";
import { cachedLibraryPath, libraryFileName } from "./_library_paths.ts";
import { filePath } from "../_paths.ts";
import { fetchPrebuilt, platformKey, prebuiltPath } from "./_prebuilt.ts";

/**
 * Why the prebuilt library could not be fetched (imported over the network
 * without --allow-net), for the fallback notice. Fetched at most once per
 * process, before the first network is built, which is synchronous.
 */
const prebuiltNote: string | undefined = typeof Deno === "undefined"
  ? undefined
  : await fetchPrebuilt();

/** Result of {@link openNativeLibrary}: the symbols, or why there are none. */
export type NativeLibrary =
  | { ok: true; symbols: NativeSymbols; path: string }
  | { ok: false; reason: string };

function envOverride(): string | undefined {
  try {
    return Deno.env.get("MNIST_DNN_LIB") || undefined;
  } catch {
    return undefined; // no --allow-env: only the default location
  }
}

function candidates(): string[] {
  const paths: string[] = [];
  const override = envOverride();
  if (override) paths.push(override);
  const url = new URL(`../../zig-out/lib/${libraryFileName()}`, import.meta.url);
  if (url.protocol === "file:") paths.push(filePath(url));
  const cached = cachedLibraryPath();
  if (cached) paths.push(cached);
  const prebuilt = prebuiltPath();
  if (prebuilt) paths.push(prebuilt);
  return paths;
}

function ffiGranted(path: string): boolean {
  return Deno.permissions.querySync({ name: "ffi", path }).state === "granted";
}

function exists(path: string): boolean | "no-permission" {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    return "no-permission";
  }
}

let cached: NativeLibrary | undefined;
/** Held for the process's lifetime: the library must never be unloaded under its worker threads. */
let openLibrary: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/**
 * Opens the native library once per process.
 *
 * A missing library or missing `--allow-ffi` gives `{ ok: false, reason }`;
 * a library that exists but cannot be opened, or has another ABI version,
 * throws, listing the paths tried, with the cause.
 *
 * @returns The symbols or the reason they are unavailable.
 * @throws {Error} If a library file is present but broken, or `MNIST_DNN_LIB` names no file.
 */
export function openNativeLibrary(): NativeLibrary {
  if (cached) return cached;
  const override = envOverride();
  if (override !== undefined && exists(override) === false) {
    // A setting that names nothing is a mistake to report, not a reason to
    // quietly load another library.
    throw new Error(
      `MNIST_DNN_LIB is "${override}", which does not exist; point it at a built ` +
        `${libraryFileName()} or unset it to use the default`,
    );
  }
  const tried = candidates();
  // A candidate is taken when it exists, or when it cannot be looked at (no
  // read permission for it) but FFI is granted for exactly that path.
  let path: string | undefined, unreadable = false;
  for (const candidate of tried) {
    const found = exists(candidate);
    if (found === true || (found === "no-permission" && ffiGranted(candidate))) {
      path = candidate;
      break;
    }
    if (found === "no-permission") unreadable = true;
  }
  if (!path) {
    return cached = {
      ok: false,
      reason: unreadable
        ? "cannot look for the native library without --allow-read (or --allow-ffi=<its path>)"
        : `no native library at ${tried.map((p) => `"${p}"`).join(" or ")}` +
          (prebuiltNote ? ` (${prebuiltNote})` : "") + "; build it with `deno task build` " +
          "in a checkout, or `deno run -A jsr:@x/mnist-dnn/build` into the per-user cache " +
          "(needs Zig)",
    };
  }
  if (!ffiGranted(path)) {
    return cached = {
      ok: false,
      reason: `the native library needs --allow-ffi (or --allow-ffi=${path})`,
    };
  }
  let problem: string | undefined;
  try {
    problem = elfProblem(Deno.readFileSync(path));
  } catch {
    problem = undefined; // unreadable here: dlopen reports it
  }
  const shipped = path === prebuiltPath();
  if (problem) {
    if (shipped) return cached = { ok: false, reason: prebuiltProblem(path, problem) };
    throw new Error(
      `The native library "${path}" is truncated or corrupt: ${problem}; ` +
        "rebuild it with `deno task build`, or unset MNIST_DNN_LIB to use the default",
    );
  }
  let library: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    library = Deno.dlopen(path, SYMBOLS);
  } catch (cause) {
    if (shipped) {
      return cached = { ok: false, reason: prebuiltProblem(path, (cause as Error).message) };
    }
    throw new Error(
      `Cannot open the native library "${path}" (tried ${tried.join(", ")}); ` +
        "rebuild it with `deno task build`, or unset MNIST_DNN_LIB to use the default",
      { cause },
    );
  }
  const version = library.symbols.mnd_abi_version();
  if (version !== ABI_VERSION) {
    library.close();
    if (shipped) {
      return cached = {
        ok: false,
        reason: prebuiltProblem(path, `ABI ${version}, not ${ABI_VERSION}`),
      };
    }
    throw new Error(
      `The native library "${path}" has ABI version ${version}, but this module needs ` +
        `${ABI_VERSION}; rebuild it with \`deno task build\``,
    );
  }
  openLibrary = library;
  return cached = { ok: true, symbols: openLibrary.symbols, path };
}

/** The fallback reason for a shipped library that this system cannot load. */
function prebuiltProblem(path: string, problem: string): string {
  return `the prebuilt library for ${platformKey()} ("${path}") cannot be loaded here: ` +
    `${problem}; build one for this system with \`deno task build\` in a checkout, or ` +
    "`deno run -A jsr:@x/mnist-dnn/build` into the per-user cache (needs Zig)";
}

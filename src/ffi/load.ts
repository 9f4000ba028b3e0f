/**
 * Finds and opens the native library: `MNIST_DNN_LIB` if set, else
 * `zig-out/lib/` beside this module's package root.
 *
 * @module
 */

import { ABI_VERSION, type NativeSymbols, SYMBOLS } from "./symbols.ts";
import { elfProblem } from "./_elf.ts";

/** Result of {@link openNativeLibrary}: the symbols, or why there are none. */
export type NativeLibrary =
  | { ok: true; symbols: NativeSymbols; path: string }
  | { ok: false; reason: string };

/** File name of the shared library on this OS. */
function libraryFileName(): string {
  switch (Deno.build.os) {
    case "windows":
      return "mnist_dnn.dll";
    case "darwin":
      return "libmnist_dnn.dylib";
    default:
      return "libmnist_dnn.so";
  }
}

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
  if (url.protocol === "file:") {
    const path = decodeURIComponent(url.pathname);
    paths.push(Deno.build.os === "windows" ? path.slice(1) : path); // "/C:/x" -> "C:/x"
  }
  return paths;
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
  const path = tried.find((p) => exists(p) === true);
  if (!path) {
    const unreadable = tried.some((p) => exists(p) === "no-permission");
    return cached = {
      ok: false,
      reason: unreadable
        ? "cannot look for the native library without --allow-read"
        : `no native library at ${tried.map((p) => `"${p}"`).join(" or ")}; ` +
          "build it with `deno task build` (needs Zig)",
    };
  }
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") {
    return cached = { ok: false, reason: "the native library needs --allow-ffi" };
  }
  let problem: string | undefined;
  try {
    problem = elfProblem(Deno.readFileSync(path));
  } catch {
    problem = undefined; // unreadable here: dlopen reports it
  }
  if (problem) {
    throw new Error(
      `The native library "${path}" is truncated or corrupt: ${problem}; ` +
        "rebuild it with `deno task build`, or unset MNIST_DNN_LIB to use the default",
    );
  }
  let library: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    library = Deno.dlopen(path, SYMBOLS);
  } catch (cause) {
    throw new Error(
      `Cannot open the native library "${path}" (tried ${tried.join(", ")}); ` +
        "rebuild it with `deno task build`, or unset MNIST_DNN_LIB to use the default",
      { cause },
    );
  }
  const version = library.symbols.mnd_abi_version();
  if (version !== ABI_VERSION) {
    library.close();
    throw new Error(
      `The native library "${path}" has ABI version ${version}, but this module needs ` +
        `${ABI_VERSION}; rebuild it with \`deno task build\``,
    );
  }
  openLibrary = library;
  return cached = { ok: true, symbols: openLibrary.symbols, path };
}

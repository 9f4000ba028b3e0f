/**
 * Builds the native library with Zig.
 *
 * - `deno task build [zig args]` in a checkout: `zig build -Doptimize=ReleaseFast`
 *   into `zig-out/lib/` (extra arguments passed through).
 * - `deno run -A jsr:@x/mnist-dnn/build` anywhere else (or `--user-cache`):
 *   builds the package's published sources and installs the library into
 *   the per-user cache, where the loader finds it in every project.
 *
 * Zig is found as `$ZIG` (may be a command line such as
 * `python3 -m ziglang`), then `zig` on the PATH, then `python3 -m ziglang`.
 *
 * @example Build into the per-user cache from code
 * ```ts ignore
 * import { buildNativeLibrary } from "jsr:@x/mnist-dnn/build";
 * console.log(await buildNativeLibrary());
 * ```
 *
 * @module
 */

import { buildNativeLibrary, findZig, ZIG_MISSING } from "../ffi/build.ts";
import { filePath } from "../_paths.ts";

export { buildNativeLibrary, type BuildOptions, findZig } from "../ffi/build.ts";

/** The package root when this module runs from local files (a checkout or a linked copy). */
function checkoutRoot(): string | undefined {
  const root = new URL("../../", import.meta.url);
  if (root.protocol !== "file:") return undefined;
  try {
    return Deno.statSync(new URL("build.zig", root)).isFile ? filePath(root) : undefined;
  } catch {
    return undefined;
  }
}

async function main(args: string[]): Promise<number> {
  const zig = await findZig();
  if (!zig) throw new Error(ZIG_MISSING);
  const root = args.includes("--user-cache") ? undefined : checkoutRoot();
  if (!root) {
    console.error(`building the native library with ${zig.join(" ")} ...`);
    const path = await buildNativeLibrary({ zig });
    console.log(`installed ${path}`);
    return 0;
  }
  const zigArgs = ["build", "-Doptimize=ReleaseFast", ...args];
  console.error(`${zig.join(" ")} ${zigArgs.join(" ")}`);
  const { code } = await new Deno.Command(zig[0], {
    args: [...zig.slice(1), ...zigArgs],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
}

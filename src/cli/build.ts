/**
 * Builds the native library with Zig.
 *
 * - `deno task build [zig args]` in a checkout: `zig build -Doptimize=ReleaseFast`
 *   into `zig-out/lib/` (extra arguments passed through).
 * - `deno task build --prebuilt` in a checkout: `zig build prebuilt` (the
 *   library for every shipped platform, under `native/prebuilt/`), then the
 *   table of their SHA-256s in `src/ffi/_prebuilt.ts` is rewritten.
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
import { PREBUILT, sha256Hex } from "../ffi/_prebuilt.ts";

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

const TABLE_START = "export const PREBUILT: Readonly<Record<string, PrebuiltFile>> = {\n";
const TABLE_END = "};\n// ---- end of generated table";

/** Rewrites the SHA-256 table of `src/ffi/_prebuilt.ts` from the files under `native/prebuilt/`. */
async function writePrebuiltTable(root: string): Promise<void> {
  let entries = "";
  for (const [key, { path }] of Object.entries(PREBUILT)) {
    const hash = await sha256Hex(await Deno.readFile(`${root}native/prebuilt/${path}`));
    entries += `  "${key}": {\n    path: "${path}",\n    sha256: "${hash}",\n  },\n`;
  }
  const file = `${root}src/ffi/_prebuilt.ts`;
  const text = await Deno.readTextFile(file);
  const start = text.indexOf(TABLE_START) + TABLE_START.length, end = text.indexOf(TABLE_END);
  if (start < TABLE_START.length || end < start) throw new Error(`No generated table in ${file}`);
  await Deno.writeTextFile(file, text.slice(0, start) + entries + text.slice(end));
  console.error(`wrote the SHA-256s of ${Object.keys(PREBUILT).length} libraries into ${file}`);
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
  const prebuilt = args.includes("--prebuilt");
  const zigArgs = prebuilt ? ["build", "prebuilt"] : ["build", "-Doptimize=ReleaseFast", ...args];
  console.error(`${zig.join(" ")} ${zigArgs.join(" ")}`);
  const { code } = await new Deno.Command(zig[0], {
    args: [...zig.slice(1), ...zigArgs],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code === 0 && prebuilt) await writePrebuiltTable(root);
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

/**
 * `deno task build`: builds the native library with Zig
 * (`zig build -Doptimize=ReleaseFast`, extra arguments passed through).
 * Zig is found as `$ZIG` (may be a command line such as
 * `python3 -m ziglang`), then `zig` on the PATH, then `python3 -m ziglang`
 * (`pip install ziglang==0.15.2`).
 *
 * @module
 */

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

if (import.meta.main) {
  let zig: string[] | undefined;
  try {
    zig = await findZig();
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    Deno.exit(1);
  }
  if (!zig) {
    console.error(
      "error: Zig not found. Install it with `pip install ziglang==0.15.2` " +
        "(or put zig on the PATH, or set ZIG to its command line).",
    );
    Deno.exit(1);
  }
  const root = new URL("../../", import.meta.url).pathname;
  const args = ["build", "-Doptimize=ReleaseFast", ...Deno.args];
  console.error(`${zig.join(" ")} ${args.join(" ")}`);
  const { code } = await new Deno.Command(zig[0], {
    args: [...zig.slice(1), ...args],
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  Deno.exit(code);
}

// A command's output captured in memory, for the CLI tests.

import type { Io } from "../src/cli/_io.ts";

/** An Io whose stdout and stderr accumulate in strings (not a terminal). */
export function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    isTerminal: false,
    out: (t: string) => void (io.stdout += t),
    err: (t: string) => void (io.stderr += t),
  };
  return io;
}

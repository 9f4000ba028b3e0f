// Terminal plumbing shared by the CLI commands: where text goes, usage
// errors (exit 2, no stack trace), and option parsing helpers.

import { parseArgs, type ParseArgsOptionsConfig } from "node:util";

/** Where a command writes; tests substitute buffers. */
export interface Io {
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** True when standard output is an interactive terminal. */
  isTerminal: boolean;
}

const encoder = new TextEncoder();

/** The process's real standard streams. */
export function processIo(): Io {
  return {
    out: writerTo(Deno.stdout),
    err: writerTo(Deno.stderr),
    isTerminal: Deno.stdout.isTerminal(),
  };
}

/**
 * Writes to `stream` until its reader goes away (`train | head -1`): then
 * the rest of the output is dropped and the command runs on (the model is
 * still saved), instead of dying on EPIPE.
 */
function writerTo(stream: { writeSync(p: Uint8Array): number }): (text: string) => void {
  let closed = false;
  return (text) => {
    if (closed) return;
    try {
      writeAll(stream, text);
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      closed = true;
    }
  };
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
}

/** A command-line mistake: printed as one line plus usage, exit code 2. */
export class UsageError extends Error {
  /** @param message What was wrong with the arguments. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses a positive (or, with `allowZero`, non-negative) integer option. */
export function intOption(
  name: string,
  value: string,
  allowZero = false,
  max: number = Number.MAX_SAFE_INTEGER,
): number {
  const n = Number(value);
  if (
    !/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || (n === 0 && !allowZero) || n > max
  ) {
    const range = max === Number.MAX_SAFE_INTEGER
      ? `a ${allowZero ? "non-negative" : "positive"} integer`
      : `an integer from ${allowZero ? 0 : 1} to ${max}`;
    throw new UsageError(`--${name} must be ${range}, got "${value}"`);
  }
  return n;
}

/** Parses a finite number option within [min, max]. */
export function numberOption(name: string, value: string, min: number, max = Infinity): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${name} must be a number ${range}, got "${value}"`);
  }
  return n;
}

/** Parses an option that must be one of `choices`. */
export function choiceOption<T extends string>(
  name: string,
  value: string,
  choices: readonly T[],
): T {
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/** Runs a command body, mapping errors to messages and exit codes. */
export async function runCommand(
  io: Io,
  usage: string,
  body: () => Promise<number>,
): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (
      error instanceof UsageError || (error instanceof TypeError && "code" in error &&
        String(error.code).startsWith("ERR_PARSE_ARGS"))
    ) {
      io.err(`error: ${error.message}\n\n${usage}`);
      return 2;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** Every command's `--help`. */
const HELP = { help: { type: "boolean", default: false } } as const;

/** What `parseArgs` gives for a command's options (and `--help`). */
export type ParsedFlags<T extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{
    args: string[];
    options: T & typeof HELP;
    strict: true;
    allowPositionals: false;
    tokens: true;
  }>
>;

/**
 * Runs a command whose arguments are `--flags` only: parses them strictly
 * (an unknown flag or a positional is a usage error), answers `--help` with
 * the usage, and maps errors to messages and exit codes as
 * {@link runCommand} does.
 */
export function runWithFlags<const T extends ParseArgsOptionsConfig>(
  io: Io,
  usage: string,
  args: string[],
  options: T,
  body: (parsed: ParsedFlags<T>) => Promise<number>,
): Promise<number> {
  return runCommand(io, usage, () => {
    const parsed = parseArgs({
      args,
      options: { ...options, ...HELP },
      strict: true,
      allowPositionals: false,
      tokens: true,
    });
    if ((parsed.values as { help?: boolean }).help) {
      io.out(usage);
      return Promise.resolve(0);
    }
    return body(parsed as unknown as ParsedFlags<T>);
  });
}

// Tests that must measure a fresh process (peak RSS, the collector exposed)
// run a script in a child Deno and read back one marked line of JSON.

import { equal } from "node:assert/strict";

/** Code for a script: its peak resident memory so far, in MB (Linux). */
export const PEAK_RSS_MB =
  'Number(/VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))[1]) / 1024';

/**
 * Runs `deno ARGS` in a new process, its standard output and error joined.
 * With `env`, the child gets that environment alone.
 */
export async function runDeno(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    env: options.env,
    clearEnv: options.env !== undefined,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout) + text.decode(stderr) };
}

/** The JSON a child printed after `RESULT ` on a line of its own (Deno may print more). */
export function resultOf<T>(out: string): T {
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`no RESULT line in:\n${out}`);
  return JSON.parse(line.slice("RESULT ".length));
}

/**
 * Runs the TypeScript `script` in a new Deno process with every permission
 * (and `flags`), and returns the JSON of its `RESULT ` line.
 */
export async function runForResult<T>(script: string, flags: string[] = []): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const { code, out } = await runDeno(["run", "-A", ...flags, file]);
    equal(code, 0, out);
    return resultOf<T>(out);
  } finally {
    await Deno.remove(file);
  }
}

/** `head`, then `zeros` zero bytes, compressed as they are produced (never held whole). */
export async function compressZeros(
  format: "gzip" | "deflate",
  head: Uint8Array,
  zeros: number,
): Promise<Uint8Array> {
  let left = zeros, first = head.length > 0;
  const piece = new Uint8Array(1 << 20);
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller): void {
      if (first) return first = false, controller.enqueue(head.slice());
      if (left <= 0) return controller.close();
      const n = Math.min(left, piece.length);
      left -= n;
      controller.enqueue(piece.slice(0, n));
    },
  });
  return new Uint8Array(
    await new Response(source.pipeThrough(new CompressionStream(format))).arrayBuffer(),
  );
}

// Tests that must measure a fresh process (peak RSS, the collector exposed)
// run a script in a child Deno and read back one marked line of JSON.

import { equal } from "node:assert/strict";

/** Code for a script: its peak resident memory so far, in MB (Linux). */
export const PEAK_RSS_MB =
  'Number(/VmHWM:\\s+(\\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))[1]) / 1024';

/**
 * Runs the TypeScript `script` in a new Deno process with every permission
 * (and `flags`), and returns the JSON it printed after `RESULT ` on a line
 * of its own (Deno may print more: download progress, warnings).
 */
export async function runForResult<T>(script: string, flags: string[] = []): Promise<T> {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, script);
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...flags, file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    equal(code, 0, out);
    const line = out.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`no RESULT line in:\n${out}`);
    return JSON.parse(line.slice("RESULT ".length));
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

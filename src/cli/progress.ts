// The live progress line shown on a terminal during an epoch.

import type { BatchProgress } from "../train/fit.ts";

const WIDTH = 24;
/** Redraw at most this often, so drawing never slows training. */
const INTERVAL_MS = 100;

/** Columns of the terminal on standard output (80 when it cannot be asked). */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}

/** A progress bar redrawn in place with a carriage return, fitted to the terminal's width. */
export class ProgressBar {
  #last = 0;
  #shown = false;
  readonly #write: (text: string) => void;

  readonly #columns: () => number;

  /**
   * @param write Where the bar is drawn (a terminal).
   * @param columns The terminal's width now (asked at each draw, so a
   *   resize is followed); a line longer than it would wrap, and the
   *   carriage return would then leave the first part behind.
   */
  constructor(write: (text: string) => void, columns: () => number = terminalColumns) {
    this.#write = write;
    this.#columns = columns;
  }

  /** Redraws the bar for `p`, unless the last draw was very recent. */
  update(p: BatchProgress): void {
    const now = performance.now();
    if (now - this.#last < INTERVAL_MS && p.batch < p.batches) return;
    this.#last = now;
    const rate = p.samples / Math.max(p.seconds, 1e-9);
    const eta = p.seconds * (p.batches / p.batch - 1);
    const text = ` ${p.batch}/${p.batches} loss ${p.runningLoss.toFixed(4)} ` +
      `${Math.round(rate)} samples/s ETA ${eta.toFixed(1)}s`;
    const head = `epoch ${p.epoch} `;
    // The bar takes what is left of the line, up to WIDTH; the line never
    // reaches the last column (a write there wraps on some terminals).
    const room = this.#columns() - 1 - head.length - text.length - 2;
    const width = Math.min(WIDTH, room);
    const filled = Math.round((p.batch / p.batches) * width);
    const line = width >= 4
      ? `${head}[${"#".repeat(filled)}${"-".repeat(width - filled)}]${text}`
      : `${head.trimEnd()}${text}`.slice(0, Math.max(this.#columns() - 1, 0));
    this.#write(`\r\x1b[2K${line}`);
    this.#shown = true;
  }

  /** Erases the bar so the next line starts clean. */
  clear(): void {
    if (this.#shown) this.#write("\r\x1b[2K");
    this.#shown = false;
  }
}

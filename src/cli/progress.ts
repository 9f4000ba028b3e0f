// The live progress line shown on a terminal during an epoch.

import type { BatchProgress } from "../train/fit.ts";

const WIDTH = 24;
/** Redraw at most this often, so drawing never slows training. */
const INTERVAL_MS = 100;

/** A progress bar redrawn in place with a carriage return. */
export class ProgressBar {
  #last = 0;
  #shown = false;
  readonly #write: (text: string) => void;

  /** @param write Where the bar is drawn (a terminal). */
  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  /** Redraws the bar for `p`, unless the last draw was very recent. */
  update(p: BatchProgress): void {
    const now = performance.now();
    if (now - this.#last < INTERVAL_MS && p.batch < p.batches) return;
    this.#last = now;
    const filled = Math.round((p.batch / p.batches) * WIDTH);
    const rate = p.samples / Math.max(p.seconds, 1e-9);
    const eta = p.seconds * (p.batches / p.batch - 1);
    const bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
    this.#write(
      `\r\x1b[2Kepoch ${p.epoch} [${bar}] ${p.batch}/${p.batches} loss ${
        p.runningLoss.toFixed(4)
      } ` +
        `${Math.round(rate)} samples/s ETA ${eta.toFixed(1)}s`,
    );
    this.#shown = true;
  }

  /** Erases the bar so the next line starts clean. */
  clear(): void {
    if (this.#shown) this.#write("\r\x1b[2K");
    this.#shown = false;
  }
}

/**
 * A small seeded pseudo-random generator (SplitMix32 state, Box-Muller
 * normals), so that the same seed gives the same weights and the same
 * shuffles on every machine.
 *
 * @module
 */

/**
 * Deterministic random numbers from a 32-bit seed.
 *
 * @example Draw the same numbers twice
 * ```ts
 * import { Random } from "jsr:@x/mnist-dnn/data";
 * const a = new Random(42), b = new Random(42);
 * console.log(a.next() === b.next()); // true
 * ```
 */
export class Random {
  #state: number;
  #spare = NaN;

  /**
   * Creates a generator; equal seeds give equal sequences.
   *
   * @param seed Any integer; only its low 32 bits are used.
   */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /**
   * Draws the next 32 random bits.
   *
   * @returns A uniformly distributed unsigned 32-bit integer.
   */
  nextUint32(): number {
    let z = (this.#state = (this.#state + 0x9e3779b9) >>> 0);
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /**
   * Draws a uniform float.
   *
   * @returns A uniform number in [0, 1).
   */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * Draws a uniform integer below `n`.
   *
   * @param n Exclusive upper bound (a positive integer below 2^32).
   * @returns A uniform integer in [0, n).
   */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /**
   * Draws a standard normal sample (Box-Muller, pairs cached).
   *
   * @returns A standard normal N(0, 1) sample.
   */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const s = this.#spare;
      this.#spare = NaN;
      return s;
    }
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Shuffles `array` in place (Fisher-Yates).
   *
   * @param array The elements to permute.
   */
  shuffle(array: Int32Array): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = array[i];
      array[i] = array[j];
      array[j] = t;
    }
  }
}

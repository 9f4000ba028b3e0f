// The counter-based generator of native/hash.h in TypeScript: draws are pure
// functions of (seed, counter, index), identical on every backend, for
// dropout masks and augmentation.

/** The 32-bit finalizer `mnd_mix`, with `Math.imul`. */
export function mix(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x21f0aaad);
  x ^= x >>> 15;
  x = Math.imul(x, 0x735a2d97);
  x ^= x >>> 15;
  return x >>> 0;
}

/** The key of step `counter` of a generator seeded with `seed` (`mnd_step_key`). */
export function stepKey(seed: number, counter: number): number {
  return mix((seed ^ mix((counter + 0x9e3779b9) >>> 0)) >>> 0);
}

/** Draw `i` of `key`: 24 random bits (`mnd_draw`). */
export function draw(key: number, i: number): number {
  return mix((key ^ mix(i >>> 0)) >>> 0) >>> 8;
}

/**
 * The fuzzer's pseudo-random numbers: a seeded sfc32 generator, so a
 * campaign with `-s SEED` makes the same choices in the same order.
 *
 * @module
 */

/**
 * A small fast seeded generator (sfc32).
 *
 * @example
 * ```ts
 * import { FuzzRandom } from "./random.ts";
 * const r = new FuzzRandom(1);
 * console.log(r.below(10) === new FuzzRandom(1).below(10)); // true
 * ```
 */
export class FuzzRandom {
  #a: number;
  #b: number;
  #c: number;
  #d = 1;

  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = seed >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** A uniform integer in `[0, n)` (n >= 1). */
  below(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.next() / 0x100000000) * n);
  }
}

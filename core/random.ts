/**
 * The deterministic random source of a process (AT_RANDOM, getrandom):
 * splitmix64 seeded from `-seed`.
 *
 * @module
 */

const MASK = (1n << 64n) - 1n;

/**
 * A seeded byte generator.
 *
 * @example
 * ```ts
 * import { SeededRandom } from "./random.ts";
 * const a = new SeededRandom(1n).bytes(4), b = new SeededRandom(1n).bytes(4);
 * console.log(a.join() === b.join()); // true
 * ```
 */
export class SeededRandom {
  #state: bigint;
  constructor(seed: bigint) {
    this.#state = BigInt.asUintN(64, seed);
  }

  /** The generator's position (snapshots save and restore it). */
  get state(): bigint {
    return this.#state;
  }

  set state(v: bigint) {
    this.#state = BigInt.asUintN(64, v);
  }

  /** The next 64-bit value. */
  next64(): bigint {
    this.#state = (this.#state + 0x9e3779b97f4a7c15n) & MASK;
    let z = this.#state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK;
    return z ^ (z >> 31n);
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 8) {
      let v = this.next64();
      for (let j = i; j < Math.min(n, i + 8); j++) {
        out[j] = Number(v & 0xffn);
        v >>= 8n;
      }
    }
    return out;
  }
}

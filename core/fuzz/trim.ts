/**
 * AFL's trimming: remove blocks of 1/16 down to 1/1024 of the input (at
 * least 4 bytes) as long as the execution path stays the same, so the queue
 * holds small inputs that are cheap to mutate.
 *
 * @module
 */

/** Smallest block trimming removes (AFL's TRIM_MIN_BYTES). */
const TRIM_MIN_BYTES = 4;
/** Coarsest and finest steps, as divisors of the length rounded up to a power of two. */
const TRIM_START_STEPS = 16, TRIM_END_STEPS = 1024;

/**
 * The shortest input found whose `pathOf` equals that of `input` (`pathOf`
 * returns a hash of the execution path, or -1 for a run that did not end
 * normally), removing blocks of at least `minBlock` bytes (afl-tmin goes
 * down to 1).
 *
 * @example
 * ```ts
 * import { trimInput } from "./trim.ts";
 * const data = new TextEncoder().encode("A".repeat(64) + "B");
 * const path = (d: Uint8Array) => Promise.resolve(d.includes(66) ? 1 : 0);
 * console.log((await trimInput(data, path)).length < 65); // true
 * ```
 */
export async function trimInput(
  input: Uint8Array,
  pathOf: (candidate: Uint8Array) => Promise<number>,
  minBlock = TRIM_MIN_BYTES,
): Promise<Uint8Array> {
  if (input.length < minBlock * 2) return input;
  const want = await pathOf(input);
  if (want < 0) return input;
  let data = input;
  let pow2 = 1;
  while (pow2 < data.length) pow2 *= 2;
  let remove = Math.max(pow2 / TRIM_START_STEPS, minBlock);
  const finest = Math.max(pow2 / TRIM_END_STEPS, minBlock);
  while (remove >= finest && data.length > remove) {
    remove = Math.floor(remove);
    for (let pos = 0; pos < data.length;) {
      const len = Math.min(remove, data.length - pos);
      const candidate = new Uint8Array(data.length - len);
      candidate.set(data.subarray(0, pos));
      candidate.set(data.subarray(pos + len), pos);
      if (candidate.length > 0 && await pathOf(candidate) === want) data = candidate;
      else pos += remove;
    }
    remove /= 2;
  }
  return data;
}

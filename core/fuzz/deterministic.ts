/**
 * afl-fuzz's deterministic stage (`-D`), once per queue entry before havoc: walking bit flips
 * (1, 2, 4 bits), byte flips (1, 2, 4 bytes), additions and subtractions of 1 to 35 (8, 16, 32
 * bits, both byte orders) and the "interesting" values (8, 16, 32 bits, both byte orders), each
 * named as afl-fuzz names the stage in a queue entry's file name (`flip1,pos:3`,
 * `arith16,pos:0,val:be:-2`). As afl-fuzz, a value a bit or byte flip already tried is
 * skipped.
 *
 * @module
 */

import { ARITH_MAX, INTERESTING_16, INTERESTING_32, INTERESTING_8 } from "./mutate.ts";

/** One input of the stage and its name (`op:` in a queue entry's file name). */
export interface DeterministicInput {
  data: Uint8Array;
  op: string;
}

/** Whether `xor` (the change of a value) is what a walking bit or byte flip makes. */
function couldBeBitflip(xor: number): boolean {
  xor >>>= 0;
  if (xor === 0) return true;
  let shift = 0;
  while ((xor & 1) === 0) {
    shift++;
    xor >>>= 1;
  }
  if (xor === 1 || xor === 3 || xor === 15) return true;
  // byte flips: only on byte boundaries
  return (shift & 7) === 0 && (xor === 0xff || xor === 0xffff || xor === 0xffffffff);
}

/** `width` bytes of `data` at `at` (little-endian, or big-endian with `be`). */
function read(data: Uint8Array, at: number, width: number, be: boolean): number {
  let v = 0;
  for (let k = 0; k < width; k++) v += data[at + k] * 2 ** (8 * (be ? width - 1 - k : k));
  return v;
}

/** `data` with `value` (modulo 2^(8 width)) written at `at`. */
function written(data: Uint8Array, at: number, width: number, be: boolean, value: number) {
  const out = data.slice(), v = BigInt.asUintN(8 * width, BigInt(Math.trunc(value)));
  for (let k = 0; k < width; k++) {
    out[at + (be ? width - 1 - k : k)] = Number((v >> BigInt(8 * k)) & 0xffn);
  }
  return out;
}

function* bitFlips(data: Uint8Array): Generator<DeterministicInput> {
  for (const bits of [1, 2, 4]) {
    for (let b = 0; b + bits <= data.length * 8; b++) {
      const out = data.slice();
      for (let k = b; k < b + bits; k++) out[k >> 3] ^= 128 >> (k & 7);
      yield { data: out, op: `flip${bits},pos:${b >> 3}` };
    }
  }
  for (const width of [1, 2, 4]) {
    for (let i = 0; i + width <= data.length; i++) {
      const out = data.slice();
      for (let k = i; k < i + width; k++) out[k] ^= 0xff;
      yield { data: out, op: `flip${8 * width},pos:${i}` };
    }
  }
}

/**
 * `data` with `value` at `at`, named `op`, unless a bit or byte flip made that input already
 * (the flips are judged on the bytes, as afl-fuzz judges them).
 */
function unlessFlip(
  data: Uint8Array,
  at: number,
  width: number,
  be: boolean,
  value: number,
  op: string,
) {
  const out = written(data, at, width, be, value);
  const xor = read(out, at, width, false) ^ read(data, at, width, false);
  return couldBeBitflip(xor) ? [] : [{ data: out, op }];
}

/** The byte orders of a value `width` bytes wide: one byte has one. */
function orders(width: number): boolean[] {
  return width === 1 ? [false] : [false, true];
}

function* arithmetic(data: Uint8Array): Generator<DeterministicInput> {
  for (const width of [1, 2, 4]) {
    const mask = 2 ** (8 * width);
    for (let i = 0; i + width <= data.length; i++) {
      for (let j = 1; j <= ARITH_MAX; j++) {
        for (const be of orders(width)) {
          const orig = read(data, i, width, be);
          for (const delta of [j, -j]) {
            const value = (orig + delta + mask) % mask;
            // a change of the low byte alone is arith8's
            if (width > 1 && Math.floor(value / 256) === Math.floor(orig / 256)) continue;
            const val = `${be ? "be:" : ""}${delta > 0 ? "+" : ""}${delta}`;
            yield* unlessFlip(data, i, width, be, value, `arith${8 * width},pos:${i},val:${val}`);
          }
        }
      }
    }
  }
}

function* interesting(data: Uint8Array): Generator<DeterministicInput> {
  const lists = [INTERESTING_8, INTERESTING_16, INTERESTING_32];
  for (const [w, list] of lists.entries()) {
    const width = 2 ** w;
    for (let i = 0; i + width <= data.length; i++) {
      for (const v of list) {
        for (const be of orders(width)) {
          const val = `${be ? "be:" : ""}${v >= 0 ? "+" : ""}${v}`;
          yield* unlessFlip(data, i, width, be, v, `int${8 * width},pos:${i},val:${val}`);
        }
      }
    }
  }
}

/**
 * The inputs of the deterministic stage for `data`, in afl-fuzz's order.
 *
 * @example
 * ```ts
 * import { deterministicInputs } from "./deterministic.ts";
 * const first = deterministicInputs(new Uint8Array([0x47])).next().value!;
 * console.log(first.op, first.data[0]); // "flip1,pos:0 199"
 * ```
 */
export function* deterministicInputs(data: Uint8Array): Generator<DeterministicInput> {
  yield* bitFlips(data);
  yield* arithmetic(data);
  yield* interesting(data);
}

/**
 * Input-to-state replacement (REDQUEEN, AFL++'s cmplog stage): where one
 * operand of a logged comparison appears in the input, write the other one
 * there, in both byte orders, at the widths the value fits in, and off by
 * one (for ordered comparisons); string operands are replaced as they are
 * and with a terminating NUL.
 *
 * @module
 */

import type { Compare } from "./cmplog.ts";

/** Most places one pattern is replaced at. */
const MAX_OCCURRENCES = 8;
const WIDTHS = [8, 4, 2, 1];

function indexesOf(input: Uint8Array, pattern: Uint8Array): number[] {
  const out: number[] = [];
  if (pattern.length === 0 || pattern.length > input.length) return out;
  outer: for (let i = 0; i + pattern.length <= input.length; i++) {
    for (let k = 0; k < pattern.length; k++) if (input[i + k] !== pattern[k]) continue outer;
    out.push(i);
    if (out.length >= MAX_OCCURRENCES) break;
  }
  return out;
}

/** `v` as `width` bytes, little or big endian. */
function encode(v: bigint, width: number, big: boolean): Uint8Array {
  const out = new Uint8Array(width);
  for (let k = 0; k < width; k++) {
    out[big ? width - 1 - k : k] = Number((v >> BigInt(8 * k)) & 0xffn);
  }
  return out;
}

/** Whether the 64-bit value `v` is a sign- or zero-extended `width`-byte value. */
function fits(v: bigint, width: number): boolean {
  const bits = 8 * width;
  return BigInt.asIntN(bits, v) === BigInt.asIntN(64, v) ||
    BigInt.asUintN(bits, v) === BigInt.asUintN(64, v);
}

function replaced(input: Uint8Array, at: number, bytes: Uint8Array): Uint8Array | null {
  if (at + bytes.length > input.length) return null;
  let same = true;
  for (let k = 0; k < bytes.length; k++) same &&= input[at + k] === bytes[k];
  if (same) return null;
  const out = input.slice();
  out.set(bytes, at);
  return out;
}

function* intCandidates(input: Uint8Array, from: bigint, to: bigint): Generator<Uint8Array> {
  for (const width of WIDTHS) {
    if (!fits(from, width)) continue;
    for (const big of width > 1 ? [false, true] : [false]) {
      for (const at of indexesOf(input, encode(from, width, big))) {
        for (const v of [to, to + 1n, to - 1n]) {
          const c = replaced(input, at, encode(v, width, big));
          if (c) yield c;
        }
      }
    }
  }
}

function* bytesCandidates(input: Uint8Array, from: Uint8Array, to: Uint8Array) {
  for (const at of indexesOf(input, from)) {
    for (const bytes of [to, Uint8Array.from([...to, 0])]) {
      const c = replaced(input, at, bytes);
      if (c) yield c;
    }
  }
}

/**
 * The inputs made from `input` by replacing one operand of `c` with the other.
 *
 * @example
 * ```ts
 * import { replacements } from "./i2s.ts";
 * const input = Uint8Array.of(0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12);
 * const c = { kind: "int" as const, a: 0x12345678n, b: 0xdeadbeefn };
 * console.log([...replacements(input, c)][0]); // Uint8Array(8) [ 0, 0, 0, 0, 239, 190, 173, 222 ]
 * ```
 */
export function* replacements(input: Uint8Array, c: Compare): Generator<Uint8Array> {
  if (c.kind === "int") {
    yield* intCandidates(input, c.a, c.b);
    yield* intCandidates(input, c.b, c.a);
  } else {
    yield* bytesCandidates(input, c.a, c.b);
    yield* bytesCandidates(input, c.b, c.a);
  }
}

/**
 * A printable string operand of `c` that does not come from `input`: a
 * dictionary entry (AFL++ learns tokens from cmplog too).
 */
export function tokenOf(c: Compare, input: Uint8Array): Uint8Array | null {
  if (c.kind !== "bytes") return null;
  for (const s of [c.b, c.a]) {
    const printable = s.length >= 3 && s.every((x) => x >= 0x20 && x < 0x7f);
    if (printable && indexesOf(input, s).length === 0) return s;
  }
  return null;
}

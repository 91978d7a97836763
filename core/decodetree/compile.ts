/**
 * Compiles the argument extraction of decode patterns into JavaScript, as
 * QEMU's decodetree compiles its formats into C: one small function per
 * distinct argument list, whose object literal computes each field with
 * shifts and masks of the instruction word.
 *
 * Why: a cold guest decodes each instruction about once, so decoding runs
 * mostly before V8 has optimised it, and the generic extraction (each
 * field's segments walked, each value stored under a computed name) was
 * most of a decode's cost there (docs/perf.md, "Thirteenth session"). The
 * functions are shared by source text, so the patterns of one format (all
 * of RISC-V's I-type, say) share one function, which turns hot early; they
 * are compiled at a pattern's first match, so a start-up compiles only what
 * it decodes. One function for a whole table was tried and dropped: V8 took
 * 80 ms to optimise it, and deoptimised it for the paths it had not seen.
 *
 * Matching stays a table walk ({@linkcode TableDecoder}): the patterns are
 * bucketed by the bits all of them fix, and a bucket's masks and values are
 * typed arrays, scanned in table order.
 *
 * @module
 */

import type { Decoded, DecodePattern, Decoder, FieldFunction } from "./decodetree.ts";

/** One argument of a pattern: a constant, or a field of the instruction word. */
export type CompiledArg = readonly [name: string, source: number | CompiledField];

/** A field as the compiler reads it: segments most significant first. */
export interface CompiledField {
  readonly segments: readonly { readonly pos: number; readonly len: number }[];
  readonly signed: boolean;
  readonly fn?: FieldFunction;
}

/**
 * A compiled extraction: the arguments of a matching instruction word, in a
 * fresh object (`make`) or written into one that `make` made (`fill`).
 */
export interface Extractor {
  make(bits: number): Record<string, number>;
  fill(bits: number, into: Record<string, number>): Record<string, number>;
}

/** Every field function a compiled extractor calls (`F[i]` in its source). */
const FUNCTIONS: FieldFunction[] = [];
const FUNCTION_IDS = new Map<FieldFunction, number>();
/** Compiled extractors by the source of `make`. */
const EXTRACTORS = new Map<string, Extractor>();

/**
 * The extractor of a pattern whose arguments are `args` (each a constant or a
 * field), compiled once per distinct source text.
 *
 * @example
 * ```ts
 * import { compileExtract } from "./compile.ts";
 * const extract = compileExtract([["r", { segments: [{ pos: 0, len: 4 }], signed: false }], ["k", 7]]);
 * const args = extract.make(0x12);
 * console.log(args, extract.fill(0x13, args) === args, args.r); // { r: 2, k: 7 } true 3
 * ```
 */
export function compileExtract(args: readonly CompiledArg[]): Extractor {
  const values = args.map(([name, s]) =>
    [JSON.stringify(name), typeof s === "number" ? String(s) : fieldSource(s)] as const
  );
  const make = `return { ${values.map(([k, v]) => `${k}: ${v}`).join(", ")} };`;
  let x = EXTRACTORS.get(make);
  if (!x) {
    const fill = `${values.map(([k, v]) => `o[${k}] = ${v};`).join(" ")} return o;`;
    x = new Function(
      "F",
      `"use strict";\nreturn { make(b) { ${make} }, fill(b, o) { ${fill} } };`,
    )(FUNCTIONS) as Extractor;
    EXTRACTORS.set(make, x);
  }
  return x;
}

/**
 * The expression of field `f` of word `b`, as decodetree's `extractField`
 * computes it: each segment masked by `(1 << len) - 1` (as an int32) and
 * shifted left by the lengths of the segments after it, then sign-extended
 * from its top bit or read as unsigned, then post-processed.
 */
function fieldSource(f: CompiledField): string {
  const total = f.segments.reduce((n, s) => n + s.len, 0);
  let v = "", after = total;
  for (const s of f.segments) {
    after -= s.len;
    const piece = `((b >>> ${s.pos}) & ${((1 << s.len) - 1) | 0})${after ? ` << ${after}` : ""}`;
    v = v ? `${v} | ${piece}` : piece;
  }
  if (f.signed && total < 32) v = `((${v}) << ${32 - total}) >> ${32 - total}`;
  else if (!f.signed) v = `(${v}) >>> 0`;
  if (!f.fn) return v;
  let id = FUNCTION_IDS.get(f.fn);
  if (id === undefined) FUNCTION_IDS.set(f.fn, id = FUNCTIONS.push(f.fn) - 1);
  return `F[${id}](${v})`;
}

/**
 * The bucket of an instruction word: up to 10 of the bits every pattern
 * fixes, gathered as runs of adjacent bits.
 */
export interface BucketKey {
  /** the runs: position, length and position in the key of each */
  readonly runs: Int32Array;
  /** how many buckets there are (a power of two) */
  readonly buckets: number;
  /** the bucket of `bits` */
  of(bits: number): number;
}

/**
 * The {@linkcode BucketKey} of a table's `common` bits (those its every pattern fixes).
 *
 * @example
 * ```ts
 * import { bucketKey } from "./compile.ts";
 * console.log(bucketKey(0b1100_0011, 8).of(0b0100_0010)); // 6
 * ```
 */
export function bucketKey(common: number, width: number): BucketKey {
  const runs: number[] = [];
  let taken = 0;
  for (let b = 0; b < width && taken < 10; b++) {
    if (!(common & (1 << b))) continue;
    const last = runs.length - 3;
    if (last >= 0 && runs[last] + runs[last + 1] === b) runs[last + 1]++;
    else runs.push(b, 1, taken);
    taken++;
  }
  const r = Int32Array.from(runs);
  return { runs: r, buckets: 1 << taken, of: (bits) => keyOf(r, bits) };
}

function keyOf(runs: Int32Array, bits: number): number {
  let k = 0;
  for (let j = 0; j < runs.length; j += 3) {
    k |= ((bits >>> runs[j]) & ((1 << runs[j + 1]) - 1)) << runs[j + 2];
  }
  return k;
}

/**
 * A decoder over `patterns` (in table order), bucketed by `key`: each
 * bucket's fixed bits and values in typed arrays, and each pattern's compiled
 * extractor, made at its first match from its arguments (`argsOf`).
 *
 * @example
 * ```ts
 * import { bucketKey, TableDecoder } from "./compile.ts";
 * import { parseDecodeTree } from "./decodetree.ts";
 * const p = parseDecodeTree("inc 0001 r:4 BASE", { width: 8 }).patterns;
 * const r = { segments: [{ pos: 0, len: 4 }], signed: false };
 * const d = new TableDecoder(p, bucketKey(0xf0, 8), () => [["r", r]]);
 * console.log(d.decode(0x12)?.args.r); // 2
 * ```
 */
export class TableDecoder implements Decoder {
  readonly #runs: Int32Array;
  /** bucket `k`'s entries are `#starts[k]` to `#starts[k + 1]` */
  readonly #starts: Int32Array;
  readonly #masks: Int32Array;
  readonly #matches: Int32Array;
  /** each entry's pattern index */
  readonly #ids: Int32Array;
  readonly #extractors: (Extractor | undefined)[];
  /** each pattern's arguments object for {@linkcode scratchArgs} */
  readonly #scratch: (Record<string, number> | undefined)[];

  constructor(
    readonly patterns: readonly DecodePattern[],
    key: BucketKey,
    readonly argsOf: (p: DecodePattern) => readonly CompiledArg[],
  ) {
    this.#runs = key.runs;
    const byKey: number[][] = Array.from({ length: key.buckets }, () => []);
    patterns.forEach((p, i) => byKey[key.of(p.match)].push(i));
    const ids = byKey.flat();
    this.#starts = new Int32Array(key.buckets + 1);
    for (let k = 0; k < key.buckets; k++) this.#starts[k + 1] = this.#starts[k] + byKey[k].length;
    this.#ids = Int32Array.from(ids);
    this.#masks = Int32Array.from(ids, (i) => patterns[i].mask);
    this.#matches = Int32Array.from(ids, (i) => patterns[i].match);
    this.#extractors = patterns.map(() => undefined);
    this.#scratch = patterns.map(() => undefined);
  }

  decode(bits: number): Decoded | null {
    const i = this.match(bits);
    if (i < 0) return null;
    return { pattern: this.patterns[i], index: i, args: this.#extractor(i).make(bits) };
  }

  match(bits: number): number {
    const k = keyOf(this.#runs, bits), masks = this.#masks, matches = this.#matches;
    for (let j = this.#starts[k], end = this.#starts[k + 1]; j < end; j++) {
      if ((bits & masks[j]) === matches[j]) return this.#ids[j];
    }
    return -1;
  }

  scratchArgs(index: number, bits: number): Record<string, number> {
    const x = this.#extractor(index), into = this.#scratch[index];
    return into ? x.fill(bits, into) : (this.#scratch[index] = x.make(bits));
  }

  #extractor(i: number): Extractor {
    return this.#extractors[i] ??= compileExtract(this.argsOf(this.patterns[i]));
  }
}

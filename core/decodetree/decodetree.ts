/**
 * A small, ISA-agnostic reimplementation of the ideas of QEMU's decodetree:
 * instruction encodings are written as declarative text, parsed once, and
 * turned into a fast decoder that returns the matching pattern plus its
 * extracted argument values.
 *
 * Syntax (one item per line, `#` starts a comment):
 *
 * - Field: `%name pos:len pos:slen ... [!function=fn]` — the field value is
 *   the concatenation of the listed bit segments, most significant first; an
 *   `s` before the length sign-extends the whole value from its top segment;
 *   `fn` (looked up in the `functions` option) post-processes it.
 * - Argument set: `&name arg arg ...` — the names a pattern must assign.
 * - Format: `@name tokens...` — shared bits and assignments for patterns.
 * - Pattern: `name tokens... [TAG]` — one instruction encoding.
 * - Group: lines between `{` and `}` may overlap; the first match wins.
 *   Patterns outside a common group must not overlap (checked when a decoder
 *   is built).
 *
 * Tokens of formats and patterns:
 * - bit strings of `0`, `1`, `.` (a field bit) and `-` (ignored), and inline
 *   fields `name:len` / `name:slen`, which together must cover the width;
 * - `&set` (formats) or `@format` (patterns);
 * - `arg=%field`, `arg=NUMBER`, or `%field` (short for `field=%field`);
 * - `!key=value` attributes, opaque to this module (a pattern inherits its
 *   format's attributes and may override them);
 * - a trailing bare word on a pattern line: its tag (e.g. the ISA extension),
 *   used to select which patterns a decoder includes; `A|B` names
 *   alternatives (an instruction two extensions share), which
 *   `tagAlternatives` (`tags.ts`) splits.
 *
 * @module
 */

import { bucketKey, TableDecoder } from "./compile.ts";
import {
  type ArgSource,
  type FieldDef,
  type FormatDef,
  mergeFormat,
  parseBits,
  parseField,
  parseLineTokens,
} from "./tokens.ts";

/**
 * A function that post-processes a field value (e.g. scales an offset).
 *
 * @example
 * ```ts
 * import type { FieldFunction } from "./decodetree.ts";
 * const times4: FieldFunction = (v) => v * 4;
 * ```
 */
export type FieldFunction = (value: number) => number;

/** Each pattern's argument sources, for {@linkcode DecodeTable.toData}. */
const SOURCES = new WeakMap<DecodePattern, [string, ArgSource][]>();

/**
 * A field as {@linkcode DecodeTableData} stores it: `[pos, len]` segments,
 * most significant first, and the name of its post-processing function.
 */
export interface FieldData {
  /** the field's name in the decode source */
  name: string;
  /** its `[pos, len]` bit ranges, most significant first, concatenated into the value */
  segments: [number, number][];
  /** whether the value is sign-extended (a `pos:slen` segment) */
  signed: boolean;
  /** the name of its post-processing function in the `functions` option */
  fn?: string;
}

/**
 * A parsed decode table as plain data (see {@linkcode DecodeTable.toData}).
 *
 * @example
 * ```ts
 * import { DecodeTable, parseDecodeTree } from "./decodetree.ts";
 * const data = parseDecodeTree("inc 0001 r:4 BASE", { width: 8 }).toData();
 * console.log(DecodeTable.fromData(data).decoder().decode(0x12)?.args.r); // 2
 * ```
 */
export interface DecodeTableData {
  /** instruction width in bits */
  width: number;
  /** the patterns in decode order, as {@linkcode DecodePattern} has them */
  patterns: {
    name: string;
    tag: string;
    mask: number;
    match: number;
    attrs: Record<string, string>;
    group: number;
    line: number;
    /** each argument: a constant or a field */
    args: [string, number | FieldData][];
  }[];
}

/**
 * One instruction pattern, fully resolved.
 *
 * @example
 * ```ts
 * import { parseDecodeTree } from "./decodetree.ts";
 * const p = parseDecodeTree("halt 1111 1111 BASE", { width: 8 }).patterns[0];
 * console.log(p.name, p.mask, p.tag); // "halt 255 BASE"
 * ```
 */
export interface DecodePattern {
  /** the pattern's name (e.g. "addi", or "c.addi4spn") */
  readonly name: string;
  /** the trailing tag (e.g. an extension name), "" when absent */
  readonly tag: string;
  /** bits that must match */
  readonly mask: number;
  /** their values (`bits & mask === match`, as int32) */
  readonly match: number;
  /** attributes from the format and the pattern (`!key=value`) */
  readonly attrs: Readonly<Record<string, string>>;
  /** the argument names this pattern produces, in order */
  readonly argNames: readonly string[];
  /** index of the outermost `{}` group holding it, or -1 */
  readonly group: number;
  /** line number in the source text, for messages */
  readonly line: number;
  /** computes the arguments of a matching instruction word */
  readonly extract: (bits: number) => Record<string, number>;
}

/**
 * A decoded instruction: the pattern that matched and its arguments.
 *
 * @example
 * ```ts
 * import { parseDecodeTree } from "./decodetree.ts";
 * const d = parseDecodeTree("inc 0001 r:4 BASE", { width: 8 }).decoder().decode(0x12);
 * console.log(d?.args.r); // 2
 * ```
 */
export interface Decoded {
  /** the pattern that matched */
  readonly pattern: DecodePattern;
  /** the pattern's index in its decoder's {@linkcode Decoder.patterns} */
  readonly index: number;
  /** the argument values by name (fields extracted and post-processed, constants filled in) */
  readonly args: Record<string, number>;
}

/**
 * A decoder over one selection of patterns.
 *
 * @example
 * ```ts
 * import { parseDecodeTree } from "./decodetree.ts";
 * const dec = parseDecodeTree("nop 0000 0000 BASE", { width: 8 }).decoder();
 * console.log(dec.patterns.length, dec.decode(1)); // 1 null
 * ```
 */
export interface Decoder {
  /** The first matching pattern and its arguments, or null. */
  decode(bits: number): Decoded | null;
  /** The index in {@linkcode patterns} of the first matching pattern, or -1. */
  match(bits: number): number;
  /**
   * The arguments of `bits` as pattern `index` extracts them, in an object
   * that pattern keeps for this: valid until its next `scratchArgs`. What a
   * translator uses after {@linkcode match}, allocating nothing.
   */
  scratchArgs(index: number, bits: number): Record<string, number>;
  /** The patterns it includes, in table order. */
  readonly patterns: readonly DecodePattern[];
}

/**
 * Options for {@linkcode parseDecodeTree}.
 *
 * @example
 * ```ts
 * import type { DecodeTreeOptions } from "./decodetree.ts";
 * const opts: DecodeTreeOptions = { width: 16, functions: { twice: (v) => v * 2 } };
 * ```
 */
export interface DecodeTreeOptions {
  /** instruction width in bits (at most 32) */
  width: number;
  /** functions referenced by `!function=` */
  functions?: Record<string, FieldFunction>;
}

/**
 * Thrown for a malformed decode table: names the line.
 *
 * @example
 * ```ts
 * import { DecodeTreeError, parseDecodeTree } from "./decodetree.ts";
 * try {
 *   parseDecodeTree("bad 01 X", { width: 8 });
 * } catch (e) {
 *   console.log(e instanceof DecodeTreeError); // true
 * }
 * ```
 */
export class DecodeTreeError extends Error {
  /** "DecodeTreeError", the class name (what a stack trace and `e.name` show) */
  override name = "DecodeTreeError";
}

function extractField(f: FieldDef, bits: number): number {
  let v = 0;
  let total = 0;
  for (const s of f.segments) {
    v = (v << s.len) | ((bits >>> s.pos) & ((1 << s.len) - 1));
    total += s.len;
  }
  if (f.signed && total < 32) v = (v << (32 - total)) >> (32 - total);
  else if (!f.signed) v >>>= 0;
  return f.fn ? f.fn(v) : v;
}

/**
 * A parsed decode table. Build decoders for subsets of it with
 * {@linkcode DecodeTable.decoder}.
 *
 * @example
 * ```ts
 * import { parseDecodeTree } from "./decodetree.ts";
 * const table = parseDecodeTree(`
 *   %r   0:2
 *   %imm 2:s2
 *   &ri  r imm
 *   @ri  .... .... &ri r=%r imm=%imm
 *   addi 0001 .... @ri BASE
 *   subi 0010 .... @ri EXTRA
 * `, { width: 8 });
 * const base = table.decoder((p) => p.tag === "BASE");
 * console.log(base.decode(0x1d)?.args); // { r: 1, imm: -1 }
 * ```
 */
export class DecodeTable {
  /**
   * Makes a table of `width`-bit instructions from parsed patterns ({@linkcode parseDecodeTree}
   * makes it).
   */
  constructor(readonly width: number, readonly patterns: readonly DecodePattern[]) {}

  /**
   * The table as plain JSON-able data, which {@linkcode DecodeTable.fromData}
   * turns back into the same table without parsing text (QEMU generates its
   * decoders at build time for the same reason: start-up).
   */
  toData(): DecodeTableData {
    return {
      width: this.width,
      patterns: this.patterns.map((p) => ({
        name: p.name,
        tag: p.tag,
        mask: p.mask,
        match: p.match,
        attrs: { ...p.attrs },
        group: p.group,
        line: p.line,
        args: SOURCES.get(p)!.map(([arg, s]): [string, number | FieldData] => [
          arg,
          "value" in s ? s.value : {
            name: s.field.name,
            segments: s.field.segments.map((g): [number, number] => [g.pos, g.len]),
            signed: s.field.signed,
            ...(s.field.fnName ? { fn: s.field.fnName } : {}),
          },
        ]),
      })),
    };
  }

  /** Rebuilds a table from {@linkcode DecodeTable.toData}'s output and the field functions. */
  static fromData(
    data: DecodeTableData,
    functions: Record<string, FieldFunction> = {},
  ): DecodeTable {
    const field = (f: FieldData): FieldDef => {
      const fn = f.fn === undefined ? undefined : functions[f.fn];
      if (f.fn !== undefined && !fn) throw new DecodeTreeError(`unknown function ${f.fn}`);
      const segments = f.segments.map(([pos, len]) => ({ pos, len }));
      return { name: f.name, segments, signed: f.signed, fn, fnName: f.fn };
    };
    return new DecodeTable(
      data.width,
      data.patterns.map((p) =>
        makePattern(
          p.name,
          p.tag,
          p,
          new Map(
            p.args.map((
              [arg, s],
            ) => [arg, typeof s === "number" ? { value: s } : { field: field(s) }]),
          ),
          p.attrs,
          p.group,
          p.line,
        )
      ),
    );
  }

  /**
   * A decoder over the patterns `accept` selects (default: all), bucketed by
   * the bits every selected pattern fixes. Checks that patterns outside a
   * common group do not overlap.
   */
  decoder(accept: (p: DecodePattern) => boolean = () => true): Decoder {
    const chosen = this.patterns.filter(accept);
    let common = this.width >= 32 ? -1 : (1 << this.width) - 1;
    for (const p of chosen) common &= p.mask;
    const key = bucketKey(common, this.width);
    const buckets: DecodePattern[][] = [];
    for (const p of chosen) (buckets[key.of(p.match)] ??= []).push(p);
    // Patterns in different buckets differ in a bit both fix: only same-bucket pairs can overlap.
    for (const b of buckets) if (b) checkOverlaps(b);
    return new TableDecoder(
      chosen,
      key,
      (p) => SOURCES.get(p)!.map(([name, s]) => [name, "value" in s ? s.value : s.field]),
    );
  }
}

function checkOverlaps(ps: DecodePattern[]): void {
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) {
      const a = ps[i], b = ps[j];
      if (a.group >= 0 && a.group === b.group) continue;
      if (((a.match ^ b.match) & a.mask & b.mask) === 0) {
        throw new DecodeTreeError(
          `patterns "${a.name}" (line ${a.line}) and "${b.name}" (line ${b.line}) overlap outside a group`,
        );
      }
    }
  }
}

/**
 * Parses a decode table.
 *
 * @example
 * ```ts
 * import { parseDecodeTree } from "./decodetree.ts";
 * const t = parseDecodeTree(`
 *   %rd 0:4
 *   nop  0000 0000  BASE
 *   inc  0001 ....  %rd  BASE
 * `, { width: 8 });
 * const d = t.decoder().decode(0x13);
 * console.log(d?.pattern.name, d?.args.rd); // "inc 3"
 * ```
 */
export function parseDecodeTree(text: string, options: DecodeTreeOptions): DecodeTable {
  const { width } = options;
  const functions = options.functions ?? {};
  const fields = new Map<string, FieldDef>();
  const argSets = new Map<string, string[]>();
  const formats = new Map<string, FormatDef>();
  const patterns: DecodePattern[] = [];
  let groupDepth = 0;
  let groupCount = 0;
  let currentGroup = -1;

  const lines = text.split("\n");
  for (let ln = 0; ln < lines.length; ln++) {
    const lineNo = ln + 1;
    const fail = (msg: string): never => {
      throw new DecodeTreeError(`decode table line ${lineNo}: ${msg}`);
    };
    const tokens = lines[ln].replace(/#.*/, "").trim().split(/\s+/).filter((t) => t !== "");
    if (tokens.length === 0) continue;
    const head = tokens[0];
    if (head === "{") {
      if (groupDepth++ === 0) currentGroup = groupCount++;
      continue;
    }
    if (head === "}") {
      if (groupDepth === 0) fail("unbalanced }");
      if (--groupDepth === 0) currentGroup = -1;
      continue;
    }
    if (head.startsWith("%")) {
      fields.set(head.slice(1), parseField(head.slice(1), tokens.slice(1), functions, fail));
      continue;
    }
    if (head.startsWith("&")) {
      argSets.set(head.slice(1), tokens.slice(1));
      continue;
    }

    // Formats and patterns share the token grammar.
    const isFormat = head.startsWith("@");
    const line = parseLineTokens(tokens.slice(1), isFormat, fields, formats, fail);
    const { bitTokens, assigns, attrs, argSetName, base, tag } = line;

    const own = bitTokens.length ? parseBits(bitTokens, fail) : undefined;
    if (own && own.width !== width) fail(`bits cover ${own.width} bits, expected ${width}`);
    for (const f of own?.inline ?? []) assigns.set(f.name, { field: f });
    const merged = mergeFormat(base, own, fail);
    const args = new Map([...(base?.args ?? new Map()), ...assigns]);
    const allAttrs = { ...(base?.attrs ?? {}), ...attrs };
    const argSet = argSetName
      ? (argSets.get(argSetName) ?? fail(`unknown argument set &${argSetName}`))
      : base?.argSet;

    if (isFormat) {
      formats.set(head.slice(1), { ...merged, args, argSet, attrs: allAttrs });
      continue;
    }
    if (!own && (!base || (base.mask | base.fieldBits) === 0)) fail(`pattern ${head} has no bits`);
    if (argSet) {
      const missing = argSet.filter((a) => !args.has(a));
      const extra = [...args.keys()].filter((a) => !argSet.includes(a));
      if (missing.length) fail(`pattern ${head} does not set ${missing.join(", ")}`);
      if (extra.length) fail(`pattern ${head} sets ${extra.join(", ")} outside its argument set`);
    }
    patterns.push(makePattern(head, tag, merged, args, allAttrs, currentGroup, lineNo));
  }
  if (groupDepth !== 0) throw new DecodeTreeError("decode table: unclosed {");
  return new DecodeTable(width, patterns);
}

function makePattern(
  name: string,
  tag: string,
  bits: { mask: number; match: number },
  args: Map<string, ArgSource>,
  attrs: Record<string, string>,
  group: number,
  line: number,
): DecodePattern {
  const entries = [...args.entries()];
  const argNames = entries.map(([n]) => n);
  const sources = entries.map(([, s]) => s);
  const extract = (insn: number): Record<string, number> => {
    const out: Record<string, number> = {};
    for (let i = 0; i < argNames.length; i++) {
      const s = sources[i];
      out[argNames[i]] = "value" in s ? s.value : extractField(s.field, insn);
    }
    return out;
  };
  const pattern: DecodePattern = {
    name,
    tag,
    mask: bits.mask | 0,
    match: bits.match | 0,
    attrs,
    argNames,
    group,
    line,
    extract,
  };
  SOURCES.set(pattern, entries);
  return pattern;
}

/**
 * The token-level grammar of decode tables (`decodetree.ts`): fields, bit
 * strings, inline fields, assignments, attributes and tags, each turned into
 * the values a table line contributes.
 *
 * @module
 */

import type { FieldFunction } from "./decodetree.ts";

/** One contiguous bit segment of a field. */
export interface Segment {
  pos: number;
  len: number;
}

/** A compiled field extractor. */
export interface FieldDef {
  name: string;
  segments: Segment[];
  signed: boolean;
  fn?: FieldFunction;
  /** the name `fn` has in the table's `functions` */
  fnName?: string;
}

/** How one argument gets its value: from a field or a constant. */
export type ArgSource = { field: FieldDef } | { value: number };

/** A format (`@name`): its fixed bits, field bits, assignments, argument set and attributes. */
export interface FormatDef {
  mask: number;
  match: number;
  fieldBits: number;
  args: Map<string, ArgSource>;
  argSet?: string[];
  attrs: Record<string, string>;
}

/** What a line's bit strings and inline fields fix and claim. */
export interface BitsResult {
  mask: number;
  match: number;
  /** bits claimed by `.` or inline fields */
  fieldBits: number;
  inline: FieldDef[];
  width: number;
}

/** A field segment, an inline field, a bit string. */
const SEGMENT_RE = /^(\d+):(s?)(\d+)$/;
const INLINE_FIELD_RE = /^([A-Za-z_]\w*):(s?)(\d+)$/;
const BITS_RE = /^[01.\-]+$/;

/** What the tokens after a format's or pattern's name say. */
export interface LineTokens {
  bitTokens: string[];
  assigns: Map<string, ArgSource>;
  attrs: Record<string, string>;
  argSetName?: string;
  base?: FormatDef;
  tag: string;
}

/** Sorts a format's or pattern's tokens (after its name) by kind; formats take no tag. */
export function parseLineTokens(
  tokens: string[],
  isFormat: boolean,
  fields: Map<string, FieldDef>,
  formats: Map<string, FormatDef>,
  fail: (m: string) => never,
): LineTokens {
  const line: LineTokens = { bitTokens: [], assigns: new Map(), attrs: {}, tag: "" };
  const { bitTokens, assigns, attrs } = line;
  for (const tok of tokens) {
    if (BITS_RE.test(tok) || INLINE_FIELD_RE.test(tok)) bitTokens.push(tok);
    else if (tok.startsWith("&")) line.argSetName = tok.slice(1);
    else if (tok.startsWith("@")) {
      line.base = formats.get(tok.slice(1)) ?? fail(`unknown format ${tok}`);
    } else if (tok.startsWith("!")) {
      const eq = tok.indexOf("=");
      if (eq < 0) fail(`attribute ${tok} needs a value`);
      attrs[tok.slice(1, eq)] = tok.slice(eq + 1);
    } else if (tok.startsWith("%")) {
      const f = fields.get(tok.slice(1)) ?? fail(`unknown field ${tok}`);
      assigns.set(tok.slice(1), { field: f });
    } else if (tok.includes("=")) {
      const [arg, src] = tok.split("=", 2);
      if (src.startsWith("%")) {
        assigns.set(arg, { field: fields.get(src.slice(1)) ?? fail(`unknown field ${src}`) });
      } else if (/^-?(0x[0-9a-f]+|\d+)$/i.test(src)) {
        assigns.set(arg, { value: Number(src) });
      } else fail(`bad assignment ${tok}`);
    } else if (!isFormat && /^[A-Za-z]\w*(\|[A-Za-z]\w*)*$/.test(tok)) line.tag = tok;
    else fail(`unexpected token ${tok}`);
  }
  return line;
}

/** A field line's segments (`pos:len`, `pos:slen`) and its `!function=`. */
export function parseField(
  name: string,
  tokens: string[],
  functions: Record<string, FieldFunction>,
  fail: (m: string) => never,
): FieldDef {
  const segments: Segment[] = [];
  let signed = false;
  let fn: FieldFunction | undefined, fnName: string | undefined;
  for (const tok of tokens) {
    if (tok.startsWith("!function=")) {
      fnName = tok.slice("!function=".length);
      fn = functions[fnName] ?? fail(`unknown function ${fnName}`);
      continue;
    }
    const m = SEGMENT_RE.exec(tok) ?? fail(`bad field segment ${tok}`);
    if (m[2] === "s") {
      if (segments.length) fail(`only the first segment of %${name} may be signed`);
      signed = true;
    }
    segments.push({ pos: Number(m[1]), len: Number(m[3]) });
  }
  if (!segments.length) fail(`field %${name} has no segments`);
  return { name, segments, signed, fn, fnName };
}

/** The bits a line's bit-string tokens fix, most significant first, and its inline fields. */
export function parseBits(tokens: string[], fail: (m: string) => never): BitsResult {
  // Walk the tokens from the most significant bit down.
  const total = tokens.reduce((n, t) => {
    const m = INLINE_FIELD_RE.exec(t);
    return n + (m ? Number(m[3]) : t.length);
  }, 0);
  let pos = total;
  let mask = 0, match = 0, fieldBits = 0;
  const inline: FieldDef[] = [];
  for (const tok of tokens) {
    const m = INLINE_FIELD_RE.exec(tok);
    if (m && !BITS_RE.test(tok)) {
      const len = Number(m[3]);
      pos -= len;
      inline.push({ name: m[1], segments: [{ pos, len }], signed: m[2] === "s" });
      for (let i = 0; i < len; i++) fieldBits |= 1 << (pos + i);
      continue;
    }
    for (const ch of tok) {
      pos--;
      const bit = 1 << pos;
      if (ch === "0" || ch === "1") {
        mask |= bit;
        if (ch === "1") match |= bit;
      } else if (ch === ".") fieldBits |= bit;
    }
  }
  if (pos !== 0) fail("internal: bit walk did not end at 0");
  return { mask, match, fieldBits, inline, width: total };
}

/** A pattern's own bits over its format's; fixed bits that disagree fail. */
export function mergeFormat(
  base: FormatDef | undefined,
  own: BitsResult | undefined,
  fail: (m: string) => never,
): { mask: number; match: number; fieldBits: number } {
  const a = base ?? { mask: 0, match: 0, fieldBits: 0 };
  if (!own) return { mask: a.mask, match: a.match, fieldBits: a.fieldBits };
  const both = a.mask & own.mask;
  if ((a.match & both) !== (own.match & both)) fail("fixed bits conflict with the format");
  return {
    mask: a.mask | own.mask,
    match: a.match | own.match,
    fieldBits: (a.fieldBits | own.fieldBits) & ~(a.mask | own.mask),
  };
}

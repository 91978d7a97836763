/**
 * The RISC-V decoders: the 32-bit and compressed tables, with one decoder
 * pair per XLEN selected by extension tags.
 *
 * The tables are written in `insn32.decode.ts`, `insn_rvv.decode.ts` and
 * `insn16.decode.ts`; what loads at run time is their parsed form,
 * `decode_tables.json`, which `deno task decoders` regenerates (a test checks
 * that it is current). The vector patterns, two thirds of the file, are kept
 * there as strings and parsed only for a CPU with V.
 *
 * @module
 */

import {
  type Decoded,
  type Decoder,
  DecodeTable,
  type DecodeTableData,
  type FieldData,
  type FieldFunction,
  tagAlternatives,
} from "../../plugin_target.ts";
import PARSED from "./decode_tables.json" with { type: "json" };

/**
 * Field post-processing functions the tables reference with `!function=`.
 *
 * @example
 * ```ts
 * import { RISCV_FIELD_FUNCTIONS } from "./decode.ts";
 * console.log(RISCV_FIELD_FUNCTIONS.ex_rvc_register(2)); // 10 (a0)
 * ```
 */
export const RISCV_FIELD_FUNCTIONS: Record<string, FieldFunction> = {
  ex_shift_1: (v) => v * 2,
  ex_shift_2: (v) => v * 4,
  ex_shift_3: (v) => v * 8,
  ex_shift_4: (v) => v * 16,
  ex_shift_5: (v) => v * 32,
  // `<<` keeps the result a sign-extended 32-bit value, which is what lui wants.
  ex_shift_12: (v) => v << 12,
  /** compressed 3-bit register numbers name x8..x15 / f8..f15 */
  ex_rvc_register: (v) => v + 8,
};

/**
 * The extension tags each XLEN's decoders include.
 *
 * @example
 * ```ts
 * import { XLEN_TAGS } from "./decode.ts";
 * console.log(XLEN_TAGS[32].has("C32")); // true
 * ```
 */
export const XLEN_TAGS: Record<32 | 64, ReadonlySet<string>> = {
  64: new Set(["I", "I64", "M", "M64", "A", "A64", "F", "F64", "D", "D64", "Zicsr", "Zifencei"]
    .concat(["Zihintpause", "C", "C64", "CD", "Priv"])),
  32: new Set(["I", "I32", "M", "A", "F", "D", "Zicsr", "Zifencei", "C", "C32", "CD", "CF32"]
    .concat(["Zihintpause", "Priv"])),
};

/** The decode-table tag of the vector extension's patterns. */
export const VECTOR_TAG = "V";

/**
 * One pattern as `decode_tables.json` stores it: name, tag, mask, match, its
 * attributes (an index into `attrs`), group, line, and each argument as
 * `[name, field index]` or `[name, -1, constant]`.
 */
export type StoredPattern = [
  name: string,
  tag: string,
  mask: number,
  match: number,
  attrs: number,
  group: number,
  line: number,
  args: [arg: string, field: number, constant?: number][],
];

/**
 * The form of `decode_tables.json`: each field and each attribute set is
 * stored once, and patterns name them by index (the file was 358 KB with them
 * inline, and a JSON module costs start-up time by its size: about 10 ms of
 * CPU more than this form's 96 KB). The vector patterns (the last ones of the
 * 32-bit table) are each a JSON string, since parsing them costs time a
 * start-up seldom needs.
 */
export interface StoredRiscvTables {
  fields: FieldData[];
  attrs: Record<string, string>[];
  insn32: { width: number; patterns: StoredPattern[] };
  insn16: { width: number; patterns: StoredPattern[] };
  vector: string[];
}

// JSON imports get literal types; the generator guarantees the shape.
const TABLES = PARSED as unknown as StoredRiscvTables;
const stored: Partial<Record<"insn32" | "insn16", DecodeTableData>> = {};
let vectorPatterns: DecodeTableData["patterns"] | undefined;

function expand(p: StoredPattern): DecodeTableData["patterns"][number] {
  const [name, tag, mask, match, attrs, group, line, args] = p;
  return {
    name,
    tag,
    mask,
    match,
    attrs: { ...TABLES.attrs[attrs] },
    group,
    line,
    args: args.map(([arg, field, constant]) => [arg, field < 0 ? constant! : TABLES.fields[field]]),
  };
}

/**
 * The stored 32-bit table (without the vector patterns) or the compressed one.
 *
 * @example
 * ```ts
 * import { storedTable } from "./decode.ts";
 * console.log(storedTable("insn16").width, storedTable("insn32").patterns[0].name); // 16 "lui"
 * ```
 */
export function storedTable(name: "insn32" | "insn16"): DecodeTableData {
  return stored[name] ??= {
    width: TABLES[name].width,
    patterns: TABLES[name].patterns.map(expand),
  };
}

/**
 * The vector extension's decode patterns, in table order (parsed at the first call).
 *
 * @example
 * ```ts
 * import { rvvPatterns } from "./decode.ts";
 * console.log(rvvPatterns()[0].name); // "vsetvli"
 * ```
 */
export function rvvPatterns(): DecodeTableData["patterns"] {
  return vectorPatterns ??= TABLES.vector.map((p) => expand(JSON.parse(p)));
}

/**
 * The table of `data` with only the patterns `accept` selects: rebuilding the
 * patterns of extensions a CPU lacks (the vector ones are two thirds of the
 * table) cost about 40 ms of every start-up.
 */
function tableOf(data: DecodeTableData, accept: (tag: string) => boolean): DecodeTable {
  const patterns = data.patterns.filter((p) => accept(p.tag));
  return DecodeTable.fromData({ width: data.width, patterns }, RISCV_FIELD_FUNCTIONS);
}

/**
 * The decoders of one XLEN.
 *
 * @example
 * ```ts
 * import { riscvDecoders } from "./decode.ts";
 * const { insn16 } = riscvDecoders(64);
 * console.log(insn16.decode(0x8082)?.pattern.name); // "c.jr"
 * ```
 */
export interface RiscvDecoders {
  readonly xlen: 32 | 64;
  readonly insn32: Decoder;
  readonly insn16: Decoder;
}

const cache = new Map<string, RiscvDecoders>();
/** The same, by the identity of a target's tag list: decoding looks them up per instruction. */
const byTagList = {
  32: new WeakMap<object, RiscvDecoders>(),
  64: new WeakMap<object, RiscvDecoders>(),
};

/**
 * The decoders for `xlen` with the optional extensions whose tags are
 * `extensionTags` (see `isa.ts`), built once per combination.
 *
 * @example
 * ```ts
 * import { riscvDecoders } from "./decode.ts";
 * const d = riscvDecoders(64).insn32.decode(0xff010113); // addi sp,sp,-16
 * console.log(d?.pattern.name, d?.args.imm); // "addi -16"
 * ```
 */
export function riscvDecoders(
  xlen: 32 | 64,
  extensionTags: readonly string[] = [],
): RiscvDecoders {
  const known = byTagList[xlen].get(extensionTags);
  if (known) return known;
  const key = `${xlen}:${extensionTags.join(",")}`;
  let d = cache.get(key);
  if (!d) {
    const tags = new Set([...XLEN_TAGS[xlen], ...extensionTags]);
    const accept = (tag: string) => tagAlternatives(tag).some((t) => tags.has(t));
    const base = storedTable("insn32");
    const all = tags.has(VECTOR_TAG)
      ? { width: base.width, patterns: [...base.patterns, ...rvvPatterns()] }
      : base;
    const insn32 = tableOf(all, accept).decoder();
    d = { xlen, insn32, insn16: tableOf(storedTable("insn16"), accept).decoder() };
    cache.set(key, d);
  }
  byTagList[xlen].set(extensionTags, d);
  return d;
}

/**
 * Length in bytes of the instruction whose low 16 bits are `low` (2 or 4).
 *
 * @example
 * ```ts
 * import { riscvInsnLength } from "./decode.ts";
 * console.log(riscvInsnLength(0x1141), riscvInsnLength(0x0113)); // 2 4
 * ```
 */
export function riscvInsnLength(low: number): number {
  return (low & 3) === 3 ? 4 : 2;
}

/**
 * Decodes one instruction of `size` bytes (2 or 4) with the optional
 * extensions whose tags are `extensionTags`. Returns null for an illegal or
 * unknown encoding (including reserved compressed forms).
 *
 * @example
 * ```ts
 * import { decodeRiscv } from "./decode.ts";
 * const d = decodeRiscv(64, 0x1141, 2); // c.addi sp,-16
 * console.log(d?.pattern.name, d?.pattern.attrs.trans, d?.args); // c.addi addi {...}
 * ```
 */
export function decodeRiscv(
  xlen: 32 | 64,
  bits: number,
  size: number,
  extensionTags: readonly string[] = [],
): Decoded | null {
  const d = riscvDecoders(xlen, extensionTags);
  const r = size === 2 ? d.insn16.decode(bits & 0xffff) : d.insn32.decode(bits | 0);
  return r && r.pattern.name !== "illegal" ? r : null;
}

/**
 * The translation function name of a decoded instruction.
 *
 * @example
 * ```ts
 * import { decodeRiscv, transName } from "./decode.ts";
 * console.log(transName(decodeRiscv(64, 0x8082, 2)!)); // "jalr"
 * ```
 */
export function transName(d: Decoded): string {
  return d.pattern.attrs.trans ?? d.pattern.name;
}

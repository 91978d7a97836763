/**
 * `deno task decoders`: writes `decode_tables.json`, the parsed form of the
 * decode tables that the decoders load (see `decode.ts`). Run it after
 * editing `insn32.decode.ts`, `insn_rvv.decode.ts` or `insn16.decode.ts`.
 *
 * @module
 */

import { type DecodeTableData, type FieldData, parseDecodeTree } from "../../plugin_target.ts";
import { RISCV_FIELD_FUNCTIONS, type StoredPattern, VECTOR_TAG } from "./decode.ts";
import { INSN16_DECODE } from "./insn16.decode.ts";
import { INSN32_DECODE } from "./insn32.decode.ts";
import { INSN_RVV_DECODE } from "./insn_rvv.decode.ts";

/**
 * Parses the decode tables' text (what `decode_tables.json` holds).
 *
 * @example
 * ```ts
 * import { parseRiscvTables } from "./gen_decode_tables.ts";
 * console.log(parseRiscvTables().insn16.width); // 16
 * ```
 */
export function parseRiscvTables(): { insn32: DecodeTableData; insn16: DecodeTableData } {
  const functions = RISCV_FIELD_FUNCTIONS;
  return {
    insn32: parseDecodeTree(INSN32_DECODE + INSN_RVV_DECODE, { width: 32, functions }).toData(),
    insn16: parseDecodeTree(INSN16_DECODE, { width: 16, functions }).toData(),
  };
}

/**
 * The file's text (see `StoredRiscvTables` in `decode.ts`): the fields and
 * attribute sets, then one pattern per line, so that a table edit shows as a
 * small diff. The vector patterns, which end the 32-bit table, are strings of
 * JSON.
 *
 * @example
 * ```ts
 * import { decodeTablesJson } from "./gen_decode_tables.ts";
 * console.log(JSON.parse(decodeTablesJson()).insn32.width); // 32
 * ```
 */
export function decodeTablesJson(): string {
  const tables = parseRiscvTables();
  const all = tables.insn32.patterns;
  const firstVector = all.findIndex((p) => p.tag === VECTOR_TAG);
  if (all.slice(firstVector).some((p) => p.tag !== VECTOR_TAG)) {
    throw new Error("insn32: the vector patterns must end the table (decode.ts appends them)");
  }
  const fields = new Interned<FieldData>(), attrs = new Interned<Record<string, string>>();
  const store = (p: DecodeTableData["patterns"][number]): StoredPattern => [
    p.name,
    p.tag,
    p.mask,
    p.match,
    attrs.index(p.attrs),
    p.group,
    p.line,
    p.args.map(([arg, s]) => typeof s === "number" ? [arg, -1, s] : [arg, fields.index(s)]),
  ];
  const base = all.slice(0, firstVector).map(store);
  const insn16 = tables.insn16.patterns.map(store);
  const vector = all.slice(firstVector).map(store);
  const lines = (items: unknown[], form: (item: unknown) => string = JSON.stringify) =>
    `[\n${items.map((p) => `  ${form(p)}`).join(",\n")}\n]`;
  const table = (width: number, ps: StoredPattern[]) =>
    `{"width":${width},"patterns":${lines(ps)}}`;
  return `{"fields":${lines(fields.values)},\n"attrs":${lines(attrs.values)},\n` +
    `"insn32":${table(tables.insn32.width, base)},\n` +
    `"insn16":${table(tables.insn16.width, insn16)},\n` +
    `"vector":${lines(vector, (p) => JSON.stringify(JSON.stringify(p)))}}\n`;
}

/** Distinct values in order of first use, each named by its index. */
class Interned<T> {
  readonly values: T[] = [];
  readonly #byJson = new Map<string, number>();

  index(value: T): number {
    const key = JSON.stringify(value);
    let i = this.#byJson.get(key);
    if (i === undefined) {
      i = this.values.push(value) - 1;
      this.#byJson.set(key, i);
    }
    return i;
  }
}

if (import.meta.main) {
  const out = new URL("./decode_tables.json", import.meta.url);
  Deno.writeTextFileSync(out, decodeTablesJson());
  console.log(`wrote ${out.pathname}`);
}

/**
 * `deno task decoders`: writes `decode_tables.json`, the parsed form of the
 * decode tables that the decoders load (see `decode.ts`). Run it after
 * editing `insn32.decode.ts`, `insn_rvv.decode.ts` or `insn16.decode.ts`.
 *
 * @module
 */

import { type DecodeTableData, parseDecodeTree } from "../../plugin_target.ts";
import { RISCV_FIELD_FUNCTIONS, VECTOR_TAG } from "./decode.ts";
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
 * The file's text: one pattern per line, so that a table edit shows as a small diff. The
 * vector patterns, which end the 32-bit table, are strings of JSON (see `decode.ts`).
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
  const lines = (ps: unknown[], form: (p: unknown) => string) =>
    ps.map((p) => `  ${form(p)}`).join(",\n");
  const table = (t: DecodeTableData) =>
    `{"width":${t.width},"patterns":[\n` + lines(t.patterns, JSON.stringify) + "\n]}";
  const base = { width: tables.insn32.width, patterns: all.slice(0, firstVector) };
  const vector = lines(all.slice(firstVector), (p) => JSON.stringify(JSON.stringify(p)));
  const insn16 = table(tables.insn16);
  return `{"insn32":${table(base)},\n"insn16":${insn16},\n"vector":[\n${vector}\n]}\n`;
}

if (import.meta.main) {
  const out = new URL("./decode_tables.json", import.meta.url);
  Deno.writeTextFileSync(out, decodeTablesJson());
  console.log(`wrote ${out.pathname}`);
}

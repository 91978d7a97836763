/**
 * `deno task decoders`: writes `decode_tables.json`, the parsed form of the
 * decode tables that the decoders load (see `decode.ts`). Run it after
 * editing `insn32.decode.ts` or `insn16.decode.ts`.
 *
 * @module
 */

import { parseRiscvTables } from "./decode.ts";

/**
 * The file's text: one pattern per line, so that a table edit shows as a small diff.
 *
 * @example
 * ```ts
 * import { decodeTablesJson } from "./gen_decode_tables.ts";
 * console.log(JSON.parse(decodeTablesJson()).insn32.width); // 32
 * ```
 */
export function decodeTablesJson(): string {
  const tables = parseRiscvTables();
  const table = (t: typeof tables.insn32) =>
    `{"width":${t.width},"patterns":[\n` +
    t.patterns.map((p) => `  ${JSON.stringify(p)}`).join(",\n") + "\n]}";
  return `{"insn32":${table(tables.insn32)},\n"insn16":${table(tables.insn16)}}\n`;
}

if (import.meta.main) {
  const out = new URL("./decode_tables.json", import.meta.url);
  Deno.writeTextFileSync(out, decodeTablesJson());
  console.log(`wrote ${out.pathname}`);
}

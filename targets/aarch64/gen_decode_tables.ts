/**
 * `deno task decoders` (with the RISC-V tables): writes `decode_tables.json`,
 * the parsed form of `a64.decode.ts` that the decoder loads.
 *
 * @module
 */

import { parseA64Table } from "./decode.ts";

/**
 * The file's text: one pattern per line, so that a table edit shows as a small diff.
 *
 * @example
 * ```ts
 * import { a64TablesJson } from "./gen_decode_tables.ts";
 * console.log(JSON.parse(a64TablesJson()).width); // 32
 * ```
 */
export function a64TablesJson(): string {
  const t = parseA64Table();
  return `{"width":${t.width},"patterns":[\n` +
    t.patterns.map((p) => `  ${JSON.stringify(p)}`).join(",\n") + "\n]}\n";
}

if (import.meta.main) {
  const out = new URL("./decode_tables.json", import.meta.url);
  Deno.writeTextFileSync(out, a64TablesJson());
  console.log(`wrote ${out.pathname}`);
}

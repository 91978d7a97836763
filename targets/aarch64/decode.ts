/**
 * The A64 decoder: the table of `a64.decode.ts`, loaded from its parsed form
 * `decode_tables.json` (`deno task decoders` regenerates it; a test checks
 * that it is current).
 *
 * @module
 */

import {
  type Decoded,
  type Decoder,
  DecodeTable,
  type DecodeTableData,
  type FieldFunction,
  parseDecodeTree,
  tagAlternatives,
} from "../../plugin_target.ts";
import { A64_DECODE } from "./a64.decode.ts";
import PARSED from "./decode_tables.json" with { type: "json" };

/**
 * Field post-processing functions the table references with `!function=`.
 *
 * @example
 * ```ts
 * import { A64_FIELD_FUNCTIONS } from "./decode.ts";
 * console.log(A64_FIELD_FUNCTIONS.times_4(-1)); // -4
 * ```
 */
export const A64_FIELD_FUNCTIONS: Record<string, FieldFunction> = {
  times_4: (v) => v * 4,
};

/**
 * Parses the table's text (what `decode_tables.json` holds).
 *
 * @example
 * ```ts
 * import { parseA64Table } from "./decode.ts";
 * console.log(parseA64Table().width); // 32
 * ```
 */
export function parseA64Table(): DecodeTableData {
  return parseDecodeTree(A64_DECODE, { width: 32, functions: A64_FIELD_FUNCTIONS }).toData();
}

/** The tags a CPU has: the base ISA and the LSE atomics. */
const TAGS = new Set(["A64", "LSE"]);

let decoder: Decoder | undefined;

/**
 * Decodes one A64 instruction; null when Denemu does not implement it.
 *
 * @example
 * ```ts
 * import { decodeA64 } from "./decode.ts";
 * console.log(decodeA64(0xd65f03c0)?.pattern.name); // "ret"
 * ```
 */
export function decodeA64(bits: number): Decoded | null {
  if (!decoder) {
    const table = DecodeTable.fromData(PARSED as unknown as DecodeTableData, A64_FIELD_FUNCTIONS);
    decoder = table.decoder((p) => tagAlternatives(p.tag).some((t) => TAGS.has(t)));
  }
  return decoder.decode(bits | 0);
}

/**
 * The translation function name of a decoded instruction.
 *
 * @example
 * ```ts
 * import { decodeA64, transName } from "./decode.ts";
 * console.log(transName(decodeA64(0x8b020020)!)); // "addsub_r"
 * ```
 */
export function transName(d: Decoded): string {
  return d.pattern.attrs.trans ?? d.pattern.name;
}

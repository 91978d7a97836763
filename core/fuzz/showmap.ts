/**
 * afl-showmap's view of one edge map: how it turns hit counts into the values
 * it writes (by default its "human" classes 1-8; `-b` AFL's bucket bits, as
 * in `fuzz_bitmap`; `-e` 1 per edge hit; `-r`/`-s` the raw counts), its text
 * format (`NNNNNN:value` lines of the non-zero entries) and the figures of its
 * closing message (tuples, highest value, total of the values).
 *
 * @module
 */

import { bucket } from "./novelty.ts";

/** What afl-showmap writes for each count: its default, `-b`, `-e`, or `-r` (raw). */
export type MapValues = "human" | "binary" | "edges" | "raw";

/**
 * afl-showmap's default class of `n` hits: 1, 2, 3, then 4 for 4-7, 5 for
 * 8-15, 6 for 16-31, 7 for 32-127 and 8 for 128 and more.
 *
 * @example
 * ```ts
 * import { humanClass } from "./showmap.ts";
 * console.log([1, 3, 4, 20, 200].map(humanClass)); // [ 1, 3, 4, 6, 8 ]
 * ```
 */
export function humanClass(n: number): number {
  if (n <= 3) return n;
  if (n <= 7) return 4;
  if (n <= 15) return 5;
  if (n <= 31) return 6;
  if (n <= 127) return 7;
  return 8;
}

const CLASS: Record<Exclude<MapValues, "raw">, (n: number) => number> = {
  human: humanClass,
  binary: bucket,
  edges: (n) => n ? 1 : 0,
};

/** `map`'s counts turned into `values` in place. */
export function classifyMap(map: Uint8Array, values: MapValues): void {
  if (values === "raw") return;
  const table = Uint8Array.from({ length: 256 }, (_, n) => CLASS[values](n));
  for (let i = 0; i < map.length; i++) if (map[i]) map[i] = table[map[i]];
}

/** The figures of afl-showmap's closing "Captured ... tuples" line. */
export class TupleCount {
  /** non-zero entries in the last map written */
  tuples = 0;
  /** the largest value written (over every map written) */
  highest = 0;
  /** the sum of the values written (over every map written) */
  total = 0;

  /** Adds `map`'s values to {@linkcode highest} and {@linkcode total}. */
  add(map: Uint8Array): void {
    for (const v of map) {
      if (!v) continue;
      this.total += v;
      if (v > this.highest) this.highest = v;
    }
  }
}

/**
 * afl-showmap's text map: one `id:value` line per non-zero entry, the id
 * six digits wide; counts them in `count` (as afl-showmap, which adds them
 * to its total only for a text map).
 *
 * @example
 * ```ts
 * import { formatMap, TupleCount } from "./showmap.ts";
 * const count = new TupleCount();
 * const text = formatMap(new Uint8Array([0, 2, 0, 1]), count);
 * console.log(JSON.stringify(text), count.tuples); // "000001:2\n000003:1\n" 2
 * ```
 */
export function formatMap(map: Uint8Array, count: TupleCount): string {
  let text = "";
  count.tuples = 0;
  for (let i = 0; i < map.length; i++) {
    if (!map[i]) continue;
    count.tuples++;
    text += `${String(i).padStart(6, "0")}:${map[i]}\n`;
  }
  count.add(map);
  return text;
}

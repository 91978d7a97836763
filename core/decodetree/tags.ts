/**
 * Decode-table tags: the trailing word of a pattern line names what the
 * pattern belongs to (an ISA extension, say), and `A|B` names alternatives.
 *
 * @module
 */

/**
 * The alternatives a pattern's tag names: `"Zbb|Zbkb"` belongs to either
 * extension, `"I"` to one, `""` (no tag) to none.
 *
 * @example
 * ```ts
 * import { tagAlternatives } from "./tags.ts";
 * console.log(tagAlternatives("Zbb|Zbkb")); // ["Zbb", "Zbkb"]
 * ```
 */
export function tagAlternatives(tag: string): string[] {
  return tag === "" ? [] : tag.split("|");
}

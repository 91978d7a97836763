/**
 * How far apart two names are, for the "did you mean" hints of a mistyped command or variable.
 *
 * @module
 */

/**
 * The number of one-character edits that turn `a` into `b` (for "did you mean" hints).
 *
 * @example
 * ```ts
 * import { editDistance } from "./edit_distance.ts";
 * console.log(editDistance("AFL_NO_UIX", "AFL_NO_UI")); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  let row = [...Array(b.length + 1).keys()];
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

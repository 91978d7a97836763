/**
 * The mapped pages of an address space as sorted, disjoint, non-adjacent
 * runs `[start, end)` of page numbers, so a free-range search costs a binary
 * search plus one step per run it skips, not a sort of every mapped page.
 *
 * Adjacent mappings merge into one run: a guest that makes 65,000 `mmap`s
 * of 4 KiB in a row keeps a single run. A guest that scatters holes pays a
 * linear step per hole skipped (as Linux's VMA list once did); updates are
 * an array splice, a memmove of the run count.
 *
 * @module
 */

/**
 * Mapped page runs with first-fit search.
 *
 * @example
 * ```ts
 * import { PageRanges } from "./page_ranges.ts";
 * const r = new PageRanges();
 * r.add(10, 5); // pages 10..14
 * console.log(r.firstFree(8, 3, 100)); // 15 (8..9 is too small)
 * console.log(r.lastFree(100, 3, 1)); // 97
 * console.log(r.lastFree(16, 3, 1)); // 7 (15 is too small)
 * ```
 */
export class PageRanges {
  #starts: number[] = [];
  #ends: number[] = [];

  /** Number of runs (for tests and diagnostics). */
  get runs(): number {
    return this.#starts.length;
  }

  /** Marks pages `[first, first+count)` mapped. */
  add(first: number, count: number): void {
    if (count <= 0) return;
    const end = first + count;
    const i = lowerBound(this.#ends, first); // first run ending at or after `first` (touching)
    const j = lowerBound(this.#starts, end + 1); // first run starting after `end`
    const start = i < j ? Math.min(first, this.#starts[i]) : first;
    const last = i < j ? Math.max(end, this.#ends[j - 1]) : end;
    this.#starts.splice(i, j - i, start);
    this.#ends.splice(i, j - i, last);
  }

  /** Marks pages `[first, first+count)` unmapped. */
  remove(first: number, count: number): void {
    if (count <= 0) return;
    const end = first + count;
    const i = lowerBound(this.#ends, first + 1); // first run ending after `first`
    const j = lowerBound(this.#starts, end); // first run starting at or after `end`
    if (i >= j) return;
    const starts: number[] = [], ends: number[] = [];
    if (this.#starts[i] < first) starts.push(this.#starts[i]), ends.push(first);
    if (this.#ends[j - 1] > end) starts.push(end), ends.push(this.#ends[j - 1]);
    this.#starts.splice(i, j - i, ...starts);
    this.#ends.splice(i, j - i, ...ends);
  }

  /**
   * The lowest page number `>= from` starting `count` free pages that end at
   * or below page `limit`, or -1.
   */
  firstFree(from: number, count: number, limit: number): number {
    let pn = from;
    for (let i = lowerBound(this.#ends, from + 1); i < this.#starts.length; i++) {
      if (this.#starts[i] >= limit || this.#starts[i] - pn >= count) break;
      pn = Math.max(pn, this.#ends[i]);
    }
    return limit - pn >= count ? pn : -1;
  }

  /**
   * The highest page number `>= floor` starting `count` free pages that end at or below page
   * `end`, or -1 (a top-down search, as qemu-user's with `-R`).
   */
  lastFree(end: number, count: number, floor: number): number {
    let top = end;
    for (let i = lowerBound(this.#starts, end) - 1; i >= 0 && this.#ends[i] > top - count; i--) {
      top = Math.min(top, this.#starts[i]);
    }
    return top - count >= floor ? top - count : -1;
  }
}

/** The first index of sorted `a` whose value is `>= v`. */
function lowerBound(a: number[], v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

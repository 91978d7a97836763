/**
 * The corpus (AFL's queue) and its scheduling: for every map entry the
 * smallest-and-fastest input that hits it is its "top rated" input; the
 * favoured set is a greedy cover of all entries seen by top-rated inputs
 * (AFL's `cull_queue`), and the scheduler spends most executions on favoured
 * inputs not yet fuzzed.
 *
 * @module
 */

import type { FuzzRandom } from "./random.ts";

/** One corpus entry. */
export interface QueueEntry {
  id: number;
  data: Uint8Array;
  /** guest instructions of one run (its speed) */
  insns: number;
  /** map entries it hits */
  edges: Uint32Array;
  /** depth in the derivation tree (seeds are 1) */
  depth: number;
  favored: boolean;
  fuzzed: boolean;
  /** it brought map entries nobody had hit (not just new hit counts) */
  newEdges: boolean;
  /** its file name in `queue/` */
  fileName: string;
}

/**
 * The queue.
 *
 * @example
 * ```ts ignore
 * const q = new Queue(65536);
 * q.add(entry);
 * const next = q.next(random);
 * ```
 */
export class Queue {
  readonly entries: QueueEntry[] = [];
  /** cycles through the whole queue so far */
  cycles = 0;
  /** index of the entry being fuzzed */
  current = -1;
  #topRated: (QueueEntry | undefined)[];
  #scoreChanged = false;

  constructor(readonly mapSize: number) {
    this.#topRated = new Array(mapSize);
  }

  /** Adds an entry and updates the top-rated inputs of its map entries. */
  add(e: QueueEntry): void {
    this.entries.push(e);
    const cost = (x: QueueEntry) => x.insns * Math.max(1, x.data.length);
    for (const i of e.edges) {
      const top = this.#topRated[i];
      if (!top || cost(e) < cost(top)) {
        this.#topRated[i] = e;
        this.#scoreChanged = true;
      }
    }
  }

  /** AFL's cull_queue: re-marks the favoured entries when top ratings changed. */
  cull(): void {
    if (!this.#scoreChanged) return;
    this.#scoreChanged = false;
    const covered = new Uint8Array(this.mapSize);
    for (const e of this.entries) e.favored = false;
    for (let i = 0; i < this.mapSize; i++) {
      const top = this.#topRated[i];
      if (!top || covered[i]) continue;
      top.favored = true;
      for (const k of top.edges) covered[k] = 1;
    }
  }

  /** Entries in the favoured set. */
  get favoredCount(): number {
    return this.entries.reduce((n, e) => n + (e.favored ? 1 : 0), 0);
  }

  /** Entries not fuzzed yet. */
  get pendingTotal(): number {
    return this.entries.reduce((n, e) => n + (e.fuzzed ? 0 : 1), 0);
  }

  /** Favoured entries not fuzzed yet. */
  get pendingFavored(): number {
    return this.entries.reduce((n, e) => n + (e.favored && !e.fuzzed ? 1 : 0), 0);
  }

  /** The deepest derivation in the queue (AFL's "levels"). */
  get maxDepth(): number {
    return this.entries.reduce((n, e) => Math.max(n, e.depth), 0);
  }

  /**
   * The next entry to fuzz, walking the queue in order and skipping as AFL
   * does: while favoured entries wait, others are skipped 99 % of the time;
   * otherwise non-favoured entries are skipped 75 % (new) or 95 % (fuzzed).
   */
  next(r: FuzzRandom): QueueEntry {
    this.cull();
    const pendingFav = this.pendingFavored > 0;
    for (;;) {
      this.current++;
      if (this.current >= this.entries.length) {
        this.current = 0;
        this.cycles++;
      }
      const e = this.entries[this.current];
      if (e.favored) return e;
      const skip = pendingFav ? 99 : e.fuzzed ? 95 : 75;
      if (r.below(100) >= skip) return e;
    }
  }

  /**
   * AFL's performance score, simplified: how many havoc rounds `e` gets
   * (more for fast, small, deep and new-edge inputs).
   */
  energy(e: QueueEntry): number {
    const n = this.entries.length;
    const avgInsns = this.entries.reduce((s, x) => s + x.insns, 0) / n;
    const avgEdges = this.entries.reduce((s, x) => s + x.edges.length, 0) / n;
    let score = 100;
    if (e.insns * 4 < avgInsns) score *= 2;
    else if (e.insns > avgInsns * 4) score /= 2;
    if (e.edges.length > avgEdges * 1.5) score *= 1.5;
    if (e.depth > 3) score *= 1.5 + Math.min(e.depth, 12) / 8;
    if (e.newEdges && !e.fuzzed) score *= 2;
    return Math.max(16, Math.min(1600, Math.round(score * 2.56)));
  }
}

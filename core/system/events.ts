/**
 * Timed events on virtual time (nanoseconds of the {@linkcode VirtualClock}).
 *
 * Devices schedule callbacks (a timer compare, a UART character timeout, an
 * RTC alarm); the run loop runs the CPU in chunks that end at
 * {@linkcode EventQueue.nextDeadline}, then calls
 * {@linkcode EventQueue.runDue}. Ordering is deterministic: by time, then by
 * the order of scheduling.
 *
 * @module
 */

/** A scheduled event, returned by {@linkcode EventQueue.schedule}. */
export interface EventHandle {
  /** virtual time (ns) at which the callback runs */
  readonly atNs: bigint;
  /** scheduling sequence number (ties at the same time run in this order) */
  readonly seq: number;
  /** a name for debugging */
  readonly label: string;
}

interface Entry extends EventHandle {
  callback: (nowNs: bigint) => void;
  live: boolean;
}

/**
 * A min-heap of events keyed by (time, sequence).
 *
 * @example
 * ```ts
 * import { EventQueue } from "./events.ts";
 * const q = new EventQueue();
 * const seen: string[] = [];
 * q.schedule(200n, () => seen.push("b"));
 * q.schedule(100n, () => seen.push("a"));
 * console.log(q.nextDeadline()); // 100n
 * q.runDue(250n);
 * console.log(seen.join("")); // "ab"
 * ```
 */
export class EventQueue {
  #heap: Entry[] = [];
  #seq = 0;
  #live = 0;

  /** Number of pending (not cancelled, not yet run) events. */
  get size(): number {
    return this.#live;
  }

  /** Runs `callback(nowNs)` once virtual time reaches `atNs`. */
  schedule(atNs: bigint, callback: (nowNs: bigint) => void, label = "event"): EventHandle {
    const e: Entry = { atNs, seq: this.#seq++, label, callback, live: true };
    const h = this.#heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
    this.#live++;
    return e;
  }

  /** Cancels a pending event; returns false when it already ran or was cancelled. */
  cancel(handle: EventHandle | null | undefined): boolean {
    const e = handle as Entry | null | undefined;
    if (!e || !e.live) return false;
    e.live = false;
    this.#live--;
    return true;
  }

  /** Whether `handle` is still waiting to run. */
  isPending(handle: EventHandle | null | undefined): boolean {
    return !!handle && (handle as Entry).live;
  }

  /** The time of the earliest pending event, or null when none is pending. */
  nextDeadline(): bigint | null {
    this.#dropCancelled();
    return this.#heap.length ? this.#heap[0].atNs : null;
  }

  /**
   * Runs every event due at or before `nowNs`, earliest first (ties in
   * scheduling order). Events that callbacks schedule run too when due.
   * Returns the number of callbacks run.
   */
  runDue(nowNs: bigint): number {
    let n = 0;
    for (;;) {
      this.#dropCancelled();
      const top = this.#heap[0];
      if (!top || top.atNs > nowNs) return n;
      this.#pop();
      top.live = false;
      this.#live--;
      n++;
      top.callback(nowNs);
    }
  }

  #dropCancelled(): void {
    while (this.#heap.length && !this.#heap[0].live) this.#pop();
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}

function before(a: Entry, b: Entry): boolean {
  return a.atNs < b.atNs || (a.atNs === b.atNs && a.seq < b.seq);
}

/**
 * Timed events on virtual time (nanoseconds of the {@linkcode VirtualClock}).
 *
 * Devices schedule callbacks (a timer compare, a UART character timeout, an
 * RTC alarm); the run loop runs the CPU in chunks that end at
 * {@linkcode EventQueue.nextDeadline}, then calls
 * {@linkcode EventQueue.runDue}. Ordering is deterministic: by time, then by
 * the order of scheduling.
 *
 * Machine state lives in {@linkcode Timer}s: named events a device creates
 * once and re-arms (QEMU's timers). Their deadlines are plain data, so
 * {@linkcode EventQueue.save} and {@linkcode EventQueue.load} carry the
 * queue through snapshots; one-off callbacks (a script waiting for serial
 * output) are host-side and are not saved.
 *
 * @module
 */

import { EmuError } from "../errors.ts";

/**
 * A scheduled event, returned by {@linkcode EventQueue.schedule}.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./events.ts";
 * const h = new EventQueue().schedule(100n, () => {}, "tick");
 * console.log(h.atNs, h.label); // 100n tick
 * ```
 */
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
 * A named, re-armable event whose deadline is machine state.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./events.ts";
 * const q = new EventQueue();
 * const alarm = q.timer("rtc@101000/alarm", (now) => console.log("alarm at", now));
 * alarm.arm(500n);
 * console.log(alarm.deadline); // 500n
 * alarm.cancel();
 * console.log(alarm.deadline); // null
 * ```
 */
export interface Timer {
  /** unique in its queue ("aclint@2000000/mtimecmp") */
  readonly key: string;
  /** The deadline, or null when not armed. */
  readonly deadline: bigint | null;
  /** Arms (or re-arms) the timer for virtual time `atNs`. */
  arm(atNs: bigint): void;
  /** Disarms the timer. */
  cancel(): void;
}

/**
 * The saved deadlines of a queue's timers.
 *
 * @example
 * ```ts
 * import { EventQueue } from "./events.ts";
 * const q = new EventQueue();
 * q.timer("t", () => {}).arm(50n);
 * console.log(q.save().timers); // [ { key: "t", atNs: 50n, seq: 0 } ]
 * ```
 */
export interface SavedEvents {
  /** the queue's next sequence number (so events scheduled after a load still order after) */
  readonly seq: number;
  /** each armed timer: its key, deadline (virtual nanoseconds) and sequence number */
  readonly timers: readonly { key: string; atNs: bigint; seq: number }[];
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
  readonly #timers = new Map<string, { entry: Entry | null; callback: (nowNs: bigint) => void }>();

  /** Number of pending (not cancelled, not yet run) events. */
  get size(): number {
    return this.#live;
  }

  /**
   * Called when an event is scheduled before every other pending one: the run loop then ends
   * the chunk it runs, whose length it set from the earlier deadline.
   */
  onSooner: (() => void) | null = null;

  /** Runs `callback(nowNs)` once virtual time reaches `atNs`. */
  schedule(atNs: bigint, callback: (nowNs: bigint) => void, label = "event"): EventHandle {
    const e = this.#push({ atNs, seq: this.#seq++, label, callback, live: true });
    if (this.#heap[0] === e) this.onSooner?.();
    return e;
  }

  /**
   * Creates the timer `key` (once per key): `callback` runs when an armed
   * deadline is reached.
   *
   * @example
   * ```ts
   * import { EventQueue } from "./events.ts";
   * const q = new EventQueue();
   * const t = q.timer("dev/tick", (now) => console.log("tick at", now));
   * t.arm(100n);
   * const saved = q.save();
   * q.runDue(200n); // tick at 200n
   * q.load(saved);
   * console.log(t.deadline); // 100n
   * ```
   */
  timer(key: string, callback: (nowNs: bigint) => void): Timer {
    if (this.#timers.has(key)) throw new EmuError(`event timer ${key} exists twice`);
    const slot: { entry: Entry | null; callback: (nowNs: bigint) => void } = {
      entry: null,
      callback: (now) => {
        slot.entry = null;
        callback(now);
      },
    };
    this.#timers.set(key, slot);
    return {
      key,
      get deadline() {
        return slot.entry?.live ? slot.entry.atNs : null;
      },
      arm: (atNs) => {
        this.cancel(slot.entry);
        slot.entry = this.schedule(atNs, slot.callback, key) as Entry;
      },
      cancel: () => {
        this.cancel(slot.entry);
        slot.entry = null;
      },
    };
  }

  /** The armed timers' deadlines (one-off callbacks are not machine state). */
  save(): SavedEvents {
    const timers = [...this.#timers].flatMap(([key, t]) =>
      t.entry?.live ? [{ key, atNs: t.entry.atNs, seq: t.entry.seq }] : []
    );
    return { seq: this.#seq, timers };
  }

  /** Re-arms every timer as `saved` had it (timers it does not name are disarmed). */
  load(saved: SavedEvents): void {
    for (const t of this.#timers.values()) {
      this.cancel(t.entry);
      t.entry = null;
    }
    for (const { key, atNs, seq } of saved.timers) {
      const t = this.#timers.get(key);
      if (!t) throw new EmuError(`snapshot: no event timer ${key} on this machine`);
      t.entry = this.#push({ atNs, seq, label: key, callback: t.callback, live: true });
    }
    this.#seq = Math.max(this.#seq, saved.seq);
  }

  #push(e: Entry): Entry {
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

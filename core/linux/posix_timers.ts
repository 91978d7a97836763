/**
 * A process's POSIX timers (timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete) on the virtual clock, with the expiry
 * arithmetic the interval timers share ({@linkcode expiries}). A timer
 * raises its signal (SIGEV_SIGNAL), raises it for one thread
 * (SIGEV_THREAD_ID) or nothing (SIGEV_NONE); the signal carries si_code
 * SI_TIMER, the timer's id and overrun and the caller's si_value. While its
 * signal waits, further expiries only count as overruns, until the signal is
 * taken (delivered, sigwaited or read from a signalfd): then its si_overrun
 * counts the expiries up to that moment and timer_getoverrun reports it, as
 * Linux's posixtimer_rearm does at dequeue. The CPU-time clocks run with the
 * virtual clock, as clock_gettime reports them.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { get, int, put, putU32, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { NSIG, type PendingSignal, SIG } from "./signals.ts";
import { clockNs, readTimespec } from "./sys_time.ts";

/** sigev_notify values. */
export const SIGEV = { SIGNAL: 0, NONE: 1, THREAD: 2, THREAD_ID: 4 } as const;
/** si_code of a timer's signal. */
const SI_TIMER = -2;
const TIMER_ABSTIME = 1;
const CLOCK_PROCESS_CPUTIME_ID = 2, CLOCK_THREAD_CPUTIME_ID = 3;
const BILLION = 1_000_000_000n;
/** Clocks a timer may use: realtime, monotonic, the CPU-time ones, boottime, TAI. */
const TIMER_CLOCKS = new Set([0, 1, 2, 3, 7, 11]);
/** Clocks that exist but take no timers (raw, coarse): EOPNOTSUPP. */
const NO_TIMER_CLOCKS = new Set([4, 5, 6]);

/**
 * The expiries of a timer due at `at` (not after `nowNs`) that has `interval`:
 * how many have passed and when the next one comes (0: a one-shot timer is over).
 *
 * @example
 * ```ts
 * import { expiries } from "./posix_timers.ts";
 * console.log(expiries(10n, 10n, 35n)); // { count: 3n, next: 40n }
 * ```
 */
export function expiries(at: bigint, interval: bigint, nowNs: bigint): {
  count: bigint;
  next: bigint;
} {
  if (interval === 0n) return { count: 1n, next: 0n };
  const count = (nowNs - at) / interval + 1n;
  return { count, next: at + count * interval };
}

/** One POSIX timer. */
export interface PosixTimer {
  /** the id timer_create returned */
  readonly id: number;
  /** the clock its absolute times are on */
  readonly clock: number;
  /** SIGEV_SIGNAL, SIGEV_NONE or SIGEV_THREAD_ID (SIGEV_THREAD is SIGEV_SIGNAL to the kernel) */
  readonly notify: number;
  readonly signal: number;
  /** SIGEV_THREAD_ID: the thread it signals */
  readonly tid: number;
  /** the si_value its signal carries */
  readonly value: bigint;
  /** the virtual monotonic time of its next expiry (0: disarmed) and its interval, ns */
  at: bigint;
  interval: bigint;
  /** the overrun of its last signal taken (timer_getoverrun) */
  overrun: number;
}

/**
 * The POSIX timers of a process, by id (ids count up from 0, as Linux gives them).
 *
 * @example
 * ```ts
 * import { PosixTimers } from "./posix_timers.ts";
 * const t = new PosixTimers();
 * const id = t.add({ clock: 1, notify: 0, signal: 14, tid: 0, value: 0n });
 * t.find(id).at = 500n;
 * console.log(id, t.next()); // 0 500n
 * ```
 */
export class PosixTimers {
  timers: PosixTimer[] = [];
  /** the id the next timer gets */
  nextId = 0;

  /** Adds a disarmed timer; returns its id. */
  add(t: Omit<PosixTimer, "id" | "at" | "interval" | "overrun">): number {
    const id = this.nextId++;
    this.timers.push({ ...t, id, at: 0n, interval: 0n, overrun: 0 });
    return id;
  }

  /** The timer `id` (EINVAL when there is none). */
  find(id: number): PosixTimer {
    const t = this.timers.find((t) => t.id === id);
    if (!t) throw new SysError(E.EINVAL);
    return t;
  }

  /** Deletes timer `id` (a signal of it already queued stays, as in Linux). */
  delete(id: number): void {
    this.timers.splice(this.timers.indexOf(this.find(id)), 1);
  }

  /**
   * The first expiry of an armed timer that signals, if any; with `wakes`,
   * only of one whose expiry `wakes` says can change something.
   */
  next(wakes?: (t: PosixTimer) => boolean): bigint | undefined {
    let first: bigint | undefined;
    for (const t of this.timers) {
      if (t.at === 0n || t.notify === SIGEV.NONE || (wakes && !wakes(t))) continue;
      if (first === undefined || t.at < first) first = t.at;
    }
    return first;
  }

  /**
   * Raises the signal of every timer expired by now on `p` (or counts an
   * overrun when its signal still waits); returns whether one was raised.
   */
  fire(p: LinuxProcess): boolean {
    const now = p.clock.monotonicNs();
    let raised = false;
    for (const t of this.timers) {
      if (t.at === 0n || t.at > now || t.notify === SIGEV.NONE) continue;
      const { count, next } = expiries(t.at, t.interval, now);
      t.at = next;
      const waiting = queuedSignal(p, t.id);
      if (waiting) waiting.overrun = overrunAfter(waiting, count);
      else raised = signalOf(p, t, Number(count) - 1) || raised;
    }
    return raised;
  }

  /**
   * Signal `sig` is taken: when it is a periodic timer's, the expiries up to
   * now count in its si_overrun, and timer_getoverrun reports that from now on.
   */
  taken(p: LinuxProcess, sig: PendingSignal): void {
    if (sig.timer === undefined || sig.code !== SI_TIMER) return;
    const t = this.timers.find((t) => t.id === sig.timer);
    if (!t) return;
    const now = p.clock.monotonicNs();
    if (t.interval !== 0n && t.at !== 0n && t.at <= now) {
      const { count, next } = expiries(t.at, t.interval, now);
      t.at = next;
      sig.overrun = overrunAfter(sig, count);
    }
    t.overrun = sig.overrun ?? 0;
  }
}

/** The overrun of a waiting signal after `count` more expiries (at most INT_MAX, as Linux). */
function overrunAfter(sig: PendingSignal, count: bigint): number {
  return Math.min((sig.overrun ?? 0) + Number(count), 0x7fffffff);
}

/** The signal of timer `id` that is still queued for `p` or one of its threads, if any. */
export function queuedSignal(p: LinuxProcess, id: number): PendingSignal | undefined {
  const lists = [
    p.signals.pending,
    p.signals.threadPending,
    ...p.threads.all.map((t) => t.signals.pending),
  ];
  for (const list of lists) {
    const q = list.find((s) => s.timer === id);
    if (q) return q;
  }
  return undefined;
}

/** Queues timer `t`'s signal, standing for `overrun` more expiries; false when its thread is gone. */
function signalOf(p: LinuxProcess, t: PosixTimer, overrun: number): boolean {
  const sig: PendingSignal = {
    signal: t.signal,
    code: SI_TIMER,
    value: t.value,
    timer: t.id,
    overrun: Math.min(overrun, 0x7fffffff),
  };
  if (t.notify !== SIGEV.THREAD_ID) {
    p.sendSignal(sig);
    return true;
  }
  const thread = p.threads.find(t.tid);
  if (thread) p.threads.signalThread(thread, sig);
  return thread !== undefined;
}

/** The timer a `struct sigevent` at `addr` asks for (a null one: SIGALRM with the id as value). */
function readSigevent(p: LinuxProcess, clock: number, addr: bigint) {
  if (addr === 0n) {
    return { clock, notify: SIGEV.SIGNAL, signal: SIG.SIGALRM, tid: 0, value: undefined };
  }
  const dv = new DataView(get(p, addr, 20).buffer);
  const value = dv.getBigUint64(0, true), signal = dv.getInt32(8, true);
  let notify = dv.getInt32(12, true);
  const tid = notify === SIGEV.THREAD_ID ? dv.getInt32(16, true) : 0;
  if (notify === SIGEV.THREAD) notify = SIGEV.SIGNAL;
  if (notify === SIGEV.THREAD_ID && !p.threads.find(tid)) throw new SysError(E.EINVAL);
  if (notify !== SIGEV.NONE && notify !== SIGEV.SIGNAL && notify !== SIGEV.THREAD_ID) {
    throw new SysError(E.EINVAL);
  }
  if (notify !== SIGEV.NONE && (signal < 1 || signal > NSIG)) throw new SysError(E.EINVAL);
  return { clock, notify, signal, tid, value };
}

/**
 * The clock of a timer: a clock id, or a CPU clock of the caller as glibc
 * names CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID
 * (`~pid << 3 | type`, bit 2 for a thread, pid 0 for the caller's own):
 * those become the plain CPU-time clock ids.
 */
function timerClock(p: LinuxProcess, id: number): number {
  if (id >= 0) return id;
  const pid = ~(id >> 3), thread = (id & 4) !== 0;
  const own = pid === 0 || pid === (thread ? p.threads.current.tid : p.pid);
  if (!own || (id & 3) === 3) throw new SysError(E.EINVAL);
  return thread ? CLOCK_THREAD_CPUTIME_ID : CLOCK_PROCESS_CPUTIME_ID;
}

/** timer_create: a new disarmed timer; its id is stored at `a[2]`. */
function timerCreate(p: LinuxProcess, a: bigint[]): number {
  const clock = timerClock(p, int(a[0]));
  if (NO_TIMER_CLOCKS.has(clock)) throw new SysError(E.EOPNOTSUPP);
  if (!TIMER_CLOCKS.has(clock)) throw new SysError(E.EINVAL);
  const ev = readSigevent(p, clock, a[1]);
  const id = p.timers.posix.nextId;
  putU32(p, a[2], id); // EFAULT before the timer exists
  p.timers.posix.add({ ...ev, value: ev.value ?? BigInt(id) });
  return 0;
}

/** A `struct itimerspec` of timer `t` at `nowNs`: interval, then the time left (0: disarmed). */
function itimerspec(t: PosixTimer, nowNs: bigint): Uint8Array {
  if (t.at !== 0n && t.at <= nowNs) t.at = expiries(t.at, t.interval, nowNs).next;
  const left = t.at === 0n ? 0n : t.at - nowNs;
  const w = new StructWriter(32).u64(0, t.interval / BILLION).u64(8, t.interval % BILLION);
  return w.u64(16, left / BILLION).u64(24, left % BILLION).bytes;
}

/** timer_settime: arms (relative, or TIMER_ABSTIME on the timer's clock) or disarms a timer. */
function timerSettime(p: LinuxProcess, a: bigint[]): number {
  const t = p.timers.posix.find(int(a[0]));
  const interval = readTimespec(p, a[2]), value = readTimespec(p, a[2] + 16n);
  const flags = int(a[1]), now = p.clock.monotonicNs();
  if (a[3] !== 0n) put(p, a[3], itimerspec(t, now));
  t.interval = value === 0n ? 0n : interval;
  t.overrun = 0;
  if (value === 0n) t.at = 0n;
  else {
    const at = flags & TIMER_ABSTIME ? now + value - clockNs(p, t.clock) : now + value;
    // A time already past expires at once (0 would mean disarmed: at least 1).
    t.at = at > now ? at : now > 0n ? now : 1n;
  }
  return 0;
}

/**
 * The POSIX timer syscalls.
 *
 * @example
 * ```ts
 * import { posixTimerSyscalls } from "./posix_timers.ts";
 * console.log("timer_create" in posixTimerSyscalls); // true
 * ```
 */
export const posixTimerSyscalls: SyscallTable = {
  timer_create: timerCreate,
  timer_settime: timerSettime,
  timer_gettime: (p, a) => {
    put(p, a[1], itimerspec(p.timers.posix.find(int(a[0])), p.clock.monotonicNs()));
    return 0;
  },
  timer_getoverrun: (p, a) => p.timers.posix.find(int(a[0])).overrun,
  timer_delete: (p, a) => {
    p.timers.posix.delete(int(a[0]));
    return 0;
  },
};

/**
 * A process's interval timers (setitimer, getitimer; glibc's `alarm` is
 * setitimer), on the virtual clock: ITIMER_REAL raises SIGALRM,
 * ITIMER_VIRTUAL SIGVTALRM and ITIMER_PROF SIGPROF. An emulated process
 * spends all its time in user mode, so the three count the same time.
 * Deterministic: a timer expires at a virtual time, and the run stops there
 * (or idle time is skipped to it) to raise the signal. The process's POSIX
 * timers (posix_timers.ts) live here too, so that one `next` and one `fire`
 * serve both kinds.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { get, int, put, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { SIG } from "./signals.ts";
import { expiries, type PosixTimer, PosixTimers, queuedSignal, SIGEV } from "./posix_timers.ts";

/** The signal of each timer, by `which`. */
const SIGNALS = [SIG.SIGALRM, SIG.SIGVTALRM, SIG.SIGPROF];
/** si_code of a signal the kernel sends (an expired timer). */
const SI_KERNEL = 0x80;
const MILLION = 1_000_000n, THOUSAND = 1000n;

/**
 * The three timers: each the virtual time it expires at (0: disarmed) and
 * its interval, in nanoseconds; and the POSIX timers.
 *
 * @example
 * ```ts
 * import { IntervalTimers } from "./itimers.ts";
 * const t = new IntervalTimers();
 * t.set(0, 1000n, 0n, 500n);
 * console.log(t.next(), t.due(2000n)); // 1500n [ 0 ]
 * ```
 */
export class IntervalTimers {
  /** [expiry, interval] of ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */
  state: [bigint, bigint][] = [[0n, 0n], [0n, 0n], [0n, 0n]];
  /** timer_create's timers */
  posix: PosixTimers = new PosixTimers();

  /** Arms timer `which` to expire `valueNs` after `nowNs` (0: disarms it), then every `intervalNs`. */
  set(which: number, valueNs: bigint, intervalNs: bigint, nowNs: bigint): void {
    this.state[which] = valueNs > 0n ? [nowNs + valueNs, intervalNs] : [0n, 0n];
  }

  /** The time left on timer `which` at `nowNs` (0: disarmed) and its interval. */
  get(which: number, nowNs: bigint): [bigint, bigint] {
    const [at, interval] = this.state[which];
    return [at === 0n ? 0n : at > nowNs ? at - nowNs : 1n, interval];
  }

  /**
   * The first expiry of an armed timer, if any; with `wakes`, only of a timer whose expiry can
   * change something (an ignored signal, or one that still waits, wakes no one, so idle time is
   * not skipped to it): `wakes` gets the interval timer's signal, or the POSIX timer.
   */
  next(wakes?: (signal: number, timer?: PosixTimer) => boolean): bigint | undefined {
    let first = this.posix.next(wakes && ((t) => wakes(t.signal, t)));
    this.state.forEach(([at], which) => {
      if (at === 0n || (wakes && !wakes(SIGNALS[which]))) return;
      if (first === undefined || at < first) first = at;
    });
    return first;
  }

  /** The timers expired at `nowNs` (their numbers), each rearmed by its interval or disarmed. */
  due(nowNs: bigint): number[] {
    const out: number[] = [];
    this.state.forEach(([at, interval], which) => {
      if (at === 0n || at > nowNs) return;
      out.push(which);
      // Expiries missed while the signal waited count once, as a pending signal does.
      this.state[which] = [expiries(at, interval, nowNs).next, interval];
    });
    return out;
  }

  /** Raises the signal of every timer expired by now on `p`; returns whether one did. */
  fire(p: LinuxProcess): boolean {
    if (this.next() === undefined) return false;
    const due = this.due(p.clock.monotonicNs());
    for (const which of due) p.sendSignal({ signal: SIGNALS[which], code: SI_KERNEL });
    return this.posix.fire(p) || due.length > 0;
  }
}

/**
 * Whether a timer's expiry can change anything in `p`, so that idle time may
 * be skipped to it: its signal acts or an rt_sigtimedwait takes it (blocked
 * and ignored, Linux still queues it), and it does not wait already (a second
 * one would merge with it: a timer whose signal every thread blocks raises it
 * once, then the process waits forever, as on Linux).
 *
 * @example
 * ```ts ignore
 * const at = p.timers.next((signal, timer) => expiryWakes(p, signal, timer));
 * ```
 */
export function expiryWakes(p: LinuxProcess, signal: number, timer?: PosixTimer): boolean {
  if (!p.signals.acts(signal) && !p.threads.sigwaits(signal)) return false;
  if (timer && queuedSignal(p, timer.id)) return false;
  // A standard signal is pending once, whichever timer (or kill) raised it.
  const thread = timer?.notify === SIGEV.THREAD_ID ? p.threads.find(timer.tid) : undefined;
  const list = !thread
    ? p.signals.pending
    : thread === p.threads.current
    ? p.signals.threadPending
    : thread.signals.pending;
  return signal >= 32 || !list.some((s) => s.signal === signal);
}

/** Reads a `struct itimerval` (interval, then value, as timevals) as nanoseconds. */
function readItimerval(p: LinuxProcess, addr: bigint): [bigint, bigint] {
  if (addr === 0n) return [0n, 0n]; // Linux takes a null new value as zero (disarm)
  const dv = new DataView(get(p, addr, 32).buffer);
  const ns = (at: number) => {
    const sec = dv.getBigInt64(at, true), usec = dv.getBigInt64(at + 8, true);
    if (sec < 0n || usec < 0n || usec >= MILLION) throw new SysError(E.EINVAL);
    return sec * 1_000_000_000n + usec * THOUSAND;
  };
  return [ns(0), ns(16)];
}

/** A `struct itimerval` of `[left, interval]`, rounded up to microseconds as Linux reports them. */
function itimerval([left, interval]: [bigint, bigint]): Uint8Array {
  const us = (ns: bigint) => (ns + THOUSAND - 1n) / THOUSAND;
  const w = new StructWriter(32);
  w.u64(0, us(interval) / MILLION).u64(8, us(interval) % MILLION);
  return w.u64(16, us(left) / MILLION).u64(24, us(left) % MILLION).bytes;
}

/** The timer number of a syscall's `which` argument (EINVAL for others). */
function timerOf(which: bigint): number {
  const n = int(which);
  if (n < 0 || n > 2) throw new SysError(E.EINVAL);
  return n;
}

/**
 * setitimer and getitimer.
 *
 * @example
 * ```ts
 * import { itimerSyscalls } from "./itimers.ts";
 * console.log(Object.keys(itimerSyscalls)); // [ "setitimer", "getitimer" ]
 * ```
 */
export const itimerSyscalls: SyscallTable = {
  setitimer: (p, a) => {
    const which = timerOf(a[0]), now = p.clock.monotonicNs();
    const [interval, value] = readItimerval(p, a[1]);
    if (a[2] !== 0n) put(p, a[2], itimerval(p.timers.get(which, now)));
    p.timers.set(which, value, interval, now);
    return 0;
  },
  getitimer: (p, a) => {
    put(p, a[1], itimerval(p.timers.get(timerOf(a[0]), p.clock.monotonicNs())));
    return 0;
  },
};

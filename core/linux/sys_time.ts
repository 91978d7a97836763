/**
 * Time syscalls on the virtual clock (or host time with `-realtime`):
 * clock_gettime, clock_getres, gettimeofday, nanosleep, clock_nanosleep,
 * times, getrusage; clock_settime and settimeofday, which the guest is
 * never allowed (see {@linkcode setTime}).
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { get, int, put, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { Blocking } from "./threads.ts";
import { takeTime } from "../replay/input_log.ts";

const BILLION = 1_000_000_000n;
const CLOCK_REALTIME = 0, CLOCK_REALTIME_COARSE = 5, CLOCK_TAI = 11, CLOCK_REALTIME_ALARM = 8;
const TIMER_ABSTIME = 1;
const hostStart = performance.now();

/** Nanoseconds of clock `clk` as the guest sees it. */
export function clockNs(p: LinuxProcess, clk: number): bigint {
  if (clk < 0 || clk > 11 || clk === 10) throw new SysError(E.EINVAL);
  const real = clk === CLOCK_REALTIME || clk === CLOCK_REALTIME_COARSE || clk === CLOCK_TAI ||
    clk === CLOCK_REALTIME_ALARM;
  if (p.realtime) {
    const host = real
      ? () => BigInt(Date.now()) * 1_000_000n
      : () => BigInt(Math.round((performance.now() - hostStart) * 1e6)) + p.clock.skippedNs;
    return p.inputLog ? takeTime(p.inputLog, host) : host();
  }
  return real ? p.clock.realtimeNs() : p.clock.monotonicNs();
}

function timespec(ns: bigint): Uint8Array {
  return new StructWriter(16).u64(0, ns / BILLION).u64(8, ns % BILLION).bytes;
}

/** Reads a `struct timespec` as nanoseconds (EINVAL when out of range). */
export function readTimespec(p: LinuxProcess, addr: bigint): bigint {
  const dv = new DataView(get(p, addr, 16).buffer);
  const sec = dv.getBigInt64(0, true), nsec = dv.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= BILLION) throw new SysError(E.EINVAL);
  return sec * BILLION + nsec;
}

/**
 * Sleeps `ns` of guest time. Alone, the process skips that much virtual time;
 * with other threads, or an interval timer that may interrupt the sleep, the
 * thread blocks until then so that they run meanwhile. A signal that ends the
 * sleep early writes the time left to `rem` (when not 0), as Linux does.
 */
function sleep(p: LinuxProcess, ns: bigint, rem = 0n): Blocking | null {
  if (ns <= 0n) return null;
  if ((p.world.liveThreads() > 1 || p.timers.next() !== undefined) && !p.realtime) {
    const deadlineNs = p.clock.monotonicNs() + ns;
    const left = () => {
      const now = p.clock.monotonicNs();
      if (rem !== 0n) put(p, rem, timespec(deadlineNs > now ? deadlineNs - now : 0n));
    };
    return new Blocking("the end of a sleep", () => null, {
      deadlineNs,
      timeoutResult: 0,
      restartable: false,
      cancel: left,
    });
  }
  if (p.realtime) {
    const ms = Number(ns / 1_000_000n);
    if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  }
  p.clock.skip(ns);
  return null;
}

/** The largest second settimeofday takes (Linux's TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX - 30 years). */
const SETTOD_SEC_MAX = 9_223_372_036n - 946_080_000n;

/**
 * clock_settime and settimeofday, once their arguments are read and checked
 * as Linux checks them (`sec`/`nsec` the new time, or null when only a time
 * zone is given): EPERM, as for a process without CAP_SYS_TIME, even when
 * Denemu runs as root. The guest's clock is virtual, and qemu-user would hand
 * the call to the host and set the host's clock: a sandbox refuses.
 */
function setTime(sec: bigint | null, nsec: bigint): never {
  if (sec !== null && (sec < 0n || nsec < 0n || nsec >= BILLION || sec >= SETTOD_SEC_MAX)) {
    throw new SysError(E.EINVAL);
  }
  throw new SysError(E.EPERM);
}

/** clock_settime: only CLOCK_REALTIME can be set (other clocks EINVAL), and not by the guest. */
function clockSettime(p: LinuxProcess, clk: number, addr: bigint): never {
  if (clk !== CLOCK_REALTIME) throw new SysError(E.EINVAL);
  const dv = new DataView(get(p, addr, 16).buffer);
  return setTime(dv.getBigInt64(0, true), dv.getBigInt64(8, true));
}

/** settimeofday: a timeval (microseconds up to 1000000) and a timezone, each optional. */
function settimeofday(p: LinuxProcess, tv: bigint, tz: bigint): never {
  let sec: bigint | null = null, usec = 0n;
  if (tv !== 0n) {
    const dv = new DataView(get(p, tv, 16).buffer);
    [sec, usec] = [dv.getBigInt64(0, true), dv.getBigInt64(8, true)];
    if (usec > 1_000_000n || usec < 0n) throw new SysError(E.EINVAL);
  }
  if (tz !== 0n) get(p, tz, 8);
  return setTime(sec, usec * 1000n);
}

/**
 * Time syscalls by name.
 *
 * @example
 * ```ts
 * import { timeSyscalls } from "./sys_time.ts";
 * console.log("clock_gettime" in timeSyscalls); // true
 * ```
 */
export const timeSyscalls: SyscallTable = {
  clock_gettime: (p, a) => {
    put(p, a[1], timespec(clockNs(p, int(a[0]))));
    return 0;
  },
  clock_getres: (p, a) => {
    clockNs(p, int(a[0]));
    if (a[1] !== 0n) put(p, a[1], timespec(1n));
    return 0;
  },
  gettimeofday: (p, a) => {
    const ns = clockNs(p, CLOCK_REALTIME);
    if (a[0] !== 0n) {
      put(p, a[0], new StructWriter(16).u64(0, ns / BILLION).u64(8, (ns % BILLION) / 1000n).bytes);
    }
    if (a[1] !== 0n) put(p, a[1], new Uint8Array(8));
    return 0;
  },
  clock_settime: (p, a) => clockSettime(p, int(a[0]), a[1]),
  settimeofday: (p, a) => settimeofday(p, a[0], a[1]),
  nanosleep: (p, a) => {
    const wait = sleep(p, readTimespec(p, a[0]), a[1]);
    if (!wait && a[1] !== 0n) put(p, a[1], timespec(0n));
    return wait ?? 0;
  },
  clock_nanosleep: (p, a) => {
    const clk = int(a[0]);
    const now = clockNs(p, clk);
    const t = readTimespec(p, a[2]);
    const absolute = (int(a[1]) & TIMER_ABSTIME) !== 0;
    return sleep(p, absolute ? t - now : t, absolute ? 0n : a[3]) ?? 0;
  },
  times: (p, a) => {
    const ticks = p.clock.monotonicNs() / 10_000_000n;
    if (a[0] !== 0n) put(p, a[0], new StructWriter(32).u64(0, ticks).bytes);
    return ticks;
  },
  getrusage: (p, a) => {
    const who = int(a[0]);
    if (who !== 0 && who !== -1 && who !== 1) throw new SysError(E.EINVAL);
    const us = who === -1 ? 0n : p.clock.monotonicNs() / 1000n;
    const w = new StructWriter(144).u64(0, us / 1_000_000n).u64(8, us % 1_000_000n);
    w.u64(32, 4096n);
    put(p, a[1], w.bytes);
    return 0;
  },
};

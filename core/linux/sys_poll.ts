/**
 * I/O multiplexing and guest-only files: ppoll, pselect6, epoll_create1/ctl/pwait,
 * eventfd2 and timerfds; sockets are in `sys_unix.ts` (AF_UNIX) and
 * `sys_net.ts` (the host network).
 *
 * A wait (ppoll, pselect6, epoll_pwait) blocks the thread until a descriptor
 * is ready or the timeout passes on the virtual clock; a signal ends it with
 * EINTR. Their signal mask argument is the thread's mask while they run (a
 * signal it lets through ends the wait, and its handler runs with it); the
 * old mask is back when they return, or after that handler. ppoll and
 * pselect6 write the time left back to their timeout, as Linux does (glibc's
 * select returns it).
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { EpollFile, EventFd, firstEvent, readinessOf, TimerFd } from "./event_files.ts";
import { O, type OpenFile, POLL } from "./fds.ts";
import { clockNs } from "./sys_time.ts";
import type { LinuxProcess } from "./process.ts";
import { readTimespec } from "./sys_time.ts";
import { get, int, len, put, StructWriter, type SyscallTable } from "./syscall.ts";
import { Blocking } from "./threads.ts";
import { UNBLOCKABLE } from "./signals.ts";

const POLLFD_SIZE = 8, EPOLL_EVENT_SIZE = 16, BILLION = 1_000_000_000n;
const EPOLL_CTL = { ADD: 1, DEL: 2, MOD: 3 } as const;
const EPOLLONESHOT = 1 << 30;

/** How a multiplexing call waits. */
interface WaitSpec {
  /** null: no timeout */
  timeoutNs: bigint | null;
  /** the files it looks at (their timers and host sockets may end the wait) */
  watched: OpenFile[];
  /** the signal mask while it runs (undefined: the thread's) */
  mask?: bigint;
  /** where its timeout is: the time left is written back there (0: not written) */
  timeoutAddr?: bigint;
}

/**
 * Runs `once` now; when it finds nothing and may wait, blocks until it does
 * or the timeout passes (see the module doc for the mask and the timeout).
 */
function waitFor(
  p: LinuxProcess,
  what: string,
  check: () => number,
  spec: WaitSpec,
): number | Blocking {
  const { timeoutNs, watched, mask, timeoutAddr = 0n } = spec;
  const start = p.clock.monotonicNs(), saved = p.signals.blocked;
  const once = () => {
    const r = check();
    if (timeoutAddr && timeoutNs !== null) {
      const left = start + timeoutNs - p.clock.monotonicNs();
      put(p, timeoutAddr, timespec(left > 0n ? left : 0n));
    }
    return r;
  };
  if (mask !== undefined) p.signals.blocked = mask & ~UNBLOCKABLE;
  const now = tryOrRestore(p, saved, once);
  if (now > 0 || timeoutNs === 0n) {
    p.signals.blocked = saved;
    return now;
  }
  if (mask !== undefined && p.signals.hasDeliverable()) {
    p.restoreMaskAfterSignal = saved; // the handler runs with the call's mask
    throw new SysError(E.EINTR);
  }
  const poll = () => {
    try {
      const r = once();
      return r > 0 ? r : null;
    } catch (e) {
      if (e instanceof SysError) return -e.errno;
      throw e;
    }
  };
  // A timer among the files wakes the wait up when it expires (its result is then the count).
  const timer = firstEvent(watched);
  let deadlineNs = timeoutNs === null ? undefined : p.clock.monotonicNs() + timeoutNs;
  if (timer !== undefined && (deadlineNs === undefined || timer < deadlineNs)) deadlineNs = timer;
  const outside = watched.some((f) => f.outside === true); // the network may make one ready
  const savedMask = mask === undefined ? undefined : saved;
  return new Blocking(what, poll, {
    deadlineNs,
    timeoutResult: 0,
    restartable: false,
    outside,
    savedMask,
  });
}

/** `once()`, with the signal mask back to `saved` if it fails. */
function tryOrRestore(p: LinuxProcess, saved: bigint, once: () => number): number {
  try {
    return once();
  } catch (e) {
    p.signals.blocked = saved;
    throw e;
  }
}

/** A `struct timespec` of `ns`. */
function timespec(ns: bigint): Uint8Array {
  return new StructWriter(16).u64(0, ns / BILLION).u64(8, ns % BILLION).bytes;
}

/** The signal mask at `addr` of `size` bytes (0: none, the thread's). */
function maskArg(p: LinuxProcess, addr: bigint, size: bigint): bigint | undefined {
  if (addr === 0n) return undefined;
  if (size !== 8n) throw new SysError(E.EINVAL);
  return new DataView(get(p, addr, 8).buffer).getBigUint64(0, true);
}

/** One pass of ppoll over the pollfd array: stores revents, returns how many are ready. */
function pollOnce(p: LinuxProcess, addr: bigint, n: number): number {
  const raw = get(p, addr, n * POLLFD_SIZE);
  const dv = new DataView(raw.buffer, raw.byteOffset);
  let ready = 0;
  for (let i = 0; i < n; i++) {
    const fd = dv.getInt32(i * POLLFD_SIZE, true);
    const events = dv.getUint16(i * POLLFD_SIZE + 4, true);
    let revents = 0;
    if (fd >= 0) {
      revents = p.fds.has(fd)
        ? readinessOf(p.fds.get(fd)) & (events | POLL.ERR | POLL.HUP)
        : POLL.NVAL;
    }
    dv.setUint16(i * POLLFD_SIZE + 6, revents, true);
    if (revents) ready++;
  }
  put(p, addr, raw);
  return ready;
}

function ppoll(p: LinuxProcess, a: bigint[]): number | Blocking {
  const n = len(a[1]);
  if (n > 1024) throw new SysError(E.EINVAL);
  const timeout = a[2] === 0n ? null : readTimespec(p, a[2]);
  const dv = new DataView(get(p, a[0], n * POLLFD_SIZE).buffer);
  const files = Array.from({ length: n }, (_, i) => dv.getInt32(i * POLLFD_SIZE, true))
    .filter((fd) => p.fds.has(fd)).map((fd) => p.fds.get(fd));
  return waitFor(p, "a descriptor to poll", () => pollOnce(p, a[0], n), {
    timeoutNs: timeout,
    watched: files,
    mask: maskArg(p, a[3], a[4]),
    timeoutAddr: a[2],
  });
}

/** What makes a descriptor ready in each of select's sets (read, write, except), as Linux's POLLIN_SET... */
const SELECT_SETS = [POLL.IN | POLL.HUP | POLL.ERR, POLL.OUT | POLL.ERR, POLL.PRI];

/** One pass of pselect6 over the fd_sets at `addrs` (0: none): rewrites them, returns the count. */
function selectOnce(p: LinuxProcess, n: number, addrs: bigint[], wanted: Uint8Array[]): number {
  let ready = 0;
  const out = wanted.map((w) => new Uint8Array(w.length));
  for (let fd = 0; fd < n; fd++) {
    const bit = 1 << (fd & 7), byte = fd >> 3;
    if (!wanted.some((w) => w[byte] & bit)) continue;
    const r = readinessOf(p.fds.get(fd));
    wanted.forEach((w, k) => {
      if (!(w[byte] & bit) || !(r & SELECT_SETS[k])) return;
      out[k][byte] |= bit;
      ready++;
    });
  }
  if (ready) out.forEach((o, k) => addrs[k] && put(p, addrs[k], o));
  return ready;
}

/** pselect6: select over descriptors below `nfds`; the sets are rewritten when it returns. */
function pselect6(p: LinuxProcess, a: bigint[]): number | Blocking {
  const n = int(a[0]);
  if (n < 0 || n > 1024) throw new SysError(E.EINVAL);
  const bytes = ((n + 63) >> 6) * 8;
  const addrs = [a[1], a[2], a[3]];
  const wanted = addrs.map((x) => x ? get(p, x, bytes) : new Uint8Array(bytes));
  const timeout = a[4] === 0n ? null : readTimespec(p, a[4]);
  const files: OpenFile[] = [];
  for (let fd = 0; fd < n; fd++) {
    if (wanted.some((w) => w[fd >> 3] & (1 << (fd & 7)))) files.push(p.fds.get(fd)); // EBADF
  }
  const once = () => {
    const ready = selectOnce(p, n, addrs, wanted);
    // nothing ready when it returns (timeout): the sets come back empty
    if (!ready) addrs.forEach((x) => x && put(p, x, new Uint8Array(bytes)));
    return ready;
  };
  let mask: bigint | undefined;
  if (a[5] !== 0n) { // { const sigset_t *ss; size_t ss_len; }
    const dv = new DataView(get(p, a[5], 16).buffer);
    mask = maskArg(p, dv.getBigUint64(0, true), dv.getBigUint64(8, true));
  }
  return waitFor(p, "a descriptor to select", once, {
    timeoutNs: timeout,
    watched: files,
    mask,
    timeoutAddr: a[4],
  });
}

function epollOf(p: LinuxProcess, fd: number): EpollFile {
  const f = p.fds.get(fd);
  if (!(f instanceof EpollFile)) throw new SysError(E.EINVAL);
  return f;
}

function epollCtl(p: LinuxProcess, a: bigint[]): number {
  const ep = epollOf(p, int(a[0])), op = int(a[1]), fd = int(a[2]);
  const file = p.fds.get(fd);
  if (file === ep) throw new SysError(E.EINVAL);
  const known = ep.interests.get(fd);
  if (op === EPOLL_CTL.DEL) {
    if (!known) throw new SysError(E.ENOENT);
    ep.interests.delete(fd);
    return 0;
  }
  const ev = new DataView(get(p, a[3], EPOLL_EVENT_SIZE).buffer);
  const events = ev.getUint32(0, true), data = ev.getBigUint64(8, true);
  if (op === EPOLL_CTL.ADD) {
    if (known) throw new SysError(E.EEXIST);
    ep.interests.set(fd, { file, events, data });
  } else if (op === EPOLL_CTL.MOD) {
    if (!known) throw new SysError(E.ENOENT);
    Object.assign(known, { events, data });
  } else throw new SysError(E.EINVAL);
  return 0;
}

/** One pass of epoll_pwait: stores up to `max` ready events, returns how many. */
function epollOnce(p: LinuxProcess, ep: EpollFile, addr: bigint, max: number): number {
  const out: Uint8Array[] = [];
  for (const [fd, i] of ep.interests) {
    if (out.length >= max) break;
    // A descriptor closed (or reused) since it was added no longer reports.
    if (!p.fds.has(fd) || p.fds.get(fd) !== i.file) continue;
    const revents = readinessOf(i.file) & (i.events | POLL.ERR | POLL.HUP);
    if (!revents) continue;
    out.push(new StructWriter(EPOLL_EVENT_SIZE).u32(0, revents).u64(8, i.data).bytes);
    if (i.events & EPOLLONESHOT) i.events = 0;
  }
  out.forEach((b, k) => put(p, addr + BigInt(k * EPOLL_EVENT_SIZE), b));
  return out.length;
}

function epollPwait(p: LinuxProcess, a: bigint[]): number | Blocking {
  const ep = epollOf(p, int(a[0])), max = int(a[2]), ms = int(a[3]);
  if (max <= 0) throw new SysError(E.EINVAL);
  const timeout = ms < 0 ? null : BigInt(ms) * 1_000_000n;
  return waitFor(p, "an epoll event", () => epollOnce(p, ep, a[1], max), {
    timeoutNs: timeout,
    watched: [ep],
    mask: maskArg(p, a[4], a[5]),
  });
}

const CLOCK_MONOTONIC = 1, CLOCK_BOOTTIME = 7, TFD_TIMER_ABSTIME = 1;
/** Whether a timerfd's absolute times are on the realtime clock. */
const realtimeTimers = new WeakMap<TimerFd, boolean>();

function timerOf(p: LinuxProcess, fd: number): TimerFd {
  const f = p.fds.get(fd);
  if (!(f instanceof TimerFd)) throw new SysError(E.EINVAL);
  return f;
}

function itimerspec(s: { value: bigint; interval: bigint }): Uint8Array {
  const { value, interval } = s;
  return new StructWriter(32).u64(0, interval / BILLION).u64(8, interval % BILLION)
    .u64(16, value / BILLION).u64(24, value % BILLION).bytes;
}

function timerfdSettime(p: LinuxProcess, a: bigint[]): number {
  const t = timerOf(p, int(a[0])), flags = int(a[1]);
  const interval = readTimespec(p, a[2]), value = readTimespec(p, a[2] + 16n);
  if (a[3] !== 0n) put(p, a[3], itimerspec(t.setting()));
  const now = p.clock.monotonicNs();
  let at: bigint | undefined;
  if (value !== 0n) {
    const offset = realtimeTimers.get(t) ? p.clock.realtimeNs() - now : 0n;
    at = flags & TFD_TIMER_ABSTIME ? value - offset : now + value;
  }
  t.arm(at, interval);
  return 0;
}

/**
 * Polling and guest-only file syscalls by name.
 *
 * @example
 * ```ts
 * import { pollSyscalls } from "./sys_poll.ts";
 * console.log("epoll_pwait" in pollSyscalls); // true
 * ```
 */
export const pollSyscalls: SyscallTable = {
  ppoll,
  pselect6,
  epoll_create1: (p, a) => {
    const flags = int(a[0]);
    if (flags & ~O.CLOEXEC) throw new SysError(E.EINVAL);
    return p.fds.install(new EpollFile(O.RDWR), (flags & O.CLOEXEC) !== 0);
  },
  epoll_ctl: epollCtl,
  epoll_pwait: epollPwait,
  eventfd2: (p, a) => {
    const flags = int(a[1]);
    const file = new EventFd(BigInt.asUintN(32, a[0]), flags, flags & O.NONBLOCK);
    return p.fds.install(file, (flags & O.CLOEXEC) !== 0);
  },
  timerfd_create: (p, a) => {
    const clk = int(a[0]), flags = int(a[1]);
    clockNs(p, clk); // EINVAL for an unknown clock
    // Kept on the monotonic clock: a CLOCK_REALTIME timer differs by a constant offset.
    const file = new TimerFd(() => p.clock.monotonicNs(), flags & O.NONBLOCK);
    realtimeTimers.set(file, clk !== CLOCK_MONOTONIC && clk !== CLOCK_BOOTTIME);
    return p.fds.install(file, (flags & O.CLOEXEC) !== 0);
  },
  timerfd_settime: timerfdSettime,
  timerfd_gettime: (p, a) => {
    put(p, a[1], itimerspec(timerOf(p, int(a[0])).setting()));
    return 0;
  },
};

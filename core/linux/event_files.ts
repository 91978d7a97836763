/**
 * Files that exist only inside the guest world: eventfd counters, timerfds
 * on the virtual clock and epoll instances (an interest list,
 * level-triggered). Semantics: eventfd(2), timerfd_create(2), epoll(7).
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, POLL, type StatInfo, syntheticStat } from "./fds.ts";
import type { SignalState } from "./signals.ts";

const EFD_SEMAPHORE = 1;
const COUNTER_MAX = 0xfffffffffffffffen;

/**
 * What the files here (and pidfds) share: no host file, not seekable, no
 * tty, nothing to release at close; reading and writing fail with EINVAL
 * unless a subclass says otherwise.
 */
export abstract class GuestOnlyFile implements OpenFile {
  isTty = false;
  constructor(public statusFlags: number) {}
  read(_buf: Uint8Array): number {
    throw new SysError(E.EINVAL);
  }
  write(_buf: Uint8Array): number {
    throw new SysError(E.EINVAL);
  }
  seek(): number {
    throw new SysError(E.ESPIPE);
  }
  stat(): StatInfo {
    return syntheticStat(0o600);
  }
  close(): void {}
}

/**
 * An eventfd: a 64-bit counter that writes add to and a read takes (all of
 * it, or 1 in semaphore mode); a read of 0 fails with EAGAIN.
 *
 * @example
 * ```ts
 * import { EventFd } from "./event_files.ts";
 * const e = new EventFd(2n, 0, 0);
 * const b = new Uint8Array(8);
 * console.log(e.read(b), b[0]); // 8 2
 * ```
 */
export class EventFd extends GuestOnlyFile {
  constructor(public counter: bigint, readonly flags: number, statusFlags: number) {
    super(statusFlags | O.RDWR);
  }
  override read(buf: Uint8Array): number {
    if (buf.length < 8) throw new SysError(E.EINVAL);
    if (this.counter === 0n) throw new SysError(E.EAGAIN);
    const v = this.flags & EFD_SEMAPHORE ? 1n : this.counter;
    this.counter -= v;
    new DataView(buf.buffer, buf.byteOffset).setBigUint64(0, v, true);
    return 8;
  }
  override write(buf: Uint8Array): number {
    if (buf.length < 8) throw new SysError(E.EINVAL);
    const v = new DataView(buf.buffer, buf.byteOffset).getBigUint64(0, true);
    if (v > COUNTER_MAX) throw new SysError(E.EINVAL);
    if (this.counter + v > COUNTER_MAX) throw new SysError(E.EAGAIN);
    this.counter += v;
    return 8;
  }
  capture(): () => void {
    const c = this.counter;
    return () => this.counter = c;
  }
  readiness(): number {
    return (this.counter > 0n ? POLL.IN : 0) | (this.counter < COUNTER_MAX ? POLL.OUT : 0);
  }
}

/**
 * A timerfd on the virtual clock: armed with a first expiry and an interval,
 * read as the number of expirations since the last read (EAGAIN: none yet).
 * Times are kept on the monotonic clock; a CLOCK_REALTIME timer's absolute
 * times are converted once, at timerfd_settime.
 *
 * @example
 * ```ts
 * import { TimerFd } from "./event_files.ts";
 * let now = 0n;
 * const t = new TimerFd(() => now, 0);
 * t.arm(100n, 50n);
 * now = 220n;
 * console.log(t.readiness(), t.expirations()); // 1 3n
 * ```
 */
export class TimerFd extends GuestOnlyFile {
  #next: bigint | undefined;
  #interval = 0n;
  constructor(readonly now: () => bigint, statusFlags: number) {
    super(statusFlags);
  }
  /** Arms the timer to first expire at monotonic time `at` (undefined: disarms it). */
  arm(at: bigint | undefined, interval: bigint): void {
    this.#next = at;
    this.#interval = at === undefined ? 0n : interval;
  }
  /** Time left to the next expiry (0: disarmed) and the interval, as timerfd_gettime reports. */
  setting(): { value: bigint; interval: bigint } {
    if (this.#next === undefined) return { value: 0n, interval: 0n };
    const left = this.#next - this.now();
    return { value: left > 0n ? left : 1n, interval: this.#interval };
  }
  /** Expirations since the last read. */
  expirations(): bigint {
    const now = this.now(), next = this.#next;
    if (next === undefined || now < next) return 0n;
    return this.#interval ? 1n + (now - next) / this.#interval : 1n;
  }
  override read(buf: Uint8Array): number {
    if (buf.length < 8) throw new SysError(E.EINVAL);
    const n = this.expirations();
    if (n === 0n) throw new SysError(E.EAGAIN);
    this.#next = this.#interval ? this.#next! + n * this.#interval : undefined;
    new DataView(buf.buffer, buf.byteOffset).setBigUint64(0, n, true);
    return 8;
  }
  readiness(): number {
    return this.expirations() > 0n ? POLL.IN : 0;
  }
  nextEventNs(): bigint | undefined {
    return this.#next;
  }
}

/** What epoll_ctl registered for one descriptor. */
export interface EpollInterest {
  readonly file: OpenFile;
  events: number;
  data: bigint;
}

/**
 * An epoll instance: its interest list by descriptor number. Readiness is
 * level-triggered (EPOLLET is accepted and behaves as level).
 *
 * @example
 * ```ts
 * import { EpollFile } from "./event_files.ts";
 * console.log(new EpollFile(0).interests.size); // 0
 * ```
 */
export class EpollFile extends GuestOnlyFile {
  readonly interests = new Map<number, EpollInterest>();
  readiness(): number {
    for (const i of this.interests.values()) if (readinessOf(i.file) & i.events) return POLL.IN;
    return 0;
  }
  nextEventNs(): bigint | undefined {
    return firstEvent([...this.interests.values()].map((i) => i.file));
  }
  /** whether the host network may make one of its files ready */
  get outside(): boolean {
    return [...this.interests.values()].some((i) => i.file.outside === true);
  }
}

/** The earliest time one of `files` becomes readable by itself, if any will. */
export function firstEvent(files: OpenFile[]): bigint | undefined {
  let first: bigint | undefined;
  for (const f of files) {
    const t = f.nextEventNs?.();
    if (t !== undefined && (first === undefined || t < first)) first = t;
  }
  return first;
}

/** poll bits of `f` now. */
export function readinessOf(f: OpenFile): number {
  return f.readiness ? f.readiness() : POLL.IN | POLL.OUT;
}

/** sizeof(struct signalfd_siginfo) */
const SIGINFO_SIZE = 128;

/**
 * A signalfd: reading takes the pending signals of `mask` (which the
 * program blocks), one `struct signalfd_siginfo` each; none pending: EAGAIN.
 *
 * @example
 * ```ts
 * import { SignalFd } from "./event_files.ts";
 * import { SignalState } from "./signals.ts";
 * const s = new SignalState();
 * s.raise({ signal: 10, code: 0, pid: 7 });
 * const buf = new Uint8Array(128);
 * console.log(new SignalFd(s, 1n << 9n, 0).read(buf), buf[0]); // 128 10
 * ```
 */
export class SignalFd extends GuestOnlyFile {
  constructor(readonly signals: SignalState, public mask: bigint, statusFlags: number) {
    super(statusFlags | O.RDONLY);
  }
  override read(buf: Uint8Array): number {
    if (buf.length < SIGINFO_SIZE) throw new SysError(E.EINVAL);
    let n = 0;
    for (; n + SIGINFO_SIZE <= buf.length; n += SIGINFO_SIZE) {
      const s = this.signals.next(this.mask);
      if (!s) break;
      const dv = new DataView(buf.buffer, buf.byteOffset + n, SIGINFO_SIZE);
      buf.fill(0, n, n + SIGINFO_SIZE);
      dv.setUint32(0, s.signal, true);
      dv.setInt32(8, s.code, true);
      dv.setUint32(12, s.pid ?? 0, true);
      dv.setUint32(16, s.uid ?? 0, true);
      dv.setInt32(44, Number(BigInt.asIntN(32, s.value ?? 0n)), true); // ssi_int
      dv.setBigUint64(48, s.value ?? 0n, true); // ssi_ptr
      dv.setBigUint64(72, s.addr ?? 0n, true);
    }
    if (!n) throw new SysError(E.EAGAIN);
    return n;
  }
  readiness(): number {
    return this.signals.pendingMask() & this.mask ? POLL.IN : 0;
  }
}

/**
 * In-process pipes, bounded as Linux bounds them (`fs/pipe.c`): a ring of
 * page-sized slots, 16 by default (65536 bytes), that `F_SETPIPE_SZ` resizes
 * to a power-of-two number of pages up to /proc/sys/fs/pipe-max-size, so a
 * guest that writes forever and never reads cannot fill host memory.
 *
 * A write first appends the bytes past its last whole page to the last slot
 * when they fit there, then fills free slots a page at a time: a write of at
 * most {@linkcode PIPE_BUF} bytes goes whole or not at all, a larger one
 * takes what fits. A full pipe gives EAGAIN (the syscall layer makes a
 * blocking writer wait until a reader makes room), and POLLOUT means a free
 * slot, that is {@linkcode PIPE_BUF} bytes of room, as `pipe_poll` has it.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, POLL, S_IF, spipe, type StatInfo, syntheticStat } from "./fds.ts";

/** The bytes of one slot, and the most a write is sure to place whole. */
export const PIPE_BUF = 4096;
/** A new pipe's capacity. */
export const PIPE_DEFAULT_SIZE = 65536;
/** /proc/sys/fs/pipe-max-size: the most F_SETPIPE_SZ gives a process without CAP_SYS_RESOURCE. */
export const PIPE_MAX_SIZE = 1048576;
/**
 * /proc/sys/fs/pipe-user-pages-soft: once a user's pipes hold more pages, a new pipe gets
 * {@linkcode PIPE_MIN_PAGES} and none grows (EPERM): a guest's pipes hold 64 MiB and 8 KiB
 * for each pipe past that.
 */
export const PIPE_USER_PAGES_SOFT = 16384;
/** A new pipe's pages past the soft limit (PIPE_MIN_DEF_BUFFERS). */
export const PIPE_MIN_PAGES = 2;

/** One slot of the ring: bytes [start, end) of `page` wait to be read. */
interface PipeSlot {
  page: Uint8Array;
  start: number;
  end: number;
}

const copySlot = (s: PipeSlot): PipeSlot => ({ ...s, page: s.page.slice() });

/** F_SETPIPE_SZ's size: at least a page, rounded up to a power of two; 0 past 2^31 (round_pipe_size). */
function roundPipeSize(bytes: number): number {
  if (bytes > 2 ** 31) return 0;
  if (bytes < PIPE_BUF) return PIPE_BUF;
  return 2 ** Math.ceil(Math.log2(bytes));
}

/** The shared buffer of a pipe. */
export class PipeBuffer {
  slots: PipeSlot[] = [];
  readers = 0;
  writers = 0;

  /** `maxSlots`: how many slots it may hold (its capacity in pages). */
  constructor(public maxSlots = PIPE_DEFAULT_SIZE / PIPE_BUF) {}

  /** The bytes waiting to be read (FIONREAD). */
  get buffered(): number {
    return this.slots.reduce((n, s) => n + s.end - s.start, 0);
  }

  /** The capacity in bytes (F_GETPIPE_SZ). */
  get size(): number {
    return this.maxSlots * PIPE_BUF;
  }

  get full(): boolean {
    return this.slots.length >= this.maxSlots;
  }

  /** Moves buffered bytes into `buf`: 0 at end of file, EAGAIN when empty with writers left. */
  take(buf: Uint8Array): number {
    if (this.slots.length === 0) {
      if (this.writers === 0) return 0;
      throw new SysError(E.EAGAIN);
    }
    let done = 0;
    while (done < buf.length && this.slots.length) {
      const s = this.slots[0];
      const n = Math.min(s.end - s.start, buf.length - done);
      buf.set(s.page.subarray(s.start, s.start + n), done);
      done += n;
      s.start += n;
      if (s.start === s.end) this.slots.shift();
    }
    return done;
  }

  /**
   * Copies in what fits of `buf` (all of it when it is at most PIPE_BUF
   * bytes, or nothing); EAGAIN when nothing does, EPIPE when no reader is left.
   */
  give(buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    if (this.readers === 0) throw new SysError(E.EPIPE);
    let done = 0;
    const tail = buf.length % PIPE_BUF, last = this.slots.at(-1);
    if (tail && last && last.end + tail <= PIPE_BUF) {
      last.page.set(buf.subarray(0, tail), last.end);
      last.end += tail;
      done = tail;
    }
    while (done < buf.length && !this.full) {
      const n = Math.min(PIPE_BUF, buf.length - done);
      const page = new Uint8Array(PIPE_BUF);
      page.set(buf.subarray(done, done + n));
      this.slots.push({ page, start: 0, end: n });
      done += n;
    }
    if (done === 0) throw new SysError(E.EAGAIN);
    return done;
  }

  /**
   * F_SETPIPE_SZ: sets the capacity to `bytes` rounded up, and returns it.
   * EPERM to grow past {@linkcode PIPE_MAX_SIZE}, or when the pages of the
   * user's pipes (`userPages`, this one's included) would pass
   * {@linkcode PIPE_USER_PAGES_SOFT}; EBUSY below what is buffered (in
   * slots), EINVAL past 2^31.
   */
  resize(bytes: number, userPages = this.maxSlots): number {
    const size = roundPipeSize(bytes);
    if (size === 0) throw new SysError(E.EINVAL);
    const slots = size / PIPE_BUF;
    const tooMany = userPages - this.maxSlots + slots > PIPE_USER_PAGES_SOFT;
    if (slots > this.maxSlots && (size > PIPE_MAX_SIZE || tooMany)) throw new SysError(E.EPERM);
    if (slots < this.slots.length) throw new SysError(E.EBUSY);
    this.maxSlots = slots;
    return size;
  }
}

/**
 * One end of an in-process pipe. A read of an empty pipe, or a write to a
 * full one, fails with EAGAIN; the read and write syscalls turn that into a
 * wait when another thread or process may make it succeed.
 *
 * @example
 * ```ts
 * import { PipeEnd } from "./pipe.ts";
 * const [r, w] = PipeEnd.pair(0);
 * let n = 0;
 * try {
 *   for (;;) n += w.write(new Uint8Array(1000));
 * } catch {
 *   // EAGAIN: full
 * }
 * console.log(n, r.buffer.size); // 64000 65536
 * ```
 */
export class PipeEnd implements OpenFile {
  isTty = false;
  constructor(readonly buffer: PipeBuffer, readonly writer: boolean, public statusFlags: number) {
    if (writer) buffer.writers++;
    else buffer.readers++;
  }
  /** Creates a connected [read end, write end] pair (of `pages` pages). */
  static pair(flags: number, pages?: number): [PipeEnd, PipeEnd] {
    const b = new PipeBuffer(pages);
    return [new PipeEnd(b, false, O.RDONLY | flags), new PipeEnd(b, true, O.WRONLY | flags)];
  }
  read(buf: Uint8Array): number {
    if (this.writer) throw new SysError(E.EBADF);
    return this.buffer.take(buf);
  }
  write(buf: Uint8Array): number {
    if (!this.writer) throw new SysError(E.EBADF);
    return this.buffer.give(buf);
  }
  seek(): number {
    return spipe();
  }
  stat(): StatInfo {
    return syntheticStat(S_IF.FIFO | 0o600);
  }
  capture(): () => void {
    const b = this.buffer, slots = b.slots.map(copySlot), { maxSlots, readers, writers } = b;
    return () => {
      b.slots = slots.map(copySlot);
      Object.assign(b, { maxSlots, readers, writers });
    };
  }
  close(): void {
    if (this.writer) this.buffer.writers--;
    else this.buffer.readers--;
  }
  readiness(): number {
    const b = this.buffer;
    if (this.writer) return (b.full ? 0 : POLL.OUT) | (b.readers ? 0 : POLL.ERR);
    return (b.slots.length ? POLL.IN : 0) | (b.writers ? 0 : POLL.HUP);
  }
}

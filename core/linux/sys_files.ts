/**
 * Syscalls on file descriptors: read/write and friends, lseek, close, dup,
 * fcntl, ioctl, pipe2, fstat, getdents64, ftruncate, fsync.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, S_IFMT } from "./fds.ts";
import {
  PIPE_BUF,
  PIPE_DEFAULT_SIZE,
  PIPE_MIN_PAGES,
  PIPE_USER_PAGES_SOFT,
  type PipeBuffer,
  PipeEnd,
} from "./pipe.ts";
import { encodeStat } from "./stat.ts";
import { get, int, len, put, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { SIG } from "./signals.ts";
import { PtyMaster, PtySlave } from "./pty.ts";
import { jobControl, ptyIoctl } from "./pty_files.ts";
import { Blocking } from "./threads.ts";
import { GuestFault } from "../errors.ts";

/** Largest single read/write transfer (short transfers are allowed). */
const MAX_IO = 16 << 20;
const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  GETLK: 5,
  SETLK: 6,
  SETLKW: 7,
  SETOWN: 8,
  GETOWN: 9,
  SETOWN_EX: 15,
  GETOWN_EX: 16,
  NOTIFY: 1026,
  DUPFD_CLOEXEC: 1030,
  SETPIPE_SZ: 1031,
  GETPIPE_SZ: 1032,
} as const;

/** Fails with EFAULT unless `[addr, addr+n)` is writable guest memory. */
export function checkWritable(p: LinuxProcess, addr: bigint, n: number): void {
  if (n === 0) return;
  if (addr === 0n) throw new SysError(E.EFAULT);
  try {
    for (let a = addr & ~0xfffn; a < addr + BigInt(n); a += 0x1000n) p.mem.page(a, "write");
  } catch {
    throw new SysError(E.EFAULT);
  }
}

let scratchBuffer = new Uint8Array(1 << 16);

/**
 * A reused buffer of `n` bytes for one read or write: I/O calls borrow it
 * only until they return (files that keep bytes, like pipes, copy them).
 */
function scratch(n: number): Uint8Array {
  if (scratchBuffer.length < n) {
    scratchBuffer = new Uint8Array(Math.max(n, scratchBuffer.length * 2));
  }
  return scratchBuffer.subarray(0, n);
}

function readInto(p: LinuxProcess, f: OpenFile, addr: bigint, n: number, pos?: number): number {
  n = Math.min(n, MAX_IO);
  checkWritable(p, addr, n);
  if ((f.statusFlags & O.ACCMODE) === O.WRONLY) throw new SysError(E.EBADF);
  const buf = scratch(n);
  let got: number;
  if (pos === undefined) got = f.read(buf);
  else if (f.pread) got = f.pread(buf, pos);
  else throw new SysError(E.ESPIPE);
  if (got > 0) p.mem.writeBytes(addr, buf.subarray(0, got));
  return got;
}

/** The result of `io`, or -errno when it fails (EAGAIN: null, not yet). */
function attempt(io: () => number): number | null {
  try {
    return io();
  } catch (e) {
    if (e instanceof SysError) return e.errno === E.EAGAIN ? null : -e.errno;
    if (e instanceof GuestFault) return -E.EFAULT;
    throw e;
  }
}

/**
 * Runs the transfer `io` on `f`. When it would block (EAGAIN) on a
 * descriptor without O_NONBLOCK and other threads run that may supply the
 * data, or the file is a timer or a host socket that will, the thread waits
 * and retries instead. Otherwise (or with `dontWait`, recv's MSG_DONTWAIT)
 * the process gets EAGAIN: nothing could ever come.
 *
 * @example
 * ```ts ignore
 * return orWait(p, file, () => readInto(p, file, addr, n));
 * ```
 */
export function orWait(
  p: LinuxProcess,
  f: OpenFile,
  io: () => number,
  dontWait = false,
  waitsFor = "data to read",
): number | Blocking {
  const r = attempt(io);
  if (r !== null) return r;
  const outside = f.outside === true; // the network may bring it
  const alone = p.world.liveThreads() === 1 && f.nextEventNs?.() === undefined && !outside;
  if ((f.statusFlags & O.NONBLOCK) || alone || dontWait) throw new SysError(E.EAGAIN);
  // a timer: time brings the data (a pty's VTIME starts when a byte comes, so asked each time),
  // unless the call sets its own deadline (recvmmsg's timeout, once a datagram came)
  let callDeadline: bigint | undefined;
  const options = {
    get deadlineNs(): bigint | undefined {
      return callDeadline ?? f.nextEventNs?.();
    },
    set deadlineNs(ns: bigint | undefined) {
      callDeadline = ns;
    },
    timeoutResult: -E.EAGAIN,
    outside,
  };
  return new Blocking(outside ? "the network" : waitsFor, () => attempt(io), options);
}

/**
 * Runs the write `io` (which writes from byte `done` of `total` on and
 * returns how many it took) as Linux's writes go: on a blocking
 * descriptor until everything is taken, waiting as {@linkcode orWait}
 * does while there is no room (a full socket buffer, a connect under
 * way); on a non-blocking one (or with `dontWait`, MSG_DONTWAIT) as much as
 * fits, EAGAIN when nothing does. An error after some bytes gives their
 * count.
 *
 * @example
 * ```ts ignore
 * return writeAll(p, f, n, (done) => writeFrom(p, f, addr + BigInt(done), n - done));
 * ```
 */
export function writeAll(
  p: LinuxProcess,
  f: OpenFile,
  total: number,
  io: (done: number) => number,
  dontWait = false,
): number | Blocking {
  const waits = !dontWait && !(f.statusFlags & O.NONBLOCK);
  let done = 0;
  const step = () => {
    for (;;) {
      let n: number;
      try {
        n = io(done);
      } catch (e) {
        const stillWaits = e instanceof SysError && e.errno === E.EAGAIN && waits;
        if (done === 0 || !(e instanceof SysError) || stillWaits) throw e;
        return done;
      }
      done += n;
      if (n === 0 || done >= total) return done;
    }
  };
  try {
    return orWait(p, f, step, dontWait, "room to write");
  } catch (e) {
    if (done && e instanceof SysError && e.errno === E.EAGAIN) return done; // nobody will read
    throw e;
  }
}

function writeFrom(p: LinuxProcess, f: OpenFile, addr: bigint, n: number, pos?: number): number {
  if ((f.statusFlags & O.ACCMODE) === O.RDONLY) throw new SysError(E.EBADF);
  n = Math.min(n, MAX_IO);
  if (addr === 0n && n > 0) throw new SysError(E.EFAULT);
  return writeBytes(p, f, p.mem.readBytes(addr, n, "read", scratch(n)), pos);
}

/** Writes `data` to `f` (at `pos`, pwrite); a write to a pipe or socket nobody reads raises SIGPIPE. */
export function writeBytes(
  p: LinuxProcess,
  f: OpenFile,
  data: Uint8Array,
  pos?: number,
): number {
  try {
    if (pos === undefined) return f.write(data);
    if (!f.pwrite) throw new SysError(E.ESPIPE);
    return f.pwrite(data, pos);
  } catch (e) {
    if (e instanceof SysError && e.errno === E.EPIPE) {
      p.sendSignal({ signal: SIG.SIGPIPE, code: 0 });
    }
    throw e;
  }
}

/**
 * The (base, length) pairs of the guest's `struct iovec` array at `addr`.
 *
 * @example
 * ```ts ignore
 * for (const [base, n] of iovecs(p, a[1], a[2])) total += n;
 * ```
 */
export function iovecs(p: LinuxProcess, addr: bigint, count: bigint): [bigint, number][] {
  const n = len(count);
  if (n > 1024) throw new SysError(E.EINVAL);
  const raw = get(p, addr, n * 16);
  const dv = new DataView(raw.buffer);
  return Array.from({ length: n }, (_, i) => [
    dv.getBigUint64(i * 16, true),
    len(dv.getBigUint64(i * 16 + 8, true)),
  ]);
}

/**
 * writev: the bytes of all the iovecs in one write, as Linux hands them to
 * the file (a datagram socket sends one message; a blocking socket waits for
 * room as write does).
 */
function writev(p: LinuxProcess, a: bigint[]): number | Blocking {
  const f = p.fds.get(int(a[0]));
  if ((f.statusFlags & O.ACCMODE) === O.RDONLY) throw new SysError(E.EBADF);
  const iov = iovecs(p, a[1], a[2]);
  const data = new Uint8Array(Math.min(iov.reduce((n, [, l]) => n + l, 0), MAX_IO));
  let at = 0;
  for (const [base, n] of iov) {
    const take = Math.min(n, data.length - at);
    if (take) p.mem.readBytes(base, take, "read", data.subarray(at, at + take));
    at += take;
  }
  const stop = jobControl(p, f, SIG.SIGTTOU);
  return stop ?? writeAll(p, f, data.length, (done) => writeBytes(p, f, data.subarray(done)));
}

function vectored(
  p: LinuxProcess,
  a: bigint[],
  op: (f: OpenFile, base: bigint, n: number, pos?: number) => number,
  positioned: boolean,
): number {
  const f = p.fds.get(int(a[0]));
  let total = 0;
  let pos = positioned ? Number(BigInt.asIntN(64, a[3])) : undefined;
  if (pos !== undefined && pos < 0) throw new SysError(E.EINVAL);
  for (const [base, n] of iovecs(p, a[1], a[2])) {
    if (n === 0) continue;
    let done: number;
    try {
      done = op(f, base, n, pos);
    } catch (e) {
      if (total > 0) return total;
      throw e;
    }
    total += done;
    if (pos !== undefined) pos += done;
    if (done < n) break;
  }
  return total;
}

const TCGETS = 0x5401, TCSETS = 0x5402, TCSETSW = 0x5403, TCSETSF = 0x5404;
const TIOCGPGRP = 0x540f, TIOCGWINSZ = 0x5413, TIOCSWINSZ = 0x5414, FIONREAD = 0x541b;
const FIONBIO = 0x5421, FIONCLEX = 0x5450, FIOCLEX = 0x5451;

function ioctl(p: LinuxProcess, a: bigint[]): number | Blocking {
  const fd = int(a[0]), f = p.fds.get(fd);
  const req = Number(BigInt.asUintN(32, a[1]));
  // The requests of every file (Linux's do_vfs_ioctl): close-on-exec and O_NONBLOCK.
  if (req === FIOCLEX || req === FIONCLEX) {
    p.fds.setCloexec(fd, req === FIOCLEX);
    return 0;
  }
  if (req === FIONBIO) {
    const on = new DataView(get(p, a[2], 4).buffer).getInt32(0, true) !== 0;
    f.statusFlags = on ? f.statusFlags | O.NONBLOCK : f.statusFlags & ~O.NONBLOCK;
    return 0;
  }
  if (req === FIONREAD && f instanceof PipeEnd) {
    put(p, a[2], new StructWriter(4).u32(0, f.buffer.buffered).bytes);
    return 0;
  }
  if (f instanceof PtyMaster || f instanceof PtySlave) return ptyIoctl(p, f, req, a[2]);
  if (!f.isTty) throw new SysError(E.ENOTTY);
  switch (req) {
    case TCGETS: {
      // A cooked terminal: ICRNL|IXON, OPOST|ONLCR, B38400|CS8|CREAD, ISIG|ICANON|ECHO...
      const w = new StructWriter(36).u32(0, 0x500).u32(4, 0x5).u32(8, 0xbf).u32(12, 0x8a3b);
      const cc = [3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0, 0, 0];
      cc.forEach((c, i) => w.bytes[17 + i] = c);
      put(p, a[2], w.bytes);
      return 0;
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
    case TIOCSWINSZ:
      return 0;
    case TIOCGWINSZ: {
      let rows = 24, cols = 80;
      try {
        ({ rows, columns: cols } = Deno.consoleSize());
      } catch {
        // not a console
      }
      put(p, a[2], new StructWriter(8).u16(0, rows).u16(2, cols).bytes);
      return 0;
    }
    case TIOCGPGRP:
      put(p, a[2], new StructWriter(4).u32(0, p.pid).bytes);
      return 0;
    default:
      throw new SysError(E.ENOTTY);
  }
}

/** The buffer of a pipe's end; EBADF for any other file (pipe_fcntl). */
function pipeOf(f: OpenFile): PipeBuffer {
  if (!(f instanceof PipeEnd)) throw new SysError(E.EBADF);
  return f.buffer;
}

/**
 * The pages the pipes open in the world's processes may hold, each pipe
 * counted once: one user's, as pipe-user-pages-soft counts them.
 */
function pipePages(p: LinuxProcess): number {
  const pipes = new Set<PipeBuffer>();
  for (const q of p.world.processes) {
    for (const { file } of q.fds.list()) if (file instanceof PipeEnd) pipes.add(file.buffer);
  }
  return [...pipes].reduce((n, b) => n + b.maxSlots, 0);
}

/** The process (or, negative, process group) F_SETOWN gave an open file; 0 for none. */
const owners = new WeakMap<OpenFile, number>();

function fcntl(p: LinuxProcess, a: bigint[]): number {
  const fd = int(a[0]), cmd = int(a[1]), arg = a[2];
  const f = p.fds.get(fd);
  switch (cmd) {
    case F.DUPFD:
    case F.DUPFD_CLOEXEC: {
      const min = int(arg);
      if (min < 0) throw new SysError(E.EINVAL);
      return p.fds.install(f, cmd === F.DUPFD_CLOEXEC, min);
    }
    case F.GETFD:
      return p.fds.getCloexec(fd) ? 1 : 0;
    case F.SETFD:
      p.fds.setCloexec(fd, (int(arg) & 1) !== 0);
      return 0;
    case F.GETFL:
      return f.statusFlags;
    case F.SETFL: {
      const mask = O.APPEND | O.NONBLOCK;
      f.statusFlags = (f.statusFlags & ~mask) | (int(arg) & mask);
      return 0;
    }
    case F.GETLK: {
      // struct flock: l_type (short) first; report F_UNLCK: no conflicting lock.
      if (lockType(p, f, arg) === F_UNLCK) throw new SysError(E.EINVAL);
      put(p, arg, new StructWriter(2).u16(0, F_UNLCK).bytes);
      return 0;
    }
    case F.SETLK:
    case F.SETLKW:
      lockType(p, f, arg); // the one process holding locks: every lock is granted
      return 0;
    case F.SETOWN:
      owners.set(f, Number(BigInt.asIntN(32, arg)));
      return 0;
    case F.GETOWN:
      return owners.get(f) ?? 0;
    case F.SETOWN_EX:
    case F.GETOWN_EX:
      return ownerEx(p, f, cmd === F.SETOWN_EX, arg);
    case F.NOTIFY:
      // dnotify: granted on a directory, though Denemu never sends the signal it asks for;
      // no event (but DN_MULTISHOT) clears the request, on any file
      if (Number(BigInt.asUintN(32, arg)) & ~DN_MULTISHOT && !f.entries) {
        throw new SysError(E.ENOTDIR);
      }
      return 0;
    case F.GETPIPE_SZ:
      return pipeOf(f).size;
    case F.SETPIPE_SZ:
      return pipeOf(f).resize(Number(BigInt.asUintN(32, arg)), pipePages(p));
    default:
      throw new SysError(E.EINVAL);
  }
}

const F_RDLCK = 0, F_WRLCK = 1, F_UNLCK = 2;
const DN_MULTISHOT = 0x80000000;
const F_OWNER_TID = 0, F_OWNER_PID = 1, F_OWNER_PGRP = 2;

/**
 * F_SETOWN_EX and F_GETOWN_EX (glibc's F_GETOWN): the owner as a `struct f_owner_ex`, its type
 * and a pid; a process group is kept as F_SETOWN keeps it, negative.
 */
function ownerEx(p: LinuxProcess, f: OpenFile, set: boolean, addr: bigint): number {
  if (set) {
    const v = new DataView(get(p, addr, 8).buffer);
    const type = v.getInt32(0, true), pid = v.getInt32(4, true);
    if (type < F_OWNER_TID || type > F_OWNER_PGRP) throw new SysError(E.EINVAL);
    owners.set(f, type === F_OWNER_PGRP ? -pid : pid);
    return 0;
  }
  const owner = owners.get(f) ?? 0;
  const type = owner < 0 ? F_OWNER_PGRP : F_OWNER_PID;
  put(p, addr, new StructWriter(8).u32(0, type).u32(4, Math.abs(owner)).bytes);
  return 0;
}

/**
 * The l_type of the `struct flock` at `addr`, checked as Linux does: EINVAL for another
 * type, EBADF for a read lock on a file not open for reading or a write lock on one not
 * open for writing.
 */
function lockType(p: LinuxProcess, f: OpenFile, addr: bigint): number {
  const type = new DataView(get(p, addr, 2).buffer).getInt16(0, true);
  if (type !== F_RDLCK && type !== F_WRLCK && type !== F_UNLCK) throw new SysError(E.EINVAL);
  const acc = f.statusFlags & O.ACCMODE;
  if ((type === F_RDLCK && acc === O.WRONLY) || (type === F_WRLCK && acc === O.RDONLY)) {
    throw new SysError(E.EBADF);
  }
  return type;
}

function getdents64(p: LinuxProcess, a: bigint[]): number {
  const f = p.fds.get(int(a[0]));
  if (f.statusFlags & O.PATH) throw new SysError(E.EBADF);
  if (!f.entries) throw new SysError(E.ENOTDIR);
  if (f.dirPos === 0) f.relist?.();
  const max = len(a[2]);
  const enc = new TextEncoder();
  const out: Uint8Array[] = [];
  let used = 0;
  while (f.dirPos! < f.entries.length) {
    const e = f.entries[f.dirPos!];
    const name = enc.encode(e.name);
    const reclen = (19 + name.length + 1 + 7) & ~7;
    if (used + reclen > max) {
      if (used === 0) throw new SysError(E.EINVAL);
      break;
    }
    const w = new StructWriter(reclen);
    w.u64(0, e.ino).u64(8, f.dirPos! + 1).u16(16, reclen);
    w.bytes[18] = e.type;
    w.bytes.set(name, 19);
    out.push(w.bytes);
    used += reclen;
    f.dirPos!++;
  }
  const buf = new Uint8Array(used);
  let o = 0;
  for (const b of out) {
    buf.set(b, o);
    o += b.length;
  }
  if (used) put(p, a[1], buf);
  return used;
}

const FALLOC_FL_KEEP_SIZE = 1;

/**
 * fallocate: Denemu's files have no holes to fill, so mode 0 only grows the file to
 * offset + len and FALLOC_FL_KEEP_SIZE does nothing; the other modes are EOPNOTSUPP.
 * The errors come in vfs_fallocate's order.
 */
function fallocate(p: LinuxProcess, a: bigint[]): number {
  const mode = int(a[1]), off = Number(BigInt.asIntN(64, a[2]));
  const n = Number(BigInt.asIntN(64, a[3]));
  if (off < 0 || n <= 0) throw new SysError(E.EINVAL);
  const f = p.fds.get(int(a[0]));
  if (mode & ~FALLOC_FL_KEEP_SIZE) throw new SysError(E.EOPNOTSUPP);
  if ((f.statusFlags & O.ACCMODE) === O.RDONLY || f.statusFlags & O.PATH) {
    throw new SysError(E.EBADF);
  }
  const { mode: type, size } = f.stat(), kind = type & S_IFMT;
  if (kind === S_IF.FIFO) throw new SysError(E.ESPIPE);
  if (kind === S_IF.DIR) throw new SysError(E.EISDIR);
  if (kind !== S_IF.REG || !f.truncate) throw new SysError(E.ENODEV);
  if (!(mode & FALLOC_FL_KEEP_SIZE) && off + n > Number(size)) f.truncate(off + n);
  return 0;
}

/**
 * Descriptor syscalls by name.
 *
 * @example
 * ```ts
 * import { fileSyscalls } from "./sys_files.ts";
 * console.log("write" in fileSyscalls); // true
 * ```
 */
export const fileSyscalls: SyscallTable = {
  read: (p, a) => {
    const f = p.fds.get(int(a[0])), n = len(a[2]);
    return jobControl(p, f, SIG.SIGTTIN) ?? orWait(p, f, () => readInto(p, f, a[1], n));
  },
  write: (p, a) => {
    const f = p.fds.get(int(a[0])), n = Math.min(len(a[2]), MAX_IO);
    return jobControl(p, f, SIG.SIGTTOU) ??
      writeAll(p, f, n, (done) => writeFrom(p, f, a[1] + BigInt(done), n - done));
  },
  pread64: (p, a) => {
    const pos = Number(BigInt.asIntN(64, a[3]));
    if (pos < 0) throw new SysError(E.EINVAL);
    return readInto(p, p.fds.get(int(a[0])), a[1], len(a[2]), pos);
  },
  pwrite64: (p, a) => {
    const pos = Number(BigInt.asIntN(64, a[3]));
    if (pos < 0) throw new SysError(E.EINVAL);
    return writeFrom(p, p.fds.get(int(a[0])), a[1], len(a[2]), pos);
  },
  readv: (p, a) => {
    const f = p.fds.get(int(a[0]));
    const io = () => vectored(p, a, (f, b, n) => readInto(p, f, b, n), false);
    return jobControl(p, f, SIG.SIGTTIN) ?? orWait(p, f, io);
  },
  writev,
  preadv: (p, a) => vectored(p, a, (f, b, n, pos) => readInto(p, f, b, n, pos), true),
  pwritev: (p, a) => vectored(p, a, (f, b, n, pos) => writeFrom(p, f, b, n, pos), true),
  lseek: (p, a) => {
    const off = Number(BigInt.asIntN(64, a[1]));
    const r = p.fds.get(int(a[0])).seek(off, int(a[2]));
    if (r < 0) throw new SysError(E.EINVAL);
    return r;
  },
  close: (p, a) => {
    p.fds.close(int(a[0]));
    return 0;
  },
  dup: (p, a) => p.fds.install(p.fds.get(int(a[0])), false),
  dup3: (p, a) => {
    const from = int(a[0]), to = int(a[1]), flags = int(a[2]);
    if (from === to || (flags & ~O.CLOEXEC)) throw new SysError(E.EINVAL);
    p.fds.installAt(to, p.fds.get(from), (flags & O.CLOEXEC) !== 0);
    return to;
  },
  fcntl,
  ioctl,
  pipe2: (p, a) => {
    const flags = int(a[1]);
    if (flags & ~(O.CLOEXEC | O.NONBLOCK)) throw new SysError(E.EINVAL);
    checkWritable(p, a[0], 8);
    const pages = PIPE_DEFAULT_SIZE / PIPE_BUF;
    const over = pipePages(p) + pages > PIPE_USER_PAGES_SOFT;
    const [r, w] = PipeEnd.pair(flags & O.NONBLOCK, over ? PIPE_MIN_PAGES : pages);
    const cloexec = (flags & O.CLOEXEC) !== 0;
    const rfd = p.fds.install(r, cloexec), wfd = p.fds.install(w, cloexec);
    put(p, a[0], new StructWriter(8).u32(0, rfd).u32(4, wfd).bytes);
    return 0;
  },
  fstat: (p, a) => {
    put(p, a[1], encodeStat(p.fds.get(int(a[0])).stat()));
    return 0;
  },
  getdents64,
  ftruncate: (p, a) => {
    const n = Number(BigInt.asIntN(64, a[1]));
    if (n < 0) throw new SysError(E.EINVAL); // before the fd, as Linux
    const f = p.fds.get(int(a[0]));
    if (f.statusFlags & O.PATH) throw new SysError(E.EBADF);
    if (!f.truncate || (f.statusFlags & O.ACCMODE) === O.RDONLY) throw new SysError(E.EINVAL);
    f.truncate(n);
    return 0;
  },
  fallocate,
  fsync: (p, a) => (p.fds.get(int(a[0])), 0),
  fdatasync: (p, a) => (p.fds.get(int(a[0])), 0),
  flock: (p, a) => (p.fds.get(int(a[0])), 0),
};

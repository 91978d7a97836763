/**
 * Copies between descriptors inside the kernel: sendfile (from a regular
 * file to any writable descriptor), copy_file_range (between regular
 * files) and splice (to or from a pipe), as Linux does them. Each reads from the offset the guest passes
 * (then updated in guest memory, the file's own offset left alone) or from
 * the file's offset; coreutils' cp and many servers use them.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, S_IFMT } from "./fds.ts";
import type { LinuxProcess } from "./process.ts";
import { getU64, int, len, putU64, type SyscallTable } from "./syscall.ts";
import { orWait, writeBytes } from "./sys_files.ts";
import { PIPE_BUF, PipeEnd } from "./pipe.ts";
import type { Blocking } from "./threads.ts";

/** The most one call moves (Linux's MAX_RW_COUNT). */
const MAX_RW_COUNT = 0x7ffff000;
/** Bytes moved per read and write. */
const CHUNK = 1 << 20;

/** The offset at `addr` (none for a null pointer; EINVAL when negative). */
function offsetAt(p: LinuxProcess, addr: bigint): number | undefined {
  if (addr === 0n) return undefined;
  const v = BigInt.asIntN(64, getU64(p, addr));
  if (v < 0n) throw new SysError(E.EINVAL);
  return Number(v);
}

/** Whether `f` is a regular file (EISDIR for a directory, as copy_file_range says). */
function regular(f: OpenFile): boolean {
  const type = f.stat().mode & S_IFMT;
  if (type === S_IF.DIR) throw new SysError(E.EISDIR);
  return type === S_IF.REG;
}

/**
 * Moves up to `count` bytes from `src` (at `from`, or its offset) to `dst`
 * (at `to`, or its offset); the bytes moved. An error after some bytes is
 * the short count, as a partial write is.
 */
function move(
  p: LinuxProcess,
  src: OpenFile,
  dst: OpenFile,
  count: number,
  from?: number,
  to?: number,
): number {
  let done = 0;
  try {
    while (done < count) {
      const buf = new Uint8Array(Math.min(count - done, CHUNK, room(dst)));
      if (buf.length === 0) throw new SysError(E.EAGAIN);
      const got = from === undefined
        ? src.read(buf)
        : src.pread
        ? src.pread(buf, from + done)
        : -E.ESPIPE;
      if (got < 0) throw new SysError(-got);
      if (got === 0) break;
      const wrote = writeBytes(
        p,
        dst,
        buf.subarray(0, got),
        to === undefined ? undefined : to + done,
      );
      done += wrote;
      if (wrote < got) break;
    }
  } catch (e) {
    if (done === 0 || !(e instanceof SysError)) throw e;
  }
  return done;
}

/** The bytes a pipe takes whole now (a chunk read for it must not be cut); any for a file. */
function room(f: OpenFile): number {
  if (!(f instanceof PipeEnd)) return Infinity;
  return (f.buffer.maxSlots - f.buffer.slots.length) * PIPE_BUF;
}

const SPLICE_F_NONBLOCK = 2;

/**
 * splice(fd_in, off_in, fd_out, off_out, len, flags): a pipe at one end at least (with no offset:
 * ESPIPE); a file end reads or writes at its offset or at the one given. Waits, as read and
 * write do, for data in an empty pipe or room in a full one.
 */
function splice(p: LinuxProcess, a: bigint[]): number | Blocking {
  const src = p.fds.get(int(a[0])), dst = p.fds.get(int(a[2]));
  if ((src.statusFlags & O.ACCMODE) === O.WRONLY) throw new SysError(E.EBADF);
  if ((dst.statusFlags & O.ACCMODE) === O.RDONLY) throw new SysError(E.EBADF);
  const fromPipe = src instanceof PipeEnd, toPipe = dst instanceof PipeEnd;
  if (!fromPipe && !toPipe) throw new SysError(E.EINVAL);
  if ((fromPipe && a[1] !== 0n) || (toPipe && a[3] !== 0n)) throw new SysError(E.ESPIPE);
  if (src === dst || dst.statusFlags & O.APPEND) throw new SysError(E.EINVAL);
  const from = offsetAt(p, a[1]), to = offsetAt(p, a[3]), count = Math.min(len(a[4]), MAX_RW_COUNT);
  const io = () => {
    // a file read at its own offset moves it by what the pipe took, not by what was read
    const at = from ?? (fromPipe ? undefined : src.seek(0, 1));
    const done = move(p, src, dst, count, at, to);
    if (from !== undefined) putU64(p, a[1], BigInt(from + done));
    else if (at !== undefined) src.seek(at + done, 0);
    if (to !== undefined) putU64(p, a[3], BigInt(to + done));
    return done;
  };
  const nonblock = (int(a[5]) & SPLICE_F_NONBLOCK) !== 0;
  return fromPipe ? orWait(p, src, io, nonblock) : orWait(p, dst, io, nonblock, "room to write");
}

/** sendfile(out_fd, in_fd, offset, count). */
function sendfile(p: LinuxProcess, a: bigint[]): number {
  const dst = p.fds.get(int(a[0])), src = p.fds.get(int(a[1]));
  if ((src.statusFlags & O.ACCMODE) === O.WRONLY) throw new SysError(E.EBADF);
  if ((dst.statusFlags & O.ACCMODE) === O.RDONLY) throw new SysError(E.EBADF);
  if (dst.statusFlags & O.APPEND || !regular(src)) throw new SysError(E.EINVAL);
  const from = offsetAt(p, a[2]), count = Math.min(len(a[3]), MAX_RW_COUNT);
  const done = move(p, src, dst, count, from);
  if (from !== undefined) putU64(p, a[2], BigInt(from + done));
  return done;
}

/** copy_file_range(fd_in, off_in, fd_out, off_out, len, flags). */
function copyFileRange(p: LinuxProcess, a: bigint[]): number {
  if (a[5] !== 0n) throw new SysError(E.EINVAL);
  const src = p.fds.get(int(a[0])), dst = p.fds.get(int(a[2]));
  if ((src.statusFlags & O.ACCMODE) === O.WRONLY) throw new SysError(E.EBADF);
  if ((dst.statusFlags & O.ACCMODE) === O.RDONLY || dst.statusFlags & O.APPEND) {
    throw new SysError(E.EBADF);
  }
  if (!regular(src) || !regular(dst)) throw new SysError(E.EINVAL);
  const from = offsetAt(p, a[1]), to = offsetAt(p, a[3]);
  const count = Math.min(len(a[4]), MAX_RW_COUNT);
  const s = src.stat(), d = dst.stat();
  if (s.dev === d.dev && s.ino === d.ino) {
    // Overlapping ranges of one file are EINVAL.
    const at = from ?? src.seek(0, 1), atOut = to ?? dst.seek(0, 1);
    if (at < atOut + count && atOut < at + count) throw new SysError(E.EINVAL);
  }
  const done = move(p, src, dst, count, from, to);
  if (from !== undefined) putU64(p, a[1], BigInt(from + done));
  if (to !== undefined) putU64(p, a[3], BigInt(to + done));
  return done;
}

/**
 * sendfile, copy_file_range and splice.
 *
 * @example
 * ```ts
 * import { copySyscalls } from "./sys_copy.ts";
 * console.log(Object.keys(copySyscalls)); // [ "sendfile", "copy_file_range", "splice" ]
 * ```
 */
export const copySyscalls: SyscallTable = {
  sendfile,
  copy_file_range: copyFileRange,
  splice,
};

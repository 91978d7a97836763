/**
 * Miscellaneous syscalls: getrandom (the seeded generator), the sync family, readahead,
 * fadvise64 and close_range.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { HostFile, O, type OpenFile, S_IF, S_IFMT } from "./fds.ts";
import { int, len, put, type SyscallTable } from "./syscall.ts";

/**
 * Miscellaneous syscalls by name.
 *
 * @example
 * ```ts
 * import { miscSyscalls } from "./sys_misc.ts";
 * console.log("getrandom" in miscSyscalls); // true
 * ```
 */
export const miscSyscalls: SyscallTable = {
  getrandom: (p, a) => {
    const n = Math.min(len(a[1]), 1 << 25);
    // GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE; the last two exclude each other
    const flags = int(a[2]);
    if (flags & ~7 || (flags & 6) === 6) throw new SysError(E.EINVAL);
    put(p, a[0], p.random.bytes(n));
    return n;
  },
  // the guest's files are the host's: nothing to flush or read ahead of Denemu's own
  sync: () => 0,
  syncfs: (p, a) => (p.fds.get(int(a[0])), 0),
  sync_file_range: (p, a) => {
    p.fds.get(int(a[0]));
    const flags = int(a[3]);
    if (flags & ~7 || BigInt.asIntN(64, a[1]) < 0n || BigInt.asIntN(64, a[2]) < 0n) {
      throw new SysError(E.EINVAL);
    }
    return 0;
  },
  // Linux's ksys_readahead: a file open for reading, a regular file or a block device
  readahead: (p, a) => {
    const f = p.fds.get(int(a[0])), kind = f.stat().mode & S_IFMT;
    if ((f.statusFlags & O.ACCMODE) === O.WRONLY || f.statusFlags & O.PATH) {
      throw new SysError(E.EBADF);
    }
    if (!(f instanceof HostFile) || (kind !== S_IF.REG && kind !== S_IF.BLK)) {
      throw new SysError(E.EINVAL);
    }
    return fadvise(f, a[2], POSIX_FADV_WILLNEED);
  },
  fadvise64: (p, a) => {
    const f = p.fds.get(int(a[0]));
    if (f.statusFlags & O.PATH) throw new SysError(E.EBADF);
    return fadvise(f, a[2], int(a[3]));
  },
  close_range: (p, a) => {
    const first = Number(BigInt.asUintN(32, a[0])), last = Number(BigInt.asUintN(32, a[1]));
    const flags = int(a[2]);
    // CLOSE_RANGE_UNSHARE (2) has no table to unshare here; CLOSE_RANGE_CLOEXEC (4)
    if (flags & ~6 || first > last) throw new SysError(E.EINVAL);
    for (const { fd } of p.fds.list()) {
      if (fd < first || fd > last) continue;
      if (flags & 4) p.fds.setCloexec(fd, true);
      else p.fds.close(fd);
    }
    return 0;
  },
};

const POSIX_FADV_WILLNEED = 3;

/**
 * Linux's generic_fadvise checks, in its order: a FIFO is ESPIPE, a negative
 * length or an advice past POSIX_FADV_NOREUSE (5) EINVAL; then there is
 * nothing to do (the guest's files are the host's: the host caches them).
 */
function fadvise(f: OpenFile, length: bigint, advice: number): number {
  if ((f.stat().mode & S_IFMT) === S_IF.FIFO) throw new SysError(E.ESPIPE);
  if (BigInt.asIntN(64, length) < 0n || advice < 0 || advice > 5) throw new SysError(E.EINVAL);
  return 0;
}

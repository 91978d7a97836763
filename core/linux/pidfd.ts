/**
 * Process file descriptors (pidfd_open(2)): a descriptor that names a guest
 * process of the run. poll says POLLIN once it has exited (and POLLHUP too
 * once it is reaped); pidfd_send_signal signals it and waitid(P_PIDFD)
 * waits for it (sys_signals.ts, sys_children.ts), as Python's
 * `os.pidfd_open` and systemd-era programs use them.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, POLL } from "./fds.ts";
import { GuestOnlyFile } from "./event_files.ts";
import type { LinuxProcess } from "./process.ts";
import { int, type SyscallTable } from "./syscall.ts";

/**
 * An open pidfd: reads and writes fail with EINVAL, as Linux's.
 *
 * @example
 * ```ts ignore
 * const f = new PidFd(child, 0);
 * f.readiness(); // 0 while it runs, POLLIN once it exited
 * ```
 */
export class PidFd extends GuestOnlyFile {
  constructor(readonly process: LinuxProcess, statusFlags: number) {
    super(statusFlags);
  }
  /** whether the process is gone from the run (its parent collected it) */
  get reaped(): boolean {
    return !this.process.world.processes.includes(this.process);
  }
  readiness(): number {
    if (!this.process.exited) return 0;
    return this.reaped ? POLL.IN | POLL.HUP : POLL.IN;
  }
}

/** The pidfd open at `fd` of `p`: EBADF when it is none. */
export function pidFdAt(p: LinuxProcess, fd: number): PidFd {
  const f = p.fds.get(fd);
  if (!(f instanceof PidFd)) throw new SysError(E.EBADF);
  return f;
}

/** pidfd_open: a pidfd (always close-on-exec) on a guest process, PIDFD_NONBLOCK its one flag. */
function pidfdOpen(p: LinuxProcess, pid: number, flags: number): number {
  if (flags & ~O.NONBLOCK || pid <= 0) throw new SysError(E.EINVAL);
  const q = p.world.processes.find((x) => x.pid === pid);
  if (!q) throw new SysError(E.ESRCH);
  return p.fds.install(new PidFd(q, O.RDWR | flags), true);
}

/**
 * The pidfd syscall made here (pidfd_send_signal is with kill, in sys_signals.ts).
 *
 * @example
 * ```ts
 * import { pidfdSyscalls } from "./pidfd.ts";
 * console.log("pidfd_open" in pidfdSyscalls); // true
 * ```
 */
export const pidfdSyscalls: SyscallTable = {
  pidfd_open: (p, a) => pidfdOpen(p, int(a[0]), int(a[1])),
};

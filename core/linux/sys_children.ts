/**
 * Syscalls about child processes: wait4 and getppid (fork itself is clone
 * without CLONE_THREAD: sys_thread.ts).
 *
 * @module
 */

import { GuestFault } from "../errors.ts";
import { E, SysError } from "./errno.ts";
import { waitStatus } from "./fork.ts";
import type { LinuxProcess } from "./process.ts";
import { int, put, putU32, type SyscallTable } from "./syscall.ts";
import { Blocking } from "./threads.ts";

const WNOHANG = 1;
/** sizeof(struct rusage) */
const RUSAGE_SIZE = 144;

/** The children of `p` that wait4's `pid` selects (-1, 0 and process groups: all of them). */
function selected(p: LinuxProcess, pid: number): LinuxProcess[] {
  return p.world.processes.filter((q) => q.parent === p && (pid <= 0 || q.pid === pid));
}

/** Collects one exited child: stores its status and usage, forgets it; its pid, or null. */
function reap(p: LinuxProcess, a: bigint[]): number | null {
  const dead = selected(p, int(a[0])).find((q) => q.exited);
  if (!dead) return null;
  if (a[1] !== 0n) putU32(p, a[1], waitStatus(dead));
  if (a[3] !== 0n) put(p, a[3], new Uint8Array(RUSAGE_SIZE));
  p.world.reap(dead);
  return dead.pid;
}

function wait4(p: LinuxProcess, a: bigint[]): number | Blocking {
  if (!selected(p, int(a[0])).length) throw new SysError(E.ECHILD);
  const now = reap(p, a);
  if (now !== null) return now;
  if (int(a[2]) & WNOHANG) return 0;
  return new Blocking("a child to exit", () => {
    try {
      return reap(p, a) ?? (selected(p, int(a[0])).length ? null : -E.ECHILD);
    } catch (e) {
      if (e instanceof SysError || e instanceof GuestFault) return -E.EFAULT;
      throw e;
    }
  });
}

/**
 * Child-process syscalls by name.
 *
 * @example
 * ```ts
 * import { childSyscalls } from "./sys_children.ts";
 * console.log("wait4" in childSyscalls); // true
 * ```
 */
export const childSyscalls: SyscallTable = {
  wait4,
  // The program started has no parent in the guest world: it reports pid - 1, as before.
  getppid: parentPid,
};

/** The parent's pid as the guest sees it (the first process's parent is pid - 1, outside the run). */
export function parentPid(p: LinuxProcess): number {
  return p.parent ? p.parent.pid : p.pid - 1;
}

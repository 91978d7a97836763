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
import { hostIds } from "./program_load.ts";
import { SIG } from "./signals.ts";
import { int, put, putU32, StructWriter, type SyscallTable } from "./syscall.ts";
import { Blocking } from "./threads.ts";

const WNOHANG = 1;
/** sizeof(struct rusage) */
const RUSAGE_SIZE = 144;

/** The children of `p` that wait4's `pid` selects: one, any (-1), the caller's group (0) or group -pid. */
function selected(p: LinuxProcess, pid: number): LinuxProcess[] {
  const group = pid === 0 ? p.pgid : -pid;
  return p.world.processes.filter((q) =>
    q.parent === p && !p.world.orphans.has(q) &&
    (pid === -1 || (pid > 0 ? q.pid === pid : q.pgid === group))
  );
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

const P_ALL = 0, P_PID = 1, P_PGID = 2;
const WEXITED = 4, WNOWAIT = 0x01000000, CLD_EXITED = 1, CLD_KILLED = 2;

/** waitid for exited children (WEXITED): fills the siginfo; stopped/continued ones never come. */
function waitid(p: LinuxProcess, a: bigint[]): number | Blocking {
  const type = int(a[0]), id = int(a[1]), options = int(a[3]);
  if (!(options & 0xe) || (options & ~(0xf | WNOWAIT | 0xe0000000))) throw new SysError(E.EINVAL);
  const pid = type === P_ALL ? -1 : type === P_PID && id > 0 ? id : type === P_PGID ? -id : NaN;
  if (Number.isNaN(pid) || (type === P_PGID && id < 0)) throw new SysError(E.EINVAL);
  if (!selected(p, pid).length) throw new SysError(E.ECHILD);
  const collect = (): number | null => {
    const dead = options & WEXITED ? selected(p, pid).find((q) => q.exited) : undefined;
    if (!dead) return null;
    const info = new StructWriter(128).u32(0, SIG.SIGCHLD);
    const killed = dead.exitSignal !== null;
    info.u32(8, killed ? CLD_KILLED : CLD_EXITED).u32(16, dead.pid).u32(20, hostIds().uid);
    info.u32(24, killed ? dead.exitSignal! : dead.exitStatus! & 0xff);
    if (a[2] !== 0n) put(p, a[2], info.bytes);
    if (a[4] !== 0n) put(p, a[4], new Uint8Array(RUSAGE_SIZE));
    if (!(options & WNOWAIT)) p.world.reap(dead);
    return 0;
  };
  const now = collect();
  if (now !== null) return now;
  if (options & WNOHANG) {
    if (a[2] !== 0n) put(p, a[2], new Uint8Array(128));
    return 0;
  }
  return new Blocking("a child to exit", () => {
    try {
      return collect() ?? (selected(p, pid).length ? null : -E.ECHILD);
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
  waitid,
  // The program started has no parent in the guest world: it reports pid - 1, as before.
  getppid: parentPid,
};

/**
 * The parent's pid as the guest sees it: the first process's parent is
 * pid - 1 and an orphan's is init (1), both outside the run.
 */
export function parentPid(p: LinuxProcess): number {
  if (p.world.orphans.has(p)) return 1; // init adopted it
  return p.parent ? p.parent.pid : p.pid - 1;
}

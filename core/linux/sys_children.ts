/**
 * Syscalls about child processes: wait4 and waitid (exited children, and
 * stopped and continued ones: `job_control.ts`) and getppid (fork itself is
 * clone without CLONE_THREAD: sys_thread.ts).
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
import { CLD_CONTINUED, CLD_STOPPED } from "./job_control.ts";
import { O } from "./fds.ts";
import { pidFdAt } from "./pidfd.ts";

const WNOHANG = 1, WUNTRACED = 2, WCONTINUED = 8;
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

/**
 * The first of `children` with something for a waiter that wants `stopped`
 * and `continued` changes too: it exited, or stopped or continued since the
 * last such wait.
 */
function changed(children: LinuxProcess[], stopped: boolean, continued: boolean) {
  return children.find((q) => {
    const c = q.job.change?.kind;
    return q.exited || (stopped && c === "stopped") || (continued && c === "continued");
  });
}

/** Collects one child (see `changed`): stores its status and usage; its pid, or null. */
function reap(p: LinuxProcess, a: bigint[]): number | null {
  const options = int(a[2]);
  const q = changed(selected(p, int(a[0])), !!(options & WUNTRACED), !!(options & WCONTINUED));
  if (!q) return null;
  const change = q.job.change;
  // as Linux encodes them: exit code or signal, 0x7f under a stop signal, 0xffff continued
  let status = waitStatus(q);
  if (!q.exited) status = change!.kind === "stopped" ? (change!.signal << 8) | 0x7f : 0xffff;
  if (a[1] !== 0n) putU32(p, a[1], status);
  if (a[3] !== 0n) put(p, a[3], new Uint8Array(RUSAGE_SIZE));
  if (q.exited) p.world.reap(q);
  else q.job.change = null;
  return q.pid;
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

const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
const WEXITED = 4, WNOWAIT = 0x01000000, CLD_EXITED = 1, CLD_KILLED = 2;

/** The siginfo waitid stores for child `q`: how it exited, or stopped, or continued. */
function childInfo(q: LinuxProcess): StructWriter {
  const info = new StructWriter(128).u32(0, SIG.SIGCHLD).u32(16, q.pid).u32(20, hostIds().uid);
  const change = q.job.change;
  if (!q.exited) {
    const code = change!.kind === "stopped" ? CLD_STOPPED : CLD_CONTINUED;
    return info.u32(8, code).u32(24, change!.signal);
  }
  const killed = q.exitSignal !== null;
  return info.u32(8, killed ? CLD_KILLED : CLD_EXITED)
    .u32(24, killed ? q.exitSignal! : q.exitStatus! & 0xff);
}

/** waitid: exited (WEXITED), stopped (WSTOPPED) or continued (WCONTINUED) children. */
function waitid(p: LinuxProcess, a: bigint[]): number | Blocking {
  const type = int(a[0]), id = int(a[1]), options = int(a[3]);
  if (!(options & 0xe) || (options & ~(0xf | WNOWAIT | 0xe0000000))) throw new SysError(E.EINVAL);
  const pidfd = type === P_PIDFD ? pidFdAt(p, id) : null;
  const pid = type === P_ALL
    ? -1
    : type === P_PID && id > 0
    ? id
    : type === P_PGID
    ? -id
    : pidfd?.process.pid ?? NaN;
  if (Number.isNaN(pid) || (type === P_PGID && id < 0)) throw new SysError(E.EINVAL);
  if (!selected(p, pid).length || pidfd?.reaped) throw new SysError(E.ECHILD);
  const collect = (): number | null => {
    const children = selected(p, pid).filter((q) => !q.exited || options & WEXITED);
    const q = changed(children, !!(options & WUNTRACED), !!(options & WCONTINUED));
    if (!q) return null;
    if (a[2] !== 0n) put(p, a[2], childInfo(q).bytes);
    if (a[4] !== 0n) put(p, a[4], new Uint8Array(RUSAGE_SIZE));
    if (options & WNOWAIT) return 0;
    if (q.exited) p.world.reap(q);
    else q.job.change = null;
    return 0;
  };
  const now = collect();
  if (now !== null) return now;
  // a nonblocking pidfd's waitid does not wait (Linux 5.10)
  if (pidfd && pidfd.statusFlags & O.NONBLOCK && !(options & WNOHANG)) {
    throw new SysError(E.EAGAIN);
  }
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

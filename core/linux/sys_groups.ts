/**
 * Process groups and sessions: getpgid, setpgid, getsid, setsid, and the
 * processes a `kill` of 0, -1 or -pgid reaches.
 *
 * The program started belongs to the group and session of its (absent)
 * parent, pid - 1, as a program started by a shell script does; fork
 * children inherit both.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import type { LinuxProcess } from "./process.ts";
import { int, type SyscallTable } from "./syscall.ts";

/** The process `pid` names (0: the caller), or ESRCH. */
function processOf(p: LinuxProcess, pid: number): LinuxProcess {
  const q = pid === 0 ? p : p.world.find(pid);
  if (!q || pid < 0) throw new SysError(E.ESRCH);
  return q;
}

function setpgid(p: LinuxProcess, pid: number, pgid: number): number {
  if (pgid < 0) throw new SysError(E.EINVAL);
  const q = processOf(p, pid);
  if (q !== p && q.parent !== p) throw new SysError(E.ESRCH);
  if (q.sid !== p.sid || q.sid === q.pid) throw new SysError(E.EPERM);
  const group = pgid === 0 ? q.pid : pgid;
  const exists = p.world.processes.some((r) => r.pgid === group && r.sid === p.sid && !r.exited);
  if (group !== q.pid && !exists) throw new SysError(E.EPERM);
  q.pgid = group;
  return 0;
}

function setsid(p: LinuxProcess): number {
  if (p.world.processes.some((q) => q.pgid === p.pid)) throw new SysError(E.EPERM);
  p.sid = p.pgid = p.pid;
  return p.pid;
}

/**
 * The live processes `kill(pid, ...)` signals: one process for pid > 0, the
 * caller's group for 0, every other process of the run for -1, group -pid below.
 * ESRCH when there is none.
 *
 * @example
 * ```ts ignore
 * for (const q of killTargets(p, -p.pgid)) q.sendSignal(sig);
 * ```
 */
export function killTargets(p: LinuxProcess, pid: number): LinuxProcess[] {
  const live = p.world.processes.filter((q) => !q.exited);
  const targets = pid > 0
    ? live.filter((q) => q.pid === pid)
    : pid === -1
    ? live.filter((q) => q !== p)
    : live.filter((q) => q.pgid === (pid === 0 ? p.pgid : -pid));
  if (!targets.length) throw new SysError(E.ESRCH);
  return targets;
}

/**
 * Process-group syscalls by name.
 *
 * @example
 * ```ts
 * import { groupSyscalls } from "./sys_groups.ts";
 * console.log("setsid" in groupSyscalls); // true
 * ```
 */
export const groupSyscalls: SyscallTable = {
  getpgid: (p, a) => processOf(p, int(a[0])).pgid,
  getsid: (p, a) => processOf(p, int(a[0])).sid,
  setpgid: (p, a) => setpgid(p, int(a[0]), int(a[1])),
  setsid,
};

/**
 * Job control between guest processes: a stop signal (SIGSTOP, SIGTSTP,
 * SIGTTIN, SIGTTOU) whose action is the default stops a child process, which
 * then takes no turn until SIGCONT continues it (or SIGKILL ends it). Its
 * parent learns of both: SIGCHLD with CLD_STOPPED or CLD_CONTINUED (unless
 * its SIGCHLD action has SA_NOCLDSTOP), wait4 with WUNTRACED or WCONTINUED,
 * waitid with WSTOPPED or WCONTINUED. Semantics: signal(7), wait(2).
 *
 * The program started is never stopped (a stop signal is ignored there, as
 * before): nothing in the run could continue it, where a shell would.
 *
 * @module
 */

import type { LinuxProcess } from "./process.ts";
import { hostIds } from "./program_load.ts";
import { SIG } from "./signals.ts";

/** si_code of SIGCHLD for a stop and a continue. */
export const CLD_STOPPED = 5, CLD_CONTINUED = 6;
/** SA_NOCLDSTOP: no SIGCHLD when a child stops or continues. */
const SA_NOCLDSTOP = 1;

/** A stop or continue the parent has not collected yet (wait4, waitid). */
export interface JobChange {
  kind: "stopped" | "continued";
  /** the stop signal, or SIGCONT */
  signal: number;
}

/**
 * The job-control state of a process.
 *
 * @example
 * ```ts
 * import { JobState } from "./job_control.ts";
 * console.log(new JobState().stopped); // null
 * ```
 */
export class JobState {
  /** the signal that stopped the process (null: it runs) */
  stopped: number | null = null;
  /** the last stop or continue, until the parent collects it */
  change: JobChange | null = null;
}

function tellParent(p: LinuxProcess, code: number, status: number): void {
  const parent = p.parent;
  if (!parent || parent.exited || p.world.orphans.has(p)) return;
  if (parent.signals.actions[SIG.SIGCHLD].flags & SA_NOCLDSTOP) return;
  parent.signals.raise({ signal: SIG.SIGCHLD, code, pid: p.pid, uid: hostIds().uid, status });
}

/**
 * Stops `p` with stop signal `signal` (delivered with its default action);
 * false when `p` is the program started, which ignores it.
 *
 * @example
 * ```ts ignore
 * if (what === "stop" && stopProcess(p, sig)) return; // the process takes no more turns
 * ```
 */
export function stopProcess(p: LinuxProcess, signal: number): boolean {
  if (p.world.root === p) return false;
  p.job.stopped = signal;
  p.job.change = { kind: "stopped", signal };
  tellParent(p, CLD_STOPPED, signal);
  return true;
}

/**
 * What sending `signal` to `p` does before it is queued: SIGCONT continues a
 * stopped process (blocked or ignored, it still does), SIGKILL lets one run
 * to its end, and a stop signal drops a pending SIGCONT (as SIGCONT drops
 * pending stop signals).
 *
 * @example
 * ```ts ignore
 * signalSent(p, SIG.SIGCONT);
 * ```
 */
export function signalSent(p: LinuxProcess, signal: number): void {
  const stops = [SIG.SIGSTOP, SIG.SIGTSTP, SIG.SIGTTIN, SIG.SIGTTOU] as number[];
  const s = p.signals;
  const drop = (which: number[]) => {
    const keep = s.pending.filter((q) => !which.includes(q.signal));
    s.pending.splice(0, s.pending.length, ...keep);
  };
  if (signal === SIG.SIGCONT) {
    drop(stops);
    if (p.job.stopped === null) return;
    p.job.stopped = null;
    p.job.change = { kind: "continued", signal };
    tellParent(p, CLD_CONTINUED, signal);
  } else if (signal === SIG.SIGKILL) p.job.stopped = null;
  else if (stops.includes(signal)) drop([SIG.SIGCONT]);
}

/**
 * Snapshots of a Linux process: the CPU and clock, the address space (by
 * dirty frames, see `core/snapshot/page_table.ts`), and the OS state a run
 * changes: the descriptor table with offsets, brk and the mmap base, signal
 * dispositions, mask, pending set and alternate stack, the interval and POSIX timers,
 * the cwd, the random generator, and where the process stands in its event sequence (a syscall
 * reported but not yet run, a deferred fault).
 *
 * Host files are kept open by a snapshot that holds them, so a restore puts
 * back descriptors the guest closed since; their contents are the host's and
 * are not rolled back.
 *
 * @module
 */

import { captureCpu, type CpuSnapshot, restoreCpu } from "../snapshot/cpu_state.ts";
import {
  capturePageTable,
  type PageTableSnapshot,
  restorePageTable,
} from "../snapshot/page_table.ts";
import type { Trap } from "../trap.ts";
import type { PortableSnapshot } from "../snapshot/file.ts";
import { describeFds, materializeProcess, portableProcess } from "./process_file.ts";
import type { LinuxProcess, ProcessEvent } from "./process.ts";
import type { PendingSignal, SigAction } from "./signals.ts";
import type { BreakLayout } from "./mm.ts";
import type { PosixTimer } from "./posix_timers.ts";

/**
 * Where a {@linkcode LinuxProcess} stands in its event sequence (its private
 * fields, handed over by the process itself).
 */
export interface ProcessRunState {
  /** a syscall reported but not yet run */
  readonly pending: Extract<ProcessEvent, { kind: "syscall" }> | null;
  /** the return value a script chose for it */
  readonly pendingSkip: bigint | null;
  /** a fault reported but not yet acted on */
  readonly deferredFault: Trap | null;
  /** vcpu_init was emitted */
  readonly started: boolean;
  /** events queued for the next steps */
  readonly events: readonly ProcessEvent[];
}

/** A process at one moment, for {@linkcode LinuxProcess.restore}. */
export interface ProcessSnapshot {
  /** the CPU state block, icount and clock */
  readonly cpu: CpuSnapshot;
  /** the page table and frame contents */
  readonly memory: PageTableSnapshot;
  /** the program break and where mmap searches start */
  readonly brk: BreakLayout;
  /** puts the descriptor table and its files' offsets back */
  readonly restoreFds: () => void;
  /** dispositions, mask, pending signals, alternate stack */
  readonly signals: {
    readonly actions: readonly SigAction[];
    readonly blocked: bigint;
    readonly pending: readonly PendingSignal[];
    readonly threadPending: readonly PendingSignal[];
    readonly altStack: { sp: bigint; flags: number; size: bigint };
  };
  /** the one thread (snapshots of several threads are refused) and the scheduler */
  readonly thread: {
    readonly tid: number;
    readonly robustList: bigint;
    /** the scheduler's generator and what is left of the thread's quantum */
    readonly sched: bigint;
    readonly quantumLeft: number;
    /** instructions of the processes already reaped (the virtual clock counts them) */
    readonly retired: number;
    /** the next pid or tid to hand out (files written before it have none) */
    readonly nextId?: number;
  };
  /** setitimer's timers: expiry and interval, ns (files written before them have none) */
  readonly timers: readonly (readonly [bigint, bigint])[];
  /** timer_create's timers and the next id (files written before them have none) */
  readonly posixTimers: { readonly nextId: number; readonly timers: readonly PosixTimer[] };
  /** the guest's working directory */
  readonly cwd: string;
  /** the seeded generator's position */
  readonly random: bigint;
  /** the process fields a run changes */
  readonly process: {
    readonly umask: number;
    readonly clearChildTid: bigint;
    readonly exitStatus: number | null;
    readonly exitSignal: number | null;
    readonly restoreMaskAfterSignal: bigint | null;
  };
  /** where the process stands in its event sequence */
  readonly run: ProcessRunState;
  /** The snapshot as plain data (for a snapshot file). */
  portable(): PortableSnapshot;
}

/**
 * Saves `p` (called by {@linkcode LinuxProcess.snapshot}).
 *
 * @example
 * ```ts ignore
 * const s = p.snapshot();
 * p.step();
 * p.restore(s);
 * ```
 */
export function captureProcess(p: LinuxProcess, run: ProcessRunState): ProcessSnapshot {
  const fds = describeFds(p);
  const s: ProcessSnapshot = {
    cpu: captureCpu(p.cpu, p.clock),
    memory: capturePageTable(p.mem),
    restoreFds: p.fds.capture(),
    ...osState(p),
    run,
    portable: () => portableProcess(s, fds),
  };
  return s;
}

/** The OS side of a process that a snapshot keeps: brk, signals, cwd, random state, ids. */
export function osState(p: LinuxProcess): Pick<ProcessSnapshot, OsStateField> {
  const sig = p.signals;
  return {
    brk: p.as.layout,
    signals: {
      actions: sig.actions.map((a) => ({ ...a })),
      blocked: sig.blocked,
      pending: sig.pending.map((s) => ({ ...s })),
      threadPending: sig.threadPending.map((s) => ({ ...s })),
      altStack: { ...sig.altStack },
    },
    thread: {
      tid: p.tid,
      robustList: p.threads.current.robustList,
      sched: p.threads.scheduler.state,
      quantumLeft: p.threads.quantumLeft,
      retired: p.world.retired,
      nextId: p.world.nextId,
    },
    timers: p.timers.state.map(([at, interval]) => [at, interval]),
    posixTimers: {
      nextId: p.timers.posix.nextId,
      timers: p.timers.posix.timers.map((t) => ({ ...t })),
    },
    cwd: p.paths.cwd,
    random: p.random.state,
    process: {
      umask: p.umask,
      clearChildTid: p.clearChildTid,
      exitStatus: p.exitStatus,
      exitSignal: p.exitSignal,
      restoreMaskAfterSignal: p.restoreMaskAfterSignal,
    },
  };
}

type OsStateField =
  | "brk"
  | "signals"
  | "thread"
  | "timers"
  | "posixTimers"
  | "cwd"
  | "random"
  | "process";

/**
 * Puts `p` back as `snap` saved it (called by {@linkcode LinuxProcess.restore});
 * a snapshot read from a file must be of the same program.
 */
export function restoreProcess(
  p: LinuxProcess,
  snap: ProcessSnapshot | PortableSnapshot,
): ProcessRunState {
  const s = "kind" in snap ? materializeProcess(p, snap) : snap;
  restoreCpu(p.cpu, p.clock, s.cpu);
  restorePageTable(p.mem, s.memory);
  p.as.layout = s.brk;
  s.restoreFds();
  const sig = p.signals;
  restoreActions(sig.actions, s.signals.actions);
  sig.blocked = s.signals.blocked;
  if (sig.pending.length || s.signals.pending.length) {
    sig.pending.splice(0, sig.pending.length, ...s.signals.pending.map((q) => ({ ...q })));
  }
  // Files written before threads existed have no thread fields: one thread, nothing pending.
  sig.threadPending = (s.signals.threadPending ?? []).map((q) => ({ ...q }));
  sig.altStack = { ...s.signals.altStack };
  const t = s.thread ?? { tid: p.pid, robustList: 0n, sched: 0n, quantumLeft: 0, retired: 0 };
  p.threads.reset(t.tid);
  p.threads.current.robustList = t.robustList;
  p.threads.scheduler.state = t.sched;
  p.threads.quantumLeft = t.quantumLeft;
  p.world.retired = t.retired;
  // Files without the counter: after the live ids (the restored tid among them).
  p.world.nextId = t.nextId ?? 0;
  p.timers.state = (s.timers ?? [[0n, 0n], [0n, 0n], [0n, 0n]]).map(([at, i]) => [at, i]);
  const posix = s.posixTimers ?? { nextId: 0, timers: [] };
  p.timers.posix.nextId = posix.nextId;
  p.timers.posix.timers = posix.timers.map((t) => ({ ...t }));
  p.paths.cwd = s.cwd;
  p.random.state = s.random;
  Object.assign(p, s.process);
  return s.run;
}

/** Puts back the dispositions that changed (most runs change none). */
function restoreActions(live: SigAction[], saved: readonly SigAction[]): void {
  for (let i = 0; i < saved.length; i++) {
    const a = live[i], b = saved[i];
    if (a.handler !== b.handler || a.flags !== b.flags || a.mask !== b.mask) Object.assign(a, b);
    else a.restorer = b.restorer;
  }
}

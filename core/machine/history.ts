/**
 * Going backwards in a run: an {@linkcode ExecutionHistory} takes checkpoints
 * ({@linkcode Machine.snapshot}) while the machine runs forward, and reaches
 * any earlier point by restoring the nearest checkpoint before it and running
 * forward again. Runs are deterministic, so the re-execution passes through
 * exactly the states the first run did (this is QEMU's record/replay reverse
 * debugging). Where the guest read the outside world (stdin, the serial
 * console, host time, host files), the re-execution takes the same input
 * again from the machine's input log: each checkpoint keeps the log's
 * {@linkcode LogMark}, and a restore rewinds the log to it. A machine
 * created with `rr` has one (`rr: { mode: "record" }` without a file keeps
 * it in memory; the gdb stub of the command line does that); without one, a
 * run that read outside input cannot be re-executed.
 *
 * **Positions.** A point of the run is its *position*: the instructions
 * retired plus the syscalls completed (a syscall is reported before it runs,
 * with the same instruction count as after; it is one step of its own, as gdb
 * sees it).
 *
 * **One CPU alone.** A debugger may run one CPU (a hart) alone, the others
 * stopped ({@linkcode ExecutionHistory.soloCpu}): the history records where
 * it did, and a re-execution runs the same CPUs at the same positions.
 *
 * **Bounded cost.** A checkpoint is taken every `interval` instructions at
 * the front of the run. Past `maxCheckpoints`, the one whose removal leaves the
 * smallest gap relative to its distance from the present is dropped: recent
 * history stays dense and older history thins out geometrically, so a step
 * back from the present costs at most one restore and `interval` instructions
 * whatever the length of the run. Reaching a point re-executes from the
 * nearest checkpoint and leaves a checkpoint halfway, so a series of steps
 * back gets cheaper as it goes.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { LogMark } from "../replay/input_log.ts";
import type { RunEvent } from "./events.ts";
import { type Machine, machineDriver, type Snapshot } from "./machine.ts";

/** Options of an {@linkcode ExecutionHistory}. */
export interface HistoryOptions {
  /** instructions between checkpoints at the front of the run (default 2^24) */
  interval?: number;
  /** the most checkpoints kept (default 64, at least 2) */
  maxCheckpoints?: number;
}

/** A breakpoint or watchpoint hit, as a forward run reports it. */
export type StopEvent = Extract<RunEvent, { type: "breakpoint" | "watchpoint" }>;

/** Where a reverse run stopped: at a breakpoint or watchpoint, or at the start of the history. */
export type ReverseStop = StopEvent | { type: "history_begin" };

interface Checkpoint {
  position: number;
  snapshot: Snapshot;
  /** every register's value there, to catch a re-execution that went another way */
  registers: string;
  /** how far the guest had taken its input log there */
  inputs?: LogMark;
}

/**
 * Instructions between checkpoints by default: at about 1 G instructions a
 * second, a checkpoint every ~15 ms keeps snapshots (a few ms each) to a few
 * percent of a run, and a step back re-executes at most that much.
 */
export const DEFAULT_INTERVAL = 1 << 24;

const OUTSIDE_INPUT_HINT = "a run that reads outside input (stdin, serial input, -realtime) " +
  "re-executes differently without an input log: create the machine with rr " +
  '(e.g. rr: { mode: "record" }, kept in memory) or run with -icount rr=record,rrfile=FILE';

/** Re-executions shorter than this leave no checkpoint behind (a restore costs more). */
const MIN_SPLIT = 4096;

/**
 * The history of one machine's run, from its creation on: step, run back
 * to a breakpoint, or go to any position. Drive the machine forward through
 * {@linkcode next} (not `m.next`), so the history sees every step.
 *
 * Breakpoints and watchpoints are the machine's own (`m.addBreakpoint`,
 * `m.addWatchpoint`). Going backwards, a breakpoint stops before its
 * instruction, and a watchpoint before the instruction that accessed the
 * watched memory (forwards: after it), as in QEMU's reverse debugging.
 *
 * @example
 * ```ts
 * import { createMachine, ExecutionHistory } from "../../mod.ts";
 * const m = await createMachine({ program: "tests/guests/bin/hello.static.O2" });
 * const h = new ExecutionHistory(m);
 * m.addBreakpoint(m.symbol("main")!);
 * while (h.next().type !== "breakpoint"); // through the syscalls before main
 * const at = h.position;
 * for (let i = 0; i < 100; i++) h.stepForward();
 * h.reverseStep(); // one step back
 * console.log(h.position === at + 99); // true
 * console.log(h.reverseContinue().type, m.pc === m.symbol("main")); // breakpoint true
 * await m.close();
 * ```
 */
export class ExecutionHistory {
  readonly #m: Machine;
  readonly #interval: number;
  readonly #max: number;
  /** sorted by position; the first is the start of the history */
  readonly #checkpoints: Checkpoint[] = [];
  /** syscalls completed so far (part of the position) */
  #syscalls = 0;
  /** the last event was a syscall that has not run yet */
  #syscallPending = false;
  /** the furthest position reached: output before it was seen already */
  #frontier = 0;
  readonly #solo = new SoloRuns();
  /**
   * The run cannot go back before this position: the state changed just
   * before it (a debugger's write) where no checkpoint could be taken (a
   * process with several threads cannot be snapshotted yet).
   */
  #floor = 0;
  /** where a checkpoint was due last but could not be taken (the next one is due from there) */
  #missed = 0;
  /**
   * The CPU that runs alone, the others stopped, when the run goes past the
   * {@linkcode frontier} (system mode: a hart id; a debugger resuming one
   * hart), or null for every CPU. Set before the present, a choice other
   * than the recorded run's makes a new future, as {@linkcode rewrite} does.
   */
  soloCpu: number | null = null;

  /** Starts the history at the machine's current state. */
  constructor(machine: Machine, options: HistoryOptions = {}) {
    this.#m = machine;
    this.#interval = Math.max(1, options.interval ?? DEFAULT_INTERVAL);
    this.#max = Math.max(2, options.maxCheckpoints ?? 64);
    this.#checkpoints.push(this.#checkpoint(0));
  }

  /** The current position: instructions retired plus syscalls completed. */
  get position(): number {
    return this.#m.icount + this.#syscalls;
  }

  /**
   * The position of the first checkpoint the run can go back to: how far back
   * the history goes (the present when there is none).
   */
  get start(): number {
    return this.#checkpoints.find((c) => c.position >= this.#floor)?.position ?? this.position;
  }

  /** The positions of the checkpoints kept, oldest first. */
  get checkpoints(): number[] {
    return this.#checkpoints.map((c) => c.position);
  }

  /** Whether a syscall was reported and runs at the next step (user mode). */
  get syscallPending(): boolean {
    return this.#syscallPending;
  }

  /** The furthest position the run has reached (the present, unless it went back). */
  get frontier(): number {
    return this.#frontier;
  }

  /**
   * Runs forward as {@linkcode Machine.next} does (until an event, or
   * `budget` instructions), taking checkpoints at the front of the run. The
   * guest's output up to the {@linkcode frontier} is not output again.
   */
  next(budget = 10_000_000): RunEvent {
    if (this.position < this.#frontier && this.#solo.at(this.position).cpu !== this.soloCpu) {
      this.rewrite();
    }
    const stopAt = this.#m.icount + budget;
    for (;;) {
      const front = this.#checkpoints.at(-1)!;
      const due = Math.max(front.position, this.#missed) + this.#interval;
      const beyond = this.position >= front.position;
      // stop at the next checkpoint due, at the frontier (output resumes there), and where
      // the recorded run started or stopped running one CPU alone
      const to = Math.min(
        beyond ? due : Infinity,
        this.#frontier > this.position ? this.#frontier : Infinity,
        this.#solo.at(this.position).until,
      );
      const until = Math.min(stopAt, this.#m.icount + to - this.position);
      const ev = this.#advance(Math.max(0, until - this.#m.icount));
      if (ev.type !== "budget") return ev;
      if (beyond && this.position >= due) this.#add(this.position);
      if (this.#m.icount >= stopAt || this.#m.icount < until) return ev; // done, or idle
    }
  }

  /** Runs one instruction forward (or completes a reported syscall); returns its event. */
  stepForward(): RunEvent {
    if (this.#syscallPending) return this.next(0);
    const ev = this.next(1);
    return ev.type === "syscall" ? this.next(0) : ev;
  }

  /** Goes back one position; false at the start of the history. */
  reverseStep(): boolean {
    const to = this.position - 1;
    if (to < this.start) return false;
    this.seek(to);
    return true;
  }

  /**
   * Goes back to the last breakpoint or watchpoint hit before the current
   * position, or to the start of the history when there is none.
   */
  reverseContinue(): ReverseStop {
    const stop = this.lastStopBefore(this.position);
    this.seek(stop?.position ?? this.start);
    return stop?.event ?? { type: "history_begin" };
  }

  /**
   * Puts the machine in the state it had at `position` (at or after the
   * start of the history; past the present it runs on).
   */
  seek(position: number): void {
    if (!Number.isInteger(position) || position < this.start) {
      throw new EmuError(
        `history: position ${position} is before the start of the history (${this.start})`,
      );
    }
    const c = this.#checkpointAtOrBefore(position);
    if (position < this.position || c.position > this.position) this.#restore(c);
    const distance = position - this.position;
    if (distance >= MIN_SPLIT) {
      this.#runTo(this.position + Math.floor(distance / 2));
      this.#add(this.position);
    }
    this.#runTo(position);
  }

  /**
   * The last breakpoint or watchpoint hit before `position`, and where, or
   * null. Leaves the machine somewhere in between: {@linkcode seek} after.
   */
  lastStopBefore(position: number): { position: number; event: StopEvent } | null {
    const cps = this.#checkpoints;
    for (let i = cps.length - 1; i >= 0 && cps[i].position >= this.#floor; i--) {
      const from = cps[i].position;
      const to = Math.min(position - 1, cps[i + 1]?.position ?? Infinity);
      if (to < from) continue;
      this.#restore(cps[i]);
      let last: { position: number; event: StopEvent } | null = null;
      const onStop = (event: StopEvent, at: number) => {
        // a breakpoint at the checkpoint itself is found from the checkpoint before
        if (at <= to && (at > from || event.type === "watchpoint")) last = { position: at, event };
      };
      this.#runTo(to, onStop);
      if (cps[i + 1]?.position === to) this.#verify(cps[i + 1]);
      // going on from here runs a breakpoint's instruction without stopping: look first
      const m = this.#m;
      if (to > from && m.hasBreakpoint(m.pc)) onStop({ type: "breakpoint", pc: m.pc }, to);
      this.#runTo(to + 1, onStop);
      if (last) return last;
    }
    return null;
  }

  /**
   * Forgets the history after the current position and takes a checkpoint
   * here: call after changing the state (a debugger writing registers or
   * memory), which makes a new future.
   */
  rewrite(): void {
    const here = this.#frontier = this.position;
    this.#solo.truncate(here);
    const cps = this.#checkpoints;
    while (cps.length > 1 && cps.at(-1)!.position >= here) cps.pop();
    const c = this.#tryCheckpoint(here);
    if (!c) this.#floor = here + 1;
    else if (cps[0].position === here) cps[0] = c;
    else this.#add(here, c);
  }

  /**
   * Runs the machine on `budget` instructions (fewer where the CPUs that run
   * change), counting the syscalls that complete.
   */
  #advance(budget: number): RunEvent {
    const driver = machineDriver(this.#m);
    const from = this.position, replay = from < this.#frontier;
    const solo = replay ? this.#solo.at(from) : { cpu: this.soloCpu, until: Infinity };
    driver.muteOutput(replay);
    driver.runAlone?.(solo.cpu);
    if (this.#syscallPending) this.#syscalls++;
    this.#syscallPending = false;
    try {
      const ev = this.#m.next(Math.min(budget, solo.until - from));
      this.#syscallPending = ev.type === "syscall";
      return ev;
    } finally {
      driver.muteOutput(false);
      driver.runAlone?.(null);
      if (!replay) this.#solo.record(from, this.position, solo.cpu);
      this.#frontier = Math.max(this.#frontier, this.position);
    }
  }

  /** Runs forward to exactly `position`, reporting breakpoint and watchpoint hits with theirs. */
  #runTo(position: number, onStop?: (event: StopEvent, at: number) => void): void {
    while (this.position < position) {
      if (this.#syscallPending) {
        this.#advance(0);
        continue;
      }
      const before = this.position;
      // output resumes at the frontier, so a run past it stops there first
      const end = before < this.#frontier ? Math.min(position, this.#frontier) : position;
      const ev = this.#advance(end - before);
      if (ev.type === "breakpoint") onStop?.(ev, this.position);
      // a watchpoint stops after the accessing instruction, or before it (the pc still there)
      else if (ev.type === "watchpoint") {
        onStop?.(ev, ev.pc === this.#m.pc ? this.position : this.position - 1);
      }
      const ended = ev.type === "exit" || ev.type === "poweroff";
      const idle = ev.type === "budget" && this.position === before;
      if ((ended || idle) && this.position < position) {
        throw new EmuError(
          `history: re-executing the run went another way at position ${this.position} ` +
            `(${ev.type} before position ${position})`,
          OUTSIDE_INPUT_HINT,
        );
      }
    }
  }

  #checkpointAtOrBefore(position: number): Checkpoint {
    const cps = this.#checkpoints;
    let i = cps.length - 1;
    while (i > 0 && cps[i].position > position) i--;
    return cps[i];
  }

  #restore(c: Checkpoint): void {
    this.#m.restore(c.snapshot);
    if (c.inputs) machineDriver(this.#m).inputLog!.rewind(c.inputs);
    this.#syscalls = c.position - this.#m.icount;
    this.#syscallPending = false;
  }

  /**
   * Takes a checkpoint at the current position (which must be between two or
   * at the front), unless none can be taken there.
   */
  #add(position: number, c = this.#tryCheckpoint(position)): void {
    const cps = this.#checkpoints;
    let i = cps.length;
    while (i > 0 && cps[i - 1].position >= position) i--;
    if (!c) this.#missed = position;
    if (cps[i]?.position === position || !c) return;
    cps.splice(i, 0, c);
    if (cps.length > this.#max) this.#thin(position);
  }

  /** A checkpoint here, or null where the machine cannot be snapshotted (several threads). */
  #tryCheckpoint(position: number): Checkpoint | null {
    try {
      return this.#checkpoint(position);
    } catch (e) {
      if (e instanceof EmuError) return null;
      throw e;
    }
  }

  #checkpoint(position: number): Checkpoint {
    return {
      position,
      snapshot: this.#m.snapshot(),
      registers: this.#registers(),
      inputs: machineDriver(this.#m).inputLog?.mark(),
    };
  }

  #registers(): string {
    const m = this.#m;
    return machineDriver(m).target.state.registers.map((r) => m.readReg(r.name)).join(",");
  }

  /** Throws when the re-execution reached `c`'s position in another state than the first run. */
  #verify(c: Checkpoint): void {
    if (this.#registers() === c.registers) return;
    throw new EmuError(
      `history: re-executing the run went another way before position ${c.position} ` +
        `(the registers differ from the first run's)`,
      OUTSIDE_INPUT_HINT,
    );
  }

  /** Drops the checkpoint whose gap, relative to its distance from `now`, is smallest. */
  #thin(now: number): void {
    const cps = this.#checkpoints;
    let best = -1, bestCost = Infinity;
    for (let i = 1; i < cps.length - 1; i++) {
      const gap = cps[i + 1].position - cps[i - 1].position;
      const cost = gap / (Math.abs(now - cps[i].position) + 1);
      if (cost < bestCost) [best, bestCost] = [i, cost];
    }
    cps.splice(best, 1);
  }
}

/** Where in a run one CPU ran alone (a debugger resumed one hart), by position, in order. */
class SoloRuns {
  #runs: { from: number; to: number; cpu: number }[] = [];

  /** The CPU that ran alone at `position` (null: every CPU), and where that changes. */
  at(position: number): { cpu: number | null; until: number } {
    for (const r of this.#runs) {
      if (position < r.from) return { cpu: null, until: r.from };
      if (position < r.to) return { cpu: r.cpu, until: r.to };
    }
    return { cpu: null, until: Infinity };
  }

  /** Records that `cpu` (null: every CPU) ran from `from` to `to`, at the front of the run. */
  record(from: number, to: number, cpu: number | null): void {
    if (cpu === null || to <= from) return;
    const last = this.#runs.at(-1);
    if (last?.to === from && last.cpu === cpu) last.to = to;
    else this.#runs.push({ from, to, cpu });
  }

  /** Forgets the run after `position`. */
  truncate(position: number): void {
    this.#runs = this.#runs.filter((r) => r.from < position);
    const last = this.#runs.at(-1);
    if (last && last.to > position) last.to = position;
  }
}

/**
 * The system-mode run loop (target independent): runs the harts in chunks
 * bounded by the next device event, delivers traps and interrupts through
 * the target's {@linkcode SystemHart}, idles through `wfi` by skipping
 * virtual time to the next event (deterministic, no busy loop), and handles
 * machine poweroff and reset. It runs synchronously; the machine's `run()`
 * awaits between slices, so console `expect` promises settle and host input
 * (stdin) is serviced, and sleeps in {@linkcode SystemRunLoop.waitForInput}
 * while every hart idles with no timer pending.
 *
 * Interrupts are checked at TB boundaries: before each chunk, and whenever
 * the hart asks the CPU to stop (a CSR write or a device made an interrupt
 * deliverable, `wfi`).
 *
 * Several harts (`-smp N`) share one host thread, as QEMU's round-robin TCG
 * does: each runs a quantum of guest instructions, then the next hart that
 * is not waiting in `wfi` takes over, in hart order. The interleaving is a
 * function of the quantum only, so a run is the same every time. Harts share
 * the host memory's state block and soft TLB: a switch parks the CPU that
 * ran (see `CpuCore.park`), drops its LR/SC reservation (so an SC never
 * succeeds over another hart's stores) and empties the soft TLB. An
 * interrupt raised for a hart that is not running is taken when its turn
 * comes, at most a quantum later. A debugger may run one hart alone
 * ({@linkcode SystemRunLoop.only}): the others stay stopped, as QEMU's
 * gdbstub leaves the vCPUs a `vCont` does not resume.
 *
 * @module
 */

import type { VirtualClock } from "../clock.ts";
import type { CpuCore } from "../cpu_core.ts";
import type { SystemHart } from "./system_target.ts";
import type { EventQueue } from "./events.ts";
import type { MachineControl } from "./machine.ts";
import type { HookEvents } from "../hooks/events.ts";

/** Default instructions a hart runs before the next one takes its turn (`-smp N`, N > 1). */
export const DEFAULT_HART_QUANTUM = 10_000;

/** One hart as the loop runs it: its CPU and the target's privileged side of it. */
export interface LoopHart {
  readonly cpu: CpuCore;
  readonly hart: SystemHart;
}

/** How {@linkcode SystemRunLoop.runSlice} ended. */
export type RunLoopResult =
  | { kind: "poweroff"; status: number }
  | { kind: "reset" }
  | { kind: "stopped" };

/** The machine parts the loop drives. */
export interface RunLoopMachine {
  events: EventQueue;
  clock: VirtualClock;
  control: MachineControl;
}

/**
 * Runs the harts of a machine and its devices.
 *
 * @example
 * ```ts ignore
 * const loop = new SystemRunLoop([{ cpu, hart }], { events, clock, control: m.control });
 * loop.onReset = () => rebootMachine();
 * const result = loop.runSlice(1_000_000); // { kind: "poweroff", status: 0 }, or null
 * ```
 */
export class SystemRunLoop {
  /** Called on a machine reset event (the owner reloads images and resets CPU and devices). */
  onReset: () => void = () => {};
  /** Whether a hook's stop (a breakpoint) should end the run rather than just the chunk. */
  pauseRequested: () => boolean = () => false;
  #only: number | null = null;
  /** Chunks run, traps and interrupts taken, idle skips and hart switches so far. */
  readonly stats = { chunks: 0, traps: 0, interrupts: 0, idleSkips: 0, switches: 0 };
  #wakers: (() => void)[] = [];
  /** index in `harts` of the hart that runs (the others are parked) */
  #current = 0;
  /** instructions the running hart may still run before the next one's turn */
  #quantumLeft: number;
  /** whether a hart runs a chunk (see the constructor's `onSooner`) */
  #inChunk = false;

  constructor(
    readonly harts: readonly LoopHart[],
    readonly machine: RunLoopMachine,
    /** where traps and interrupts are reported as discontinuities (the hook API's events) */
    readonly hookEvents?: HookEvents,
    /** instructions per turn when there are several harts */
    readonly quantum = DEFAULT_HART_QUANTUM,
  ) {
    this.#quantumLeft = this.#turn();
    // A poweroff or reset ends the chunk right after the instruction that asked for it, so it
    // happens at the same instruction count however the run is sliced (deterministic).
    machine.control.onEvent(() => this.#endChunk());
    // An event scheduled during a chunk before every pending one (a guest arming stimecmp or
    // mtimecmp) ends the chunk, which was sized by the earlier deadline, so that the next one
    // stops at the new deadline: else the event would wait for the chunk's end, and when it came
    // would depend on how the run is sliced.
    machine.events.onSooner = () => {
      if (this.#inChunk) this.#endChunk();
    };
  }

  /** Ends the running chunk after the instruction that is running. */
  #endChunk(): void {
    const cpu = this.cpu;
    cpu.exitRequest = true;
    cpu.stopRequested = true;
  }

  /** The CPU of the hart that runs now. */
  get cpu(): CpuCore {
    return this.harts[this.#current].cpu;
  }

  /**
   * The hart (index in `harts`) that runs alone, its turn never ending, or
   * null for all in turn (a debugger resuming one hart). Setting a hart
   * makes it the running one at once.
   */
  get only(): number | null {
    return this.#only;
  }

  set only(index: number | null) {
    this.#only = index;
    if (index !== null && index !== this.#current) this.#switchTo(index);
  }

  /** Instructions retired by all harts. */
  get icount(): number {
    let n = 0;
    for (const h of this.harts) n += h.cpu.icount;
    return n;
  }

  /** Whether every hart sleeps in `wfi`. */
  get waiting(): boolean {
    return this.harts.every((h) => h.hart.waiting);
  }

  /** Which hart runs and how much of its turn is left (saved by snapshots). */
  get position(): { current: number; quantumLeft: number } {
    return { current: this.#current, quantumLeft: this.#quantumLeft };
  }

  /** Puts the schedule back as {@linkcode position} read it (the harts' state is loaded after). */
  set position(p: { current: number; quantumLeft: number }) {
    if (p.current !== this.#current) {
      this.harts[this.#current].cpu.park();
      this.harts[p.current].cpu.unpark();
      this.#current = p.current;
    }
    this.#quantumLeft = p.quantumLeft;
  }

  /** A turn's length: unbounded with one hart, so one-hart runs are chunked as before. */
  #turn(): number {
    return this.harts.length > 1 ? this.quantum : Infinity;
  }

  /** Wakes a hart idling with no timer pending (new input arrived). */
  wake(): void {
    const w = this.#wakers;
    this.#wakers = [];
    for (const f of w) f();
  }

  /** Resolves at the next {@linkcode wake} (input arrived, or the run should stop). */
  waitForInput(): Promise<void> {
    return new Promise((resolve) => this.#wakers.push(resolve));
  }

  /**
   * Runs at most `budget` instructions (of all harts) synchronously, with the
   * machine's events, for a debugger that interleaves its own work: returns
   * how the run ended, or null when the budget is used up or every hart idles
   * with nothing pending (so the caller can poll for input).
   */
  runSlice(budget: number): RunLoopResult | null {
    const stopAt = this.icount + budget;
    // A turn that neither retires an instruction nor moves the clock (a trap whose handler
    // faults again at once, a hostile or broken guest's loop) uses one unit of the budget:
    // else such a guest would hold the caller forever.
    let stuckTurns = 0;
    for (let now = this.icount; now + stuckTurns < stopAt; now = this.icount) {
      const ns = this.machine.clock.monotonicNs();
      const r = this.#iteration(stopAt - now - stuckTurns);
      if (r === "idle") return null;
      if (r) return r;
      if (this.icount === now && this.machine.clock.monotonicNs() === ns) stuckTurns++;
    }
    return null;
  }

  /**
   * Hands the CPU to the next hart in order that is not waiting, when the
   * running one used its quantum or waits (it keeps running when no other can);
   * never while one hart runs {@linkcode only}.
   */
  #schedule(): void {
    const n = this.harts.length;
    if (n === 1 || this.#only !== null) return;
    const here = this.harts[this.#current];
    if (this.#quantumLeft > 0 && !here.hart.waiting) return;
    this.#quantumLeft = this.quantum;
    for (let step = 1; step < n; step++) {
      const next = (this.#current + step) % n;
      if (!this.harts[next].hart.waiting) return this.#switchTo(next);
    }
  }

  #switchTo(next: number): void {
    const from = this.harts[this.#current], to = this.harts[next].cpu;
    from.cpu.park();
    from.hart.breakReservation();
    to.unpark();
    to.mem.flushTranslations(); // the soft TLB held the other hart's translations
    this.#current = next;
    this.stats.switches++;
  }

  /** One turn: interrupts, a chunk of at most `maxInsns` (or an idle skip), due events, machine events. */
  #iteration(maxInsns: number): RunLoopResult | "idle" | null {
    this.#schedule();
    const { cpu, hart } = this.harts[this.#current];
    const { events, clock, control } = this.machine;
    const before = cpu.pc;
    if (hart.takeInterrupt()) {
      this.stats.interrupts++;
      this.hookEvents?.emit("discontinuity", {
        kind: "interrupt",
        from: before,
        to: cpu.pc,
        vcpu: this.#current,
      });
    }
    const deadline = events.nextDeadline();
    if (hart.waiting) {
      if (deadline === null) return "idle";
      clock.skip(deadline - clock.monotonicNs());
      this.stats.idleSkips++;
    } else {
      let budget = this.#only === null ? Math.min(maxInsns, this.#quantumLeft) : maxInsns;
      if (deadline !== null) {
        const ns = deadline - clock.monotonicNs();
        const insns = Number((ns + clock.nsPerInsn - 1n) / clock.nsPerInsn);
        budget = Math.max(1, Math.min(budget, insns));
      }
      const start = cpu.icount;
      this.#inChunk = true;
      let exit;
      try {
        exit = cpu.run(budget);
      } finally {
        this.#inChunk = false;
      }
      this.#quantumLeft -= cpu.icount - start;
      this.stats.chunks++;
      if (exit.reason === "trap") {
        hart.deliverTrap(exit.trap);
        this.stats.traps++;
        this.hookEvents?.emit("discontinuity", {
          kind: "exception",
          from: exit.trap.pc,
          to: cpu.pc,
          vcpu: this.#current,
        });
      }
      // a stop the hart asked for (to take an interrupt) just ends the chunk; one from a
      // breakpoint or debugger ends the run
      if (exit.reason === "stop" && this.pauseRequested()) return { kind: "stopped" };
    }
    events.runDue(clock.monotonicNs());
    const e = control.take();
    if (e?.kind === "poweroff") return { kind: "poweroff", status: e.status };
    if (e?.kind === "reset") {
      this.onReset();
      return { kind: "reset" };
    }
    return null;
  }
}

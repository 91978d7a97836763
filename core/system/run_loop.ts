/**
 * The system-mode run loop (target independent): runs the CPU in chunks
 * bounded by the next device event, delivers traps and interrupts through
 * the target's {@linkcode SystemHart}, idles through `wfi` by skipping
 * virtual time to the next event (deterministic, no busy loop), and handles
 * machine poweroff and reset. It runs synchronously; the machine's `run()`
 * awaits between slices, so console `expect` promises settle and host input
 * (stdin) is serviced, and sleeps in {@linkcode SystemRunLoop.waitForInput}
 * while the hart idles with no timer pending.
 *
 * Interrupts are checked at TB boundaries: before each chunk, and whenever
 * the hart asks the CPU to stop (a CSR write or a device made an interrupt
 * deliverable, `wfi`).
 *
 * @module
 */

import type { VirtualClock } from "../clock.ts";
import type { CpuCore } from "../cpu_core.ts";
import type { SystemHart } from "./system_target.ts";
import type { EventQueue } from "./events.ts";
import type { MachineControl } from "./machine.ts";
import type { HookEvents } from "../hooks/events.ts";

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
 * Runs one hart and its machine.
 *
 * @example
 * ```ts ignore
 * const loop = new SystemRunLoop(cpu, hart, { events, clock, control: m.control });
 * loop.onReset = () => rebootMachine();
 * const result = loop.runSlice(1_000_000); // { kind: "poweroff", status: 0 }, or null
 * ```
 */
export class SystemRunLoop {
  /** Called on a machine reset event (the owner reloads images and resets CPU and devices). */
  onReset: () => void = () => {};
  /** Whether a hook's stop (a breakpoint) should end the run rather than just the chunk. */
  pauseRequested: () => boolean = () => false;
  /** Instructions run so far by this loop, and virtual ns skipped idling. */
  readonly stats = { chunks: 0, traps: 0, interrupts: 0, idleSkips: 0 };
  #wakers: (() => void)[] = [];

  constructor(
    readonly cpu: CpuCore,
    readonly hart: SystemHart,
    readonly machine: RunLoopMachine,
    /** where traps and interrupts are reported as discontinuities (the hook API's events) */
    readonly hookEvents?: HookEvents,
  ) {
    // A poweroff or reset ends the chunk right after the instruction that asked for it, so it
    // happens at the same instruction count however the run is sliced (deterministic).
    machine.control.onEvent(() => {
      cpu.exitRequest = true;
      cpu.stopRequested = true;
    });
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
   * Runs at most `budget` instructions synchronously, with the machine's
   * events, for a debugger that interleaves its own work: returns how the
   * run ended, or null when the budget is used up or the hart idles with
   * nothing pending (so the caller can poll for input).
   */
  runSlice(budget: number): RunLoopResult | null {
    const stopAt = this.cpu.icount + budget;
    while (this.cpu.icount < stopAt) {
      const r = this.#iteration(stopAt - this.cpu.icount);
      if (r === "idle") return null;
      if (r) return r;
    }
    return null;
  }

  /** One turn: interrupts, a chunk of at most `maxInsns` (or an idle skip), due events, machine events. */
  #iteration(maxInsns: number): RunLoopResult | "idle" | null {
    const { cpu, hart } = this;
    const { events, clock, control } = this.machine;
    const before = cpu.pc;
    if (hart.takeInterrupt()) {
      this.stats.interrupts++;
      this.hookEvents?.emit("discontinuity", { kind: "interrupt", from: before, to: cpu.pc });
    }
    const deadline = events.nextDeadline();
    if (hart.waiting) {
      if (deadline === null) return "idle";
      clock.skip(deadline - clock.monotonicNs());
      this.stats.idleSkips++;
    } else {
      let budget = maxInsns;
      if (deadline !== null) {
        const ns = deadline - clock.monotonicNs();
        const insns = Number((ns + clock.nsPerInsn - 1n) / clock.nsPerInsn);
        budget = Math.max(1, Math.min(budget, insns));
      }
      const exit = cpu.run(budget);
      this.stats.chunks++;
      if (exit.reason === "trap") {
        hart.deliverTrap(exit.trap);
        this.stats.traps++;
        this.hookEvents?.emit("discontinuity", {
          kind: "exception",
          from: exit.trap.pc,
          to: cpu.pc,
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

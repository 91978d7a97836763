/**
 * The SiFive CLINT (QEMU virt's default ACLINT layout) for hart 0: the
 * software-interrupt bit `msip` at +0x0 (drives MSIP), the timer compare
 * `mtimecmp` at +0x4000 and the timer `mtime` at +0xbff8 (both 64-bit).
 *
 * `mtime` counts at the timebase frequency (10 MHz: one tick per 100 ns of
 * virtual time). MTIP is asserted exactly when `mtime >= mtimecmp`, through
 * an event scheduled on the virtual-time queue; `mtimecmp` starts at its
 * maximum so no timer interrupt is pending before software programs it.
 *
 * Options: `addr` (default 0x2000000), `timebase` (Hz, default 10000000).
 *
 * @module
 */

import {
  cpuIntcLabel,
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  EmuError,
  type EventQueue,
  type InterruptSink,
  loadVmState,
  saveVmState,
  type Timer,
  type VirtualClock,
  type VmStateDescription,
  wordRegisters,
} from "../../plugin.ts";

const MSIP = 0x0, MTIMECMP = 0x4000, MTIME = 0xbff8;
/** The hart's `mip` bits the CLINT drives. */
const MSIP_BIT = 3, MTIP_BIT = 7;
/** Size of the CLINT window. */
export const CLINT_SIZE = 0x10000n;
const NS_PER_S = 1_000_000_000n;
const U64 = (1n << 64n) - 1n;

/**
 * The CLINT's timer and software-interrupt logic.
 *
 * @example
 * ```ts
 * import { EventQueue, RecordingInterruptSink, VirtualClock } from "../../plugin.ts";
 * import { Clint } from "./aclint.ts";
 * let icount = 0;
 * const events = new EventQueue(), sink = new RecordingInterruptSink();
 * const clint = new Clint(new VirtualClock(() => icount), events, sink);
 * clint.writeWord(0x4000, 5); // mtimecmp = 5 ticks = 500 ns
 * clint.writeWord(0x4004, 0);
 * icount = 500;
 * events.runDue(500n);
 * console.log(sink.isPending(7)); // true (MTIP)
 * ```
 */
export class Clint {
  msip = 0;
  mtimecmp = U64;
  /** ticks added to the clock-derived count (set by writes to mtime) */
  mtimeOffset = 0n;
  readonly #timer: Timer;

  constructor(
    readonly clock: VirtualClock,
    readonly events: EventQueue,
    readonly cpu: InterruptSink,
    readonly timebaseHz = 10_000_000n,
    /** instance name (keys its timer in the event queue) */
    name = "clint",
  ) {
    this.#timer = events.timer(`${name}/mtimecmp`, () => this.#updateTimer());
  }

  #ticks(ns: bigint): bigint {
    return ns * this.timebaseHz / NS_PER_S;
  }

  /** The current value of mtime. */
  mtime(): bigint {
    return BigInt.asUintN(64, this.#ticks(this.clock.monotonicNs()) + this.mtimeOffset);
  }

  /** Re-evaluates MTIP and schedules the moment mtime reaches mtimecmp. */
  #updateTimer(): void {
    this.#timer.cancel();
    const due = this.mtime() >= this.mtimecmp;
    this.cpu.setPending(MTIP_BIT, due);
    if (due || this.mtimecmp === U64) return;
    // First ns at which ticks(ns) + offset >= mtimecmp.
    const ticks = this.mtimecmp - this.mtimeOffset;
    const at = (ticks * NS_PER_S + this.timebaseHz - 1n) / this.timebaseHz;
    this.#timer.arm(at);
  }

  readWord(offset: number): number {
    if (offset === MSIP) return this.msip;
    if (offset === MTIMECMP) return Number(this.mtimecmp & 0xffffffffn);
    if (offset === MTIMECMP + 4) return Number(this.mtimecmp >> 32n);
    if (offset === MTIME) return Number(this.mtime() & 0xffffffffn);
    if (offset === MTIME + 4) return Number(this.mtime() >> 32n);
    return 0;
  }

  writeWord(offset: number, value: number): void {
    const v = BigInt(value >>> 0);
    if (offset === MSIP) {
      this.msip = value & 1;
      this.cpu.setPending(MSIP_BIT, this.msip === 1);
    } else if (offset === MTIMECMP) {
      this.mtimecmp = (this.mtimecmp & ~0xffffffffn) | v;
      this.#updateTimer();
    } else if (offset === MTIMECMP + 4) {
      this.mtimecmp = (this.mtimecmp & 0xffffffffn) | (v << 32n);
      this.#updateTimer();
    } else if (offset === MTIME || offset === MTIME + 4) {
      const old = this.mtime();
      const wanted = offset === MTIME ? (old & ~0xffffffffn) | v : (old & 0xffffffffn) | (v << 32n);
      this.mtimeOffset += wanted - old;
      this.#updateTimer();
    }
  }

  /** Power-on state. */
  reset(): void {
    this.msip = 0;
    this.mtimecmp = U64;
    this.mtimeOffset = 0n;
    this.cpu.setPending(MSIP_BIT, false);
    this.#updateTimer();
  }
}

/** The CLINT's saved state (its timer deadline is saved with the event queue). */
const CLINT_STATE: VmStateDescription<Clint> = {
  name: "aclint",
  version: 1,
  fields: ["msip", "mtimecmp", "mtimeOffset"],
};

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr", 0x2000000n);
  const hz = options.address("timebase", 10_000_000n);
  if (hz === 0n) throw new EmuError("aclint: timebase must not be 0");
  const clint = new Clint(ctx.clock, ctx.events, ctx.cpuInterrupts, hz, ctx.id);
  ctx.mapMmio(
    base,
    CLINT_SIZE,
    wordRegisters({ read: (o) => clint.readWord(o), write: (o, v) => clint.writeWord(o, v) }),
  );
  const intc = { phandle: cpuIntcLabel(0) };
  ctx.describe({
    node: "clint",
    compatible: ["sifive,clint0", "riscv,clint0"],
    reg: [{ base, size: CLINT_SIZE }],
    props: { "interrupts-extended": [intc, MSIP_BIT, intc, MTIP_BIT] },
  });
  return {
    name: ctx.id,
    reset: () => clint.reset(),
    save: () => saveVmState(CLINT_STATE, clint),
    load: (s: DeviceState) => loadVmState(CLINT_STATE, clint, s),
  };
}

/** The CLINT device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "aclint",
  apiVersion: { min: 2, cur: 2 },
  description: "SiFive CLINT / ACLINT mtimer+mswi for hart 0 (msip, mtimecmp, mtime)",
  create,
};
export default plugin;

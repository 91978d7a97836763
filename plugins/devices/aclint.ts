/**
 * The SiFive CLINT (QEMU virt's default ACLINT layout) for every hart of the
 * machine: hart N's software-interrupt bit `msip` at +0x0 + 4N (drives its
 * MSIP), its timer compare `mtimecmp` at +0x4000 + 8N, and the timer `mtime`
 * shared by all at +0xbff8 (both 64-bit).
 *
 * `mtime` counts at the timebase frequency (10 MHz: one tick per 100 ns of
 * virtual time). A hart's MTIP is asserted exactly when `mtime >= mtimecmp`,
 * through an event scheduled on the virtual-time queue; `mtimecmp` starts at
 * its maximum so no timer interrupt is pending before software programs it.
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
/** Bytes per hart of the msip and mtimecmp arrays. */
const MSIP_STRIDE = 4, MTIMECMP_STRIDE = 8;
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
 * const clint = new Clint(new VirtualClock(() => icount), events, [sink]);
 * clint.writeWord(0x4000, 5); // hart 0's mtimecmp = 5 ticks = 500 ns
 * clint.writeWord(0x4004, 0);
 * icount = 500;
 * events.runDue(500n);
 * console.log(sink.isPending(7)); // true (MTIP)
 * ```
 */
export class Clint {
  /** each hart's msip bit */
  readonly msip: number[];
  /** each hart's timer compare */
  readonly mtimecmp: bigint[];
  /** ticks added to the clock-derived count (set by writes to mtime) */
  mtimeOffset = 0n;
  readonly #timers: Timer[];

  constructor(
    readonly clock: VirtualClock,
    readonly events: EventQueue,
    /** the harts, by hart id */
    readonly harts: readonly InterruptSink[],
    readonly timebaseHz = 10_000_000n,
    /** instance name (keys its timers in the event queue) */
    name = "clint",
  ) {
    this.msip = harts.map(() => 0);
    this.mtimecmp = harts.map(() => U64);
    // hart 0's timer keeps the one-hart name, so snapshots of one-hart machines still load
    this.#timers = harts.map((_, h) =>
      events.timer(`${name}/mtimecmp${h ? h : ""}`, () => this.#updateTimer(h))
    );
  }

  #ticks(ns: bigint): bigint {
    return ns * this.timebaseHz / NS_PER_S;
  }

  /** The current value of mtime. */
  mtime(): bigint {
    return BigInt.asUintN(64, this.#ticks(this.clock.monotonicNs()) + this.mtimeOffset);
  }

  /** Re-evaluates hart `h`'s MTIP and schedules the moment mtime reaches its mtimecmp. */
  #updateTimer(h: number): void {
    const timer = this.#timers[h], compare = this.mtimecmp[h];
    timer.cancel();
    const due = this.mtime() >= compare;
    this.harts[h].setPending(MTIP_BIT, due);
    if (due || compare === U64) return;
    const ticks = compare - this.mtimeOffset;
    const at = (ticks * NS_PER_S + this.timebaseHz - 1n) / this.timebaseHz;
    timer.arm(at);
  }

  /** The hart whose array element `offset` is in (`stride` bytes each), or -1. */
  #hartAt(offset: number, base: number, stride: number): number {
    const h = Math.floor((offset - base) / stride);
    return offset >= base && h < this.harts.length ? h : -1;
  }

  readWord(offset: number): number {
    if (offset === MTIME) return Number(this.mtime() & 0xffffffffn);
    if (offset === MTIME + 4) return Number(this.mtime() >> 32n);
    const m = this.#hartAt(offset, MSIP, MSIP_STRIDE);
    if (m >= 0 && offset < MTIMECMP) return (offset & 3) ? 0 : this.msip[m];
    const t = this.#hartAt(offset, MTIMECMP, MTIMECMP_STRIDE);
    if (t < 0 || offset >= MTIME) return 0;
    const compare = this.mtimecmp[t];
    return Number((offset & 4 ? compare >> 32n : compare) & 0xffffffffn);
  }

  writeWord(offset: number, value: number): void {
    if (offset === MTIME || offset === MTIME + 4) {
      const old = this.mtime(), v = BigInt(value >>> 0);
      const wanted = offset === MTIME ? (old & ~0xffffffffn) | v : (old & 0xffffffffn) | (v << 32n);
      this.mtimeOffset += wanted - old;
      this.harts.forEach((_, h) => this.#updateTimer(h));
      return;
    }
    const m = this.#hartAt(offset, MSIP, MSIP_STRIDE);
    if (m >= 0 && offset < MTIMECMP) {
      if (offset & 3) return;
      this.msip[m] = value & 1;
      this.harts[m].setPending(MSIP_BIT, this.msip[m] === 1);
      return;
    }
    const t = this.#hartAt(offset, MTIMECMP, MTIMECMP_STRIDE);
    if (t < 0 || offset >= MTIME) return;
    const v = BigInt(value >>> 0), old = this.mtimecmp[t];
    this.mtimecmp[t] = offset & 4 ? (old & 0xffffffffn) | (v << 32n) : (old & ~0xffffffffn) | v;
    this.#updateTimer(t);
  }

  /** Power-on state. */
  reset(): void {
    this.msip.fill(0);
    this.mtimecmp.fill(U64);
    this.mtimeOffset = 0n;
    this.harts.forEach((hart, h) => {
      hart.setPending(MSIP_BIT, false);
      this.#updateTimer(h);
    });
  }
}

/** The CLINT's saved state (its timer deadline is saved with the event queue). */
const CLINT_STATE: VmStateDescription<Clint> = {
  name: "aclint",
  version: 2,
  fields: ["msip", "mtimecmp", "mtimeOffset"],
};

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr", 0x2000000n);
  const hz = options.address("timebase", 10_000_000n);
  if (hz === 0n) throw new EmuError("aclint: timebase must not be 0");
  const clint = new Clint(ctx.clock, ctx.events, ctx.harts, hz, ctx.id);
  ctx.mapMmio(
    base,
    CLINT_SIZE,
    wordRegisters({ read: (o) => clint.readWord(o), write: (o, v) => clint.writeWord(o, v) }),
  );
  const lines = ctx.harts.flatMap((_, h) => {
    const intc = { phandle: cpuIntcLabel(h) };
    return [intc, MSIP_BIT, intc, MTIP_BIT];
  });
  ctx.describe({
    node: "clint",
    compatible: ["sifive,clint0", "riscv,clint0"],
    reg: [{ base, size: CLINT_SIZE }],
    props: { "interrupts-extended": lines },
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
  description: "SiFive CLINT / ACLINT mtimer+mswi for every hart (msip, mtimecmp, mtime)",
  create,
};
export default plugin;

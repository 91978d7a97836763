/**
 * The SiFive/RISC-V PLIC (platform-level interrupt controller) with QEMU
 * virt's layout: two contexts per hart, context 2N is hart N in M-mode
 * (drives its MEIP), context 2N+1 is hart N in S-mode (drives its SEIP).
 *
 * Registers: source priorities at 0x0 + 4*source; pending bits at 0x1000;
 * enable bits at 0x2000 + 0x80*context; threshold at 0x200000 +
 * 0x1000*context and claim/complete 4 bytes after it.
 * Sources are level triggered: a claimed source is not pending again until
 * it is completed, and is pending again after completion if its line is
 * still high.
 *
 * Options: `addr` (default 0xc000000), `size` (default 0x600000), `ndev`
 * (number of sources, default 96), `label` (node label, default "plic").
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
  type InterruptController,
  type InterruptSink,
  IrqLine,
  loadVmState,
  saveVmState,
  type VmStateDescription,
  wordRegisters,
} from "../../plugin.ts";

const PENDING_BASE = 0x1000;
const ENABLE_BASE = 0x2000, ENABLE_STRIDE = 0x80;
const CONTEXT_BASE = 0x200000, CONTEXT_STRIDE = 0x1000;
/** priorities are 3 bits wide, as QEMU virt's PLIC */
const PRIORITY_MASK = 7;
/** The hart's `mip` bits its two contexts drive: MEIP (M-mode) and SEIP (S-mode). */
const MEIP = 11, SEIP = 9;
/** the interrupt bit each of a hart's contexts drives, in context order */
const HART_CONTEXT_BITS = [MEIP, SEIP];

/**
 * The PLIC's state and logic (also usable without the plugin machinery).
 *
 * @example
 * ```ts
 * import { RecordingInterruptSink } from "../../plugin.ts";
 * import { Plic } from "./plic.ts";
 * const sink = new RecordingInterruptSink();
 * const plic = new Plic([sink], 96);
 * plic.writeWord(4 * 10, 1); // priority of source 10
 * plic.writeWord(0x2000, 1 << 10); // enable it for context 0 (M-mode)
 * plic.line(10).set(true);
 * console.log(sink.isPending(11), plic.readWord(0x200004)); // true 10
 * ```
 */
export class Plic implements InterruptController {
  readonly priority: Uint8Array;
  readonly level: Uint8Array;
  readonly pending: Uint8Array;
  readonly claimed: Uint8Array;
  readonly enable: Uint32Array[];
  readonly threshold: number[];
  readonly #lines = new Map<number, IrqLine>();
  readonly #words: number;
  /** what each context drives: a hart's sink and one of its interrupt bits */
  readonly #contexts: { hart: InterruptSink; bit: number }[];

  constructor(
    /** the harts, by hart id */
    harts: readonly InterruptSink[],
    readonly sources: number,
  ) {
    this.#contexts = harts.flatMap((hart) => HART_CONTEXT_BITS.map((bit) => ({ hart, bit })));
    const n = sources + 1; // source 0 does not exist
    this.priority = new Uint8Array(n);
    this.level = new Uint8Array(n);
    this.pending = new Uint8Array(n);
    this.claimed = new Uint8Array(n);
    this.#words = Math.ceil(n / 32);
    this.enable = this.#contexts.map(() => new Uint32Array(this.#words));
    this.threshold = this.#contexts.map(() => 0);
  }

  line(n: number): IrqLine {
    if (!Number.isInteger(n) || n < 1 || n > this.sources) {
      throw new EmuError(
        `plic: interrupt source ${n} does not exist (1..${this.sources})`,
        "choose irq= within the PLIC's sources",
      );
    }
    let l = this.#lines.get(n);
    if (!l) {
      l = new IrqLine((level) => this.#setLevel(n, level), `plic source ${n}`);
      this.#lines.set(n, l);
    }
    return l;
  }

  #setLevel(source: number, level: boolean): void {
    this.level[source] = level ? 1 : 0;
    this.pending[source] = level && !this.claimed[source] ? 1 : 0;
    this.#update();
  }

  #enabled(ctx: number, s: number): boolean {
    return (this.enable[ctx][s >> 5] & (1 << (s & 31))) !== 0;
  }

  /** The best claimable source for context `ctx` (0 when none). */
  #best(ctx: number): number {
    let best = 0, bestPriority = this.threshold[ctx];
    for (let s = 1; s <= this.sources; s++) {
      if (this.pending[s] && this.#enabled(ctx, s) && this.priority[s] > bestPriority) {
        best = s;
        bestPriority = this.priority[s];
      }
    }
    return best;
  }

  /**
   * Sets each context's interrupt-pending bit. Firmware programs the priority and enable of
   * every source one write at a time with nothing pending, so the scans are skipped then.
   */
  #update(): void {
    const any = this.pending.includes(1);
    this.#contexts.forEach((c, ctx) => c.hart.setPending(c.bit, any && this.#best(ctx) !== 0));
  }

  /** Reads the register word at `offset`. */
  readWord(offset: number): number {
    if (offset < PENDING_BASE) {
      const s = offset >> 2;
      return s <= this.sources ? this.priority[s] : 0;
    }
    if (offset < ENABLE_BASE) {
      const w = (offset - PENDING_BASE) >> 2;
      let v = 0;
      for (let b = 0; b < 32; b++) if (this.pending[w * 32 + b]) v |= 1 << b;
      return v >>> 0;
    }
    if (offset < CONTEXT_BASE) {
      const ctx = Math.floor((offset - ENABLE_BASE) / ENABLE_STRIDE);
      const w = ((offset - ENABLE_BASE) % ENABLE_STRIDE) >> 2;
      return ctx < this.#contexts.length && w < this.#words ? this.enable[ctx][w] : 0;
    }
    const ctx = Math.floor((offset - CONTEXT_BASE) / CONTEXT_STRIDE);
    if (ctx >= this.#contexts.length) return 0;
    const reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
    if (reg === 0) return this.threshold[ctx];
    if (reg === 4) return this.#claim(ctx);
    return 0;
  }

  #claim(ctx: number): number {
    const s = this.#best(ctx);
    if (s) {
      this.pending[s] = 0;
      this.claimed[s] = 1;
      this.#update();
    }
    return s;
  }

  /** Writes the register word at `offset`. */
  writeWord(offset: number, value: number): void {
    if (offset < PENDING_BASE) {
      const s = offset >> 2;
      if (s >= 1 && s <= this.sources) this.priority[s] = value & PRIORITY_MASK;
    } else if (offset < ENABLE_BASE) {
      return; // pending bits are read-only
    } else if (offset < CONTEXT_BASE) {
      const ctx = Math.floor((offset - ENABLE_BASE) / ENABLE_STRIDE);
      const w = ((offset - ENABLE_BASE) % ENABLE_STRIDE) >> 2;
      if (ctx >= this.#contexts.length || w >= this.#words) return;
      this.enable[ctx][w] = w === 0 ? value & ~1 : value; // source 0 does not exist
    } else {
      const ctx = Math.floor((offset - CONTEXT_BASE) / CONTEXT_STRIDE);
      if (ctx >= this.#contexts.length) return;
      const reg = (offset - CONTEXT_BASE) % CONTEXT_STRIDE;
      if (reg === 0) this.threshold[ctx] = value & PRIORITY_MASK;
      else if (reg === 4) this.#complete(ctx, value);
      else return;
    }
    this.#update();
  }

  #complete(ctx: number, s: number): void {
    if (s < 1 || s > this.sources || !this.#enabled(ctx, s) || !this.claimed[s]) return;
    this.claimed[s] = 0;
    if (this.level[s]) this.pending[s] = 1;
  }

  /** Loads saved state, and the input lines' levels with it. */
  load(s: DeviceState): void {
    loadVmState(PLIC_STATE, this, s);
    for (const [n, line] of this.#lines) line.restore(this.level[n] === 1);
  }

  /** Power-on state: everything zero (line levels are kept). */
  reset(): void {
    this.priority.fill(0);
    this.claimed.fill(0);
    for (const e of this.enable) e.fill(0);
    this.threshold.fill(0);
    this.pending.set(this.level);
    this.#update();
  }
}

/** The PLIC's saved state. */
const PLIC_STATE: VmStateDescription<Plic> = {
  name: "plic",
  version: 1,
  fields: ["priority", "level", "pending", "claimed", "enable", "threshold"],
};

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr", 0xc000000n);
  const size = options.address("size", 0x600000n);
  const ndev = options.int("ndev", 96);
  if (ndev < 1 || ndev > 1023) throw new EmuError(`plic: ndev=${ndev} is not within 1..1023`);
  const label = options.string("label", "plic");
  const plic = new Plic(ctx.harts, ndev);
  ctx.mapMmio(
    base,
    size,
    wordRegisters({ read: (o) => plic.readWord(o), write: (o, v) => plic.writeWord(o, v) }),
  );
  ctx.describe({
    node: "plic",
    label,
    compatible: ["sifive,plic-1.0.0", "riscv,plic0"],
    reg: [{ base, size }],
    props: {
      "#address-cells": [0],
      "#interrupt-cells": [1],
      "interrupt-controller": true,
      "interrupts-extended": ctx.harts.flatMap((_, h) =>
        HART_CONTEXT_BITS.flatMap((bit) => [{ phandle: cpuIntcLabel(h) }, bit])
      ),
      "riscv,ndev": [ndev],
    },
  });
  return {
    name: ctx.id,
    interruptController: plic,
    reset: () => plic.reset(),
    save: () => saveVmState(PLIC_STATE, plic),
    load: (s: DeviceState) => plic.load(s),
  };
}

/** The PLIC device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "plic",
  apiVersion: { min: 2, cur: 2 },
  description:
    "SiFive PLIC interrupt controller (QEMU virt layout, M and S contexts of every hart)",
  create,
};
export default plugin;

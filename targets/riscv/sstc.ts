/**
 * Sstc, the supervisor timer compare register, as QEMU 7.2 has it (on by
 * default). While menvcfg.STCE is set, mip.STIP is `time >= stimecmp` and
 * software cannot write it; a timer on the virtual-time queue raises STIP the
 * moment `time` reaches `stimecmp`, so a hart in wfi wakes then. S-mode
 * reaches stimecmp only when mcounteren.TM and menvcfg.STCE are set; U-mode
 * never (`csr_supervisor.ts` defines `stimecmp` and RV32's `stimecmph`).
 *
 * @module
 */

import type { Timer } from "../../plugin_target.ts";
import { MipBit } from "./causes.ts";
import type { RiscvHart } from "./hart.ts";

/** menvcfg.STCE: Sstc's timer drives STIP (menvcfgh bit 31 on RV32). */
export const MENVCFG_STCE = 1n << 63n;

/** Virtual nanoseconds per `time` tick (10 MHz). */
const NS_PER_TICK = 100n;

const U64_MAX = (1n << 64n) - 1n;

/**
 * One hart's supervisor timer: `stimecmp` and the event that raises STIP.
 *
 * @example
 * ```ts ignore
 * const timer = new SupervisorTimer(hart, events.timer("hart0/stimecmp", () => timer.update()));
 * ```
 */
export class SupervisorTimer {
  constructor(readonly hart: RiscvHart, readonly wakeUp: Timer) {}

  /** Whether menvcfg.STCE hands STIP to the timer. */
  get enabled(): boolean {
    return this.hart.sstc && (this.hart.menvcfg & MENVCFG_STCE) !== 0n;
  }

  /** Re-evaluates STIP after a write to stimecmp or menvcfg, or when the wake-up fires. */
  update(): void {
    this.wakeUp.cancel();
    if (!this.enabled) return;
    const compare = BigInt.asUintN(64, this.hart.stimecmp);
    const due = this.hart.time >= compare;
    this.hart.setPending(MipBit.STIP, due);
    if (!due && compare !== U64_MAX) this.wakeUp.arm(compare * NS_PER_TICK);
  }
}

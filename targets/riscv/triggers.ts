/**
 * Sdtrig debug triggers as QEMU 7.2 implements them: two triggers selected by
 * `tselect`, each a type-2 (mcontrol) or type-6 (mcontrol6) address match on
 * execute, load or store whose action is a breakpoint exception (cause 3,
 * tval 0). `tdata3` reads as zero; `tinfo` lists types 2 and 6.
 *
 * Triggers cost nothing while disarmed: the translator asks
 * {@linkcode DebugTriggers.execHit} for each instruction it translates and
 * {@linkcode DebugTriggers.watches} once per TB, and every change to a
 * trigger flushes translated code.
 *
 * @module
 */

import type { Wide } from "../../plugin_target.ts";

/** tdata1 bits: the access kinds and the privilege levels a trigger matches. */
const LOAD = 1n, STORE = 2n, EXEC = 4n;
/** the U, S and M bits (bits 3, 4, 6): bit `3 + priv` */
const MODES = (1n << 3n) | (1n << 4n) | (1n << 6n);
/** mcontrol6's VU and VS bits (kept as written; they never match without the H extension) */
const VIRT_MODES = (1n << 23n) | (1n << 24n);
/** The trigger types QEMU 7.2 implements. */
const MCONTROL = 2n, MCONTROL6 = 6n;
/** Access sizes by tdata1's size encoding (0: any, matched as XLEN bytes); others are unsupported. */
const SIZES: Record<number, number> = { 0: 0, 1: 1, 2: 2, 3: 4, 5: 8 };

/**
 * Access kinds of `trigger_watch`'s `info` argument (bits 4-5; bits 0-3 are
 * the size, bits 8-9 the privilege level).
 *
 * @example
 * ```ts
 * import { WatchKind } from "./triggers.ts";
 * console.log(WatchKind.LOAD | WatchKind.STORE); // 3: an AMO
 * ```
 */
export const WatchKind = { LOAD: 1, STORE: 2 } as const;

/** One trigger. */
interface Trigger {
  tdata1: bigint;
  tdata2: bigint;
}

/**
 * The trigger module of one hart.
 *
 * @example
 * ```ts
 * import { DebugTriggers } from "./triggers.ts";
 * const t = new DebugTriggers(64, () => {});
 * t.writeTdata2(0x80001000n);
 * t.writeTdata1((2n << 60n) | (1n << 6n) | 4n); // M-mode execute
 * console.log(t.execHit(0x80001000n, 3)); // true
 * ```
 */
export class DebugTriggers {
  /** How many triggers there are. */
  static readonly COUNT = 2;
  /** `tinfo`: the supported types, as a bit mask. */
  static readonly TINFO = (1n << MCONTROL) | (1n << MCONTROL6);
  /** the trigger `tdata1`-`tdata3` access */
  select = 0;
  readonly triggers: Trigger[] = [];
  /**
   * Bit `p` set: some trigger is armed for execution at privilege `p`. Translation asks
   * {@linkcode execHit} for every instruction; this answers for the common case of none.
   */
  #execPrivs = 0;

  /** `changed` is called after every change that affects matching (the hart flushes TBs). */
  constructor(readonly xlen: 32 | 64, readonly changed: () => void) {
    this.reset();
  }

  /** Back to the reset state: every trigger disarmed, type 2. */
  reset(): void {
    this.select = 0;
    this.triggers.length = 0;
    for (let i = 0; i < DebugTriggers.COUNT; i++) {
      this.triggers.push({ tdata1: this.#typeBits(MCONTROL), tdata2: 0n });
    }
    this.#execPrivs = 0;
  }

  /** Selects a trigger; values out of range leave the selection unchanged. */
  writeSelect(v: bigint): void {
    if (v >= 0n && v < BigInt(DebugTriggers.COUNT)) this.select = Number(v);
  }

  /** The selected trigger's tdata1, as the guest reads it (sign-extended to XLEN). */
  readTdata1(): bigint {
    return BigInt.asIntN(this.xlen, this.triggers[this.select].tdata1);
  }

  /**
   * Writes the selected trigger's tdata1: types 2 and 6 keep their mode,
   * access and supported size bits; any other type disarms the trigger.
   */
  writeTdata1(value: bigint): void {
    const v = BigInt.asUintN(this.xlen, value);
    const type = v >> BigInt(this.xlen - 4);
    const t = this.triggers[this.select];
    if (type !== MCONTROL && type !== MCONTROL6) t.tdata1 = this.#typeBits(MCONTROL);
    else {
      const modes = type === MCONTROL6 ? MODES | VIRT_MODES : MODES;
      t.tdata1 = this.#typeBits(type) | (v & (modes | LOAD | STORE | EXEC)) |
        (v & this.#sizeField(type, v));
    }
    this.#execPrivs = 0;
    for (let priv = 0; priv < 4; priv++) {
      if (this.triggers.some((t) => this.#armed(t, EXEC, priv))) this.#execPrivs |= 1 << priv;
    }
    this.changed();
  }

  /** The selected trigger's match address. */
  readTdata2(): bigint {
    return BigInt.asIntN(this.xlen, this.triggers[this.select].tdata2);
  }

  /** Sets the selected trigger's match address. */
  writeTdata2(value: bigint): void {
    this.triggers[this.select].tdata2 = BigInt.asUintN(this.xlen, value);
    this.changed();
  }

  /** Whether an execute trigger fires before the instruction at `pc` runs at privilege `priv`. */
  execHit(pc: Wide, priv: number): boolean {
    if (!((this.#execPrivs >> priv) & 1)) return false;
    const at = typeof pc === "bigint" ? pc : BigInt.asUintN(64, BigInt(pc));
    return this.triggers.some((t) => this.#armed(t, EXEC, priv) && t.tdata2 === at);
  }

  /** The access kinds some trigger watches at privilege `priv` (1: loads, 2: stores). */
  watches(priv: number): number {
    let kinds = 0;
    for (const t of this.triggers) {
      if (this.#armed(t, LOAD, priv)) kinds |= 1;
      if (this.#armed(t, STORE, priv)) kinds |= 2;
    }
    return kinds;
  }

  /** Whether a load (`write` false) or store of `size` bytes at `addr` fires a trigger. */
  memHit(addr: bigint, size: number, write: boolean, priv: number): boolean {
    const kind = write ? STORE : LOAD;
    return this.triggers.some((t) => {
      if (!this.#armed(t, kind, priv)) return false;
      const length = BigInt(this.#watchLength(t.tdata1));
      return addr < t.tdata2 + length && t.tdata2 < addr + BigInt(size);
    });
  }

  #armed(t: Trigger, kind: bigint, priv: number): boolean {
    return (t.tdata1 & kind) !== 0n && (t.tdata1 & (1n << BigInt(3 + priv))) !== 0n;
  }

  #typeBits(type: bigint): bigint {
    return type << BigInt(this.xlen - 4);
  }

  /** The size bits a write of `v` keeps: sizelo (16-17), sizehi (21-22, RV64) or size (16-19, type 6). */
  #sizeField(type: bigint, v: bigint): bigint {
    const mask = type === MCONTROL6
      ? 0xfn << 16n
      : (3n << 16n) | (this.xlen === 64 ? 3n << 21n : 0n);
    return SIZES[this.#sizeCode(v & mask)] === undefined ? 0n : mask;
  }

  /** The size encoding of kept tdata1 bits (type 2 keeps no bits 18-19, type 6 none at 21-22). */
  #sizeCode(tdata1: bigint): number {
    const low = Number((tdata1 >> 16n) & 0xfn);
    return (low & 3) | (Number((tdata1 >> 21n) & 3n) << 2) | (low & 0xc);
  }

  #watchLength(tdata1: bigint): number {
    return SIZES[this.#sizeCode(tdata1)] || this.xlen / 8;
  }
}

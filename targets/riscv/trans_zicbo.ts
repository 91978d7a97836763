/**
 * Translation of the cache-block operations. No caches are modelled, so
 * Zicbom's `cbo.clean`, `cbo.flush` and `cbo.inval` only check that the
 * privilege level may use them and that the block holding `x[rs1]` may be
 * accessed: the CMO spec permits them wherever a load or a store is
 * permitted, and otherwise raises a store page fault or store access fault
 * (QEMU probes for a load, then for a store, the same way). Zicboz's
 * `cbo.zero` zeroes the 64-byte block with eight 8-byte stores (faulting as
 * a store). Zicbop's prefetches are hints that do nothing.
 *
 * Below M-mode the operations need menvcfg's CBCFE, CBIE or CBZE, and in
 * U-mode senvcfg's too; the `cbo_allowed` helper checks that at run time
 * (the envcfg registers are not part of the TB flags). User mode allows them
 * all, as Linux does for user programs.
 *
 * @module
 */

import {
  type CpuCore,
  GuestFault,
  GuestTrap,
  type HelperDef,
  Op,
  TrapKind,
} from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import {
  addressTemp,
  type DisasContext,
  imm,
  type TransFn,
  type TransTable,
  watchAccess,
} from "./context.ts";
import { Priv } from "./csr.ts";
import { hartOf } from "./hart.ts";
import { WatchKind } from "./triggers.ts";

/** The cache-block size `cbo.zero` clears, as the device tree's riscv,cboz-block-size says. */
export const CACHE_BLOCK_BYTES = 64;

/** The envcfg bits that enable each kind of operation below M-mode. */
const ENABLE = { cleanFlush: 0x40n, inval: 0x30n, zero: 0x80n } as const;
type CboKind = keyof typeof ENABLE;
const KIND_INDEX: CboKind[] = ["cleanFlush", "inval", "zero"];

/**
 * The helper `cbo_allowed(kind, insnBits, block)`: an illegal-instruction trap
 * when the current privilege level may not use operation `kind` (0
 * clean/flush, 1 inval, 2 zero); then, for the management operations, a
 * store fault when the cache block at `block` may be neither read nor
 * written (`cbo.zero`'s own stores check its block).
 *
 * @example
 * ```ts
 * import { CBO_HELPER } from "./trans_zicbo.ts";
 * console.log(CBO_HELPER.name); // "cbo_allowed"
 * ```
 */
export const CBO_HELPER: HelperDef = {
  name: "cbo_allowed",
  hasResult: false,
  flags: { readsState: true, mayTrap: true },
  fn: (cpu: CpuCore, kind: bigint, bits: bigint, block: bigint) => {
    const h = hartOf(cpu);
    const enable = ENABLE[KIND_INDEX[Number(kind)]];
    const denied = h && ((h.priv < Priv.M && (h.menvcfg & enable) === 0n) ||
      (h.priv === Priv.U && (h.senvcfg & enable) === 0n));
    if (denied) throw new GuestTrap(TrapKind.ILLEGAL, Cause.ILLEGAL_INSN, bits);
    if (KIND_INDEX[Number(kind)] !== "zero") checkBlockAccess(cpu, block);
  },
};

/** Passes if a load may read `block`; otherwise faults as a store would (or passes if one may). */
function checkBlockAccess(cpu: CpuCore, block: bigint): void {
  try {
    cpu.mem.page(block, "read");
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    cpu.mem.page(block, "write");
  }
}

/** Calls `cbo_allowed` for `kind`; returns the temp holding the block's address. */
function checkAllowed(ctx: DisasContext, a: Record<string, number>, kind: CboKind): number {
  const block = ctx.ir.temp();
  ctx.ir.binop(Op.AND, block, addressTemp(ctx, a.rs1), imm(ctx, -CACHE_BLOCK_BYTES));
  const args = [imm(ctx, KIND_INDEX.indexOf(kind)), imm(ctx, ctx.bits >>> 0), block];
  ctx.ir.call(-1, ctx.helpers.index("cbo_allowed"), args);
  return block;
}

const manage = (kind: CboKind): TransFn => (ctx, a) => (checkAllowed(ctx, a, kind), true);

const zero: TransFn = (ctx, a) => {
  const { ir } = ctx;
  const block = checkAllowed(ctx, a, "zero");
  watchAccess(ctx, block, 0n, CACHE_BLOCK_BYTES, WatchKind.STORE);
  const nothing = imm(ctx, 0);
  for (let at = 0; at < CACHE_BLOCK_BYTES; at += 8) ir.store(block, BigInt(at), nothing, 8);
  return true;
};

/**
 * The Zicbom, Zicboz and Zicbop translation functions.
 *
 * @example
 * ```ts
 * import { ZICBO_TRANS } from "./trans_zicbo.ts";
 * console.log(Object.keys(ZICBO_TRANS).length); // 7
 * ```
 */
export const ZICBO_TRANS: TransTable = {
  "cbo.clean": manage("cleanFlush"),
  "cbo.flush": manage("cleanFlush"),
  "cbo.inval": manage("inval"),
  "cbo.zero": zero,
  "prefetch.i": () => true,
  "prefetch.r": () => true,
  "prefetch.w": () => true,
};

/**
 * Translation of the privileged instructions: mret, sret, wfi and
 * sfence.vma. The privilege level is known at translation time (it is part
 * of the TB flags), so too-low privilege raises an illegal instruction
 * directly; the mstatus traps (TSR, TW, TVM) are checked by the helpers.
 *
 * xRET changes the privilege level, so its TB ends with an indirect jump
 * that never chains (the helpers write state); wfi and sfence.vma end the
 * TB so the run loop sees the wait, and retranslates after the flush.
 *
 * @module
 */

import { type CpuCore, GuestTrap, type HelperDef, TrapKind } from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import { callHelper, gpr, imm, raiseIllegal, type TransTable } from "./context.ts";
import { Priv } from "./csr.ts";
import { hartOf, Mstatus, type RiscvHart } from "./hart.ts";

const SYNC = { readsState: true, writesState: true, mayTrap: true } as const;

function hart(cpu: CpuCore, bits: bigint): RiscvHart {
  const h = hartOf(cpu);
  if (!h) throw new GuestTrap(TrapKind.ILLEGAL, Cause.ILLEGAL_INSN, bits);
  return h;
}

function illegalIf(cond: boolean, bits: bigint): void {
  if (cond) throw new GuestTrap(TrapKind.ILLEGAL, Cause.ILLEGAL_INSN, bits);
}

/**
 * The helpers of the privileged instructions (each takes the instruction bits).
 *
 * @example
 * ```ts
 * import { PRIV_HELPERS } from "./trans_priv.ts";
 * console.log(PRIV_HELPERS.map((h) => h.name)); // ["mret", "sret", "wfi", "wrs_nto", "sfence_vma"]
 * ```
 */
export const PRIV_HELPERS: HelperDef[] = [
  {
    name: "mret",
    fn: (cpu: CpuCore, bits: bigint) => hart(cpu, bits).mret(),
    hasResult: true,
    flags: SYNC,
  },
  {
    name: "sret",
    fn: (cpu: CpuCore, bits: bigint) => {
      const h = hart(cpu, bits);
      illegalIf(h.priv === Priv.S && (h.mstatus & Mstatus.TSR) !== 0n, bits);
      return h.sret();
    },
    hasResult: true,
    flags: SYNC,
  },
  {
    name: "wfi",
    fn: (cpu: CpuCore, bits: bigint) => {
      const h = hart(cpu, bits);
      illegalIf(h.priv < Priv.M && (h.mstatus & Mstatus.TW) !== 0n, bits);
      h.wfi = true;
      h.requestExit();
    },
    hasResult: false,
    flags: SYNC,
  },
  {
    name: "wrs_nto",
    fn: (cpu: CpuCore, bits: bigint) => {
      const h = hartOf(cpu);
      illegalIf(h !== undefined && (h.mstatus & Mstatus.TW) !== 0n, bits);
    },
    hasResult: false,
    flags: { readsState: true, mayTrap: true },
  },
  {
    name: "sfence_vma",
    fn: (cpu: CpuCore, bits: bigint, address: bigint) => {
      const h = hart(cpu, bits);
      illegalIf(h.priv === Priv.S && (h.mstatus & Mstatus.TVM) !== 0n, bits);
      // Cached translations go (of one page when rs1 names one); translated code only where
      // its page now maps elsewhere.
      const rs1 = Number((bits >> 15n) & 31n);
      const vpn = rs1 === 0 ? undefined : Number(BigInt.asUintN(h.xlen, address) >> 12n);
      if (vpn === undefined) h.regimeChanged(true);
      else h.flushPage(vpn);
      h.memory.remapped(vpn);
    },
    hasResult: false,
    flags: SYNC,
  },
];

/**
 * The privileged translation functions.
 *
 * @example
 * ```ts
 * import { PRIV_TRANS } from "./trans_priv.ts";
 * console.log(Object.keys(PRIV_TRANS).length); // 8
 * ```
 */
export const PRIV_TRANS: TransTable = {
  mret(ctx) {
    if (ctx.priv < Priv.M) return raiseIllegal(ctx), true;
    ctx.ir.gotoPtr(callHelper(ctx, "mret", [imm(ctx, ctx.bits >>> 0)]));
    ctx.ended = true;
    return true;
  },
  sret(ctx) {
    if (ctx.priv < Priv.S) return raiseIllegal(ctx), true;
    ctx.ir.gotoPtr(callHelper(ctx, "sret", [imm(ctx, ctx.bits >>> 0)]));
    ctx.ended = true;
    return true;
  },
  wfi(ctx) {
    if (ctx.priv === Priv.U) return raiseIllegal(ctx), true;
    ctx.ir.call(-1, ctx.helpers.index("wfi"), [imm(ctx, ctx.bits >>> 0)]);
    ctx.endAfter = true;
    return true;
  },
  "sfence.vma"(ctx, a) {
    if (ctx.priv === Priv.U) return raiseIllegal(ctx), true;
    ctx.ir.call(-1, ctx.helpers.index("sfence_vma"), [imm(ctx, ctx.bits >>> 0), gpr(ctx, a.rs1)]);
    ctx.endAfter = true;
    return true;
  },
  // Zawrs: the reservation set can only change by this hart's own stores, so no wait ends
  // sooner than now; below M-mode, mstatus.TW makes the unbounded wait illegal (as wfi).
  "wrs.nto"(ctx) {
    if (ctx.priv < Priv.M) {
      ctx.ir.call(-1, ctx.helpers.index("wrs_nto"), [imm(ctx, ctx.bits >>> 0)]);
    }
    return true;
  },
  "wrs.sto": () => true,
  // Svinval's ordering fences: translations are never cached across sinval.vma (QEMU: no-ops)
  "sfence.w.inval": () => true,
  "sfence.inval.ir": () => true,
};

/**
 * Exception generation and system instructions: svc, brk, hints (nop,
 * yield, bti, the pointer-authentication hints, which are nops without
 * FEAT_PAuth), barriers, clrex, `dc zva` (other cache maintenance is a nop
 * for an emulator without caches), `msr` (immediate) and the system
 * registers user mode reaches with mrs/msr, the ID registers as Linux emulates them
 * (`features.ts`).
 *
 * @module
 */

import { Cond, Op, STATE_BASE, type Temp, TrapKind } from "../../plugin_target.ts";
import { type A64Context, imm, reg, tmp, type TransTable } from "./context.ts";
import { idRegister, sysreg } from "./features.ts";
import { A64_HELPER } from "./helpers.ts";
import { A64 } from "./state.ts";

type Args = Record<string, number>;

/** System register numbers. */
export const SysReg = {
  NZCV: sysreg(3, 3, 4, 2, 0),
  FPCR: sysreg(3, 3, 4, 4, 0),
  FPSR: sysreg(3, 3, 4, 4, 1),
  TPIDR_EL0: sysreg(3, 3, 13, 0, 2),
  TPIDRRO_EL0: sysreg(3, 3, 13, 0, 3),
  CNTFRQ_EL0: sysreg(3, 3, 14, 0, 0),
  CNTVCT_EL0: sysreg(3, 3, 14, 0, 2),
  CTR_EL0: sysreg(3, 3, 0, 0, 1),
  DCZID_EL0: sysreg(3, 3, 0, 0, 7),
  MDCCSR_EL0: sysreg(2, 3, 0, 1, 0),
  PMUSERENR_EL0: sysreg(3, 3, 9, 14, 0),
} as const;

/**
 * Constant system registers: CTR_EL0 as a Cortex-A57 has it,
 * DCZID_EL0 = 4 (`dc zva` zeroes 64 bytes, as QEMU's), the counter frequency
 * (the virtual counter counts one tick per retired instruction), MDCCSR_EL0 (the debug
 * communication channel's status) and PMUSERENR_EL0 (the other performance monitor registers
 * trap), zero as in qemu-aarch64.
 */
const CONSTANT_REGS = new Map<number, bigint>([
  [SysReg.CTR_EL0, 0x8444c004n],
  [SysReg.DCZID_EL0, 4n],
  [SysReg.TPIDRRO_EL0, 0n],
  [SysReg.CNTFRQ_EL0, 62_500_000n], // qemu-aarch64's: 1 GHz / GTIMER_SCALE (16)
  [SysReg.MDCCSR_EL0, 0n],
  [SysReg.PMUSERENR_EL0, 0n],
]);

/** Bytes `dc zva` zeroes. */
const ZVA_BYTES = 64;
/**
 * The FPCR bits kept (AHP, DN, FZ, RMode; not FZ16, without half-precision arithmetic, as a
 * Cortex-A57); FPSR: NZCV, QC and the cumulative flags.
 */
const FPCR_MASK = 0x07c00000n, FPSR_MASK = 0xf800009fn;

/** NZCV packed as the register reads (bits 31..28). */
function readNzcv(ctx: A64Context): Temp {
  const { ir } = ctx;
  const z = ir.temp();
  ir.setcond(Cond.EQ, z, A64.ZF, imm(ctx, 0));
  const n = tmp(ctx, Op.SHL, tmp(ctx, Op.SHR, A64.NF, imm(ctx, 63)), imm(ctx, 31));
  const v = tmp(ctx, Op.SHL, tmp(ctx, Op.SHR, A64.VF, imm(ctx, 63)), imm(ctx, 28));
  const zc = tmp(
    ctx,
    Op.OR,
    tmp(ctx, Op.SHL, z, imm(ctx, 30)),
    tmp(ctx, Op.SHL, A64.CF, imm(ctx, 29)),
  );
  return tmp(ctx, Op.OR, tmp(ctx, Op.OR, n, v), zc);
}

/** Unpacks NZCV (bits 31..28 of `x`) into the flag globals. */
function writeNzcv(ctx: A64Context, x: Temp): void {
  const { ir } = ctx;
  const one = imm(ctx, 1);
  ir.binop(Op.SHL, A64.NF, x, imm(ctx, 32));
  ir.binop(Op.XOR, A64.ZF, tmp(ctx, Op.AND, tmp(ctx, Op.SHR, x, imm(ctx, 30)), one), one);
  ir.binop(Op.AND, A64.CF, tmp(ctx, Op.SHR, x, imm(ctx, 29)), one);
  ir.binop(Op.SHL, A64.VF, x, imm(ctx, 35));
}

/** mrs: the value of system register `r`, or null when user mode cannot read it. */
function readSysreg(ctx: A64Context, r: number): Temp | null {
  const { ir } = ctx;
  const constant = CONSTANT_REGS.get(r) ?? idRegister(r);
  if (constant !== null && constant !== undefined) return imm(ctx, constant);
  switch (r) {
    case SysReg.NZCV:
      return readNzcv(ctx);
    case SysReg.TPIDR_EL0:
      return A64.TPIDR;
    case SysReg.FPCR:
    case SysReg.FPSR: {
      const d = ir.temp();
      ir.loadHost(d, STATE_BASE + (r === SysReg.FPCR ? A64.FPCR : A64.FPSR));
      return d;
    }
    case SysReg.CNTVCT_EL0: {
      const d = ir.temp();
      ir.call(d, A64_HELPER.CNTVCT, []);
      return d;
    }
  }
  return null;
}

/** msr: writes system register `r`; false when user mode cannot write it. */
function writeSysreg(ctx: A64Context, r: number, x: Temp): boolean {
  const { ir } = ctx;
  switch (r) {
    case SysReg.NZCV:
      writeNzcv(ctx, x);
      return true;
    case SysReg.TPIDR_EL0:
      ir.mov(A64.TPIDR, x);
      return true;
    case SysReg.FPCR:
    case SysReg.FPSR: {
      const fpcr = r === SysReg.FPCR;
      const masked = tmp(ctx, Op.AND, x, imm(ctx, fpcr ? FPCR_MASK : FPSR_MASK));
      ir.storeHost(STATE_BASE + (fpcr ? A64.FPCR : A64.FPSR), masked);
      // The rounding mode is read at translation time by FP code: later code sees the new one.
      if (fpcr) ctx.endAfter = true;
      return true;
    }
  }
  return false;
}

/** `dc zva`: zeroes the aligned block holding the address in `rt`. */
function zeroBlock(ctx: A64Context, rt: number): void {
  const { ir } = ctx;
  const base = tmp(ctx, Op.AND, reg(ctx, rt), imm(ctx, -ZVA_BYTES));
  const zero = imm(ctx, 0);
  for (let off = 0; off < ZVA_BYTES; off += 8) ir.store(base, BigInt(off), zero, 8);
}

/** A trap instruction: ends the TB with `kind`. */
function trap(kind: TrapKind) {
  return (ctx: A64Context) => {
    ctx.ir.raise(kind, 0);
    ctx.ended = true;
    return true;
  };
}

const nop = () => true;

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { SYSTEM_TRANS } from "./trans_system.ts";
 * console.log("svc" in SYSTEM_TRANS); // true
 * ```
 */
export const SYSTEM_TRANS: TransTable = {
  svc: trap(TrapKind.SYSCALL),
  brk: trap(TrapKind.BREAKPOINT),
  hint: nop,
  dsb: nop,
  dmb: nop,
  // The speculation barrier: an emulator does not speculate.
  sb: nop,
  isb(ctx) {
    ctx.endAfter = true;
    return true;
  },
  clrex(ctx) {
    ctx.ir.movi(A64.EXCL_ADDR, -1n);
    return true;
  },
  sys(ctx, a: Args) {
    const dcZva = a.op1 === 3 && a.crn === 7 && a.crm === 4 && a.op2 === 1;
    if (dcZva) zeroBlock(ctx, a.rt);
    // Other dc and ic operations maintain caches an emulator does not have.
    return dcZva || a.crn === 7;
  },
  // PSTATE fields user mode may write (DIT, SSBS, TCO) change nothing here.
  msr_i: (_ctx, a: Args) => a.op1 === 3,
  mrs(ctx, a: Args) {
    const v = readSysreg(ctx, a.sysreg);
    if (v === null) return false;
    if (a.rt !== 31) ctx.ir.mov(a.rt, v);
    return true;
  },
  msr: (ctx, a: Args) => writeSysreg(ctx, a.sysreg, reg(ctx, a.rt)),
};

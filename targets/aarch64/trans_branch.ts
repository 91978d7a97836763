/**
 * Branches: b, bl, b.cond, cbz/cbnz, tbz/tbnz, br, blr, ret.
 *
 * @module
 */

import { Cond, Op, type Temp } from "../../plugin_target.ts";
import { type A64Context, condHolds, imm, reg, tmp, type TransTable } from "./context.ts";

type Args = Record<string, number>;

/** Ends the TB: to `pc + offset` if `a cond b`, else to the next instruction. */
function branchIf(ctx: A64Context, cond: Cond, a: Temp, b: Temp, offset: number): boolean {
  const { ir } = ctx;
  const taken = ir.label();
  ir.brcond(cond, a, b, taken);
  ir.gotoTb(ctx.nextPc);
  ir.setLabel(taken);
  ir.gotoTb(BigInt.asUintN(64, ctx.pc + BigInt(offset)));
  ctx.ended = true;
  return true;
}

/** cbz/cbnz: compares the whole register, or its low 32 bits. */
function compareBranch(cond: Cond) {
  return (ctx: A64Context, a: Args) => {
    const x = a.sf ? reg(ctx, a.rt) : tmp(ctx, Op.EXT32U, reg(ctx, a.rt));
    return branchIf(ctx, cond, x, imm(ctx, 0), a.imm);
  };
}

/** tbz/tbnz: tests one bit. */
function testBranch(cond: Cond) {
  return (ctx: A64Context, a: Args) => {
    const bit = tmp(ctx, Op.AND, reg(ctx, a.rt), imm(ctx, 1n << BigInt(a.bit)));
    return branchIf(ctx, cond, bit, imm(ctx, 0), a.imm);
  };
}

/** br, blr, ret: to the register's value (blr links after reading it). */
function branchRegister(link: boolean) {
  return (ctx: A64Context, a: Args) => {
    const { ir } = ctx;
    const target = ir.temp();
    ir.mov(target, reg(ctx, a.rn));
    if (link) ir.movi(30, ctx.nextPc);
    ir.gotoPtr(target);
    ctx.ended = true;
    return true;
  };
}

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { BRANCH_TRANS } from "./trans_branch.ts";
 * console.log("tbnz" in BRANCH_TRANS); // true
 * ```
 */
export const BRANCH_TRANS: TransTable = {
  b(ctx, a) {
    ctx.ir.gotoTb(BigInt.asUintN(64, ctx.pc + BigInt(a.imm)));
    ctx.ended = true;
    return true;
  },
  bl(ctx, a) {
    ctx.ir.movi(30, ctx.nextPc);
    ctx.ir.gotoTb(BigInt.asUintN(64, ctx.pc + BigInt(a.imm)));
    ctx.ended = true;
    return true;
  },
  b_cond: (ctx, a) => branchIf(ctx, Cond.NE, condHolds(ctx, a.cond), imm(ctx, 0), a.imm),
  cbz: compareBranch(Cond.EQ),
  cbnz: compareBranch(Cond.NE),
  tbz: testBranch(Cond.EQ),
  tbnz: testBranch(Cond.NE),
  br: branchRegister(false),
  blr: branchRegister(true),
  ret: branchRegister(false),
};

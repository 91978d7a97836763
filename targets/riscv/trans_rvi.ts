/**
 * Translation of the base integer ISA (RV32I / RV64I): upper immediates,
 * jumps, branches, loads, stores, ALU ops, fence, ecall and ebreak.
 *
 * @module
 */

import { Cond, Op, TrapKind } from "../../plugin_target.ts";
import { aluImmTrans, aluRegTrans, type AluSpec } from "./alu.ts";
import { Cause } from "./causes.ts";
import {
  type DisasContext,
  gpr,
  gprDest,
  guestAddress,
  imm,
  pcPlus,
  regValue,
  type TransFn,
  type TransTable,
  watchAccess,
} from "./context.ts";
import { WatchKind } from "./triggers.ts";

/** The integer ALU ops shared by register and immediate forms. */
const ALU_OPS = {
  add: { op: Op.ADD, op32: Op.ADD32 },
  slt: { cond: Cond.LT },
  sltu: { cond: Cond.LTU },
  xor: { op: Op.XOR },
  or: { op: Op.OR },
  and: { op: Op.AND },
  sll: { op: Op.SHL, op32: Op.SHL32 },
  srl: { op: Op.SHR, op32: Op.SHR32 },
  sra: { op: Op.SAR, op32: Op.SAR32 },
  addw: { op: Op.ADD32 },
  sllw: { op: Op.SHL32 },
  srlw: { op: Op.SHR32 },
  sraw: { op: Op.SAR32 },
} satisfies Record<string, AluSpec>;

const REG_ONLY_OPS: Record<string, AluSpec> = {
  sub: { op: Op.SUB, op32: Op.SUB32 },
  subw: { op: Op.SUB32 },
};

/** The immediate forms (`addi` computes like `add`, with `imm` for `rs2`). */
const IMM_OPS: Record<string, AluSpec> = {
  addi: ALU_OPS.add,
  slti: ALU_OPS.slt,
  sltiu: ALU_OPS.sltu,
  xori: ALU_OPS.xor,
  ori: ALU_OPS.or,
  andi: ALU_OPS.and,
  slli: ALU_OPS.sll,
  srli: ALU_OPS.srl,
  srai: ALU_OPS.sra,
  addiw: ALU_OPS.addw,
  slliw: ALU_OPS.sllw,
  srliw: ALU_OPS.srlw,
  sraiw: ALU_OPS.sraw,
};

const BRANCHES: Record<string, Cond> = {
  beq: Cond.EQ,
  bne: Cond.NE,
  blt: Cond.LT,
  bge: Cond.GE,
  bltu: Cond.LTU,
  bgeu: Cond.GEU,
};

const LOADS: Record<string, { size: number; signed: boolean }> = {
  lb: { size: 1, signed: true },
  lh: { size: 2, signed: true },
  lw: { size: 4, signed: true },
  ld: { size: 8, signed: true },
  lbu: { size: 1, signed: false },
  lhu: { size: 2, signed: false },
  lwu: { size: 4, signed: false },
};

const STORES: Record<string, number> = { sb: 1, sh: 2, sw: 4, sd: 8 };

function branch(cond: Cond): TransFn {
  return (ctx, a) => {
    const { ir } = ctx;
    const taken = ir.label();
    ir.brcond(cond, gpr(ctx, a.rs1), gpr(ctx, a.rs2), taken);
    ir.gotoTb(ctx.nextPc);
    ir.setLabel(taken);
    ir.gotoTb(pcPlus(ctx, a.imm));
    ctx.ended = true;
    return true;
  };
}

function load(size: number, signed: boolean): TransFn {
  return (ctx, a) => {
    const { base, offset } = guestAddress(ctx, a.rs1, a.imm);
    watchAccess(ctx, base, offset, size, WatchKind.LOAD);
    ctx.ir.load(gprDest(ctx, a.rd), base, offset, size, signed);
    return true;
  };
}

function store(size: number): TransFn {
  return (ctx, a) => {
    const value = gpr(ctx, a.rs2);
    const { base, offset } = guestAddress(ctx, a.rs1, a.imm);
    watchAccess(ctx, base, offset, size, WatchKind.STORE);
    ctx.ir.store(base, offset, value, size);
    return true;
  };
}

function link(ctx: DisasContext, rd: number): void {
  if (rd !== 0) ctx.ir.movi(rd, regValue(ctx, ctx.nextPc));
}

function map<V>(table: Record<string, V>, make: (v: V) => TransFn): TransTable {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, make(v)]));
}

/**
 * The RV32I/RV64I translation functions.
 *
 * @example
 * ```ts
 * import { RVI_TRANS } from "./trans_rvi.ts";
 * console.log("sraiw" in RVI_TRANS); // true
 * ```
 */
export const RVI_TRANS: TransTable = {
  lui(ctx, a) {
    ctx.ir.movi(gprDest(ctx, a.rd), a.imm);
    return true;
  },
  auipc(ctx, a) {
    ctx.ir.movi(gprDest(ctx, a.rd), regValue(ctx, pcPlus(ctx, a.imm)));
    return true;
  },
  jal(ctx, a) {
    link(ctx, a.rd);
    ctx.ir.gotoTb(pcPlus(ctx, a.imm));
    ctx.ended = true;
    return true;
  },
  jalr(ctx, a) {
    const { ir } = ctx;
    const target = ir.temp();
    ir.binop(ctx.xlen === 32 ? Op.ADD32 : Op.ADD, target, gpr(ctx, a.rs1), imm(ctx, a.imm));
    ir.binop(Op.AND, target, target, imm(ctx, -2));
    if (ctx.xlen === 32) ir.binop(Op.EXT32U, target, target);
    link(ctx, a.rd);
    ir.gotoPtr(target);
    ctx.ended = true;
    return true;
  },
  ...map(BRANCHES, branch),
  ...map(LOADS, (l) => load(l.size, l.signed)),
  ...map(STORES, store),
  ...aluRegTrans({ ...ALU_OPS, ...REG_ONLY_OPS }),
  ...aluImmTrans(IMM_OPS),
  fence: () => true,
  "fence.tso": () => true,
  pause: () => true, // Zihintpause: a hint, and one hart never needs to yield
  ecall(ctx) {
    ctx.ir.raise(TrapKind.SYSCALL, Cause.ECALL_U + ctx.priv); // 8, 9 or 11 by privilege
    ctx.ended = true;
    return true;
  },
  ebreak(ctx) {
    ctx.ir.raise(TrapKind.BREAKPOINT, Cause.BREAKPOINT);
    ctx.ended = true;
    return true;
  },
};

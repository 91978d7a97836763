/**
 * Data processing (register): logical and add/sub (shifted register),
 * add/sub (extended register), adc/sbc, conditional compare and select,
 * the 2-source (udiv, sdiv, shifts, crc32) and 1-source (rbit, rev, clz, cls)
 * groups and the 3-source multiplies.
 *
 * @module
 */

import { Cond, Op, type Temp } from "../../plugin_target.ts";
import {
  type A64Context,
  addWithCarry,
  condHolds,
  extended,
  imm,
  reg,
  regSp,
  setLogicFlags,
  setReg,
  setRegSp,
  subWithFlags,
  tmp,
  type TransTable,
} from "./context.ts";
import { A64 } from "./state.ts";
import { A64_HELPER } from "./helpers.ts";

type Args = Record<string, number>;

/** `x` shifted by the constant `amount` as shift type `type` (LSL, LSR, ASR, ROR) on 32/64 bits. */
function shifted(ctx: A64Context, x: Temp, type: number, amount: number, sf: number): Temp {
  if (amount === 0) return x;
  const n = imm(ctx, amount);
  switch (type) {
    case 0:
      return tmp(ctx, Op.SHL, x, n);
    case 1:
      return tmp(ctx, Op.SHR, sf ? x : tmp(ctx, Op.EXT32U, x), n);
    case 2:
      return tmp(ctx, Op.SAR, sf ? x : tmp(ctx, Op.EXT32S, x), n);
    default: {
      const size = sf ? 64 : 32;
      const v = sf ? x : tmp(ctx, Op.EXT32U, x);
      return tmp(ctx, Op.OR, tmp(ctx, Op.SHR, v, n), tmp(ctx, Op.SHL, v, imm(ctx, size - amount)));
    }
  }
}

/** Logical (shifted register); `n` inverts the second operand. */
function logicReg(op: Op, flags: boolean) {
  return (ctx: A64Context, a: Args) => {
    if (!a.sf && a.sa >= 32) return false;
    let m = shifted(ctx, reg(ctx, a.rm), a.shift, a.sa, a.sf);
    if (a.n) m = tmp(ctx, Op.XOR, m, imm(ctx, -1));
    const r = tmp(ctx, op, reg(ctx, a.rn), m);
    if (flags) setLogicFlags(ctx, r, a.sf);
    setReg(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** `rn + m` or `rn - m`, with flags or not; returns the result. */
function addSub(ctx: A64Context, rn: Temp, m: Temp, sub: boolean, flags: boolean, sf: number) {
  if (!flags) return tmp(ctx, sub ? Op.SUB : Op.ADD, rn, m);
  return sub ? subWithFlags(ctx, rn, m, sf) : addWithCarry(ctx, rn, m, imm(ctx, 0), sf, true);
}

/** Add/sub (shifted register). */
function addSubShifted(sub: boolean, flags: boolean) {
  return (ctx: A64Context, a: Args) => {
    if (a.shift === 3 || (!a.sf && a.sa >= 32)) return false;
    const m = shifted(ctx, reg(ctx, a.rm), a.shift, a.sa, a.sf);
    setReg(ctx, a.rd, addSub(ctx, reg(ctx, a.rn), m, sub, flags, a.sf), a.sf);
    return true;
  };
}

/** Add/sub (extended register): rn is SP-capable, and rd too without flags. */
function addSubExtended(sub: boolean, flags: boolean) {
  return (ctx: A64Context, a: Args) => {
    if (a.sa > 4) return false;
    const m = extended(ctx, reg(ctx, a.rm), a.opt, a.sa);
    const r = addSub(ctx, regSp(a.rn), m, sub, flags, a.sf);
    if (flags) setReg(ctx, a.rd, r, a.sf);
    else setRegSp(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** adc, adcs, sbc, sbcs: `rn + rm + C` (sbc: `rn + ~rm + C`). */
function adc(sub: boolean, flags: boolean) {
  return (ctx: A64Context, a: Args) => {
    const m = sub ? tmp(ctx, Op.XOR, reg(ctx, a.rm), imm(ctx, -1)) : reg(ctx, a.rm);
    const r = addWithCarry(ctx, reg(ctx, a.rn), m, A64.CF, a.sf, flags);
    setReg(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** ccmp/ccmn: the flags of `rn - op2` (`rn + op2`) if `cond` holds, else `nzcv`. */
function condCompare(sub: boolean) {
  return (ctx: A64Context, a: Args) => {
    const { ir } = ctx;
    const holds = condHolds(ctx, a.cond);
    const zero = imm(ctx, 0);
    const op2 = a.imm ? imm(ctx, a.rm) : reg(ctx, a.rm);
    const nf = imm(ctx, a.nzcv & 8 ? -1 : 0), zf = imm(ctx, a.nzcv & 4 ? 0 : 1);
    const cf = imm(ctx, (a.nzcv >> 1) & 1), vf = imm(ctx, a.nzcv & 1 ? -1 : 0);
    addSub(ctx, reg(ctx, a.rn), op2, sub, true, a.sf);
    for (const [flag, value] of [[A64.NF, nf], [A64.ZF, zf], [A64.CF, cf], [A64.VF, vf]]) {
      ir.movcond(Cond.NE, flag, holds, zero, flag, value);
    }
    return true;
  };
}

/** csel, csinc, csinv, csneg: `cond ? rn : f(rm)`. */
function condSelect(f: "mov" | "inc" | "inv" | "neg") {
  return (ctx: A64Context, a: Args) => {
    const { ir } = ctx;
    const holds = condHolds(ctx, a.cond);
    const zero = imm(ctx, 0);
    const rm = reg(ctx, a.rm);
    const other = f === "mov"
      ? rm
      : f === "inc"
      ? tmp(ctx, Op.ADD, rm, imm(ctx, 1))
      : f === "inv"
      ? tmp(ctx, Op.XOR, rm, imm(ctx, -1))
      : tmp(ctx, Op.SUB, zero, rm);
    const r = ir.temp();
    ir.movcond(Cond.NE, r, holds, zero, reg(ctx, a.rn), other);
    setReg(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** udiv/sdiv: division by zero gives 0 (the IR's gives all ones). */
function divide(signed: boolean) {
  return (ctx: A64Context, a: Args) => {
    const { ir } = ctx;
    const n = reg(ctx, a.rn), m = reg(ctx, a.rm);
    const zero = imm(ctx, 0);
    const op = a.sf ? (signed ? Op.DIV : Op.DIVU) : (signed ? Op.DIV32 : Op.DIVU32);
    const q = tmp(ctx, op, n, m);
    const r = ir.temp();
    ir.movcond(Cond.EQ, r, a.sf ? m : tmp(ctx, Op.EXT32U, m), zero, zero, q);
    setReg(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** lslv, lsrv, asrv, rorv: shift by the register modulo the data size. */
function shiftVariable(kind: "lsl" | "lsr" | "asr" | "ror") {
  return (ctx: A64Context, a: Args) => {
    const n = reg(ctx, a.rn), m = reg(ctx, a.rm);
    const ops = {
      lsl: [Op.SHL, Op.SHL32],
      lsr: [Op.SHR, Op.SHR32],
      asr: [Op.SAR, Op.SAR32],
      ror: [Op.SHR, Op.SHR32],
    }[kind];
    let r = tmp(ctx, ops[a.sf ? 0 : 1], n, m);
    if (kind === "ror") {
      const back = tmp(ctx, Op.SUB, imm(ctx, a.sf ? 64 : 32), m);
      const v = a.sf ? n : tmp(ctx, Op.EXT32U, n);
      r = tmp(
        ctx,
        Op.OR,
        a.sf ? r : tmp(ctx, Op.EXT32U, r),
        tmp(ctx, a.sf ? Op.SHL : Op.SHL32, v, back),
      );
    }
    setReg(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** Swaps adjacent `width`-bit fields of `x` (masks select the low field of each pair). */
function swapFields(ctx: A64Context, x: Temp, width: number, mask: bigint): Temp {
  const n = imm(ctx, width), m = imm(ctx, mask);
  const lo = tmp(ctx, Op.SHL, tmp(ctx, Op.AND, x, m), n);
  return tmp(ctx, Op.OR, lo, tmp(ctx, Op.AND, tmp(ctx, Op.SHR, x, n), m));
}

const SWAP_MASKS: [number, bigint][] = [
  [1, 0x5555555555555555n],
  [2, 0x3333333333333333n],
  [4, 0x0f0f0f0f0f0f0f0fn],
  [8, 0x00ff00ff00ff00ffn],
  [16, 0x0000ffff0000ffffn],
  [32, 0x00000000ffffffffn],
];

/** Reverses the bytes of each `2^steps`-byte container of `x` (steps 1: rev16 .. 3: rev). */
function reverseBytes(ctx: A64Context, x: Temp, steps: number): Temp {
  for (let i = 0; i < steps; i++) x = swapFields(ctx, x, ...SWAP_MASKS[3 + i]);
  return x;
}

/** The count of leading zeros of the 64-bit `x` (a helper call). */
function clz64(ctx: A64Context, x: Temp): Temp {
  const d = ctx.ir.temp();
  ctx.ir.call(d, A64_HELPER.CLZ, [x]);
  return d;
}

/** madd/msub: `ra ± rn * rm`. */
function multiplyAdd(sub: boolean) {
  return (ctx: A64Context, a: Args) => {
    const p = tmp(ctx, Op.MUL, reg(ctx, a.rn), reg(ctx, a.rm));
    setReg(ctx, a.rd, tmp(ctx, sub ? Op.SUB : Op.ADD, reg(ctx, a.ra), p), a.sf);
    return true;
  };
}

/** smaddl, smsubl, umaddl, umsubl: `xa ± ext(wn) * ext(wm)`. */
function multiplyAddLong(signed: boolean, sub: boolean) {
  return (ctx: A64Context, a: Args) => {
    const ext = signed ? Op.EXT32S : Op.EXT32U;
    const p = tmp(ctx, Op.MUL, tmp(ctx, ext, reg(ctx, a.rn)), tmp(ctx, ext, reg(ctx, a.rm)));
    setReg(ctx, a.rd, tmp(ctx, sub ? Op.SUB : Op.ADD, reg(ctx, a.ra), p), 1);
    return true;
  };
}

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { DP_REG_TRANS } from "./trans_dp_reg.ts";
 * console.log("csinc" in DP_REG_TRANS); // true
 * ```
 */
export const DP_REG_TRANS: TransTable = {
  and_r: logicReg(Op.AND, false),
  orr_r: logicReg(Op.OR, false),
  eor_r: logicReg(Op.XOR, false),
  ands_r: logicReg(Op.AND, true),
  add_r: addSubShifted(false, false),
  adds_r: addSubShifted(false, true),
  sub_r: addSubShifted(true, false),
  subs_r: addSubShifted(true, true),
  add_x: addSubExtended(false, false),
  adds_x: addSubExtended(false, true),
  sub_x: addSubExtended(true, false),
  subs_x: addSubExtended(true, true),
  adc: adc(false, false),
  adcs: adc(false, true),
  sbc: adc(true, false),
  sbcs: adc(true, true),
  ccmn: condCompare(false),
  ccmp: condCompare(true),
  csel: condSelect("mov"),
  csinc: condSelect("inc"),
  csinv: condSelect("inv"),
  csneg: condSelect("neg"),
  udiv: divide(false),
  sdiv: divide(true),
  lslv: shiftVariable("lsl"),
  lsrv: shiftVariable("lsr"),
  asrv: shiftVariable("asr"),
  rorv: shiftVariable("ror"),
  rbit(ctx, a) {
    let x = reg(ctx, a.rn);
    for (const [w, m] of SWAP_MASKS) x = swapFields(ctx, x, w, m);
    setReg(ctx, a.rd, a.sf ? x : tmp(ctx, Op.SHR, x, imm(ctx, 32)), a.sf);
    return true;
  },
  rev16(ctx, a) {
    setReg(ctx, a.rd, reverseBytes(ctx, reg(ctx, a.rn), 1), a.sf);
    return true;
  },
  rev32(ctx, a) {
    setReg(ctx, a.rd, reverseBytes(ctx, reg(ctx, a.rn), 2), 1);
    return true;
  },
  rev(ctx, a) {
    setReg(ctx, a.rd, reverseBytes(ctx, reg(ctx, a.rn), a.sf ? 3 : 2), a.sf);
    return true;
  },
  clz(ctx, a) {
    const x = reg(ctx, a.rn);
    const n = clz64(ctx, a.sf ? x : tmp(ctx, Op.EXT32U, x));
    setReg(ctx, a.rd, a.sf ? n : tmp(ctx, Op.SUB, n, imm(ctx, 32)), a.sf);
    return true;
  },
  cls(ctx, a) {
    const x = a.sf ? reg(ctx, a.rn) : tmp(ctx, Op.EXT32S, reg(ctx, a.rn));
    const n = clz64(ctx, tmp(ctx, Op.XOR, x, tmp(ctx, Op.SAR, x, imm(ctx, 1))));
    setReg(ctx, a.rd, tmp(ctx, Op.SUB, n, imm(ctx, a.sf ? 1 : 33)), a.sf);
    return true;
  },
  crc32(ctx, a) {
    const d = ctx.ir.temp();
    ctx.ir.call(d, A64_HELPER.CRC32, [reg(ctx, a.rn), reg(ctx, a.rm), imm(ctx, a.c | (a.sz << 1))]);
    setReg(ctx, a.rd, d, 0);
    return true;
  },
  madd: multiplyAdd(false),
  msub: multiplyAdd(true),
  smaddl: multiplyAddLong(true, false),
  smsubl: multiplyAddLong(true, true),
  umaddl: multiplyAddLong(false, false),
  umsubl: multiplyAddLong(false, true),
  smulh(ctx, a) {
    setReg(ctx, a.rd, tmp(ctx, Op.MULHS, reg(ctx, a.rn), reg(ctx, a.rm)), 1);
    return true;
  },
  umulh(ctx, a) {
    setReg(ctx, a.rd, tmp(ctx, Op.MULHU, reg(ctx, a.rn), reg(ctx, a.rm)), 1);
    return true;
  },
};

/**
 * Data processing (immediate): adr, adrp, add/sub (immediate), logical
 * (bitmask immediate), move wide (movn, movz, movk), bitfield (sbfm, bfm,
 * ubfm) and extr.
 *
 * @module
 */

import { Op, type Temp } from "../../plugin_target.ts";
import { decodeBitMasks } from "./bitmasks.ts";
import {
  type A64Context,
  addWithCarry,
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

/** add/sub (immediate): `sub` negates, `flags` sets NZCV (and rd 31 is then XZR). */
function addSubImm(sub: boolean, flags: boolean) {
  return (ctx: A64Context, a: Record<string, number>) => {
    const value = BigInt(a.imm) << BigInt(12 * a.sh);
    const rn = regSp(a.rn);
    const r = !flags
      ? tmp(ctx, sub ? Op.SUB : Op.ADD, rn, imm(ctx, value))
      : sub
      ? subWithFlags(ctx, rn, imm(ctx, value), a.sf)
      : addWithCarry(ctx, rn, imm(ctx, value), imm(ctx, 0), a.sf, true);
    if (flags) setReg(ctx, a.rd, r, a.sf);
    else setRegSp(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** Logical (immediate): `op` with the bitmask immediate; `flags`: ands. */
function logicImm(op: Op, flags: boolean) {
  return (ctx: A64Context, a: Record<string, number>) => {
    if (!a.sf && a.n) return false;
    const masks = decodeBitMasks(a.n, a.imms, a.immr, true, a.sf ? 64 : 32);
    if (!masks) return false;
    const r = tmp(ctx, op, reg(ctx, a.rn), imm(ctx, masks.wmask));
    if (flags) {
      setLogicFlags(ctx, r, a.sf);
      setReg(ctx, a.rd, r, a.sf);
    } else setRegSp(ctx, a.rd, r, a.sf);
    return true;
  };
}

/** Move wide: the shifted 16-bit immediate, inverted (movn) or inserted (movk). */
function moveWide(kind: "n" | "z" | "k") {
  return (ctx: A64Context, a: Record<string, number>) => {
    if (!a.sf && a.hw >= 2) return false;
    const shift = BigInt(16 * a.hw);
    const value = BigInt(a.imm) << shift;
    if (a.rd === 31) return true;
    if (kind === "k") {
      const kept = tmp(ctx, Op.AND, reg(ctx, a.rd), imm(ctx, ~(0xffffn << shift)));
      setReg(ctx, a.rd, tmp(ctx, Op.OR, kept, imm(ctx, value)), a.sf);
    } else setReg(ctx, a.rd, imm(ctx, kind === "n" ? ~value : value), a.sf);
    return true;
  };
}

/** `x` rotated right by the constant `r` on `size` bits (upper bits of a 32-bit result: junk). */
function rotate(ctx: A64Context, x: Temp, r: number, size: number): Temp {
  if (r === 0) return x;
  const v = size === 32 ? tmp(ctx, Op.EXT32U, x) : x;
  const lo = tmp(ctx, Op.SHR, v, imm(ctx, r));
  return tmp(ctx, Op.OR, lo, tmp(ctx, Op.SHL, v, imm(ctx, size - r)));
}

/** Bitfield moves, as the Arm ARM's pseudocode with masks known at translation time. */
function bitfield(kind: "s" | "u" | "b") {
  return (ctx: A64Context, a: Record<string, number>) => {
    const size = a.sf ? 64 : 32;
    if (a.sf !== a.n || a.immr >= size || a.imms >= size) return false;
    const masks = decodeBitMasks(a.n, a.imms, a.immr, false, size);
    if (!masks) return false;
    const src = reg(ctx, a.rn);
    const rotated = rotate(ctx, src, a.immr, size);
    let bot = tmp(ctx, Op.AND, rotated, imm(ctx, masks.wmask));
    const dst = reg(ctx, a.rd);
    if (kind === "b") {
      bot = tmp(ctx, Op.OR, bot, tmp(ctx, Op.AND, dst, imm(ctx, ~masks.wmask)));
    }
    let result = tmp(ctx, Op.AND, bot, imm(ctx, masks.tmask));
    if (kind !== "u") {
      const top = kind === "b"
        ? dst
        : tmp(ctx, Op.SAR, tmp(ctx, Op.SHL, src, imm(ctx, 63 - a.imms)), imm(ctx, 63));
      result = tmp(ctx, Op.OR, result, tmp(ctx, Op.AND, top, imm(ctx, ~masks.tmask)));
    }
    setReg(ctx, a.rd, result, a.sf);
    return true;
  };
}

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { DP_IMM_TRANS } from "./trans_dp_imm.ts";
 * console.log("movk" in DP_IMM_TRANS); // true
 * ```
 */
export const DP_IMM_TRANS: TransTable = {
  adr(ctx, a) {
    if (a.rd !== 31) ctx.ir.movi(a.rd, ctx.pc + BigInt(a.imm));
    return true;
  },
  adrp(ctx, a) {
    if (a.rd !== 31) ctx.ir.movi(a.rd, (ctx.pc & ~0xfffn) + (BigInt(a.imm) << 12n));
    return true;
  },
  add_i: addSubImm(false, false),
  adds_i: addSubImm(false, true),
  sub_i: addSubImm(true, false),
  subs_i: addSubImm(true, true),
  and_i: logicImm(Op.AND, false),
  orr_i: logicImm(Op.OR, false),
  eor_i: logicImm(Op.XOR, false),
  ands_i: logicImm(Op.AND, true),
  movn: moveWide("n"),
  movz: moveWide("z"),
  movk: moveWide("k"),
  sbfm: bitfield("s"),
  bfm: bitfield("b"),
  ubfm: bitfield("u"),
  extr(ctx, a) {
    const size = a.sf ? 64 : 32;
    if (a.sf !== a.n || a.imms >= size) return false;
    const lo = reg(ctx, a.rm);
    if (a.imms === 0) {
      setReg(ctx, a.rd, lo, a.sf);
      return true;
    }
    const hi = reg(ctx, a.rn);
    const loPart = tmp(ctx, Op.SHR, a.sf ? lo : tmp(ctx, Op.EXT32U, lo), imm(ctx, a.imms));
    const hiPart = tmp(ctx, Op.SHL, hi, imm(ctx, size - a.imms));
    setReg(ctx, a.rd, tmp(ctx, Op.OR, loPart, hiPart), a.sf);
    return true;
  },
};

/**
 * The per-instruction translation context and the IR-emitting primitives
 * the A64 translation files share: register 31 as XZR or SP, 32-bit results
 * zero-extended into X registers, the flags (in the representation of
 * `state.ts`) and the condition codes.
 *
 * NZCV are computed eagerly, but cheaply: an instruction that sets them
 * stores its result in NF and ZF and computes only C and V (one or two ops
 * each); a condition reads the flags it needs. Nothing is packed until a
 * program reads NZCV with `mrs` or a signal frame saves it.
 *
 * `IrEmitter.constant` materialises a constant at its first use, so
 * constants are fetched before a conditional branch, never only inside a
 * region a branch may skip.
 *
 * @module
 */

import { Cond, type IrEmitter, Op, type Temp, TrapKind } from "../../plugin_target.ts";
import { A64 } from "./state.ts";

/**
 * What a translation function sees for one instruction.
 *
 * @example
 * ```ts
 * import type { A64Context } from "./context.ts";
 * const atStart = (ctx: A64Context) => ctx.insnIndex === 0;
 * ```
 */
export interface A64Context {
  readonly ir: IrEmitter;
  /** pc of this instruction and of the next */
  readonly pc: bigint;
  readonly nextPc: bigint;
  /** the raw instruction */
  readonly bits: number;
  /** index of this instruction in its TB */
  readonly insnIndex: number;
  /** set when the instruction ended the TB itself (branch, trap) */
  ended: boolean;
  /** set to end the TB after this instruction, falling through to nextPc */
  endAfter: boolean;
}

/**
 * Translates one decoded instruction; returns false, before emitting IR, for
 * an encoding that is unallocated in this context.
 *
 * @example
 * ```ts
 * import type { TransFn } from "./context.ts";
 * const nop: TransFn = () => true;
 * ```
 */
export type TransFn = (ctx: A64Context, a: Record<string, number>) => boolean;

/**
 * Translation functions by name.
 *
 * @example
 * ```ts
 * import type { TransTable } from "./context.ts";
 * const t: TransTable = { hint: () => true };
 * ```
 */
export type TransTable = Record<string, TransFn>;

/**
 * A constant temp.
 *
 * @example
 * ```ts ignore
 * ir.binop(Op.ADD, d, reg(ctx, a.rn), imm(ctx, 4));
 * ```
 */
export function imm(ctx: A64Context, v: number | bigint): Temp {
  return ctx.ir.constant(BigInt(v));
}

/**
 * A fresh temp holding `op(a, b)`.
 *
 * @example
 * ```ts ignore
 * const sum = tmp(ctx, Op.ADD, x, y);
 * ```
 */
export function tmp(ctx: A64Context, op: Op, a: Temp, b: Temp = 0): Temp {
  const d = ctx.ir.temp();
  ctx.ir.binop(op, d, a, b);
  return d;
}

/**
 * Register `r` for reading, 31 being XZR.
 *
 * @example
 * ```ts ignore
 * const x1 = reg(ctx, 1);
 * ```
 */
export function reg(ctx: A64Context, r: number): Temp {
  return r === 31 ? ctx.ir.constant(0n) : r;
}

/**
 * Register `r` for reading, 31 being SP.
 *
 * @example
 * ```ts ignore
 * const base = regSp(31); // sp
 * ```
 */
export function regSp(r: number): Temp {
  return r;
}

/**
 * Writes `v` to register `r` (31: XZR, discarded), zero-extended from 32
 * bits unless `sf`.
 *
 * @example
 * ```ts ignore
 * setReg(ctx, a.rd, sum, a.sf);
 * ```
 */
export function setReg(ctx: A64Context, r: number, v: Temp, sf: number): void {
  if (r === 31) return;
  ctx.ir.binop(sf ? Op.MOV : Op.EXT32U, r, v);
}

/**
 * Writes `v` to register `r` (31: SP), zero-extended from 32 bits unless `sf`.
 *
 * @example
 * ```ts ignore
 * setRegSp(ctx, a.rd, sum, 1);
 * ```
 */
export function setRegSp(ctx: A64Context, r: number, v: Temp, sf: number): void {
  ctx.ir.binop(sf ? Op.MOV : Op.EXT32U, r, v);
}

/**
 * Sets N and Z from result `r` (a 32-bit result is sign-extended first), C and V to 0.
 *
 * @example
 * ```ts ignore
 * setLogicFlags(ctx, result, a.sf);
 * ```
 */
export function setLogicFlags(ctx: A64Context, r: Temp, sf: number): void {
  const { ir } = ctx;
  ir.binop(sf ? Op.MOV : Op.EXT32S, A64.NF, r);
  ir.mov(A64.ZF, A64.NF);
  const zero = imm(ctx, 0);
  ir.mov(A64.CF, zero);
  ir.mov(A64.VF, zero);
}

/**
 * `a + b + carry` (`carry` a 0/1 temp) on 64 or 32 bits, setting NZCV when
 * `flags`; subtraction is `a + ~b + 1`. Returns the result (upper 32 bits
 * unspecified for 32-bit operations: write it with `setReg`).
 *
 * @example
 * ```ts ignore
 * const diff = addWithCarry(ctx, x, tmp(ctx, Op.XOR, y, imm(ctx, -1)), imm(ctx, 1), 1, true);
 * ```
 */
export function addWithCarry(
  ctx: A64Context,
  a: Temp,
  b: Temp,
  carry: Temp,
  sf: number,
  flags: boolean,
): Temp {
  const { ir } = ctx;
  if (!flags) return tmp(ctx, Op.ADD, tmp(ctx, Op.ADD, a, b), carry);
  if (sf) {
    const partial = tmp(ctx, Op.ADD, a, b);
    const r = tmp(ctx, Op.ADD, partial, carry);
    const c1 = ir.temp(), c2 = ir.temp();
    ir.setcond(Cond.LTU, c2, r, partial);
    ir.setcond(Cond.LTU, c1, partial, a);
    ir.binop(Op.OR, A64.CF, c1, c2);
    overflow(ctx, r, a, b);
    ir.mov(A64.NF, r);
    ir.mov(A64.ZF, r);
    return r;
  }
  const a32 = tmp(ctx, Op.EXT32U, a), b32 = tmp(ctx, Op.EXT32U, b);
  const wide = tmp(ctx, Op.ADD, tmp(ctx, Op.ADD, a32, b32), carry);
  ir.binop(Op.SHR, A64.CF, wide, imm(ctx, 32));
  const r = tmp(ctx, Op.EXT32S, wide);
  overflow(ctx, r, tmp(ctx, Op.EXT32S, a), tmp(ctx, Op.EXT32S, b));
  ir.mov(A64.NF, r);
  ir.mov(A64.ZF, r);
  return r;
}

/**
 * `a - m` on 64 or 32 bits, setting NZCV as `addWithCarry(a, ~m, 1)` does, but with C as the
 * comparison `a >= m` (unsigned): fewer ops, and a `cmp` with a constant shows the constant to
 * whoever reads the IR's comparisons (the fuzzer's compare tokens). Returns the result as
 * `addWithCarry` does.
 *
 * @example
 * ```ts ignore
 * subWithFlags(ctx, x, imm(ctx, 0xdeadbeef), 0); // cmp wN, ...
 * ```
 */
export function subWithFlags(ctx: A64Context, a: Temp, m: Temp, sf: number): Temp {
  const { ir } = ctx;
  const notM = tmp(ctx, Op.XOR, m, imm(ctx, -1));
  let r: Temp;
  if (sf) {
    r = tmp(ctx, Op.SUB, a, m);
    ir.setcond(Cond.GEU, A64.CF, a, m);
    overflow(ctx, r, a, notM);
  } else {
    ir.setcond(Cond.GEU, A64.CF, tmp(ctx, Op.EXT32U, a), tmp(ctx, Op.EXT32U, m));
    r = tmp(ctx, Op.EXT32S, tmp(ctx, Op.SUB, a, m));
    overflow(ctx, r, tmp(ctx, Op.EXT32S, a), tmp(ctx, Op.EXT32S, notM));
  }
  ir.mov(A64.NF, r);
  ir.mov(A64.ZF, r);
  return r;
}

/** VF = (r ^ a) & (r ^ b): negative when the sum `r` of `a` and `b` overflowed. */
function overflow(ctx: A64Context, r: Temp, a: Temp, b: Temp): void {
  ctx.ir.binop(Op.AND, A64.VF, tmp(ctx, Op.XOR, r, a), tmp(ctx, Op.XOR, r, b));
}

/**
 * `x` extended as option `opt` (UXTB .. SXTX) and shifted left by `sa`.
 *
 * @example
 * ```ts ignore
 * const offset = extended(ctx, reg(ctx, a.rm), a.opt, a.s ? a.sz : 0);
 * ```
 */
export function extended(ctx: A64Context, x: Temp, opt: number, sa: number): Temp {
  const ext = [Op.EXT8U, Op.EXT16U, Op.EXT32U, Op.MOV, Op.EXT8S, Op.EXT16S, Op.EXT32S, Op.MOV][opt];
  const v = ext === Op.MOV ? x : tmp(ctx, ext, x);
  return sa ? tmp(ctx, Op.SHL, v, imm(ctx, sa)) : v;
}

/**
 * A 0/1 temp: whether condition `cond` (the A64 encoding, 0 EQ .. 15 NV) holds.
 *
 * @example
 * ```ts ignore
 * ir.brcond(Cond.NE, condHolds(ctx, a.cond), imm(ctx, 0), taken);
 * ```
 */
export function condHolds(ctx: A64Context, cond: number): Temp {
  const { ir } = ctx;
  const zero = imm(ctx, 0);
  const test = (c: Cond, x: Temp) => {
    const d = ir.temp();
    ir.setcond(c, d, x, zero);
    return d;
  };
  const ge = () => test(Cond.GE, tmp(ctx, Op.XOR, A64.NF, A64.VF));
  let t: Temp;
  switch (cond >> 1) {
    case 0: // EQ
      t = test(Cond.EQ, A64.ZF);
      break;
    case 1: // CS
      t = test(Cond.NE, A64.CF);
      break;
    case 2: // MI
      t = test(Cond.LT, A64.NF);
      break;
    case 3: // VS
      t = test(Cond.LT, A64.VF);
      break;
    case 4: // HI
      t = tmp(ctx, Op.AND, test(Cond.NE, A64.CF), test(Cond.NE, A64.ZF));
      break;
    case 5: // GE
      t = ge();
      break;
    case 6: // GT
      t = tmp(ctx, Op.AND, test(Cond.NE, A64.ZF), ge());
      break;
    default: // AL, NV
      return imm(ctx, 1);
  }
  return cond & 1 ? tmp(ctx, Op.XOR, t, imm(ctx, 1)) : t;
}

/**
 * Ends the TB with an undefined-instruction trap carrying the instruction bits.
 *
 * @example
 * ```ts ignore
 * raiseUndefined(ctx);
 * ```
 */
export function raiseUndefined(ctx: A64Context): void {
  const t = ctx.ir.temp();
  ctx.ir.movi(t, BigInt(ctx.bits >>> 0));
  ctx.ir.raise(TrapKind.ILLEGAL, 0, t);
  ctx.ended = true;
}

/**
 * A load of `bytes` bytes, sign-extended when `signed`, else zero-extended.
 * An 8-byte load is always a signed one: IR values are signed 64-bit
 * numbers, and an unsigned 8-byte load would give a different bigint for the
 * same bits (a comparison with a register would then fail).
 *
 * @example
 * ```ts ignore
 * load(ctx, d, base, 0n, 8, false);
 * ```
 */
export function load(
  ctx: A64Context,
  d: Temp,
  base: Temp,
  offset: bigint,
  bytes: number,
  signed: boolean,
): void {
  ctx.ir.load(d, base, offset, bytes, signed || bytes === 8);
}

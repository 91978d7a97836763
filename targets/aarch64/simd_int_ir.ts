/**
 * The AdvSIMD integer operations common in vectorised loops written as IR on the two 64-bit
 * halves of the registers, lanes side by side in one 64-bit value (SWAR): add, sub, neg and
 * cmlt #0 by register, shl and ushr by immediate. The rest go to the generic lane helper
 * (`simd_int.ts`), which computes the same results lane by lane; the random differential test
 * against qemu-aarch64 runs both.
 *
 * @module
 */

import { type A64Context, imm, tmp } from "./context.ts";
import { Op, type Temp } from "../../plugin_target.ts";
import { A64 } from "./state.ts";

/** `v` (one lane of `e` bytes) in every lane of a 64-bit half, as a signed constant. */
function everyLane(v: bigint, e: number): bigint {
  let out = 0n;
  for (let at = 0; at < 8; at += e) out |= v << BigInt(8 * at);
  return BigInt.asIntN(64, out);
}

/** The lane mask of `e` bytes. */
const ones = (e: number) => (1n << BigInt(8 * e)) - 1n;
/** The top bit of every lane of `e` bytes. */
const tops = (e: number) => everyLane(1n << BigInt(8 * e - 1), e);

/**
 * Lane-wise `x + y` (`sub`: `x - y`) of `e`-byte lanes: the lanes' low bits add without
 * carries into the next lane, and the top bits come from an exclusive or.
 */
function addLanes(ctx: A64Context, x: Temp, y: Temp, e: number, sub: boolean): Temp {
  if (e === 8) return tmp(ctx, sub ? Op.SUB : Op.ADD, x, y);
  const top = imm(ctx, tops(e)), low = imm(ctx, ~tops(e));
  const left = tmp(ctx, sub ? Op.OR : Op.AND, x, sub ? top : low);
  const sum = tmp(ctx, sub ? Op.SUB : Op.ADD, left, tmp(ctx, Op.AND, y, low));
  const differ = tmp(ctx, Op.XOR, x, sub ? tmp(ctx, Op.XOR, y, imm(ctx, -1)) : y);
  return tmp(ctx, Op.XOR, sum, tmp(ctx, Op.AND, differ, top));
}

/** Lane-wise shift of `e`-byte lanes by the immediate `amount` (`right`: logical right). */
function shiftLanes(ctx: A64Context, x: Temp, amount: number, e: number, right: boolean): Temp {
  if (amount >= 8 * e) return imm(ctx, 0);
  if (amount === 0) return tmp(ctx, Op.MOV, x);
  const shifted = tmp(ctx, right ? Op.SHR : Op.SHL, x, imm(ctx, amount));
  if (e === 8) return shifted;
  const kept = right ? ones(e) >> BigInt(amount) : (ones(e) << BigInt(amount)) & ones(e);
  return tmp(ctx, Op.AND, shifted, imm(ctx, everyLane(kept, e)));
}

/** Each `e`-byte lane of `x` as all ones where it is negative, else zero. */
function negativeLanes(ctx: A64Context, x: Temp, e: number): Temp {
  if (e === 8) return tmp(ctx, Op.SAR, x, imm(ctx, 63));
  const signs = tmp(ctx, Op.SHR, tmp(ctx, Op.AND, x, imm(ctx, tops(e))), imm(ctx, 8 * e - 1));
  return tmp(ctx, Op.MUL, signs, imm(ctx, ones(e)));
}

/** One half's result from the halves of Vn and Vm (or the immediate), lanes of `e` bytes. */
type HalfFn = (ctx: A64Context, n: Temp, m: Temp, e: number, amount: number) => Temp;

const HALVES: Record<string, HalfFn> = {
  add: (ctx, n, m, e) => addLanes(ctx, n, m, e, false),
  sub: (ctx, n, m, e) => addLanes(ctx, n, m, e, true),
  neg: (ctx, n, _m, e) => addLanes(ctx, imm(ctx, 0), n, e, true),
  cmlt_z: (ctx, n, _m, e) => negativeLanes(ctx, n, e),
  shl: (ctx, n, _m, e, amount) => shiftLanes(ctx, n, amount, e, false),
  ushr: (ctx, n, _m, e, amount) => shiftLanes(ctx, n, amount, e, true),
};

/**
 * Translates integer operation `name` on registers `a.rd`, `a.rn`, `a.rm` (lanes of
 * `1 << size` bytes; `amount`: a shift immediate) into IR, when it is one of those above;
 * returns false, having emitted nothing, for the others. The scalar forms (`a.scalar`) and
 * Q = 0 take the low half and zero the high one.
 *
 * @example
 * ```ts ignore
 * if (laneOpInIr(ctx, "add", a, a.size)) return true;
 * ```
 */
export function laneOpInIr(
  ctx: A64Context,
  name: string,
  a: Record<string, number>,
  size: number,
  amount = 0,
): boolean {
  const f = HALVES[name];
  if (!f) return false;
  const e = 1 << size, both = a.q && !a.scalar;
  const rm = a.rm ?? 0;
  const lo = f(ctx, A64.vLow(a.rn), A64.vLow(rm), e, amount);
  const hi = both ? f(ctx, A64.vHigh(a.rn), A64.vHigh(rm), e, amount) : imm(ctx, 0);
  ctx.ir.mov(A64.vLow(a.rd), lo);
  ctx.ir.mov(A64.vHigh(a.rd), hi);
  return true;
}

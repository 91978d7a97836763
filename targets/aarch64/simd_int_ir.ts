/**
 * The AdvSIMD integer operations common in vectorised loops written as IR on the two 64-bit
 * halves of the registers, lanes side by side in one 64-bit value (SWAR): add, sub, neg and
 * cmlt #0 by register, shl and ushr by immediate; and for 32-bit lanes mul, mla, mls, sshr and
 * the long forms smull, umull, smlal, umlal, sshll and ushll. The rest go to the generic lane helper
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

/** The two 32-bit lanes of a half: the low one in the low bits of its temp, the high one. */
const split32 = (ctx: A64Context, x: Temp): [Temp, Temp] => [x, tmp(ctx, Op.SHR, x, imm(ctx, 32))];

/** A half from its two 32-bit lanes (in the low bits of each temp). */
function join32(ctx: A64Context, low: Temp, high: Temp): Temp {
  const top = tmp(ctx, Op.SHL, high, imm(ctx, 32));
  return tmp(ctx, Op.OR, tmp(ctx, Op.EXT32U, low), top);
}

/** `op` (a 32-bit IR op) on each 32-bit lane of `n` and of `m` (or the immediate `amount`). */
function eachWord(ctx: A64Context, op: Op, n: Temp, m: Temp | null, amount: number): Temp {
  const [n0, n1] = split32(ctx, n);
  const [m0, m1] = m === null ? [imm(ctx, amount), imm(ctx, amount)] : split32(ctx, m);
  return join32(ctx, tmp(ctx, op, n0, m0), tmp(ctx, op, n1, m1));
}

/**
 * One half's result from the halves of Vn, Vm (or the immediate `amount`) and Vd, lanes of `e`
 * bytes.
 */
type HalfFn = (ctx: A64Context, n: Temp, m: Temp, d: Temp, e: number, amount: number) => Temp;

const HALVES: Record<string, HalfFn> = {
  add: (ctx, n, m, _d, e) => addLanes(ctx, n, m, e, false),
  sub: (ctx, n, m, _d, e) => addLanes(ctx, n, m, e, true),
  neg: (ctx, n, _m, _d, e) => addLanes(ctx, imm(ctx, 0), n, e, true),
  cmlt_z: (ctx, n, _m, _d, e) => negativeLanes(ctx, n, e),
  shl: (ctx, n, _m, _d, e, amount) => shiftLanes(ctx, n, amount, e, false),
  ushr: (ctx, n, _m, _d, e, amount) => shiftLanes(ctx, n, amount, e, true),
};

/**
 * The operations of 32- and 64-bit lanes only (`d`: the half of Vd, for the accumulating ones);
 * shifting by the lane's width or more gives the sign, as by one less.
 */
const WORD_HALVES: Record<string, HalfFn> = {
  mul: (ctx, n, m, _d, e) => e === 8 ? tmp(ctx, Op.MUL, n, m) : eachWord(ctx, Op.MUL32, n, m, 0),
  mla: (ctx, n, m, d, e) => addLanes(ctx, d, WORD_HALVES.mul(ctx, n, m, d, e, 0), e, false),
  mls: (ctx, n, m, d, e) => addLanes(ctx, d, WORD_HALVES.mul(ctx, n, m, d, e, 0), e, true),
  sshr: (ctx, n, _m, _d, e, amount) =>
    e === 8
      ? tmp(ctx, Op.SAR, n, imm(ctx, Math.min(amount, 63)))
      : eachWord(ctx, Op.SAR32, n, null, Math.min(amount, 31)),
};

/**
 * The long operations of 32-bit source lanes: each 64-bit result lane from the source lane of
 * the same number in the half Q selects (`x`, `y`: the source lanes, extended; `d`: Vd's half).
 */
const LONG_WORDS: Record<
  string,
  { signed: boolean; f: (ctx: A64Context, x: Temp, y: Temp, d: Temp, amount: number) => Temp }
> = {
  smull: { signed: true, f: (ctx, x, y) => tmp(ctx, Op.MUL, x, y) },
  umull: { signed: false, f: (ctx, x, y) => tmp(ctx, Op.MUL, x, y) },
  smlal: { signed: true, f: (ctx, x, y, d) => tmp(ctx, Op.ADD, d, tmp(ctx, Op.MUL, x, y)) },
  umlal: { signed: false, f: (ctx, x, y, d) => tmp(ctx, Op.ADD, d, tmp(ctx, Op.MUL, x, y)) },
  sshll: { signed: true, f: (ctx, x, _y, _d, amount) => tmp(ctx, Op.SHL, x, imm(ctx, amount)) },
  ushll: { signed: false, f: (ctx, x, _y, _d, amount) => tmp(ctx, Op.SHL, x, imm(ctx, amount)) },
};

/** The two 32-bit lanes of a half, sign- or zero-extended. */
function words(ctx: A64Context, x: Temp, signed: boolean): [Temp, Temp] {
  return signed
    ? [tmp(ctx, Op.EXT32S, x), tmp(ctx, Op.SAR, x, imm(ctx, 32))]
    : [tmp(ctx, Op.EXT32U, x), tmp(ctx, Op.SHR, x, imm(ctx, 32))];
}

/** Translates a long operation of 32-bit lanes (see {@linkcode LONG_WORDS}); false for others. */
function longInIr(
  ctx: A64Context,
  name: string,
  a: Record<string, number>,
  size: number,
  amount: number,
): boolean {
  const op = LONG_WORDS[name];
  if (!op || size !== 2 || a.scalar) return false;
  const half = (r: number) => (a.q ? A64.vHigh(r) : A64.vLow(r));
  const xs = words(ctx, half(a.rn), op.signed);
  const ys = a.rm === undefined ? xs : words(ctx, half(a.rm), op.signed);
  const lo = op.f(ctx, xs[0], ys[0], A64.vLow(a.rd), amount);
  const hi = op.f(ctx, xs[1], ys[1], A64.vHigh(a.rd), amount);
  ctx.ir.mov(A64.vLow(a.rd), lo);
  ctx.ir.mov(A64.vHigh(a.rd), hi);
  return true;
}

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
  const f = HALVES[name] ?? (size >= 2 ? WORD_HALVES[name] : undefined);
  if (!f) return longInIr(ctx, name, a, size, amount);
  const e = 1 << size, both = a.q && !a.scalar;
  const rm = a.rm ?? 0;
  const lo = f(ctx, A64.vLow(a.rn), A64.vLow(rm), A64.vLow(a.rd), e, amount);
  const hi = both
    ? f(ctx, A64.vHigh(a.rn), A64.vHigh(rm), A64.vHigh(a.rd), e, amount)
    : imm(ctx, 0);
  ctx.ir.mov(A64.vLow(a.rd), lo);
  ctx.ir.mov(A64.vHigh(a.rd), hi);
  return true;
}

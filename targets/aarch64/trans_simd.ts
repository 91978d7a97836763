/**
 * AdvSIMD and FP register moves: ld1/st1 (multiple structures, 1 to 4
 * registers), dup (general), the bitwise vector operations (and, bic, orr,
 * orn, eor, bsl, bit, bif, not) on the two 64-bit halves in IR, the
 * modified-immediate moves (movi, mvni, orr, bic, fmov), fmov between general
 * and FP registers, and the lane-wise operations through the `a64_vec`
 * helper (`simd_helpers.ts`).
 *
 * A 64-bit (Q = 0) operation zeroes the upper half of its destination.
 *
 * @module
 */

import { type Cond, Op, type Temp } from "../../plugin.ts";
import { type A64Context, imm, load, reg, regSp, setReg, tmp, type TransTable } from "./context.ts";
import { A64_HELPER } from "./helpers.ts";
import { VecOp } from "./simd_helpers.ts";
import { A64 } from "./state.ts";

type Args = Record<string, number>;

/** Registers ld1/st1 transfer, by the opcode field (other opcodes interleave: ld2-ld4). */
const LD1_REGISTERS: Record<number, number> = { 0b0111: 1, 0b1010: 2, 0b0110: 3, 0b0010: 4 };

/** Calls the lane-wise helper. */
function vecCall(ctx: A64Context, op: number, a: Args, size: number, extra = 0): void {
  const info = size | (a.q << 2) | (extra << 3);
  const args = [op, a.rd, a.rn, a.rm ?? 0, info].map((v) => imm(ctx, v));
  ctx.ir.call(-1, A64_HELPER.VEC, args);
}

/** Writes `lo` (and `hi`, or zero when Q = 0) to Vd. */
function setVec(ctx: A64Context, d: number, q: number, lo: Temp, hi: Temp): void {
  ctx.ir.mov(A64.vLow(d), lo);
  ctx.ir.mov(A64.vHigh(d), q ? hi : imm(ctx, 0));
}

/** A bitwise vector operation: `f` combines the halves of Vd, Vn, Vm. */
function bitwise(f: (ctx: A64Context, d: Temp, n: Temp, m: Temp) => Temp) {
  return (ctx: A64Context, a: Args) => {
    const lo = f(ctx, A64.vLow(a.rd), A64.vLow(a.rn), A64.vLow(a.rm));
    const hi = a.q ? f(ctx, A64.vHigh(a.rd), A64.vHigh(a.rn), A64.vHigh(a.rm)) : 0;
    setVec(ctx, a.rd, a.q, lo, hi);
    return true;
  };
}

const not = (ctx: A64Context, x: Temp) => tmp(ctx, Op.XOR, x, imm(ctx, -1));
/** `(x & sel) | (y & ~sel)` */
const select = (ctx: A64Context, sel: Temp, x: Temp, y: Temp) =>
  tmp(ctx, Op.OR, tmp(ctx, Op.AND, x, sel), tmp(ctx, Op.AND, y, not(ctx, sel)));

/** Each bit of the 8-bit `v` as a byte of ones or zeros. */
function bitsToBytes(v: number): bigint {
  let out = 0n;
  for (let i = 0; i < 8; i++) if (v & (1 << i)) out |= 0xffn << BigInt(8 * i);
  return out;
}

/** `v` (of `bits` bits) repeated over 64 bits. */
function repeat(v: bigint, bits: number): bigint {
  let out = 0n;
  for (let i = 0; i < 64; i += bits) out |= v << BigInt(i);
  return out;
}

/**
 * The Arm ARM's AdvSIMDExpandImm: the 64-bit pattern of a modified
 * immediate (`op`, `cmode`, the 8-bit `imm8`).
 *
 * @example
 * ```ts
 * import { expandImm } from "./trans_simd.ts";
 * console.log(expandImm(0, 0b1110, 0x20).toString(16)); // "2020202020202020"
 * ```
 */
export function expandImm(op: number, cmode: number, imm8: number): bigint {
  const v = BigInt(imm8);
  switch (cmode >> 1) {
    case 0:
    case 1:
    case 2:
    case 3:
      return repeat(v << BigInt(8 * (cmode >> 1)), 32);
    case 4:
    case 5:
      return repeat(v << BigInt(8 * ((cmode >> 1) & 1)), 16);
    case 6:
      return repeat(cmode & 1 ? (v << 16n) | 0xffffn : (v << 8n) | 0xffn, 32);
  }
  if ((cmode & 1) === 0) return op ? bitsToBytes(imm8) : repeat(v, 8);
  const sign = BigInt(imm8 >> 7), b6 = (imm8 >> 6) & 1, low6 = BigInt(imm8 & 0x3f);
  if (op === 0) {
    const exp = BigInt((b6 ? 0 : 0x20) | (b6 ? 0x1f : 0));
    return repeat((sign << 31n) | (exp << 25n) | (low6 << 19n), 32);
  }
  const exp = BigInt(b6 ? 0xff : 0x100);
  return (sign << 63n) | (exp << 54n) | (low6 << 48n);
}

/** The element of `imm5` (dup, umov, ins): its size (log2 bytes), the half it is in, its shift. */
function element(imm5: number): { size: number; high: boolean; shift: number } | null {
  const size = 31 - Math.clz32(imm5 & -imm5);
  if (size > 3) return null;
  const offset = (imm5 >> (size + 1)) << size;
  return { size, high: offset >= 8, shift: 8 * (offset & 7) };
}

/** The value of element `e` of Vn, zero- or sign-extended. */
function readElement(
  ctx: A64Context,
  n: number,
  e: { size: number; high: boolean; shift: number },
  signed: boolean,
): Temp {
  const half = e.high ? A64.vHigh(n) : A64.vLow(n);
  if (e.size === 3) return half;
  const shifted = e.shift ? tmp(ctx, Op.SHR, half, imm(ctx, e.shift)) : half;
  const ext = signed
    ? [Op.EXT8S, Op.EXT16S, Op.EXT32S][e.size]
    : [Op.EXT8U, Op.EXT16U, Op.EXT32U][e.size];
  return tmp(ctx, ext, shifted);
}

/** `x` (of `2^size` bytes) repeated over 64 bits. */
function replicate(ctx: A64Context, x: Temp, size: number): Temp {
  const bits = 8 << size;
  if (bits === 64) return x;
  const low = tmp(ctx, Op.AND, x, imm(ctx, (1n << BigInt(bits)) - 1n));
  return tmp(ctx, Op.MUL, low, imm(ctx, repeat(1n, bits)));
}

/**
 * The element size (log2 bytes) and shift amount of a shift by immediate:
 * right shifts count down from twice the element size, left shifts up from it.
 *
 * @example
 * ```ts
 * import { shiftImmediate } from "./trans_simd.ts";
 * console.log(shiftImmediate({ immh: 0b0010, immb: 0b011, op: 35 })); // { size: 1, amount: 13 }
 * ```
 */
export function shiftImmediate(a: Args): { size: number; amount: number } | null {
  if (a.immh === 0) return null;
  const size = 31 - Math.clz32(a.immh);
  const v = (a.immh << 3) | a.immb, bits = 8 << size;
  const right = a.op === VecOp.USHR || a.op === VecOp.SSHR;
  return { size, amount: right ? 2 * bits - v : v - bits };
}

/**
 * The translation functions of this group.
 *
 * @example
 * ```ts
 * import { SIMD_TRANS } from "./trans_simd.ts";
 * console.log("ldst_vec" in SIMD_TRANS); // true
 * ```
 */
export const SIMD_TRANS: TransTable = {
  ldst_vec(ctx, a) {
    const count = LD1_REGISTERS[a.opc];
    if (!count) return false;
    const { ir } = ctx;
    const base = regSp(a.rn), bytes = a.q ? 16 : 8;
    for (let i = 0; i < count; i++) {
      const t = (a.rt + i) % 32, off = BigInt(i * bytes);
      if (a.l) {
        load(ctx, A64.vLow(t), base, off, 8, false);
        if (a.q) load(ctx, A64.vHigh(t), base, off + 8n, 8, false);
        else ir.movi(A64.vHigh(t), 0n);
      } else {
        ir.store(base, off, A64.vLow(t), 8);
        if (a.q) ir.store(base, off + 8n, A64.vHigh(t), 8);
      }
    }
    if (a.post) {
      const step = a.rm === 31 ? imm(ctx, count * bytes) : reg(ctx, a.rm);
      ir.binop(Op.ADD, a.rn, base, step);
    }
    return true;
  },
  dup_g(ctx, a) {
    const e = element(a.imm5);
    if (!e || (e.size === 3 && !a.q)) return false;
    const lo = replicate(ctx, reg(ctx, a.rn), e.size);
    setVec(ctx, a.rd, a.q, lo, lo);
    return true;
  },
  dup_e(ctx, a) {
    const e = element(a.imm5);
    if (!e || (e.size === 3 && !a.q)) return false;
    const lo = replicate(ctx, readElement(ctx, a.rn, e, false), e.size);
    setVec(ctx, a.rd, a.q, lo, lo);
    return true;
  },
  mov_to_gpr(ctx, a) {
    const e = element(a.imm5);
    // umov: to W but for D elements (Q = 1); smov: B and H to W or X, S to X only.
    const ok = a.sign
      ? e && e.size < 3 && (a.q ? true : e.size < 2)
      : e && (e.size === 3) === (a.q === 1);
    if (!e || !ok) return false;
    setReg(ctx, a.rd, readElement(ctx, a.rn, e, a.sign === 1), a.q);
    return true;
  },
  ins_g(ctx, a) {
    const e = element(a.imm5);
    if (!e) return false;
    const half = e.high ? A64.vHigh(a.rd) : A64.vLow(a.rd);
    if (e.size === 3) {
      ctx.ir.mov(half, reg(ctx, a.rn));
      return true;
    }
    const mask = ((1n << BigInt(8 << e.size)) - 1n) << BigInt(e.shift);
    const kept = tmp(ctx, Op.AND, half, imm(ctx, ~mask));
    const value = tmp(
      ctx,
      Op.AND,
      tmp(ctx, Op.SHL, reg(ctx, a.rn), imm(ctx, e.shift)),
      imm(ctx, mask),
    );
    ctx.ir.binop(Op.OR, half, kept, value);
    return true;
  },
  vec3(ctx, a) {
    if (a.size === 3 && !a.q) return false;
    vecCall(ctx, a.op, a, a.size);
    return true;
  },
  vec2(ctx, a) {
    const across = a.op === VecOp.UMAXV || a.op === VecOp.UMINV || a.op === VecOp.ADDV;
    if (a.size === 3 && (!a.q || across) || (across && a.size === 2 && !a.q)) return false;
    vecCall(ctx, a.op, a, a.size);
    return true;
  },
  and_v: bitwise((ctx, _d, n, m) => tmp(ctx, Op.AND, n, m)),
  bic_v: bitwise((ctx, _d, n, m) => tmp(ctx, Op.AND, n, not(ctx, m))),
  orr_v: bitwise((ctx, _d, n, m) => tmp(ctx, Op.OR, n, m)),
  orn_v: bitwise((ctx, _d, n, m) => tmp(ctx, Op.OR, n, not(ctx, m))),
  eor_v: bitwise((ctx, _d, n, m) => tmp(ctx, Op.XOR, n, m)),
  bsl_v: bitwise((ctx, d, n, m) => select(ctx, d, n, m)),
  bit_v: bitwise((ctx, d, n, m) => select(ctx, m, n, d)),
  bif_v: bitwise((ctx, d, n, m) => select(ctx, m, d, n)),
  not_v: bitwise((ctx, _d, n) => not(ctx, n)),
  vec_long(ctx, a) {
    if (a.size === 3) return false;
    vecCall(ctx, a.op, a, a.size);
    return true;
  },
  vec_shift(ctx, a) {
    const shift = shiftImmediate(a);
    if (!shift || (shift.size === 3 && !a.q) || (a.op >= VecOp.USHLL && shift.size === 3)) {
      return false;
    }
    vecCall(ctx, a.op, { ...a, rm: 0 }, shift.size, shift.amount);
    return true;
  },
  cmp_zero_scalar(ctx, a) {
    const { ir } = ctx;
    const bit = ir.temp();
    ir.setcond(a.cond as Cond, bit, A64.vLow(a.rn), imm(ctx, 0));
    ir.binop(Op.SUB, A64.vLow(a.rd), imm(ctx, 0), bit);
    ir.movi(A64.vHigh(a.rd), 0n);
    return true;
  },
  shl_s(ctx, a) {
    const shift = shiftImmediate({ ...a, op: VecOp.SHL });
    if (!shift || shift.size !== 3) return false;
    ctx.ir.binop(Op.SHL, A64.vLow(a.rd), A64.vLow(a.rn), imm(ctx, shift.amount));
    ctx.ir.movi(A64.vHigh(a.rd), 0n);
    return true;
  },
  ext(ctx, a) {
    if (!a.q && a.imm4 >= 8) return false;
    vecCall(ctx, VecOp.EXT, a, 0, a.imm4);
    return true;
  },
  shrn(ctx, a) {
    if (a.immh === 0 || a.immh >= 8) return false;
    const size = 31 - Math.clz32(a.immh);
    const shift = 2 * (8 << size) - ((a.immh << 3) | a.immb);
    vecCall(ctx, VecOp.SHRN, { ...a, rm: 0 }, size, shift);
    return true;
  },
  movi(ctx, a) {
    if (a.o2 || (a.cmode === 15 && a.op && !a.q)) return false;
    const value = expandImm(a.op, a.cmode, (a.abc << 5) | a.defgh);
    const orrBic = a.cmode < 12 && (a.cmode & 1) === 1;
    const invert = a.op === 1 && a.cmode < 14;
    const k = imm(ctx, invert ? ~value : value);
    if (!orrBic) {
      setVec(ctx, a.rd, a.q, k, k);
      return true;
    }
    const f = (half: Temp) => tmp(ctx, a.op ? Op.AND : Op.OR, half, k);
    setVec(ctx, a.rd, a.q, f(A64.vLow(a.rd)), a.q ? f(A64.vHigh(a.rd)) : 0);
    return true;
  },
  fmov_to_gpr(ctx, a) {
    const high = ((ctx.bits >> 19) & 3) === 1;
    const v = high ? A64.vHigh(a.rn) : A64.vLow(a.rn);
    setReg(ctx, a.rd, v, ctx.bits >>> 31);
    return true;
  },
  fmov_to_vec(ctx, a) {
    const { ir } = ctx;
    const x = reg(ctx, a.rn);
    if (((ctx.bits >> 19) & 3) === 1) ir.mov(A64.vHigh(a.rd), x);
    else {
      ir.binop(ctx.bits >>> 31 ? Op.MOV : Op.EXT32U, A64.vLow(a.rd), x);
      ir.movi(A64.vHigh(a.rd), 0n);
    }
    return true;
  },
};

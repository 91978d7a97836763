/**
 * AdvSIMD loads, stores and moves: ld1-ld4/st1-st4 (multiple structures),
 * ld1r-ld4r and single lanes (ld1-ld4, st1-st4), dup, ins, umov/smov, the bitwise vector operations
 * (and, bic, orr, orn, eor, bsl, bit, bif, not) on the two 64-bit halves in
 * IR, the modified-immediate moves (movi, mvni, orr, bic, fmov), fmov between
 * general and FP registers, ext, tbl/tbx (`simd_perm.ts`) and the two-register
 * permutations through the `a64_vec` helper (`simd_helpers.ts`). The lane-wise
 * arithmetic is `trans_simd_lanes.ts`.
 *
 * A 64-bit (Q = 0) operation zeroes the upper half of its destination.
 *
 * @module
 */

import { type Cond, Op, type Temp } from "../../plugin_target.ts";
import { type A64Context, imm, load, reg, regSp, setReg, tmp, type TransTable } from "./context.ts";
import { A64_HELPER } from "./helpers.ts";
import { PermOp } from "./simd_perm.ts";
import { A64 } from "./state.ts";

type Args = Record<string, number>;

/**
 * Registers a multiple-structure load or store transfers, by the opcode field, and whether it
 * interleaves them (ld2-ld4, st2-st4).
 */
export const LDST_MULTIPLE: Record<number, { count: number; interleaved: boolean }> = {
  0b0111: { count: 1, interleaved: false },
  0b1010: { count: 2, interleaved: false },
  0b0110: { count: 3, interleaved: false },
  0b0010: { count: 4, interleaved: false },
  0b1000: { count: 2, interleaved: true },
  0b0100: { count: 3, interleaved: true },
  0b0000: { count: 4, interleaved: true },
};

/** Calls the permutation helper. */
function vecCall(ctx: A64Context, op: number, a: Args, size: number): void {
  const info = size | (a.q << 2);
  const args = [op, a.rd, a.rn, a.rm ?? 0, info].map((v) => imm(ctx, v));
  ctx.ir.call(-1, A64_HELPER.VEC, args);
}

/** Writes `lo` (and `hi`, or zero when Q = 0) to Vd. */
export function setVec(ctx: A64Context, d: number, q: number, lo: Temp, hi: Temp): void {
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
  if (size < 0 || size > 3) return null; // imm5 = 0 or x0000: unallocated
  const offset = (imm5 >> (size + 1)) << size;
  return { size, high: offset >= 8, shift: 8 * (offset & 7) };
}

/**
 * A fresh temp holding the 8 bytes at byte `at` of the little-endian concatenation of the 64-bit
 * `halves` (ext's window).
 */
function extractHalf(ctx: A64Context, halves: Temp[], at: number): Temp {
  const first = halves[at >> 3], shift = (at & 7) * 8;
  if (shift === 0) return tmp(ctx, Op.MOV, first);
  const low = tmp(ctx, Op.SHR, first, imm(ctx, shift));
  return tmp(ctx, Op.OR, low, tmp(ctx, Op.SHL, halves[(at >> 3) + 1], imm(ctx, 64 - shift)));
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

/** The post-index writeback of a vector load or store: `bytes`, or Xm. */
function postIndex(ctx: A64Context, a: Args, base: Temp, bytes: number): void {
  if (!a.post) return;
  const step = a.rm === 31 ? imm(ctx, bytes) : reg(ctx, a.rm);
  ctx.ir.binop(Op.ADD, a.rn, base, step);
}

/**
 * The element of a single-structure load or store (ld1/st1 {Vt.T}[index]): its size (log2
 * bytes) and index, from the opcode, Q, S and size fields; null when reserved.
 *
 * @example
 * ```ts
 * import { singleLane } from "./trans_simd.ts";
 * console.log(singleLane({ opc: 0b100, q: 1, s: 1, size: 0 })); // { size: 2, index: 3 }
 * ```
 */
export function singleLane(a: Args): { size: number; index: number } | null {
  const qs = (a.q << 1) | a.s;
  switch (a.opc >> 1) {
    case 0:
      return { size: 0, index: (qs << 2) | a.size };
    case 1:
      return a.size & 1 ? null : { size: 1, index: (qs << 1) | (a.size >> 1) };
    case 2:
      if (a.size === 0) return { size: 2, index: qs };
      return a.size === 1 && !a.s ? { size: 3, index: a.q } : null;
  }
  return null;
}

/**
 * How many registers a single-structure load or store (ld1-ld4, st1-st4 of one lane) or a
 * replicating load (ld1r-ld4r) has: opcode bit 0 (`o` of the replicating ones) and R.
 *
 * @example
 * ```ts
 * import { structCount } from "./trans_simd.ts";
 * console.log(structCount({ opc: 0b001, r: 1 })); // 4
 * ```
 */
export function structCount(a: Args): number {
  return ((((a.o ?? a.opc) & 1) << 1) | a.r) + 1;
}

/** Writes the low bits of `value` to element `e` of Vd. */
function insertElement(
  ctx: A64Context,
  d: number,
  e: { size: number; high: boolean; shift: number },
  value: Temp,
): void {
  const half = e.high ? A64.vHigh(d) : A64.vLow(d);
  if (e.size === 3) {
    ctx.ir.mov(half, value);
    return;
  }
  const mask = ((1n << BigInt(8 << e.size)) - 1n) << BigInt(e.shift);
  const kept = tmp(ctx, Op.AND, half, imm(ctx, ~mask));
  const shifted = tmp(ctx, Op.AND, tmp(ctx, Op.SHL, value, imm(ctx, e.shift)), imm(ctx, mask));
  ctx.ir.binop(Op.OR, half, kept, shifted);
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
 * console.log(shiftImmediate({ immh: 0b0010, immb: 0b011, right: 1 })); // { size: 1, amount: 13 }
 * ```
 */
export function shiftImmediate(a: Args): { size: number; amount: number } | null {
  if (a.immh === 0) return null;
  const size = 31 - Math.clz32(a.immh);
  const v = (a.immh << 3) | a.immb, bits = 8 << size;
  return { size, amount: a.right ? 2 * bits - v : v - bits };
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
    const form = LDST_MULTIPLE[a.opc];
    if (!form || (form.interleaved && a.size === 3 && !a.q)) return false;
    const { ir } = ctx;
    const { count } = form, base = regSp(a.rn), bytes = a.q ? 16 : 8;
    for (let i = 0; i < count; i++) {
      const t = (a.rt + i) % 32, off = BigInt(i * bytes);
      if (a.l) {
        load(ctx, A64.vLow(t), base, off, 8, false);
        if (a.q) load(ctx, A64.vHigh(t), base, off + 8n, 8, false);
        else ir.movi(A64.vHigh(t), 0n);
      } else if (form.interleaved) {
        for (let c = 0; c < bytes / 8; c++) {
          const chunk = ir.temp(), info = a.size | (a.q << 2);
          const args = [a.rt, count, info, i * (bytes / 8) + c].map((v) => imm(ctx, v));
          ir.call(chunk, A64_HELPER.VSTREAM, args);
          ir.store(base, off + BigInt(8 * c), chunk, 8);
        }
      } else {
        ir.store(base, off, A64.vLow(t), 8);
        if (a.q) ir.store(base, off + 8n, A64.vHigh(t), 8);
      }
    }
    if (a.l && form.interleaved) {
      const info = a.size | (a.q << 2) | (count << 3);
      ir.call(
        -1,
        A64_HELPER.VPERM,
        [PermOp.DEINTERLEAVE, a.rt, 0, 0, info].map((v) => imm(ctx, v)),
      );
    }
    postIndex(ctx, a, base, count * bytes);
    return true;
  },
  ld1r(ctx, a) {
    const base = regSp(a.rn), n = structCount(a), bytes = 1 << a.size;
    for (let i = 0; i < n; i++) {
      const x = ctx.ir.temp();
      load(ctx, x, base, BigInt(i * bytes), bytes, false);
      const lo = replicate(ctx, x, a.size);
      setVec(ctx, (a.rt + i) % 32, a.q, lo, lo);
    }
    postIndex(ctx, a, base, n * bytes);
    return true;
  },
  ldst_lane(ctx, a) {
    const lane = singleLane(a);
    if (!lane) return false;
    const e = element(((lane.index << 1) | 1) << lane.size)!;
    const base = regSp(a.rn), bytes = 1 << lane.size, n = structCount(a);
    for (let i = 0; i < n; i++) {
      const t = (a.rt + i) % 32, off = BigInt(i * bytes);
      if (a.l) {
        const x = ctx.ir.temp();
        load(ctx, x, base, off, bytes, false);
        insertElement(ctx, t, e, x);
      } else ctx.ir.store(base, off, readElement(ctx, t, e, false), bytes);
    }
    postIndex(ctx, a, base, n * bytes);
    return true;
  },
  tbl(ctx, a) {
    const info = (a.q << 2) | ((a.len + 1) << 3);
    const args = [a.op, a.rd, a.rn, a.rm, info].map((v) => imm(ctx, v));
    ctx.ir.call(-1, A64_HELPER.VPERM, args);
    return true;
  },
  ins_e(ctx, a) {
    const e = element(a.imm5);
    if (!e) return false;
    const src = element((((a.imm4 >> e.size) << 1) | 1) << e.size);
    insertElement(ctx, a.rd, e, readElement(ctx, a.rn, src!, false));
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
  dup_es(ctx, a) { // scalar: the element alone, the rest of Vd zeroed
    const e = element(a.imm5);
    if (!e) return false;
    const x = readElement(ctx, a.rn, e, false);
    setVec(ctx, a.rd, 0, x, x);
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
    insertElement(ctx, a.rd, e, reg(ctx, a.rn));
    return true;
  },
  vec3(ctx, a) {
    if (a.size === 3 && !a.q) return false;
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
  cmp_zero_scalar(ctx, a) {
    const { ir } = ctx;
    const bit = ir.temp();
    ir.setcond(a.cond as Cond, bit, A64.vLow(a.rn), imm(ctx, 0));
    ir.binop(Op.SUB, A64.vLow(a.rd), imm(ctx, 0), bit);
    ir.movi(A64.vHigh(a.rd), 0n);
    return true;
  },
  ext(ctx, a) {
    if (!a.q && a.imm4 >= 8) return false;
    const halves = a.q
      ? [A64.vLow(a.rn), A64.vHigh(a.rn), A64.vLow(a.rm), A64.vHigh(a.rm)]
      : [A64.vLow(a.rn), A64.vLow(a.rm)];
    const window = (j: number) => extractHalf(ctx, halves, a.imm4 + 8 * j);
    setVec(ctx, a.rd, a.q, window(0), a.q ? window(1) : 0);
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

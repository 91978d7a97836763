// Random AdvSIMD and FP instructions for the A64 differential tests (tests/aarch64/
// random_programs.ts): every group Denemu implements, in valid encodings only (the element
// sizes and Q each operation allows), on V0-V31 and, for the moves and conversions, x0-x27.
// The lists of the generic groups are the decode table's own (targets/aarch64/simd.decode.ts).
// SPDX-License-Identifier: GPL-3.0-or-later
import {
  BY_ELEMENT,
  DIFFERENT,
  FP_MISC,
  FP_SAME,
  FP_SCALAR_MISC,
  FP_SCALAR_SAME,
  MISC,
  SAME,
  SAME_EXTRA,
  SCALAR_BY_ELEMENT,
  SCALAR_DIFFERENT,
  SCALAR_SAME,
  SHIFTS,
} from "../../targets/aarch64/simd.decode.ts";

/** A random number below n. */
export type Rnd = (n: number) => number;

const f = (v: number, shift: number) => v * 2 ** shift;
const pick = <T>(rnd: Rnd, list: readonly T[]): T => list[rnd(list.length)];
/** A size allowed by the mask `ok` (bit k: size k), and a Q that suits it. */
function sizeQ(rnd: Rnd, ok: number): [number, number] {
  const sizes = [0, 1, 2, 3].filter((s) => (ok >> s) & 1);
  const size = pick(rnd, sizes);
  return [size, size === 3 ? 1 : rnd(2)];
}
/** A general register: x0-x27, or 31. */
const gpr = (rnd: Rnd) => (rnd(10) === 0 ? 31 : rnd(28));

/** A shift by immediate's immh:immb for element size `size`, right or left. */
function shiftField(rnd: Rnd, size: number, right: boolean): number {
  const bits = 8 << size;
  return right ? 2 * bits - (1 + rnd(bits)) : bits + rnd(bits);
}

/**
 * A by-element operation of `shape` (BY_ELEMENT's), for element size 1 or 2, or FP type 0 or 1;
 * `scalar`: the AdvSIMD scalar form of one of SCALAR_BY_ELEMENT.
 */
function byElement(rnd: Rnd, v: number, shape: "int" | "long" | "fp", scalar = false): number {
  const [, u, opc] = pick(
    rnd,
    (scalar ? SCALAR_BY_ELEMENT : BY_ELEMENT).filter((e) => e[3] === shape),
  );
  const bit = rnd(2), q = shape === "fp" && bit ? 1 : rnd(2);
  const size = shape === "fp" ? 2 + bit : 1 + bit, l = size === 3 ? 0 : rnd(2);
  const base = scalar ? 0x5f000000 : f(q, 30) + 0x0f000000;
  const w = base + f(u, 29) + f(size, 22) + f(l, 21) + f(rnd(32), 16);
  return w + f(opc, 12) + f(rnd(2), 11) + (v % f(1, 16));
}

/** A three same (extra) operation (sqrdmlah, sqrdmlsh), vector or scalar. */
function sameExtra(rnd: Rnd, v: number, scalar: boolean): number {
  const [, u, opc, ok] = pick(rnd, SAME_EXTRA);
  const [size, q] = sizeQ(rnd, ok);
  const base = scalar ? 0x5e008400 : f(q, 30) + 0x0e008400;
  return base + f(u, 29) + f(size, 22) + f(opc, 11) + v % f(1, 21);
}

/** Vector integer instructions. */
function integer(rnd: Rnd, v: number): number {
  switch (rnd(8)) {
    case 0: {
      if (rnd(8) === 0) return sameExtra(rnd, v, false);
      const [, u, opc, ok] = pick(rnd, SAME);
      const [size, q] = sizeQ(rnd, ok);
      return f(q, 30) + f(u, 29) + 0x0e200400 + f(size, 22) + f(opc, 11) + v;
    }
    case 1: // by element
      return byElement(rnd, v, rnd(2) ? "int" : "long");
    case 2: {
      const [, u, opc, ok] = pick(rnd, MISC);
      const [size, q] = sizeQ(rnd, ok);
      return f(q, 30) + f(u, 29) + 0x0e200800 + f(size, 22) + f(opc, 12) + (v % f(1, 16));
    }
    case 3: { // pmull's size 3 (1Q) takes either Q
      const [, u, opc, ok] = pick(rnd, DIFFERENT);
      return f(rnd(2), 30) + f(u, 29) + 0x0e200000 + f(sizeQ(rnd, ok)[0], 22) + f(opc, 12) + v;
    }
    case 4: { // across lanes: saddlv, uaddlv, smaxv, umaxv, sminv, uminv, addv
      const [u, opc] = pick(rnd, [[0, 3], [1, 3], [0, 10], [1, 10], [0, 26], [1, 26], [0, 27]]);
      const size = rnd(3), q = size === 2 ? 1 : rnd(2);
      return f(q, 30) + f(u, 29) + 0x0e300800 + f(size, 22) + f(opc, 12) + (v % f(1, 16));
    }
    case 5: { // shifts by immediate
      const [, u, opc, right, shape] = pick(rnd, SHIFTS);
      const size = shape === "fp" ? 2 + rnd(2) : shape === "same" ? rnd(4) : rnd(3);
      const q = size === 3 ? 1 : rnd(2);
      const w = f(q, 30) + f(u, 29) + 0x0f000400 + f(opc, 11);
      return w + f(shiftField(rnd, size, right === 1), 16) + (v % f(1, 16));
    }
    case 6: // bitwise (and, bic, orr, orn, eor, bsl, bit, bif)
      return f(rnd(2), 30) + f(rnd(2), 29) + 0x0e201c00 + f(rnd(4), 22) + v;
    default: { // uzp/trn/zip, ext, tbl/tbx
      const kind = rnd(3), q = rnd(2);
      if (kind === 0) {
        const size = q ? rnd(4) : rnd(3);
        return f(q, 30) + 0x0e000800 + f(size, 22) + f(pick(rnd, [1, 2, 3, 5, 6, 7]), 12) + v;
      }
      if (kind === 1) return f(q, 30) + 0x2e000000 + f(rnd(q ? 16 : 8), 11) + v;
      return f(q, 30) + 0x0e000000 + f(rnd(4), 13) + f(rnd(2), 12) + v;
    }
  }
}

/** Vector and scalar floating point. */
function float(rnd: Rnd, v: number): number {
  const sz = rnd(2), q = sz ? 1 : rnd(2);
  switch (rnd(8)) {
    case 0: {
      const [, u, a, opc] = pick(rnd, FP_SAME);
      return f(q, 30) + f(u, 29) + 0x0e200400 + f(a, 23) + f(sz, 22) + f(opc, 11) + v;
    }
    case 1: {
      if (rnd(4) === 0) return byElement(rnd, v, "fp", rnd(2) === 0);
      const [, u, a, opc] = pick(rnd, FP_MISC);
      const w = f(q, 30) + f(u, 29) + 0x0e200800 + f(a, 23) + f(sz, 22) + f(opc, 12);
      return w + (v % f(1, 16));
    }
    case 2: // fcvtl, fcvtn; fmaxnmv, fminnmv, fmaxv, fminv; faddp, fmaxnmp, ... (scalar)
      switch (rnd(3)) {
        case 0:
          // bit 22 clear: to and from half precision
          return f(rnd(2), 30) + pick(rnd, [0x0e617800, 0x0e616800]) - f(rnd(2), 22) +
            (v % f(1, 16));
        case 1:
          return 0x6e300800 + f(rnd(2), 23) + f(pick(rnd, [12, 15]), 12) + (v % f(1, 16));
        default: {
          const [a, opc] = pick(rnd, [[0, 12], [1, 12], [0, 13], [0, 15], [1, 15]]);
          return 0x7e300800 + f(a, 23) + f(sz, 22) + f(opc, 12) + (v % f(1, 16));
        }
      }
    case 3: { // scalar fadd, fsub, fmul, fdiv, fmax, fmin, fmaxnm, fminnm, fnmul; AdvSIMD scalar
      if (rnd(2)) return 0x1e200800 + f(sz, 22) + f(rnd(9), 12) + v;
      if (rnd(2)) {
        const [, u, a, opc] = pick(rnd, FP_SCALAR_SAME);
        return 0x5e200400 + f(u, 29) + f(a, 23) + f(sz, 22) + f(opc, 11) + v;
      }
      const [, u, a, opc] = pick(rnd, FP_SCALAR_MISC);
      return 0x5e200800 + f(u, 29) + f(a, 23) + f(sz, 22) + f(opc, 12) + (v % f(1, 16));
    }
    case 4: { // fmov, fabs, fneg, fsqrt, fcvt (to half precision too), frint*
      const opc = pick(rnd, [0, 1, 2, 3, 4 + (1 - sz), 7, 8, 9, 10, 11, 12, 14, 15]);
      // fcvt from half precision (type 3) to single or double
      if (rnd(8) === 0) return 0x1e204000 + f(3, 22) + f(4 + sz, 15) + (v % f(1, 16));
      return 0x1e204000 + f(sz, 22) + f(opc, 15) + (v % f(1, 16));
    }
    case 5: // fmadd, fmsub, fnmadd, fnmsub
      return 0x1f000000 + f(sz, 22) + f(rnd(2), 21) + f(rnd(2), 15) + f(rnd(32), 10) + v;
    case 6: // fcmp, fcmpe (with zero), fcsel
      if (rnd(2)) { // the forms with #0.0 have Rm = 0
        const opc2 = rnd(4);
        return 0x1e202000 + f(sz, 22) + (opc2 & 1 ? 0 : v & 0x1f0000) + (v & 0x3e0) + f(opc2, 3);
      }
      return 0x1e200c00 + f(sz, 22) + f(rnd(16), 12) + v;
    default: { // [su]cvtf from and fcvt[npmza][su] to a general register
      const sf = f(rnd(2), 31), type = f(sz, 22), u = f(rnd(2), 16);
      if (rnd(2)) return sf + 0x1e220000 + type + u + f(gpr(rnd), 5) + rnd(32);
      const rmode = pick(rnd, [0x1e200000, 0x1e280000, 0x1e300000, 0x1e380000, 0x1e240000]);
      return sf + rmode + type + u + f(rnd(32), 5) + gpr(rnd);
    }
  }
}

/** Moves: dup, ins, umov/smov, movi, fmov to and from general registers. */
function move(rnd: Rnd, v: number): number {
  const size = rnd(4), q = size === 3 ? 1 : rnd(2);
  const imm5 = f(rnd(16 >> size) * 2 + 1, size);
  switch (rnd(5)) {
    case 0: // dup (element): vector, or scalar (the element alone)
      return (rnd(4) ? f(q, 30) + 0x0e000400 : 0x5e000400) + f(imm5, 16) + (v % f(1, 16));
    case 1:
      return 0x6e000400 + f(imm5, 16) + f(rnd(16 >> size) << size, 11) + (v % f(1, 16));
    case 2: { // umov (W, or X for a D element) and smov (B, H to W or X; S to X)
      const uq = size === 3 ? 1 : 0;
      if (rnd(2)) return f(uq, 30) + 0x0e003c00 + f(imm5, 16) + f(rnd(32), 5) + gpr(rnd);
      const s = rnd(2) ? rnd(2) : 2, sq = s === 2 ? 1 : rnd(2);
      const e = f(rnd(16 >> s) * 2 + 1, s);
      return f(sq, 30) + 0x0e002c00 + f(e, 16) + f(rnd(32), 5) + gpr(rnd);
    }
    case 3: { // movi, mvni, orr, bic, fmov (vector, immediate)
      const cmode = rnd(16), op = rnd(2), mq = cmode === 15 && op ? 1 : rnd(2);
      return f(mq, 30) + f(op, 29) + 0x0f000400 + f(rnd(8), 16) + f(cmode, 12) + f(rnd(32), 5) +
        (v & 31);
    }
    default: { // fmov between x/w and d/s/v.d[1]
      const w = pick(rnd, [0x9e660000, 0x9e670000, 0x1e260000, 0x1e270000, 0x9eae0000, 0x9eaf0000]);
      const toVector = (w & 0x10000) !== 0;
      return w + f(toVector ? gpr(rnd) : rnd(32), 5) + (toVector ? rnd(32) : gpr(rnd));
    }
  }
}

/**
 * Loads and stores of V registers at [x28] (the scratch memory): ld1/st1 of 1-4 registers,
 * ld2-ld4/st2-st4, ld1r and ld1/st1 of one lane; and casp and cas on even registers.
 */
function memory(rnd: Rnd, v: number): number {
  const q = rnd(2), size = q ? rnd(4) : rnd(3), rt = v & 31, base = f(28, 5);
  switch (rnd(4)) {
    case 0: { // multiple structures; ld2-ld4 take no 1d arrangement
      const opc = pick(rnd, size === 3 && !q ? [7, 10, 6, 2] : [7, 10, 6, 2, 8, 4, 0]);
      return f(q, 30) + 0x0c000000 + f(rnd(2), 22) + f(opc, 12) + f(size, 10) + base + rt;
    }
    case 1: // ld1r
      return f(q, 30) + 0x0d40c000 + f(rnd(4), 10) + base + rt;
    case 2: { // ld1/st1 of one lane: b (any index), h, s, d
      const lane = [[0, rnd(4)], [2, 2 * rnd(2)], [4, 0], [4, 1]][rnd(4)];
      const s = lane[1] === 1 ? 0 : rnd(2);
      return f(q, 30) + 0x0d000000 + f(rnd(2), 22) + f(lane[0], 13) + f(s, 12) + f(lane[1], 10) +
        base + rt;
    }
    default: { // casp, caspa, caspl, caspal (32- and 64-bit pairs); cas of every size
      const rs = 2 * rnd(14), t = 2 * rnd(14), order = f(rnd(2), 22) + f(rnd(2), 15);
      if (rnd(2)) return f(rnd(4), 30) + 0x08a07c00 + order + f(rs, 16) + base + t;
      return f(rnd(2), 30) + 0x08207c00 + order + f(rs, 16) + base + t;
    }
  }
}

/**
 * The AdvSIMD scalar forms: three same, saturating two-register misc, shifts by immediate, addp
 * (d, from v.2d), the saturating doubling multiplies (three different, by element).
 */
function scalar(rnd: Rnd, v: number): number {
  switch (rnd(6)) {
    case 3:
      return 0x5ef1b800 + (v % f(1, 16));
    case 4: {
      const [, u, opc] = pick(rnd, SCALAR_DIFFERENT);
      return 0x5e200000 + f(u, 29) + f(1 + rnd(2), 22) + f(opc, 12) + v;
    }
    case 5:
      return byElement(rnd, v, rnd(2) ? "int" : "long", true);
    case 0: {
      if (rnd(8) === 0) return sameExtra(rnd, v, true);
      const [, u, opc, ok] = pick(rnd, SCALAR_SAME);
      return 0x5e200400 + f(u, 29) + f(sizeQ(rnd, ok)[0], 22) + f(opc, 11) + v;
    }
    case 1: {
      const [name, u, opc] = pick(rnd, MISC.filter(([n]) => /^sq|^uq/.test(n)));
      const size = /xtu?n$/.test(name) ? rnd(3) : rnd(4);
      return 0x5e200800 + f(u, 29) + f(size, 22) + f(opc, 12) + (v % f(1, 16));
    }
    default: {
      const [name, u, opc, right, shape] = pick(
        rnd,
        SHIFTS.filter((s) => s[4] === "same" || /^(sq|uq)/.test(s[0]) && s[4] === "narrow"),
      );
      const size = shape === "narrow" ? rnd(3) : /^(sq|uq)/.test(name) ? rnd(4) : 3;
      const w = 0x5f000400 + f(u, 29) + f(opc, 11);
      return w + f(shiftField(rnd, size, right === 1), 16) + (v % f(1, 16));
    }
  }
}

/** One random AdvSIMD or FP instruction (its 32-bit word). */
export function randomSimdInsn(rnd: Rnd): number {
  const v = f(rnd(32), 16) + f(rnd(32), 5) + rnd(32);
  const kind = rnd(8);
  const w = kind < 3
    ? integer(rnd, v)
    : kind < 5
    ? float(rnd, v)
    : kind < 6
    ? move(rnd, v)
    : kind < 7
    ? memory(rnd, v)
    : scalar(rnd, v);
  return w >>> 0;
}

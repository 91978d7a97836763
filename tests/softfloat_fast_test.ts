// Differential tests: host-float fast paths vs the exact slow path, and the
// slow path (all five rounding modes, including RMM which x86 lacks) vs an
// independent oracle built on JS doubles.
import { assert, assertEquals } from "./softfloat/helpers.ts";
import { addSlow, divSlow, mulSlow, sqrtSlow } from "../core/softfloat/arith.ts";
import {
  addF32Fast,
  addF64Fast,
  bitsToF32,
  divF32Fast,
  divF64Fast,
  f32ToBits,
  fmaF32Fast,
  fmaF64Fast,
  mulF32Fast,
  mulF64Fast,
  sqrtF32Fast,
  sqrtF64Fast,
} from "../core/softfloat/fast.ts";
import { F32, F64, type FloatEnv, FloatFlag, type FmtInfo } from "../core/softfloat/format.ts";
import { fcvtFF, RoundingMode } from "../core/softfloat/mod.ts";
import { fmuladdSlow } from "../core/softfloat/fma.ts";
import { fcvtToIntFast, fcvtToIntSlow } from "../core/softfloat/convert.ts";

/** Deterministic xorshift128+ style generator producing 32-bit chunks. */
function rng(seed: number) {
  let a = seed >>> 0 || 1, b = 0x9e3779b9, c = 0x85ebca6b, d = 0xc2b2ae35;
  const next = () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ t ^ (t >>> 8)) >>> 0;
    return d;
  };
  const int = (lo: number, hi: number) => lo + (next() % (hi - lo + 1));
  return { next, int };
}

type R = ReturnType<typeof rng>;

/** Random operand: mostly "interesting" exponents, some specials and raw bits. */
function operand(f: FmtInfo, r: R, expLo: number, expHi: number): bigint {
  const k = r.next() % 16;
  const sign = r.next() & 1 ? f.signBit : 0n;
  if (k === 0) {
    const sp = [0n, 1n, f.fracMask, 1n << f.fracBitsN, f.maxFinite, f.infBits, f.defaultNaN];
    return sign | sp[r.next() % sp.length];
  }
  let frac = (BigInt(r.next()) << 32n | BigInt(r.next())) & f.fracMask;
  if (k < 4) frac &= ~((1n << BigInt(r.int(0, f.fracBits))) - 1n); // short significands
  if (k === 4) return (BigInt(r.next()) << 32n | BigInt(r.next())) & f.wordMask;
  const be = Math.min(f.expMax - 1, Math.max(0, r.int(expLo, expHi) + f.bias));
  return sign | (BigInt(be) << f.fracBitsN) | frac;
}

type Fast = (a: bigint, b: bigint, env: FloatEnv) => bigint | undefined;
type Slow = (f: FmtInfo, a: bigint, b: bigint, env: FloatEnv) => bigint;

function diff(name: string, f: FmtInfo, fast: Fast, slow: Slow, n: number, unary = false) {
  const r = rng(name.length * 7919 + n);
  let hits = 0;
  const span = f === F64 ? 1100 : 150;
  for (let i = 0; i < n; i++) {
    // half the cases in a narrow range (typical values), half across the format
    const wide = i & 1;
    const a = operand(f, r, wide ? -span : -20, wide ? span : 20);
    let b = operand(f, r, wide ? -span : -20, wide ? span : 20);
    if (unary) b = 0n;
    else if (i % 5 === 0) b = (a ^ (r.next() & 1 ? f.signBit : 0n)) + BigInt(r.int(-3, 3));
    b &= f.wordMask;
    const e1 = { rm: RoundingMode.RNE, flags: 0 };
    const got = fast(a, b, e1);
    if (got === undefined) continue;
    hits++;
    const e2 = { rm: RoundingMode.RNE, flags: 0 };
    const want = slow(f, a, b, e2);
    if (got !== want || e1.flags !== e2.flags) {
      throw new Error(
        `${name}(0x${a.toString(16)}, 0x${b.toString(16)}): fast 0x${
          got.toString(16)
        }/${e1.flags}` +
          ` slow 0x${want.toString(16)}/${e2.flags}`,
      );
    }
  }
  assert(hits > n / 4, `${name}: fast path taken only ${hits}/${n} times`);
  return hits;
}

const N = 150000;
const add: Slow = addSlow;
const sqrt: Slow = (f, a, _b, env) => sqrtSlow(f, a, env);

Deno.test("fast vs slow: f64 add", () => void diff("add64", F64, addF64Fast, add, N));
Deno.test("fast vs slow: f64 mul", () => void diff("mul64", F64, mulF64Fast, mulSlow, N));
Deno.test("fast vs slow: f64 div", () => void diff("div64", F64, divF64Fast, divSlow, N));
Deno.test("fast vs slow: f64 sqrt", () =>
  void diff("sqrt64", F64, (a, _b, e) => sqrtF64Fast(a, e), sqrt, N, true));
Deno.test("fast vs slow: f32 add", () => void diff("add32", F32, addF32Fast, add, N));
Deno.test("fast vs slow: f32 mul", () => void diff("mul32", F32, mulF32Fast, mulSlow, N));
Deno.test("fast vs slow: f32 div", () => void diff("div32", F32, divF32Fast, divSlow, N));
Deno.test("fast vs slow: f32 sqrt", () =>
  void diff("sqrt32", F32, (a, _b, e) => sqrtF32Fast(a, e), sqrt, N, true));

Deno.test("fast paths decline non-RNE modes", () => {
  for (const rm of [1, 2, 3, 4]) {
    const env = { rm, flags: 0 };
    assertEquals(addF64Fast(0x3ff0000000000000n, 0x3ff0000000000000n, env), undefined);
    assertEquals(mulF32Fast(0x3f800000n, 0x3f800000n, env), undefined);
  }
});

/**
 * Independent oracle: round a double `v` (normal binary32 range, exactly the
 * true result) to binary32 in mode `rm`, returning bits and inexactness.
 */
function oracle32(
  v: number,
  rm: number,
): { bits: bigint; inexact: boolean; tie: boolean } | undefined {
  const m = Math.abs(v);
  const neg = v < 0;
  const r = Math.fround(m);
  if (!(m > 2 ** -126) || r >= 2 ** 128) return undefined;
  const sb = neg ? 0x80000000n : 0n;
  if (r === m) return { bits: sb | f32ToBits(r), inexact: false, tie: false };
  const rb = f32ToBits(r);
  const [lo, hi] = r < m ? [rb, rb + 1n] : [rb - 1n, rb];
  if (hi >= 0x7f800000n) return undefined;
  const loV = bitsToF32(lo), hiV = bitsToF32(hi);
  const tie = m - loV === hiV - m;
  let pick: bigint;
  switch (rm) {
    case RoundingMode.RNE:
      pick = rb;
      break;
    case RoundingMode.RTZ:
      pick = lo;
      break;
    case RoundingMode.RDN:
      pick = neg ? hi : lo;
      break;
    case RoundingMode.RUP:
      pick = neg ? lo : hi;
      break;
    default:
      pick = tie ? hi : rb;
  }
  return { bits: sb | pick, inexact: true, tie };
}

Deno.test("slow path vs double-based oracle, all rounding modes incl. RMM", () => {
  const r = rng(12345);
  let checked = 0, ties = 0;
  const D = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 40000; i++) {
    const rm = i % 5;
    const a = operand(F32, r, -40, 40);
    let b = operand(F32, r, -40, 40);
    if (i % 3 === 0) b = (a & 0xff800000n) - (BigInt(r.int(0, 30)) << 23n) | (b & 0x7fffffn);
    b &= 0xffffffffn;
    const x = bitsToF32(a), y = bitsToF32(b);
    const cases: [string, number, (e: FloatEnv) => bigint][] = [
      ["mul", x * y, (e) => mulSlow(F32, a, b, e)],
    ];
    const s = x + y, bb = s - x;
    if ((x - (s - bb)) + (y - bb) === 0) cases.push(["add", s, (e) => addSlow(F32, a, b, e)]);
    // narrowing conversion of a random double
    D.setUint32(0, r.next());
    D.setUint32(4, r.next());
    const dv = D.getFloat64(0);
    const dBits = D.getBigUint64(0);
    cases.push(["cvt", dv, (e) => fcvtFF("f64", "f32", dBits, e)]);
    for (const [name, v, fn] of cases) {
      if (!Number.isFinite(v)) continue;
      const o = oracle32(v, rm);
      if (!o) continue;
      const env = { rm, flags: 0 };
      const got = fn(env);
      const msg = `${name} rm=${rm} a=0x${a.toString(16)} b=0x${b.toString(16)} v=${v}`;
      assertEquals(got, o.bits, msg);
      assertEquals(env.flags, o.inexact ? FloatFlag.NX : 0, msg + " flags");
      checked++;
      if (rm === RoundingMode.RMM && o.tie && (got & 1n) === 0n) ties++; // RMM != RNE here
    }
  }
  assert(checked > 40000, `only ${checked} oracle checks`);
  assert(ties > 20, `only ${ties} RMM ties where RMM differs from RNE`);
});

function diffFma(f: FmtInfo, n: number): number {
  const fmt = f === F64 ? "f64" : "f32";
  const fast = f === F64 ? fmaF64Fast : fmaF32Fast;
  const r = rng(n + f.p);
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const a = operand(f, r, -20, 20);
    const b = operand(f, r, -20, 20);
    let c: bigint;
    const k = i % 4;
    if (k === 0) c = operand(f, r, -60, 60);
    else {
      // c close to -(a*b): heavy cancellation, or a few ulps away from it
      const env = { rm: RoundingMode.RNE, flags: 0 };
      c = mulSlow(f, a, b, env) + BigInt(k === 1 ? 0 : r.int(-4, 4));
      if (k === 3) c = operand(f, r, -40, 20) ^ (c & f.signBit);
      c &= f.wordMask;
    }
    const np = (i & 1) === 1, nc = (i & 2) === 0;
    const e1 = { rm: RoundingMode.RNE, flags: 0 };
    const got = fast(a, b, c, np, nc, e1);
    if (got === undefined) continue;
    hits++;
    const e2 = { rm: RoundingMode.RNE, flags: 0 };
    const want = fmuladdSlow(fmt, a, b, c, e2, np, nc);
    if (got !== want || e1.flags !== e2.flags) {
      throw new Error(
        `fma ${fmt}(0x${a.toString(16)}, 0x${b.toString(16)}, 0x${c.toString(16)}, ${np}, ${nc})` +
          `: fast 0x${got.toString(16)}/${e1.flags} slow 0x${want.toString(16)}/${e2.flags}`,
      );
    }
  }
  return hits;
}

Deno.test("fast vs slow: f64 fmuladd", () => {
  const hits = diffFma(F64, N);
  assert(hits > N / 10, `f64 fma fast path taken ${hits}/${N}`);
});
Deno.test("fast vs slow: f32 fmuladd", () => {
  const hits = diffFma(F32, N);
  assert(hits > N / 4, `f32 fma fast path taken ${hits}/${N}`);
});

Deno.test("fast vs slow: fcvtToInt, all modes", () => {
  const r = rng(777);
  let hits = 0;
  const n = 60000;
  for (let i = 0; i < n; i++) {
    const f = i & 1 ? F64 : F32;
    const fmt = f === F64 ? "f64" : "f32";
    let a = operand(f, r, -3, 66);
    if (i % 3 === 0) {
      // exact halves and near-halves
      const v = (r.int(-100000, 100000) + 0.5) * (i % 2 ? 1 : 1 + 2 ** -20);
      a = f === F64 ? BigInt(new BigUint64Array(new Float64Array([v]).buffer)[0]) : f32ToBits(v);
    }
    const bits = i % 4 < 2 ? 32 : 64;
    const signed = i % 8 < 4;
    const rm = r.int(0, 4);
    const e1 = { rm, flags: 0 };
    const got = fcvtToIntFast(fmt, a, bits, signed, e1);
    if (got === undefined) continue;
    hits++;
    const e2 = { rm, flags: 0 };
    const want = fcvtToIntSlow(fmt, a, bits, signed, e2);
    const msg = `fcvtToInt ${fmt} 0x${a.toString(16)} ${bits} ${signed} rm=${rm}`;
    assertEquals(got, want, msg);
    assertEquals(e1.flags, e2.flags, msg + " flags");
  }
  assert(hits > n / 4, `fcvtToInt fast path taken ${hits}/${n}`);
});

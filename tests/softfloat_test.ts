// Hand-written corner cases for core/softfloat arithmetic (RISC-V / QEMU semantics).
import { assertEquals } from "./softfloat/helpers.ts";
import {
  CANONICAL_NAN_F32 as QN32,
  CANONICAL_NAN_F64 as QN64,
  fadd,
  fcvtFF,
  fcvtFromInt,
  fdiv,
  FloatFlag,
  fmul,
  fmuladd,
  fsqrt,
  fsub,
  RoundingMode,
} from "../core/softfloat/mod.ts";
import {
  check,
  d,
  INF32,
  INF64,
  MAX32,
  MAX64,
  MINNORM32,
  MINNORM64,
  MINSUB32,
  NEG_QNAN32,
  NEG_QNAN64,
  NINF32,
  NINF64,
  NZ32,
  NZ64,
  s,
  SNAN32,
  SNAN64,
} from "./softfloat/corner_values.ts";

const { NX, UF, OF, DZ, NV } = FloatFlag;
const { RNE, RTZ, RDN, RUP, RMM } = RoundingMode;
const ALL_RM = [RNE, RTZ, RDN, RUP, RMM];
Deno.test("flags accrue (OR-ed into env.flags)", () => {
  const env = { rm: RNE, flags: DZ };
  fadd("f64", d(1), d(2 ** -60), env);
  assertEquals(env.flags, DZ | NX);
});

Deno.test("NaN operands give the canonical NaN; sNaN raises NV", () => {
  const bin = [fadd, fsub, fmul, fdiv];
  for (const op of bin) {
    check(`${op.name} qNaN`, RNE, (e) => op("f32", NEG_QNAN32, s(1), e), QN32, 0);
    check(`${op.name} sNaN`, RNE, (e) => op("f32", s(1), SNAN32, e), QN32, NV);
    check(`${op.name} qNaN64`, RNE, (e) => op("f64", d(1), NEG_QNAN64, e), QN64, 0);
    check(`${op.name} sNaN64`, RNE, (e) => op("f64", SNAN64, NEG_QNAN64, e), QN64, NV);
  }
  check("sqrt sNaN", RNE, (e) => fsqrt("f64", SNAN64, e), QN64, NV);
  check("sqrt qNaN", RNE, (e) => fsqrt("f32", NEG_QNAN32, e), QN32, 0);
  check("fma qNaN c", RNE, (e) => fmuladd("f64", d(2), d(3), NEG_QNAN64, e, false, false), QN64, 0);
  check("fma sNaN b", RNE, (e) => fmuladd("f32", s(2), SNAN32, s(1), e, true, true), QN32, NV);
});

Deno.test("invalid operations: inf-inf, inf*0, 0/0, inf/inf, sqrt(neg)", () => {
  check("inf-inf", RNE, (e) => fsub("f64", INF64, INF64, e), QN64, NV);
  check("inf+-inf", RNE, (e) => fadd("f32", INF32, NINF32, e), QN32, NV);
  check("inf+inf", RNE, (e) => fadd("f32", INF32, INF32, e), INF32, 0);
  check("inf*0", RNE, (e) => fmul("f32", NINF32, NZ32, e), QN32, NV);
  check("0/0", RNE, (e) => fdiv("f64", 0n, NZ64, e), QN64, NV);
  check("inf/inf", RNE, (e) => fdiv("f64", INF64, NINF64, e), QN64, NV);
  check("sqrt(-1)", RNE, (e) => fsqrt("f64", d(-1), e), QN64, NV);
  check("sqrt(-inf)", RNE, (e) => fsqrt("f32", NINF32, e), QN32, NV);
  check("sqrt(-min subnormal)", RNE, (e) => fsqrt("f32", NZ32 | 1n, e), QN32, NV);
});

Deno.test("signed zeros", () => {
  check("sqrt(-0)", RNE, (e) => fsqrt("f64", NZ64, e), NZ64, 0);
  check("sqrt(+inf)", RNE, (e) => fsqrt("f64", INF64, e), INF64, 0);
  for (const rm of ALL_RM) {
    const z = rm === RDN ? NZ64 : 0n;
    check("x + -x", rm, (e) => fadd("f64", d(1.5), d(-1.5), e), z, 0);
    check("x - x", rm, (e) => fsub("f32", s(3), s(3), e), rm === RDN ? NZ32 : 0n, 0);
    check("-0 + +0", rm, (e) => fadd("f64", NZ64, 0n, e), z, 0);
    check("-0 + -0", rm, (e) => fadd("f64", NZ64, NZ64, e), NZ64, 0);
    check("-0 - +0", rm, (e) => fsub("f32", NZ32, 0n, e), NZ32, 0);
    check("+0 + +0", rm, (e) => fadd("f32", 0n, 0n, e), 0n, 0);
    check("-0 * 5", rm, (e) => fmul("f32", NZ32, s(5), e), NZ32, 0);
    check("0 / -5", rm, (e) => fdiv("f64", 0n, d(-5), e), NZ64, 0);
    check("-5 / inf", rm, (e) => fdiv("f64", d(-5), INF64, e), NZ64, 0);
    // fma exact zero: (2*3) - 6
    check("fmsub 2*3-6", rm, (e) => fmuladd("f64", d(2), d(3), d(6), e, false, true), z, 0);
    // fnmadd: -(2*3) - (-6) = 0
    check(
      "fnmadd zero",
      rm,
      (e) => fmuladd("f32", s(2), s(3), s(-6), e, true, true),
      rm === RDN ? NZ32 : 0n,
      0,
    );
    // product zero plus zero addend
    check("fma -0*1 + -0", rm, (e) => fmuladd("f64", NZ64, d(1), NZ64, e, false, false), NZ64, 0);
    check("fma +0*1 + -0", rm, (e) => fmuladd("f64", 0n, d(1), NZ64, e, false, false), z, 0);
    check("fnmsub 0*1 + 0", rm, (e) => fmuladd("f64", 0n, d(1), 0n, e, true, false), z, 0);
    check("fnmadd 0*1 - 0", rm, (e) => fmuladd("f64", 0n, d(1), 0n, e, true, true), NZ64, 0);
  }
});

Deno.test("division by zero", () => {
  check("1/0", RNE, (e) => fdiv("f32", s(1), 0n, e), INF32, DZ);
  check("1/-0", RNE, (e) => fdiv("f64", d(1), NZ64, e), NINF64, DZ);
  check("-subnormal/0", RTZ, (e) => fdiv("f64", NZ64 | 1n, 0n, e), NINF64, DZ);
  check("inf/0 (no DZ)", RNE, (e) => fdiv("f64", INF64, 0n, e), INF64, 0);
});

Deno.test("overflow in every rounding mode", () => {
  const cases: [number, bigint, bigint][] = [
    [RNE, INF32, NINF32],
    [RTZ, MAX32, MAX32 | NZ32],
    [RDN, MAX32, NINF32],
    [RUP, INF32, MAX32 | NZ32],
    [RMM, INF32, NINF32],
  ];
  for (const [rm, pos, neg] of cases) {
    check("max*2", rm, (e) => fmul("f32", MAX32, s(2), e), pos, OF | NX);
    check("-max*2", rm, (e) => fmul("f32", MAX32, s(-2), e), neg, OF | NX);
    check("max+max", rm, (e) => fadd("f32", MAX32, MAX32, e), pos, OF | NX);
    const pos64 = pos === INF32 ? INF64 : MAX64;
    check("f64 max*max", rm, (e) => fmul("f64", MAX64, MAX64, e), pos64, OF | NX);
    check("f64 narrow", rm, (e) => fcvtFF("f64", "f32", d(1e39), e), pos, OF | NX);
  }
  // max + half ulp: ties-to-even overflows in RNE, RMM also overflows; RTZ stays.
  const halfUlp = d(2 ** 970);
  check("max+halfulp RNE", RNE, (e) => fadd("f64", MAX64, halfUlp, e), INF64, OF | NX);
  check("max+halfulp RMM", RMM, (e) => fadd("f64", MAX64, halfUlp, e), INF64, OF | NX);
  check("max+halfulp RTZ", RTZ, (e) => fadd("f64", MAX64, halfUlp, e), MAX64, NX);
  // just below half ulp: no overflow in RNE
  check("max+quarterulp RNE", RNE, (e) => fadd("f64", MAX64, d(2 ** 969), e), MAX64, NX);
  check("max+quarterulp RUP", RUP, (e) => fadd("f64", MAX64, d(2 ** 969), e), INF64, OF | NX);
});

Deno.test("underflow: tininess after rounding, UF only when inexact", () => {
  // exact subnormal results: no flags
  check("minnorm/2", RNE, (e) => fmul("f32", MINNORM32, s(0.5), e), 0x00400000n, 0);
  check("sub+sub", RNE, (e) => fadd("f64", 1n, 1n, e), 2n, 0);
  // inexact tiny
  check("minsub/2 RNE", RNE, (e) => fmul("f32", MINSUB32, s(0.5), e), 0n, UF | NX);
  check("minsub/2 RUP", RUP, (e) => fmul("f32", MINSUB32, s(0.5), e), 1n, UF | NX);
  check("minsub*0.75 RNE", RNE, (e) => fmul("f32", MINSUB32, s(0.75), e), 1n, UF | NX);
  check("minsub/2 RMM", RMM, (e) => fmul("f32", MINSUB32, s(0.5), e), 1n, UF | NX);
  check("-minsub/2 RDN", RDN, (e) => fmul("f32", MINSUB32, s(-0.5), e), NZ32 | 1n, UF | NX);
  check("-minsub/2 RUP", RUP, (e) => fmul("f32", MINSUB32, s(-0.5), e), NZ32, UF | NX);
  // (1 - 2^-24) * 2^-126 is exactly halfway below minnorm at 24 bits... it is
  // representable with 24 bits (not tiny-inexact) but not as a subnormal.
  const justBelow = s(1 - 2 ** -24); // 0x3f7fffff
  // RNE: rounds to minnorm; with unbounded exponent the value is exact at 24
  // bits, i.e. < 2^-126 after rounding -> tiny, and inexact -> UF.
  check(
    "(1-2^-24)*minnorm RNE",
    RNE,
    (e) => fmul("f32", justBelow, MINNORM32, e),
    MINNORM32,
    UF | NX,
  );
  check(
    "(1-2^-24)*minnorm RTZ",
    RTZ,
    (e) => fmul("f32", justBelow, MINNORM32, e),
    0x007fffffn,
    UF | NX,
  );
  // (1 - 2^-25) * 2^-126 = (2^25-1) * 2^-151 needs 25 bits; 2^25-1 = 18631 * 1801.
  // Rounded to 24 bits (unbounded exponent) in RNE/RUP/RMM it becomes 2^-126:
  // NOT tiny after rounding, so NX only. RTZ/RDN keep it below: tiny, UF.
  const a32 = s(18631 * 2 ** -80);
  const b32 = s(1801 * 2 ** -71);
  for (const rm of [RNE, RUP, RMM]) {
    check("(1-2^-25)*minnorm", rm, (e) => fmul("f32", a32, b32, e), MINNORM32, NX);
  }
  for (const rm of [RTZ, RDN]) {
    check("(1-2^-25)*minnorm", rm, (e) => fmul("f32", a32, b32, e), 0x007fffffn, UF | NX);
  }
  check(
    "-(1-2^-25)*minnorm RUP",
    RUP,
    (e) => fmul("f32", a32, b32 | NZ32, e),
    NZ32 | 0x007fffffn,
    UF | NX,
  );
  check(
    "-(1-2^-25)*minnorm RDN",
    RDN,
    (e) => fmul("f32", a32, b32 | NZ32, e),
    NZ32 | MINNORM32,
    NX,
  );
  // binary64: (2^54-1) * 2^-1076 = 134217727 * 134217729 * 2^-1076
  const a64 = d(134217727 * 2 ** -538);
  const b64 = d(134217729 * 2 ** -538);
  check("f64 (1-2^-54)*minnorm RNE", RNE, (e) => fmul("f64", a64, b64, e), MINNORM64, NX);
  check("f64 (1-2^-54)*minnorm RTZ", RTZ, (e) => fmul("f64", a64, b64, e), MINNORM64 - 1n, UF | NX);
  // (2^53-1) * 2^-1075 = 441650591 * 20394401 * 2^-1075 has 53 bits: tiny, rounds up in RNE.
  const c64 = d(441650591 * 2 ** -500);
  const e64 = d(20394401 * 2 ** -575);
  check("f64 (1-2^-53)*minnorm RNE", RNE, (e) => fmul("f64", c64, e64, e), MINNORM64, UF | NX);
  // the same via division and fma
  check(
    "f64 minnorm/(1+2^-52)",
    RNE,
    (e) => fdiv("f64", MINNORM64, d(1 + 2 ** -52), e),
    MINNORM64 - 1n,
    UF | NX,
  );
  check(
    "fma tiny",
    RNE,
    (e) => fmuladd("f64", MINNORM64, d(1), NZ64 | 1n, e, false, false),
    MINNORM64 - 1n,
    0,
  );
  check(
    "fma exact near minnorm",
    RNE,
    (e) => fmuladd("f64", MINNORM64, d(1.5), NZ64 | 1n, e, false, true),
    0x0018000000000001n,
    0,
  );
  check("f64->f32 subnormal exact", RNE, (e) => fcvtFF("f64", "f32", d(2 ** -149), e), 1n, 0);
  check("f64->f32 below minsub", RNE, (e) => fcvtFF("f64", "f32", d(2 ** -151), e), 0n, UF | NX);
  check(
    "f64->f32 below minsub RUP",
    RUP,
    (e) => fcvtFF("f64", "f32", d(2 ** -151), e),
    1n,
    UF | NX,
  );
});

Deno.test("RMM: ties away from zero (hand-computed)", () => {
  const one = s(1);
  const halfUlp = s(2 ** -24);
  check("1 + 2^-24 RNE", RNE, (e) => fadd("f32", one, halfUlp, e), one, NX);
  check("1 + 2^-24 RMM", RMM, (e) => fadd("f32", one, halfUlp, e), one + 1n, NX);
  check("-1 - 2^-24 RMM", RMM, (e) => fsub("f32", s(-1), halfUlp, e), NZ32 | (one + 1n), NX);
  // odd significand: RNE also rounds up, RMM agrees
  const onePlus = s(1 + 2 ** -23);
  check("odd tie RNE", RNE, (e) => fadd("f32", onePlus, halfUlp, e), onePlus + 1n, NX);
  check("odd tie RMM", RMM, (e) => fadd("f32", onePlus, halfUlp, e), onePlus + 1n, NX);
  // not a tie: below half rounds down in RMM
  check("below half RMM", RMM, (e) => fadd("f32", one, s(2 ** -25), e), one, NX);
  check("f64 tie RMM", RMM, (e) => fadd("f64", d(1), d(2 ** -53), e), d(1 + 2 ** -52), NX);
  check("f64 tie RNE", RNE, (e) => fadd("f64", d(1), d(2 ** -53), e), d(1), NX);
  check(
    "f64 mul tie RMM",
    RMM,
    (e) => fmul("f64", d(1 + 2 ** -52), d(1 + 2 ** -52), e),
    d(1 + 2 ** -51),
    NX,
  );
  // (1+2^-52)^2 = 1 + 2^-51 + 2^-104: above the tie, RNE rounds up too
  check(
    "f64 mul RNE",
    RNE,
    (e) => fmul("f64", d(1 + 2 ** -52), d(1 + 2 ** -52), e),
    d(1 + 2 ** -51),
    NX,
  );
  check(
    "f64 mul RTZ",
    RTZ,
    (e) => fmul("f64", d(1 + 2 ** -52), d(1 + 2 ** -52), e),
    d(1 + 2 ** -51),
    NX,
  );
  // subnormal tie: 3 * 2^-150 = 1.5 minsub -> RMM 2, RNE 2; 2.5 minsub -> RMM 3, RNE 2
  check("sub tie 2.5 RNE", RNE, (e) => fmul("f32", s(2.5), MINSUB32, e), 2n, UF | NX);
  check("sub tie 2.5 RMM", RMM, (e) => fmul("f32", s(2.5), MINSUB32, e), 3n, UF | NX);
  check("sqrt RMM", RMM, (e) => fsqrt("f32", s(2), e), 0x3fb504f3n, NX);
  check("div RMM", RMM, (e) => fdiv("f32", s(1), s(3), e), 0x3eaaaaabn, NX);
  check("div RTZ", RTZ, (e) => fdiv("f32", s(1), s(3), e), 0x3eaaaaaan, NX);
  check("cvt int RMM", RMM, (e) => fcvtFromInt("f32", 0x1000001n, 32, true, e), s(16777218), NX);
  check("cvt int RNE", RNE, (e) => fcvtFromInt("f32", 0x1000001n, 32, true, e), s(16777216), NX);
  check("cvt int RMM 3", RMM, (e) => fcvtFromInt("f32", 0x1000003n, 32, true, e), s(16777220), NX);
});

Deno.test("directed rounding of inexact results", () => {
  const third = [0x3eaaaaabn, 0x3eaaaaaan, 0x3eaaaaaan, 0x3eaaaaabn, 0x3eaaaaabn];
  ALL_RM.forEach((rm, i) => {
    check("1/3", rm, (e) => fdiv("f32", s(1), s(3), e), third[i], NX);
    const neg = third[i === RDN ? RUP : i === RUP ? RDN : i] | NZ32;
    check("-1/3", rm, (e) => fdiv("f32", s(-1), s(3), e), neg, NX);
  });
  check("sqrt exact", RUP, (e) => fsqrt("f64", d(2.25), e), d(1.5), 0);
  check("sqrt 2 RUP", RUP, (e) => fsqrt("f64", d(2), e), d(Math.SQRT2), NX);
  check("sqrt 2 RDN", RDN, (e) => fsqrt("f64", d(2), e), d(Math.SQRT2) - 1n, NX);
  check("sqrt subnormal", RNE, (e) => fsqrt("f64", 4n, e), d(2 ** -536), 0);
});

Deno.test("fused multiply-add: single rounding and special cases", () => {
  // (1+2^-12)^2 = 1 + 2^-11 + 2^-24 is a binary32 midpoint; a tiny addend decides
  const q = s(1 + 2 ** -12);
  check(
    "fma midpoint +tiny",
    RNE,
    (e) => fmuladd("f32", q, q, s(2 ** -80), e, false, false),
    s(1 + 2 ** -11 + 2 ** -23),
    NX,
  );
  check(
    "fma midpoint -tiny",
    RNE,
    (e) => fmuladd("f32", q, q, s(2 ** -80), e, false, true),
    s(1 + 2 ** -11),
    NX,
  );
  check(
    "fma midpoint exact",
    RNE,
    (e) => fmuladd("f32", q, q, 0n, e, false, false),
    s(1 + 2 ** -11),
    NX,
  );
  check(
    "fma midpoint RMM",
    RMM,
    (e) => fmuladd("f32", q, q, 0n, e, false, false),
    s(1 + 2 ** -11 + 2 ** -23),
    NX,
  );
  // binary64: (1+2^-27)^2 = 1 + 2^-26 + 2^-54 is below the midpoint 2^-53; +2^-54 lands on it exactly
  const q64 = d(1 + 2 ** -27);
  check(
    "f64 fma to midpoint",
    RNE,
    (e) => fmuladd("f64", q64, q64, d(2 ** -54), e, false, false),
    d(1 + 2 ** -26),
    NX,
  );
  check(
    "f64 fma past midpoint",
    RNE,
    (e) => fmuladd("f64", q64, q64, d(2 ** -54 + 2 ** -100), e, false, false),
    d(1 + 2 ** -26 + 2 ** -52),
    NX,
  );
  check(
    "f64 fma below midpoint",
    RNE,
    (e) => fmuladd("f64", q64, q64, d(2 ** -54 - 2 ** -100), e, false, false),
    d(1 + 2 ** -26),
    NX,
  );
  // inf*0 + qNaN raises NV on RISC-V
  check("inf*0+qNaN", RNE, (e) => fmuladd("f32", INF32, 0n, QN32, e, false, false), QN32, NV);
  check("0*-inf+qNaN", RNE, (e) => fmuladd("f64", 0n, NINF64, NEG_QNAN64, e, true, true), QN64, NV);
  check("inf*0+1", RNE, (e) => fmuladd("f64", INF64, 0n, d(1), e, false, false), QN64, NV);
  check("inf*1-inf", RNE, (e) => fmuladd("f64", INF64, d(1), INF64, e, false, true), QN64, NV);
  check("inf*1+inf", RNE, (e) => fmuladd("f64", INF64, d(1), INF64, e, false, false), INF64, 0);
  check("-(inf*1)+inf", RNE, (e) => fmuladd("f64", INF64, d(1), INF64, e, true, false), QN64, NV);
  check("-(inf*1)-inf", RNE, (e) => fmuladd("f32", INF32, s(1), INF32, e, true, true), NINF32, 0);
  check("1*1-inf", RNE, (e) => fmuladd("f32", s(1), s(1), INF32, e, false, true), NINF32, 0);
  check("max*2-inf", RNE, (e) => fmuladd("f32", MAX32, s(2), INF32, e, false, true), NINF32, 0);
  // single rounding: (1+2^-52)(1-2^-52) - 1 = -2^-104 exactly
  check(
    "fma exact residual",
    RNE,
    (e) => fmuladd("f64", d(1 + 2 ** -52), d(1 - 2 ** -52), d(1), e, false, true),
    d(-(2 ** -104)),
    0,
  );
  // the non-fused sequence would give 0
  check("fnmadd", RNE, (e) => fmuladd("f32", s(2), s(3), s(1), e, true, true), s(-7), 0);
  check("fnmsub", RNE, (e) => fmuladd("f32", s(2), s(3), s(1), e, true, false), s(-5), 0);
  check("fmsub", RNE, (e) => fmuladd("f32", s(2), s(3), s(1), e, false, true), s(5), 0);
  // overflow of the product rescued by the addend? no: max*2 - max = max exactly
  check("max*2-max", RNE, (e) => fmuladd("f32", MAX32, s(2), MAX32, e, false, true), MAX32, 0);
  // tiny product + big addend: RUP bumps
  check("1 + tiny RUP", RUP, (e) => fmuladd("f64", 1n, 1n, d(1), e, false, false), d(1) + 1n, NX);
  check("1 - tiny RDN", RDN, (e) => fmuladd("f64", 1n, 1n, d(1), e, false, true), NZ64 | d(1), NX);
  check(
    "-1 + tiny RTZ",
    RTZ,
    (e) => fmuladd("f64", 1n, 1n, d(-1), e, false, false),
    NZ64 | (d(1) - 1n),
    NX,
  );
});

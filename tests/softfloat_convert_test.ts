// Hand-written corner cases for core/softfloat conversions, comparisons, fclass and NaN boxing.
import { assertEquals, assertThrows } from "./softfloat/helpers.ts";
import {
  CANONICAL_NAN_F32 as QN32,
  CANONICAL_NAN_F64 as QN64,
  fadd,
  fclass,
  fcvtFF,
  fcvtFromInt,
  fcvtToInt,
  fdiv,
  feq,
  fle,
  FloatFlag,
  type FloatFormat,
  flt,
  fmax,
  fmin,
  nanBox32,
  RoundingMode,
  unboxF32,
} from "../core/softfloat/mod.ts";
import {
  check,
  d,
  INF32,
  INF64,
  MAX32,
  MAX64,
  MINNORM64,
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

const { NX, UF, OF, NV } = FloatFlag;
const { RNE, RTZ, RDN, RUP, RMM } = RoundingMode;
const U64 = (v: bigint) => BigInt.asUintN(64, v);

Deno.test("fcvtToInt: saturation, NaN, rounding, flags", () => {
  type Case = [FloatFormat, bigint, 32 | 64, boolean, number, bigint, number];
  const I32_MAX = 0x7fffffffn;
  const I32_MIN = U64(-(2n ** 31n));
  const I64_MAX = 0x7fffffffffffffffn;
  const I64_MIN = 0x8000000000000000n;
  const ALL1 = 0xffffffffffffffffn;
  const cases: Case[] = [
    // NaN -> max positive, NV
    ["f64", QN64, 32, true, RNE, I32_MAX, NV],
    ["f64", NEG_QNAN64, 32, true, RNE, I32_MAX, NV],
    ["f32", SNAN32, 64, true, RNE, I64_MAX, NV],
    ["f32", NEG_QNAN32, 32, false, RNE, ALL1, NV], // wu: 0xffffffff sign-extended
    ["f64", QN64, 64, false, RNE, ALL1, NV],
    // infinities
    ["f64", INF64, 32, true, RNE, I32_MAX, NV],
    ["f64", NINF64, 32, true, RNE, I32_MIN, NV],
    ["f32", NINF32, 64, true, RNE, I64_MIN, NV],
    ["f32", INF32, 32, false, RNE, ALL1, NV],
    ["f32", NINF32, 32, false, RNE, 0n, NV],
    ["f64", NINF64, 64, false, RNE, 0n, NV],
    // out of range finite
    ["f64", d(2 ** 31), 32, true, RNE, I32_MAX, NV],
    ["f64", d(-(2 ** 31) - 1), 32, true, RNE, I32_MIN, NV],
    ["f64", d(2 ** 63), 64, true, RNE, I64_MAX, NV],
    ["f64", d(2 ** 64), 64, false, RNE, ALL1, NV],
    ["f64", d(2 ** 32), 32, false, RNE, ALL1, NV],
    ["f32", s(-1), 32, false, RNE, 0n, NV],
    ["f32", s(-(2 ** 100)), 64, false, RTZ, 0n, NV],
    ["f64", d(1e300), 64, true, RTZ, I64_MAX, NV],
    // boundaries that round into/out of range
    ["f64", d(2147483647.4), 32, true, RNE, I32_MAX, NX],
    ["f64", d(2147483647.5), 32, true, RNE, I32_MAX, NV],
    ["f64", d(2147483647.5), 32, true, RTZ, I32_MAX, NX],
    ["f64", d(-2147483648.5), 32, true, RTZ, I32_MIN, NX],
    ["f64", d(-2147483648.5), 32, true, RDN, I32_MIN, NV],
    ["f64", d(-2147483648.5), 32, true, RNE, I32_MIN, NX],
    ["f64", d(-2147483648.5), 32, true, RMM, I32_MIN, NV],
    ["f64", d(4294967295.5), 32, false, RTZ, ALL1, NX],
    ["f64", d(4294967295.5), 32, false, RNE, ALL1, NV],
    ["f64", d(2147483648), 32, false, RNE, U64(-(2n ** 31n)), 0], // 0x80000000 sign-extended
    ["f64", d(-(2 ** 63)), 64, true, RNE, I64_MIN, 0],
    ["f32", s(2 ** 63), 64, false, RNE, 2n ** 63n, 0],
    // negative values that round to zero for unsigned: NX only
    ["f64", d(-0.5), 32, false, RNE, 0n, NX],
    ["f64", d(-0.5), 64, false, RTZ, 0n, NX],
    ["f64", d(-0.5), 64, false, RMM, 0n, NV],
    ["f64", d(-0.5), 64, false, RDN, 0n, NV],
    ["f64", d(-0.5), 64, false, RUP, 0n, NX],
    ["f64", NZ64, 64, false, RNE, 0n, 0],
    ["f32", NZ32, 32, true, RDN, 0n, 0],
    // rounding modes on 2.5 / -2.5
    ["f64", d(2.5), 32, true, RNE, 2n, NX],
    ["f64", d(2.5), 32, true, RTZ, 2n, NX],
    ["f64", d(2.5), 32, true, RDN, 2n, NX],
    ["f64", d(2.5), 32, true, RUP, 3n, NX],
    ["f64", d(2.5), 32, true, RMM, 3n, NX],
    ["f32", s(-2.5), 64, true, RNE, U64(-2n), NX],
    ["f32", s(-2.5), 64, true, RTZ, U64(-2n), NX],
    ["f32", s(-2.5), 64, true, RDN, U64(-3n), NX],
    ["f32", s(-2.5), 64, true, RUP, U64(-2n), NX],
    ["f32", s(-2.5), 64, true, RMM, U64(-3n), NX],
    ["f32", s(3.5), 32, true, RNE, 4n, NX],
    ["f32", s(-7), 32, true, RNE, U64(-7n), 0],
    ["f64", 1n, 64, true, RUP, 1n, NX],
    ["f64", 1n | NZ64, 64, true, RDN, U64(-1n), NX],
  ];
  for (const [fmt, a, bits, signed, rm, want, fl] of cases) {
    check(
      `fcvtToInt ${fmt} 0x${a.toString(16)} ${bits} ${signed}`,
      rm,
      (e) => fcvtToInt(fmt, a, bits, signed, e),
      want,
      fl,
    );
  }
});

Deno.test("fcvtFromInt", () => {
  check("w -1", RNE, (e) => fcvtFromInt("f64", 0xffffffffn, 32, true, e), d(-1), 0);
  check(
    "wu 0xffffffff",
    RNE,
    (e) => fcvtFromInt("f64", 0xffffffffn, 32, false, e),
    d(4294967295),
    0,
  );
  check(
    "w uses low 32 bits",
    RNE,
    (e) => fcvtFromInt("f64", 0x1234_0000_0005n, 32, true, e),
    d(5),
    0,
  );
  check(
    "wu -> f32 inexact",
    RNE,
    (e) => fcvtFromInt("f32", 0xffffffffn, 32, false, e),
    s(2 ** 32),
    NX,
  );
  check(
    "wu -> f32 RTZ",
    RTZ,
    (e) => fcvtFromInt("f32", 0xffffffffn, 32, false, e),
    s(2 ** 32 - 256),
    NX,
  );
  check(
    "l min",
    RNE,
    (e) => fcvtFromInt("f64", 0x8000000000000000n, 64, true, e),
    d(-(2 ** 63)),
    0,
  );
  check("lu max RNE", RNE, (e) => fcvtFromInt("f64", ALL64, 64, false, e), d(2 ** 64), NX);
  check("lu max RTZ", RTZ, (e) => fcvtFromInt("f64", ALL64, 64, false, e), d(2 ** 64 - 2048), NX);
  check("l -1 RUP", RUP, (e) => fcvtFromInt("f32", ALL64, 64, true, e), s(-1), 0);
  check(
    "l -(2^53+1) RDN",
    RDN,
    (e) => fcvtFromInt("f64", U64(-(2n ** 53n + 1n)), 64, true, e),
    d(-(2 ** 53) - 2),
    NX,
  );
  check(
    "l -(2^53+1) RUP",
    RUP,
    (e) => fcvtFromInt("f64", U64(-(2n ** 53n + 1n)), 64, true, e),
    d(-(2 ** 53)),
    NX,
  );
  check("zero", RDN, (e) => fcvtFromInt("f32", 0n, 64, true, e), 0n, 0);
});
const ALL64 = 0xffffffffffffffffn;

Deno.test("fcvtFF", () => {
  check("sNaN f32->f64", RNE, (e) => fcvtFF("f32", "f64", SNAN32, e), QN64, NV);
  check("qNaN f64->f32", RNE, (e) => fcvtFF("f64", "f32", NEG_QNAN64, e), QN32, 0);
  check("-inf", RNE, (e) => fcvtFF("f64", "f32", NINF64, e), NINF32, 0);
  check("-0", RNE, (e) => fcvtFF("f32", "f64", NZ32, e), NZ64, 0);
  check("subnormal f32->f64 exact", RNE, (e) => fcvtFF("f32", "f64", 1n, e), d(2 ** -149), 0);
  check("0.1 RNE", RNE, (e) => fcvtFF("f64", "f32", d(0.1), e), 0x3dcccccdn, NX);
  check("0.1 RTZ", RTZ, (e) => fcvtFF("f64", "f32", d(0.1), e), 0x3dccccccn, NX);
  check("max f64 RTZ", RTZ, (e) => fcvtFF("f64", "f32", MAX64, e), MAX32, OF | NX);
  check("tiny f64 RDN", RDN, (e) => fcvtFF("f64", "f32", 1n | NZ64, e), NZ32 | 1n, UF | NX);
});

Deno.test("fmin/fmax: minimumNumber/maximumNumber semantics", () => {
  type C = [string, FloatFormat, bigint, bigint, bigint, bigint, number];
  const cases: C[] = [
    ["-0/+0", "f32", NZ32, 0n, NZ32, 0n, 0],
    ["+0/-0", "f32", 0n, NZ32, NZ32, 0n, 0],
    ["+0/+0", "f64", 0n, 0n, 0n, 0n, 0],
    ["qNaN/1", "f32", QN32, s(1), s(1), s(1), 0],
    ["1/-qNaN", "f64", d(1), NEG_QNAN64, d(1), d(1), 0],
    ["sNaN/1", "f32", SNAN32, s(1), s(1), s(1), NV],
    ["-1/sNaN", "f64", d(-1), SNAN64, d(-1), d(-1), NV],
    ["qNaN/qNaN", "f32", NEG_QNAN32, QN32, QN32, QN32, 0],
    ["sNaN/qNaN", "f64", SNAN64, NEG_QNAN64, QN64, QN64, NV],
    ["-inf/inf", "f64", NINF64, INF64, NINF64, INF64, 0],
    ["1/2", "f32", s(1), s(2), s(1), s(2), 0],
    ["-1/-2", "f32", s(-1), s(-2), s(-2), s(-1), 0],
    ["-sub/+sub", "f64", NZ64 | 1n, 1n, NZ64 | 1n, 1n, 0],
    ["-0/-sub", "f64", NZ64, NZ64 | 1n, NZ64 | 1n, NZ64, 0],
  ];
  for (const [name, fmt, a, b, mn, mx, fl] of cases) {
    check(`fmin ${name}`, RNE, (e) => fmin(fmt, a, b, e), mn, fl);
    check(`fmax ${name}`, RNE, (e) => fmax(fmt, a, b, e), mx, fl);
  }
});

Deno.test("feq/flt/fle: NaN signalling rules and signed zeros", () => {
  type C = [string, FloatFormat, bigint, bigint, bigint, bigint, bigint, number, number];
  // name, fmt, a, b, eq, lt, le, eqFlags, ltleFlags
  const cases: C[] = [
    ["1,1", "f32", s(1), s(1), 1n, 0n, 1n, 0, 0],
    ["-0,+0", "f64", NZ64, 0n, 1n, 0n, 1n, 0, 0],
    ["+0,-0", "f32", 0n, NZ32, 1n, 0n, 1n, 0, 0],
    ["-1,1", "f64", d(-1), d(1), 0n, 1n, 1n, 0, 0],
    ["1,-1", "f64", d(1), d(-1), 0n, 0n, 0n, 0, 0],
    ["-2,-1", "f32", s(-2), s(-1), 0n, 1n, 1n, 0, 0],
    ["-inf,max", "f32", NINF32, MAX32, 0n, 1n, 1n, 0, 0],
    ["sub,minnorm", "f64", 1n, MINNORM64, 0n, 1n, 1n, 0, 0],
    ["qNaN,1", "f32", QN32, s(1), 0n, 0n, 0n, 0, NV],
    ["qNaN,qNaN", "f64", QN64, QN64, 0n, 0n, 0n, 0, NV],
    ["1,sNaN", "f64", d(1), SNAN64, 0n, 0n, 0n, NV, NV],
    ["sNaN,sNaN", "f32", SNAN32, SNAN32, 0n, 0n, 0n, NV, NV],
  ];
  for (const [name, fmt, a, b, eq, lt, le, eqFl, cmpFl] of cases) {
    check(`feq ${name}`, RNE, (e) => feq(fmt, a, b, e), eq, eqFl);
    check(`flt ${name}`, RNE, (e) => flt(fmt, a, b, e), lt, cmpFl);
    check(`fle ${name}`, RNE, (e) => fle(fmt, a, b, e), le, cmpFl);
  }
});

Deno.test("fclass", () => {
  const f32: [bigint, number][] = [
    [NINF32, 0],
    [s(-1), 1],
    [NZ32 | 1n, 2],
    [NZ32, 3],
    [0n, 4],
    [0x007fffffn, 5],
    [MAX32, 6],
    [INF32, 7],
    [SNAN32, 8],
    [0xff800001n, 8],
    [QN32, 9],
    [NEG_QNAN32, 9],
  ];
  for (const [a, bit] of f32) assertEquals(fclass("f32", a), 1n << BigInt(bit), `fclass f32 ${a}`);
  const f64: [bigint, number][] = [
    [NINF64, 0],
    [d(-1e-300), 1],
    [NZ64 | 0x000fffffffffffffn, 2],
    [NZ64, 3],
    [0n, 4],
    [1n, 5],
    [MINNORM64, 6],
    [INF64, 7],
    [SNAN64, 8],
    [0x7ff7ffffffffffffn, 8],
    [QN64, 9],
    [0xffffffffffffffffn, 9],
  ];
  for (const [a, bit] of f64) assertEquals(fclass("f64", a), 1n << BigInt(bit), `fclass f64 ${a}`);
});

Deno.test("NaN boxing", () => {
  assertEquals(nanBox32(0x3f800000n), 0xffffffff3f800000n);
  assertEquals(nanBox32(0x12345678_3f800000n), 0xffffffff3f800000n);
  assertEquals(unboxF32(0xffffffff3f800000n), 0x3f800000n);
  assertEquals(unboxF32(0x000000003f800000n), QN32);
  assertEquals(unboxF32(0xfffffffe3f800000n), QN32);
  assertEquals(unboxF32(0x7fffffff3f800000n), QN32);
  assertEquals(unboxF32(nanBox32(SNAN32)), SNAN32);
});

Deno.test("invalid rounding mode is rejected when rounding is needed", () => {
  assertThrows(() => fadd("f64", d(1), d(2 ** -60), { rm: 5, flags: 0 }));
  assertThrows(() => fdiv("f32", s(1), s(3), { rm: 7, flags: 0 }));
});

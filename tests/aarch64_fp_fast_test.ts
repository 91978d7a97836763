// The aarch64 FP fast paths (targets/aarch64/simd_fp_fast.ts) against the general path
// (`arith` of targets/aarch64/fp_helpers.ts, Arm's NaN processing and tininess on softfloat):
// wherever a lane function answers, its bits and flags must be the general path's. Operands mix
// normal numbers of every exponent, zeros, subnormals, infinities and NaNs.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { arith, F32, F64, type Fmt, FpOp } from "../targets/aarch64/fp_helpers.ts";
import { numberLanes } from "../targets/aarch64/simd_fp_fast.ts";
import { bitsToF32, bitsToF64 } from "../core/softfloat/fast.ts";

/** Each lane function's name and the general operation it must equal. */
const OPS: [string, number][] = [
  ["fadd", FpOp.ADD],
  ["fsub", FpOp.SUB],
  ["fmul", FpOp.MUL],
  ["fnmul", FpOp.NMUL],
  ["fmla", FpOp.MADD],
  ["fmls", FpOp.MSUB],
  ["fmadd", FpOp.MADD],
  ["fmsub", FpOp.MSUB],
  ["fnmadd", FpOp.NMADD],
  ["fnmsub", FpOp.NMSUB],
];

/** A deterministic generator of 32-bit words. */
function words(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** A random operand of format `f`: mostly normal, with the exponents that stress the fast path. */
function operand(f: Fmt, next: () => number): bigint {
  const bits = BigInt(f.bits), mant = BigInt(f.mantissa);
  const sign = BigInt(next() & 1) << (bits - 1n);
  const frac = ((BigInt(next()) << 32n) | BigInt(next())) & ((1n << mant) - 1n);
  const maxExp = (1n << (bits - 1n - mant)) - 1n;
  const kind = next() % 10;
  const exp = kind === 0
    ? [0n, maxExp][next() & 1] // zero, subnormal, infinity, NaN
    : kind === 1
    ? BigInt(next()) % maxExp // any exponent
    : maxExp / 2n + BigInt((next() % 64) - 32); // near 1.0, where loops live
  return sign | (exp << mant) | (kind === 0 && next() & 1 ? 0n : frac);
}

const asNumber = (f: Fmt, v: bigint) => (f === F64 ? bitsToF64(v) : bitsToF32(v));

for (const [name, op] of OPS) {
  Deno.test(`aarch64 FP fast path: ${name} equals the general path where it answers`, () => {
    const lanes = numberLanes([name])[0]!;
    for (const [index, f] of [F32, F64].entries()) {
      const next = words(op * 31 + index + 1);
      let answered = 0;
      for (let i = 0; i < 20_000; i++) {
        const [a, b, c] = [operand(f, next), operand(f, next), operand(f, next)];
        const fast = { rm: 0, flags: 0 }, general = { rm: 0, flags: 0 };
        const r = lanes[index](asNumber(f, a), asNumber(f, b), asNumber(f, c), fast);
        if (r === undefined) continue;
        answered++;
        const want = arith(op, f, a, b, c, general, false);
        const got = f === F64 ? r : Math.fround(r);
        const label = `${name} ${f.bits}: ${a.toString(16)} ${b.toString(16)} ${c.toString(16)}`;
        assertEquals([Object.is(got, asNumber(f, want)), fast.flags], [true, general.flags], label);
      }
      assert(answered > 5_000, `${name} ${f.bits}: the fast path answered only ${answered} times`);
    }
  });
}

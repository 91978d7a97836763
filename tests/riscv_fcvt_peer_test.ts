// Conversions of binary64 to integers (fcvt.w.d, fcvt.wu.d, fcvt.l.d, fcvt.lu.d) on values built to
// stress the fast path in IR and its fallback to softfloat: fractions at and next to .5 and at
// random, both signs, zeros, subnormals, values next to 2^52 and at the limits of every integer
// range, infinities and NaNs. Every conversion runs in each rounding mode, static and dynamic;
// results and fflags on the interpreter, on the JIT and on qemu-riscv64 (when installed) must be
// identical.
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, r, s } from "./riscv/asm.ts";
import { prng } from "./riscv/random_programs.ts";
import { everyMode, recordPeerTest, recordProgram, REG, slotWords } from "./util/fp_records.ts";

const RECORDS = 1500;
/** fcvt.<kind>.d's rs2 field: w, wu, l, lu. */
const KINDS = [0, 1, 2, 3];
/** Bytes written per value: 5 modes x 2 (static, dynamic) x 4 kinds x (result, fflags). */
const PER_RECORD = 5 * 2 * KINDS.length * 16;

const f64 = new Float64Array(1), bits = new BigUint64Array(f64.buffer);
const toBits = (x: number) => (f64[0] = x, bits[0]);
const fromBits = (b: bigint) => (bits[0] = b, f64[0]);
/** The neighbour of `x` `steps` units in the last place away (bit pattern arithmetic). */
const nextTo = (x: number, steps: number) =>
  x === 0 ? steps * 5e-324 : fromBits(toBits(x) + BigInt(Math.sign(x) * steps));

/** The integer range limits the four kinds check. */
const LIMITS = [0, 2 ** 31, 2 ** 32, 2 ** 52, 2 ** 53, 2 ** 63, 2 ** 64];

/** One binary64 value per call, drawn from the stress families. */
function value(rnd: (n: number) => number): bigint {
  const sign = () => rnd(2) ? -1 : 1;
  const fractions = [0, 0.5, 0.25, 0.75, nextTo(0.5, 1), nextTo(0.5, -1), rnd(1 << 30) / 2 ** 30];
  const fraction = () => fractions[rnd(fractions.length)];
  switch (rnd(8)) {
    case 0: // random bit patterns (NaNs, infinities, any exponent)
      return (BigInt(rnd(1 << 30)) << 34n) ^ (BigInt(rnd(1 << 30)) << 4n) ^ BigInt(rnd(16));
    case 1: // specials
      return [
        0n,
        1n << 63n,
        1n,
        0x800fffffffffffffn,
        0x0010000000000000n,
        0x7fefffffffffffffn,
        0x7ff0000000000000n,
        0xfff0000000000000n,
        0x7ff8000000000000n,
        0x7ff4000000000000n,
        0xfff8000000000001n,
      ][rnd(11)];
    case 2: // small integers with a fraction (ties, near-ties, random)
      return toBits(sign() * (rnd(8) + fraction()));
    case 3: // larger integers with a fraction
      return toBits(sign() * (rnd(1 << 30) * 2 ** rnd(22) + fraction()));
    case 4: { // next to an integer range limit, on either side, with or without a fraction
      const limit = LIMITS[rnd(LIMITS.length)];
      const near = limit + [0, -1, 1, -0.5, 0.5, -0.25, -1.5][rnd(7)];
      return toBits(sign() * nextTo(near, rnd(5) - 2));
    }
    case 5: // magnitudes below 1, down to subnormals
      return toBits(sign() * (1 + rnd(1 << 30) / 2 ** 30) * 2 ** -(1 + rnd(1080)));
    case 6: // every exponent the fast path takes and a few beyond
      return toBits(sign() * (1 + rnd(1 << 30) / 2 ** 30 + rnd(1 << 22) / 2 ** 52) * 2 ** rnd(70));
    default: // large integers, exact from 2^52 up
      return toBits(sign() * 2 ** (52 + rnd(14)) * (1 + rnd(1 << 30) / 2 ** 30));
  }
}

/** A program that converts `RECORDS` values in every kind and mode and writes the results. */
function program(seed: number): Uint8Array {
  const rnd = prng(seed * 2654435761);
  const inputs = new Uint8Array(RECORDS * 8);
  const dv = new DataView(inputs.buffer);
  for (let k = 0; k < RECORDS; k++) dv.setBigUint64(8 * k, BigInt.asUintN(64, value(rnd)), true);
  const { P, Q, D } = REG;
  const body = [
    A.fld(1, P, 0),
    ...everyMode(KINDS.map((kind) => (rm: number) => [
      r(0x61, kind, 1, rm, D, 0x53), // fcvt.<kind>.d t1, f1, rm
      s(0, D, Q, 3, 0x23), // sd t1, 0(Q)
    ])),
  ];
  return recordProgram({ inputs, stride: 8, records: RECORDS, perRecord: PER_RECORD, body });
}

/** The value, mode and kind of the record slot holding byte `at`, with both sides' words. */
function describe(at: number, a: Uint8Array, b: Uint8Array): string {
  const record = Math.floor(at / PER_RECORD), slot = Math.floor(at % PER_RECORD / 16);
  const [mode, kind, dynamic] = [Math.floor(slot / 8), (slot >> 1) % 4, slot % 2];
  return `value ${record}, rm ${mode}${dynamic ? " (dynamic)" : ""}, kind ${kind}: ` +
    `${slotWords(a, at)} vs ${slotWords(b, at)}`;
}

recordPeerTest("binary64 to integer conversions", RECORDS * PER_RECORD, program, describe);

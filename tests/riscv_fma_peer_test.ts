// Fused multiply-adds of binary64 (fmadd.d, fmsub.d, fnmsub.d, fnmadd.d) on operands built to
// stress the fast path in IR and its fallback to softfloat: exact and inexact products, exact
// cancellation, results next to rounding boundaries (ties and near-ties), powers of two, the edges
// of the fast path's exponent ranges, subnormals, zeros, infinities and NaNs. Every operation runs
// in each rounding mode, static and dynamic; results and fflags on the interpreter, on the JIT and
// on qemu-riscv64 (when installed) must be identical.
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, s } from "./riscv/asm.ts";
import { prng } from "./riscv/random_programs.ts";
import { everyMode, recordPeerTest, recordProgram, REG, slotWords } from "./util/fp_records.ts";

const RECORDS = 1200;
/** The four fused opcodes (fmadd, fmsub, fnmsub, fnmadd). */
const OPCODES = [0x43, 0x47, 0x4b, 0x4f];
/** Bytes written per record: 5 modes x 2 (static, dynamic) x 4 ops x (result, fflags). */
const PER_RECORD = 5 * 2 * OPCODES.length * 16;

const f64 = new Float64Array(1), bits = new BigUint64Array(f64.buffer);
const toBits = (x: number) => (f64[0] = x, bits[0]);
const fromBits = (b: bigint) => (bits[0] = b, f64[0]);

/** One (a, b, c) triple per call, drawn from the stress families. */
function triple(rnd: (n: number) => number): [bigint, bigint, bigint] {
  const randomBits = () =>
    (BigInt(rnd(1 << 30)) << 34n) ^ (BigInt(rnd(1 << 30)) << 4n) ^
    BigInt(rnd(16));
  const sign = () => rnd(2) ? -1 : 1;
  const scaled = (lo: number, hi: number) =>
    sign() * (1 + rnd(1 << 30) / 2 ** 30 + rnd(1 << 22) / 2 ** 52) * 2 ** (lo + rnd(hi - lo));
  const short = () => sign() * (1 + rnd(1 << 25)) * 2 ** (rnd(40) - 45); // <= 26 significant bits
  const special = () =>
    [
      0n,
      1n << 63n,
      0x7ff0000000000000n,
      0xfff0000000000000n,
      0x7ff8000000000000n,
      0x7ff4000000000000n,
      1n,
      0x800fffffffffffffn,
      0x0010000000000000n,
      0x7fefffffffffffffn,
      toBits(2 ** -450),
      toBits(2 ** 450),
      toBits(2 ** 449 * 1.5),
      toBits(2 ** -451 * 1.75),
      toBits(2 ** 1019 * 1.5),
      toBits(2 ** 1020),
    ][rnd(16)];
  const a = scaled(-30, 30), b = scaled(-30, 30);
  const product = a * b;
  const ulp = (x: number) => 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
  switch (rnd(10)) {
    case 0: // random bit patterns (NaNs, infinities, any exponent)
      return [randomBits(), randomBits(), randomBits()];
    case 1: // specials mixed with ordinary values
      return [rnd(2) ? special() : toBits(a), rnd(2) ? special() : toBits(b), special()];
    case 2: { // exact products, exact cancellation or small addends
      const x = short(), y = short();
      const c = rnd(2) ? -(x * y) : short();
      return [toBits(x), toBits(y), toBits(rnd(4) ? c : 0)];
    }
    case 3: // the addend cancels the rounded product: the result is the product's error
      return [toBits(a), toBits(b), toBits(-product)];
    case 4: { // ties and near-ties of an exact product plus a half-ulp addend
      const x = short(), y = short(), p = x * y;
      const tweak = [0, 1, -1][rnd(3)] * 2 ** -30;
      return [toBits(x), toBits(y), toBits(sign() * ulp(p) / 2 * (1 + tweak))];
    }
    case 5: // addends at every scale around the product, with random low bits
      return [
        toBits(a),
        toBits(b),
        toBits(product * 2 ** (rnd(130) - 65) * (1 + rnd(1 << 20) / 2 ** 52)),
      ];
    case 6: { // results next to a power of two
      const p2 = 2 ** (rnd(60) - 30);
      return [toBits(a), toBits(b), toBits(sign() * p2 - product)];
    }
    case 7: // operands at the edges of the fast path's ranges, results near overflow
      return [special(), toBits(scaled(-4, 4)), rnd(2) ? special() : toBits(scaled(-600, 600))];
    case 8: // tiny products: subnormal and underflowing results
      return [
        toBits(scaled(-540, -500)),
        toBits(scaled(-540, -500)),
        toBits(sign() * fromBits(BigInt(rnd(1 << 30)))),
      ];
    default: // ordinary inexact FMAs
      return [toBits(a), toBits(b), toBits(scaled(-60, 60))];
  }
}

/** A program that runs every fused op in every mode over `RECORDS` triples and writes the results. */
function program(seed: number): Uint8Array {
  const rnd = prng(seed * 2654435761);
  const inputs = new Uint8Array(RECORDS * 24);
  const dv = new DataView(inputs.buffer);
  for (let k = 0; k < RECORDS; k++) {
    triple(rnd).forEach((v, j) => dv.setBigUint64(24 * k + 8 * j, BigInt.asUintN(64, v), true));
  }
  const { P, Q } = REG;
  const body = [
    A.fld(1, P, 0),
    A.fld(2, P, 8),
    A.fld(3, P, 16),
    ...everyMode(OPCODES.map((opcode) => (rm: number) => [
      ((A.fmadd(1, rm, 4, 1, 2, 3) & ~0x7f) | opcode) >>> 0,
      s(0, 4, Q, 3, 0x27), // fsd f4, 0(Q)
    ])),
  ];
  return recordProgram({ inputs, stride: 24, records: RECORDS, perRecord: PER_RECORD, body });
}

/** The triple, mode and op of the record slot holding byte `at`, with both sides' words. */
function describe(at: number, a: Uint8Array, b: Uint8Array): string {
  const record = Math.floor(at / PER_RECORD), slot = Math.floor(at % PER_RECORD / 16);
  const [mode, op, dynamic] = [Math.floor(slot / 8), (slot >> 1) % 4, slot % 2];
  return `triple ${record}, rm ${mode}${dynamic ? " (dynamic)" : ""}, opcode ` +
    `${OPCODES[op].toString(16)}: ${slotWords(a, at)} vs ${slotWords(b, at)}`;
}

recordPeerTest("fused multiply-adds of binary64", RECORDS * PER_RECORD, program, describe);

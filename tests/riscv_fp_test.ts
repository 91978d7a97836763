// F and D execution tests of the RISC-V target: NaN-boxing bit moves, soft-float
// arithmetic with accrued flags, rounding-mode checks, conversions.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { FloatFlag, TrapKind } from "../plugin.ts";
import { A, CODE, DATA, machine, reg, run, X } from "./riscv/asm.ts";

const { a0, a1 } = X;
/** The global of FP register f`n`. */
const F = (n: number) => 32 + n;
const DYN = 7, RNE = 0, RTZ = 1;
const BOX = 0xffffffff00000000n;
const U = (v: bigint) => BigInt.asUintN(64, v);
const ONE_S = 0x3f800000n, TWO_S = 0x40000000n;
const ONE_D = 0x3ff0000000000000n, TWO_D = 0x4000000000000000n;
const fflags = (m: { cpu: { getState(o: number): bigint } }) => Number(m.cpu.getState(520) & 0x1fn);

/** Runs `insns` with FP registers preset (raw 64-bit patterns). */
function runFp(
  insns: number[],
  fregs: Record<number, bigint>,
  xregs: Record<number, bigint> = {},
  cpu = "rv64",
) {
  const regs: Record<number, bigint> = { ...xregs };
  for (const [k, v] of Object.entries(fregs)) regs[F(Number(k))] = BigInt.asIntN(64, v);
  return run([...insns, A.ecall], regs, cpu);
}
const freg = (m: ReturnType<typeof run>, n: number) => U(m.cpu.getGlobal(F(n)));

Deno.test("riscv fp: loads box singles, stores write raw bits", () => {
  const m = runFp(
    [
      A.store(2, a1, a0, 0), // sw
      A.flw(1, a0, 0),
      A.fsw(1, a0, 8),
      A.fld(2, a0, 0),
      A.store(3, 0, a0, 16),
    ],
    {},
    { [a0]: BigInt(DATA), [a1]: ONE_S },
  );
  assert.equal(freg(m, 1), BOX | ONE_S);
  assert.equal(m.mem.load(DATA + 8n, 8, false), ONE_S);
  assert.equal(freg(m, 2), ONE_S);
});

Deno.test("riscv fp: fmv moves bits; fmv.x.w sign-extends, fmv.w.x boxes", () => {
  const m = runFp(
    [
      A.fp(0x70, 0, a0, 1, 0), // fmv.x.w a0, f1
      A.fp(0x78, 0, 2, a1, 0), // fmv.w.x f2, a1
      A.fp(0x71, 0, 3, 1, 0), /* fmv.x.d x3 */
      A.fp(0x79, 0, 4, a1, 0), // fmv.d.x f4, a1
    ],
    { 1: 0x1234567880000000n },
    { [a1]: -2n },
  );
  assert.equal(reg(m, a0), -0x80000000n);
  assert.equal(freg(m, 2), BOX | 0xfffffffen);
  assert.equal(reg(m, 3), 0x1234567880000000n);
  assert.equal(freg(m, 4), U(-2n));
});

Deno.test("riscv fp: sign injection (singles unbox to the canonical NaN)", () => {
  const m = runFp([
    A.fp(0x10, 0, 3, 1, 2), // fsgnj.s f3, f1, f2
    A.fp(0x10, 1, 4, 1, 1), // fsgnjn.s f4, f1, f1
    A.fp(0x10, 2, 5, 2, 2), // fsgnjx.s f5, f2, f2 (negative * negative)
    A.fp(0x10, 0, 6, 7, 1), // fsgnj.s f6, f7(not boxed), f1
    A.fp(0x11, 1, 8, 9, 9), // fsgnjn.d f8, f9, f9
  ], { 1: BOX | ONE_S, 2: BOX | 0xc0000000n, 7: ONE_S, 9: ONE_D });
  assert.equal(freg(m, 3), BOX | 0xbf800000n);
  assert.equal(freg(m, 4), BOX | 0xbf800000n);
  assert.equal(freg(m, 5), BOX | 0x40000000n);
  assert.equal(freg(m, 6), BOX | 0x7fc00000n);
  assert.equal(freg(m, 8), 0xbff0000000000000n);
});

Deno.test("riscv fp: arithmetic through soft-float, with accrued flags", () => {
  const add = runFp([A.fp(0x00, DYN, 3, 1, 1)], { 1: BOX | ONE_S });
  assert.equal(freg(add, 3), BOX | TWO_S);
  assert.equal(fflags(add), 0);
  // 0.1 + 0.2 is inexact.
  const inexact = runFp([A.fp(0x01, RNE, 3, 1, 2)], {
    1: 0x3fb999999999999an,
    2: 0x3fc999999999999an,
  });
  assert.equal(freg(inexact, 3), 0x3fd3333333333334n);
  assert.equal(fflags(inexact), FloatFlag.NX);
  // 1 / 0 = +inf with DZ.
  const dz = runFp([A.fp(0x0d, DYN, 3, 1, 2)], { 1: ONE_D, 2: 0n });
  assert.equal(freg(dz, 3), 0x7ff0000000000000n);
  assert.equal(fflags(dz), FloatFlag.DZ);
  // fmadd.d 2 * 2 + 1 = 5, then fnmsub.d f4 = -(f1 * f1) + f1.
  const fma = runFp([
    A.fmadd(1, DYN, 3, 2, 2, 1),
    ((1 << 27) | (1 << 25) | (1 << 20) | (1 << 15) | (DYN << 12) | (4 << 7) | 0x4b) >>> 0,
  ], { 1: ONE_D, 2: TWO_D });
  assert.equal(freg(fma, 3), 0x4014000000000000n);
  assert.equal(freg(fma, 4), 0n); // fnmsub.d: -(1 * 1) + 1 = +0
  // fsqrt.d 4 = 2
  const sq = runFp([A.fp(0x2d, DYN, 3, 1, 0)], { 1: 0x4010000000000000n });
  assert.equal(freg(sq, 3), TWO_D);
  // A single-precision op on an improperly boxed operand sees the canonical NaN.
  const nan = runFp([A.fp(0x00, DYN, 3, 1, 1)], { 1: ONE_S });
  assert.equal(freg(nan, 3), BOX | 0x7fc00000n);
});

Deno.test("riscv fp: comparisons, min/max and fclass", () => {
  const QNAN_D = 0x7ff8000000000000n;
  const m = runFp([
    A.fp(0x51, 2, a0, 1, 2), // feq.d a0, f1, f2 (quiet NaN: no NV)
    A.fp(0x51, 1, a1, 2, 2), // flt.d a1, f2, f2 -> NV
    A.fp(0x51, 0, 5, 2, 3), // fle.d t0, f2, f3
    A.fp(0x15, 0, 4, 1, 3), // fmin.d f4, f1(NaN), f3
    A.fp(0x71, 1, 6, 1, 0), // fclass.d t1, f1
  ], { 1: QNAN_D, 2: ONE_D, 3: TWO_D });
  assert.equal(reg(m, a0), 0n);
  assert.equal(reg(m, a1), 0n);
  assert.equal(reg(m, 5), 1n);
  assert.equal(freg(m, 4), TWO_D);
  assert.equal(reg(m, 6), 1n << 9n);
  assert.equal(fflags(m), 0);
  const nv = runFp([A.fp(0x51, 1, a1, 1, 2)], { 1: QNAN_D, 2: ONE_D });
  assert.equal(fflags(nv), FloatFlag.NV);
});

Deno.test("riscv fp: conversions saturate and sign-extend like RISC-V", () => {
  const m = runFp(
    [
      A.fp(0x60, RTZ, a0, 1, 0), // fcvt.w.s a0, f1 (NaN) -> INT32_MAX, NV
      A.fp(0x61, RTZ, a1, 2, 1), // fcvt.wu.d a1, f2 (-1.5) -> 0, NV
      A.fp(0x61, RTZ, 5, 3, 1), // fcvt.wu.d t0, f3 (3e9) -> 0xb2d05e00 sign-extended
      A.fp(0x69, DYN, 4, 6, 0), // fcvt.d.w f4, t1 (-7)
      A.fp(0x20, DYN, 5, 3, 1), // fcvt.s.d f5, f3
      A.fp(0x21, DYN, 7, 5, 0), // fcvt.d.s f7, f5
      A.fp(0x61, RTZ, 7, 3, 3), // fcvt.lu.d t2, f3
    ],
    { 1: BOX | 0x7fc00000n, 2: 0xbff8000000000000n, 3: 0x41e65a0bc0000000n },
    { 6: -7n },
  );
  assert.equal(reg(m, a0), 0x7fffffffn);
  assert.equal(reg(m, a1), 0n);
  assert.equal(reg(m, 5), BigInt.asIntN(32, 3000000000n));
  assert.equal(freg(m, 4), 0xc01c000000000000n);
  assert.equal(freg(m, 5), BOX | 0x4f32d05en);
  assert.equal(freg(m, 7), 0x41e65a0bc0000000n);
  assert.equal(reg(m, 7), 3000000000n);
  assert.equal(fflags(m) & FloatFlag.NV, FloatFlag.NV);
  // RV32: fcvt.w.d results are sign-extended 32-bit values.
  const r32 = runFp([A.fp(0x61, RTZ, a0, 2, 0)], { 2: 0xc000000000000000n }, {}, "rv32");
  assert.equal(reg(r32, a0), -2n);
});

Deno.test("riscv fp: reserved rounding modes are illegal instructions", () => {
  // Static rm 5: illegal at translation.
  const stat = runFp([A.fp(0x01, 5, 3, 1, 1)], { 1: ONE_D });
  assert.ok(stat.exit.reason === "trap" && stat.exit.trap.kind === TrapKind.ILLEGAL);
  // Dynamic rm with frm = 6: illegal when executed, carrying the instruction bits.
  const insn = A.fp(0x01, DYN, 3, 1, 1);
  const dyn = runFp([A.csr(5, 0, 2, 6), insn], { 1: ONE_D }); // csrrwi zero, frm, 6
  assert.ok(dyn.exit.reason === "trap");
  if (dyn.exit.reason === "trap") {
    assert.equal(dyn.exit.trap.kind, TrapKind.ILLEGAL);
    assert.equal(dyn.exit.trap.cause, 2);
    assert.equal(dyn.exit.trap.pc, CODE + 4n);
    assert.equal(dyn.exit.trap.data, BigInt(insn));
  }
  assert.equal(freg(dyn, 3), 0n, "no result written");
  // Dynamic rm with frm = RTZ rounds toward zero: 1/3 in single precision.
  const rtz = runFp([A.csr(5, 0, 2, RTZ), A.fp(0x0c, DYN, 3, 1, 2)], {
    1: BOX | ONE_S,
    2: BOX | 0x40400000n,
  });
  assert.equal(freg(rtz, 3), BOX | 0x3eaaaaaan);
  const rne = runFp([A.fp(0x0c, RNE, 3, 1, 2)], { 1: BOX | ONE_S, 2: BOX | 0x40400000n });
  assert.equal(freg(rne, 3), BOX | 0x3eaaaaabn);
});

Deno.test("riscv fp: fflags, frm and fcsr read and write their fields of fcsr (both backends)", () => {
  const csr = (f3: number, rd: number, num: number, rs1: number) => A.csr(f3, rd, num, rs1);
  const [RW, RS, RSI, RCI] = [1, 2, 6, 7];
  const insns = [
    csr(RS, 1, 0x001, 0), // frflags x1
    csr(RS, 2, 0x002, 0), // frrm x2
    csr(RS, 3, 0x003, 0), // frcsr x3
    A.addi(10, 0, -454), // x10 = ...fe3a
    csr(RW, 4, 0x001, 10), // fflags = 0x1a
    csr(RW, 5, 0x002, 10), // frm = 2
    csr(RSI, 6, 0x001, 1), // fflags |= 1
    csr(RCI, 7, 0x003, 0x18), // fcsr &= ~0x18
    csr(RW, 8, 0x003, 10), // fcsr = 0x3a
    csr(RS, 9, 0x002, 0), // frrm x9
    A.ecall,
  ];
  for (const jit of [false, true]) {
    const m = machine(insns, "rv64", jit);
    m.cpu.setState(520, 0xe5n);
    m.cpu.run(100);
    const got = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => reg(m, n));
    assert.deepEqual(got, [5n, 7n, 0xe5n, 5n, 7n, 0x1an, 0x5bn, 0x43n, 1n], jit ? "jit" : "interp");
    assert.equal(m.cpu.getState(520), 0x3an);
  }
});

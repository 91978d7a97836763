// Integer execution tests of the RISC-V target: RV64I/RV32I, M, W ops, x0,
// branches and jumps, loads and stores, traps, fetch faults.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { TrapKind } from "../plugin.ts";
import { A, CODE, DATA, machine, reg, run, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, t0, ra, sp } = X;
const U64 = (v: bigint) => BigInt.asIntN(64, v);

/** Runs one R-type op `rd=a0 <- a1 OP a2` and returns a0. */
function rOp(f7: number, f3: number, x: bigint, y: bigint, w = false, cpu = "rv64"): bigint {
  const m = run([A.op(f7, f3, a0, a1, a2, w), A.ecall], { [a1]: x, [a2]: y }, cpu);
  assert.equal(m.exit.reason, "trap");
  return reg(m, a0);
}

Deno.test("riscv: RV64I register ALU ops", () => {
  const cases: [number, number, bigint, bigint, bigint][] = [
    [0x00, 0, 5n, 7n, 12n], // add
    [0x20, 0, 5n, 7n, -2n], // sub
    [0x00, 1, 1n, 65n, 2n], // sll uses shamt & 63
    [0x00, 2, -1n, 1n, 1n], // slt
    [0x00, 3, -1n, 1n, 0n], // sltu
    [0x00, 4, 0xf0n, 0xffn, 0x0fn], // xor
    [0x00, 5, -16n, 2n, U64(0xfffffffffffffff0n >> 2n)], // srl
    [0x20, 5, -16n, 2n, -4n], // sra
    [0x00, 6, 0xf0n, 0x0fn, 0xffn], // or
    [0x00, 7, 0xf0n, 0x3cn, 0x30n], // and
  ];
  for (const [f7, f3, x, y, want] of cases) {
    assert.equal(rOp(f7, f3, x, y), want, `f7=${f7} f3=${f3}`);
  }
});

Deno.test("riscv: W ops sign-extend 32-bit results", () => {
  assert.equal(rOp(0x00, 0, 0x7fffffffn, 1n, true), -0x80000000n); // addw
  assert.equal(rOp(0x20, 0, 0n, 1n, true), -1n); // subw
  assert.equal(rOp(0x00, 1, 1n, 31n + 32n, true), -0x80000000n); // sllw uses shamt & 31
  assert.equal(rOp(0x00, 5, -1n, 4n, true), 0x0fffffffn); // srlw
  assert.equal(rOp(0x20, 5, 0x80000000n, 4n, true), -0x08000000n); // sraw
  const m = run([A.addiw(a0, a1, 1), A.ecall], { [a1]: 0x17fffffffn });
  assert.equal(reg(m, a0), -0x80000000n);
});

Deno.test("riscv: M extension including division corner cases", () => {
  const MIN = -(1n << 63n);
  assert.equal(rOp(1, 0, -3n, 7n), -21n); // mul
  assert.equal(rOp(1, 1, MIN, 2n), -1n); // mulh
  assert.equal(rOp(1, 2, -1n, -1n), -1n); // mulhsu: -1 * (2^64-1) >> 64
  assert.equal(rOp(1, 3, -1n, -1n), -2n); // mulhu
  assert.equal(rOp(1, 4, 7n, 0n), -1n); // div by 0
  assert.equal(rOp(1, 4, MIN, -1n), MIN); // div overflow
  assert.equal(rOp(1, 5, 7n, 0n), -1n); // divu by 0
  assert.equal(rOp(1, 6, -7n, 0n), -7n); // rem by 0
  assert.equal(rOp(1, 6, MIN, -1n), 0n); // rem overflow
  assert.equal(rOp(1, 7, 7n, 3n), 1n); // remu
  assert.equal(rOp(1, 0, 0x10000n, 0x10000n, true), 0n); // mulw
  assert.equal(rOp(1, 4, -0x80000000n, -1n, true), -0x80000000n); // divw overflow
  assert.equal(rOp(1, 5, -2n, 2n, true), 0x7fffffffn); // divuw on the low 32 bits
  assert.equal(rOp(1, 6, 5n, 0n, true), 5n); // remw by 0
  assert.equal(rOp(1, 7, -1n, 0n, true), -1n); // remuw by 0 sign-extends
});

Deno.test("riscv: writes to x0 are discarded and x0 reads as zero", () => {
  const m = run([A.addi(0, 0, 5), A.lui(0, 0x12345), A.op(0, 0, a0, 0, 0), A.ecall]);
  assert.equal(reg(m, 0), 0n);
  assert.equal(reg(m, a0), 0n);
});

Deno.test("riscv: lui, auipc, jal and jalr (target & ~1, rd written after)", () => {
  const m = run([
    A.lui(a0, 0x80000), // sign-extended
    A.auipc(a1, 1), // CODE + 4 + 0x1000
    A.jal(ra, 8), // to +16, ra = CODE + 12
    A.ecall,
    A.addi(t0, 0, 0x7b), // the jal target
    A.ecall,
  ]);
  assert.equal(reg(m, a0), -0x80000000n);
  assert.equal(reg(m, a1), BigInt(CODE) + 4n + 0x1000n);
  assert.equal(reg(m, ra), BigInt(CODE) + 12n);
  assert.equal(m.exit.reason === "trap" && m.exit.trap.pc, CODE + 20n);
  assert.equal(reg(m, t0), 0x7bn);

  // jalr a1, 1(a1) with a1 = target: jumps to (a1 + 1) & ~1 and links a1 afterwards.
  const j = run([A.jalr(a1, a1, 1), A.ecall, A.ecall], { [a1]: BigInt(CODE) + 8n });
  assert.equal(j.exit.reason === "trap" && j.exit.trap.pc, CODE + 8n);
  assert.equal(reg(j, a1), BigInt(CODE) + 4n);
});

Deno.test("riscv: conditional branches", () => {
  // a0 counts down from 3 to 0 in a loop; a1 counts iterations.
  const m = run([
    A.addi(a0, 0, 3),
    A.addi(a1, a1, 1),
    A.addi(a0, a0, -1),
    A.bne(a0, 0, -8),
    A.blt(a0, a1, 8), // taken: 0 < 3
    A.addi(a2, 0, 99),
    A.bltu(a1, a0, 8), // not taken
    A.addi(a3, 0, 7),
    A.ecall,
  ]);
  assert.deepEqual([reg(m, a0), reg(m, a1), reg(m, a2), reg(m, a3)], [0n, 3n, 0n, 7n]);
});

Deno.test("riscv: loads and stores of every width with sign/zero extension", () => {
  const m = run([
    A.store(3, a1, a0, 0), // sd
    A.load(0, a2, a0, 7), // lb  (0x80)
    A.load(4, a3, a0, 7), // lbu
    A.load(1, t0, a0, 6), // lh  (0x8070)
    A.store(1, a1, a0, 16), // sh
    A.store(2, a1, a0, 24), // sw
    A.store(0, a1, a0, -1 + 33), // sb at 32
    A.load(6, sp, a0, 0), // lwu (0x44332211... low word)
    A.load(2, ra, a0, 4), // lw  (0x80706050) sign-extended
    A.ecall,
  ], { [a0]: BigInt(DATA), [a1]: U64(0x8070605044332211n) });
  assert.equal(reg(m, a2), -128n);
  assert.equal(reg(m, a3), 0x80n);
  assert.equal(reg(m, t0), U64(0xffffffffffff8070n));
  assert.equal(reg(m, sp), 0x44332211n);
  assert.equal(reg(m, ra), -0x7f8f9fb0n);
  assert.equal(m.mem.load(DATA + 16n, 8, false), 0x2211n);
  assert.equal(m.mem.load(DATA + 24n, 8, false), 0x44332211n);
  assert.equal(m.mem.load(DATA + 32n, 8, false), 0x11n);
});

Deno.test("riscv: ecall, ebreak and illegal instructions trap precisely", () => {
  const e = run([A.addi(a0, 0, 1), A.ecall]);
  assert.equal(e.exit.reason, "trap");
  if (e.exit.reason === "trap") {
    assert.equal(e.exit.trap.kind, TrapKind.SYSCALL);
    assert.equal(e.exit.trap.cause, 8);
    assert.equal(e.exit.trap.pc, CODE + 4n);
  }
  assert.equal(e.cpu.icount, 1);
  const bp = run([A.ebreak]);
  assert.ok(bp.exit.reason === "trap" && bp.exit.trap.kind === TrapKind.BREAKPOINT);
  assert.ok(bp.exit.reason === "trap" && bp.exit.trap.cause === 3);
  for (const bad of [0xffffffff, 0x0000007f >>> 0, A.op(0x7f, 0, a0, a1, a2)]) {
    const m = run([A.addi(a0, 0, 1), bad]);
    assert.ok(m.exit.reason === "trap");
    if (m.exit.reason !== "trap") continue;
    assert.equal(m.exit.trap.kind, TrapKind.ILLEGAL);
    assert.equal(m.exit.trap.cause, 2);
    assert.equal(m.exit.trap.pc, CODE + 4n);
    assert.equal(m.exit.trap.data, BigInt(bad >>> 0));
    assert.equal(reg(m, a0), 1n); // the instruction before it completed
  }
  // The all-zero halfword is illegal (a compressed reserved encoding).
  const z = run([0x0000]);
  assert.ok(z.exit.reason === "trap" && z.exit.trap.kind === TrapKind.ILLEGAL);
});

Deno.test("riscv: fetch faults raise an instruction page fault with the address", () => {
  const m = run([A.jalr(0, a0, 0)], { [a0]: 0x40000n });
  assert.ok(m.exit.reason === "trap");
  if (m.exit.reason === "trap") {
    assert.equal(m.exit.trap.kind, TrapKind.MEMORY);
    assert.equal(m.exit.trap.cause, 12);
    assert.equal(m.exit.trap.pc, 0x40000n);
    assert.equal(m.exit.trap.data, 0x40000n);
  }
  // A straight-line run into an unmapped page faults at the page boundary.
  const end = CODE + 0x2000n - 4n;
  const m2 = run([A.jalr(0, a0, 0)], { [a0]: BigInt(end) });
  m2.mem.writeBytes(end, new Uint8Array([0x13, 0, 0, 0])); // nop at the last word
  m2.cpu.pc = end;
  const exit = m2.cpu.run(10);
  assert.ok(exit.reason === "trap" && exit.trap.cause === 12 && exit.trap.data === end + 4n);
});

Deno.test("riscv: memory faults report RISC-V page-fault causes", () => {
  const load = run([A.load(3, a1, a0, 0)], { [a0]: 0x50000n });
  assert.ok(load.exit.reason === "trap" && load.exit.trap.cause === 13);
  assert.ok(load.exit.reason === "trap" && load.exit.trap.data === 0x50000n);
  const store = run([A.store(3, a1, a0, 0)], { [a0]: 0x50000n });
  assert.ok(store.exit.reason === "trap" && store.exit.trap.cause === 15);
});

Deno.test("riscv: RV32 keeps registers sign-extended and wraps at 32 bits", () => {
  const rv32 = (f7: number, f3: number, x: bigint, y: bigint) => rOp(f7, f3, x, y, false, "rv32");
  assert.equal(rv32(0, 0, 0x7fffffffn, 1n), -0x80000000n); // add
  assert.equal(rv32(0, 1, 1n, 31n), -0x80000000n); // sll
  assert.equal(rv32(0, 5, -1n, 28n), 0xfn); // srl on 32 bits
  assert.equal(rv32(0, 3, 1n, -1n), 1n); // sltu: 1 < 0xffffffff
  assert.equal(rv32(1, 1, -0x80000000n, -0x80000000n), 0x40000000n); // mulh
  assert.equal(rv32(1, 3, -1n, -1n), -2n); // mulhu: 0xfffffffe
  assert.equal(rv32(1, 2, -1n, -1n), -1n); // mulhsu
  assert.equal(rv32(1, 4, -0x80000000n, -1n), -0x80000000n); // div overflow
  const m = run([A.lui(a0, 0xfffff), A.addi(a1, a0, -1), A.ecall], {}, "rv32");
  assert.equal(reg(m, a0), -0x1000n);
  // Addresses wrap to 32 bits: 0xffffffff + DATA + 1 is DATA.
  const w = run([A.store(2, a1, a0, 1), A.ecall], { [a0]: BigInt(DATA) - 1n, [a1]: 5n }, "rv32");
  assert.equal(w.mem.load(DATA, 4, false), 5n);
  // RV64-only encodings are illegal on RV32.
  for (const bad of [A.load(3, a1, a0, 0), A.addiw(a0, a0, 1), A.slli(a0, a0, 32)]) {
    const x = run([bad], { [a0]: BigInt(DATA) }, "rv32");
    assert.ok(x.exit.reason === "trap" && x.exit.trap.kind === TrapKind.ILLEGAL);
  }
  // jal links a 32-bit value.
  const j = run([A.jal(ra, 4), A.ecall], {}, "rv32");
  assert.equal(reg(j, ra), BigInt(CODE) + 4n);
});

Deno.test("riscv: TBs end at the instruction budget and resume exactly", () => {
  const m = machine(Array.from({ length: 10 }, () => A.addi(a0, a0, 1)));
  assert.equal(m.cpu.run(3).reason, "budget");
  assert.equal(reg(m, a0), 3n);
  assert.equal(m.cpu.pc, CODE + 12n);
  m.cpu.run(7);
  assert.equal(reg(m, a0), 10n);
});

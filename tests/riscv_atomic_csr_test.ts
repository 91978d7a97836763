// A extension (LR/SC, AMOs, misaligned traps; a misaligned SC is in riscv_conformance_test.ts), Zicsr and Zifencei tests of
// the RISC-V target.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { TrapKind } from "../plugin.ts";
import { A, CODE, DATA, reg, run, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, t0 } = X;
const W = 2, D = 3;
const LR = 0b00010, SC = 0b00011;

Deno.test("riscv: lr/sc succeeds on the reserved address, and only once", () => {
  const m = run([
    A.amo(LR, D, a2, a0, 0),
    A.amo(SC, D, a3, a0, a1), // succeeds: a3 = 0
    A.amo(SC, D, t0, a0, a1), // reservation gone: t0 = 1
    A.ecall,
  ], { [a0]: BigInt(DATA), [a1]: 77n });
  assert.equal(reg(m, a3), 0n);
  assert.equal(reg(m, t0), 1n);
  assert.equal(m.mem.load(DATA, 8, false), 77n);
});

Deno.test("riscv: sc fails without a reservation or on another address", () => {
  const m = run([
    A.amo(SC, W, a3, a0, a1), // no reservation
    A.amo(LR, W, a2, a0, 0),
    A.addi(t0, a0, 8),
    A.amo(SC, W, t0, t0, a1), // other address
    A.ecall,
  ], { [a0]: BigInt(DATA), [a1]: 5n });
  assert.equal(reg(m, a3), 1n);
  assert.equal(reg(m, t0), 1n);
  assert.equal(m.mem.load(DATA, 8, false), 0n);
  assert.equal(m.mem.load(DATA + 8n, 8, false), 0n);
});

Deno.test("riscv: lr.w sign-extends; sc.w stores 32 bits", () => {
  const m = run([
    A.store(D, a1, a0, 0),
    A.amo(LR, W, a2, a0, 0),
    A.amo(SC, W, a3, a0, 0), // store x0
    A.ecall,
  ], { [a0]: BigInt(DATA), [a1]: 0x1_8000_0000n });
  assert.equal(reg(m, a2), -0x80000000n);
  assert.equal(reg(m, a3), 0n);
  assert.equal(m.mem.load(DATA, 8, false), 0x1_0000_0000n);
});

Deno.test("riscv: AMOs load, combine, store and return the old value", () => {
  const cases: [string, number, number, bigint, bigint, bigint][] = [
    // name, funct5, width, memory, rs2, expected memory
    ["amoswap.d", 0b00001, D, 5n, 9n, 9n],
    ["amoadd.d", 0b00000, D, 5n, 9n, 14n],
    ["amoxor.d", 0b00100, D, 6n, 3n, 5n],
    ["amoand.d", 0b01100, D, 6n, 3n, 2n],
    ["amoor.d", 0b01000, D, 6n, 3n, 7n],
    ["amomin.d", 0b10000, D, 5n, -1n, -1n],
    ["amomax.d", 0b10100, D, 5n, -1n, 5n],
    ["amominu.d", 0b11000, D, 5n, -1n, 5n],
    ["amomaxu.d", 0b11100, D, 5n, -1n, -1n],
    ["amoadd.w", 0b00000, W, 0x7fffffffn, 1n, 0x80000000n],
    ["amomin.w", 0b10000, W, 0x80000000n, 1n, 0x80000000n],
    ["amomax.w", 0b10100, W, 0x80000000n, 0x1_0000_0001n, 1n],
    ["amominu.w", 0b11000, W, 0x80000000n, 1n, 1n],
    ["amomaxu.w", 0b11100, W, 0x80000000n, 1n, 0x80000000n],
  ];
  for (const [name, f5, width, before, src, after] of cases) {
    const m = run([A.store(width, a2, a0, 0), A.amo(f5, width, a3, a0, a1), A.ecall], {
      [a0]: BigInt(DATA),
      [a1]: src,
      [a2]: before,
    });
    const size = width === W ? 4 : 8;
    assert.equal(
      BigInt.asIntN(size * 8, m.mem.load(DATA, size, false)),
      BigInt.asIntN(size * 8, after),
      name,
    );
    assert.equal(reg(m, a3), BigInt.asIntN(size * 8, before), `${name} old value`);
  }
});

Deno.test("riscv: misaligned LR and AMOs raise misaligned traps", () => {
  const cases: [number, number, number][] = [
    [LR, W, 4],
    [0b00000, D, 6],
    [0b00001, W, 6],
  ];
  for (const [f5, width, cause] of cases) {
    const addr = BigInt(DATA) + 2n;
    const m = run([A.amo(f5, width, a3, a0, f5 === LR ? 0 : a1), A.ecall], {
      [a0]: addr,
      [a3]: 123n,
    });
    assert.ok(m.exit.reason === "trap");
    if (m.exit.reason !== "trap") continue;
    assert.equal(m.exit.trap.kind, TrapKind.MISALIGNED);
    assert.equal(m.exit.trap.cause, cause);
    assert.equal(m.exit.trap.data, addr);
    assert.equal(m.exit.trap.pc, CODE);
    assert.equal(reg(m, a3), 123n, "rd untouched");
  }
});

const CSRRW = 1, CSRRS = 2, CSRRC = 3, CSRRWI = 5, CSRRSI = 6;
const FFLAGS = 1, FRM = 2, FCSR = 3, CYCLE = 0xc00, INSTRET = 0xc02, CYCLEH = 0xc80;

Deno.test("riscv: fflags, frm and fcsr views of one register", () => {
  const m = run([
    A.csr(CSRRWI, 0, FRM, 3), // frm = 3
    A.csr(CSRRSI, 0, FFLAGS, 0x11), // set NV|NX
    A.csr(CSRRS, a0, FCSR, 0), // read fcsr
    A.csr(CSRRC, a1, FFLAGS, a2), // clear NX, a1 = old fflags
    A.csr(CSRRW, a3, FCSR, a3), // swap fcsr with 0x1ff (masked to 8 bits)
    A.csr(CSRRS, t0, FRM, 0),
    A.ecall,
  ], { [a2]: 1n, [a3]: 0x1ffn });
  assert.equal(reg(m, a0), (3n << 5n) | 0x11n);
  assert.equal(reg(m, a1), 0x11n);
  assert.equal(reg(m, a3), (3n << 5n) | 0x10n);
  assert.equal(reg(m, t0), 7n);
  assert.equal(m.cpu.getState(520), 0xffn);
});

Deno.test("riscv: counters increase; writes to them and unknown CSRs are illegal", () => {
  const m = run([
    A.csr(CSRRS, a0, CYCLE, 0),
    A.addi(0, 0, 0),
    A.csr(CSRRS, a1, INSTRET, 0),
    A.ecall,
  ]);
  assert.ok(reg(m, a1) > reg(m, a0));
  for (
    const bad of [
      A.csr(CSRRW, a0, CYCLE, a1),
      A.csr(CSRRS, a0, 0x300, 0),
      A.csr(CSRRS, a0, CYCLEH, 0),
    ]
  ) {
    const x = run([bad]);
    assert.ok(x.exit.reason === "trap" && x.exit.trap.kind === TrapKind.ILLEGAL);
    assert.ok(x.exit.reason === "trap" && x.exit.trap.data === BigInt(bad));
  }
  // csrrs with rs1 = x0 only reads, so it is legal on a read-only counter; cycleh exists on RV32.
  const r32 = run([A.csr(CSRRS, a0, CYCLEH, 0), A.ecall], {}, "rv32");
  assert.ok(r32.exit.reason === "trap" && r32.exit.trap.kind === TrapKind.SYSCALL);
  assert.equal(reg(r32, a0), 0n);
});

Deno.test("riscv: fence.i ends the TB and keeps translated code (as QEMU)", () => {
  const m = run([A.fenceI, A.ecall]);
  assert.ok(m.exit.reason === "trap" && m.exit.trap.kind === TrapKind.SYSCALL);
  // Code writes drop stale code when they happen, so fence.i flushes nothing.
  assert.equal(m.cpu.tbs.peek(CODE)?.insns.length, 1);
  assert.ok(m.cpu.tbs.peek(CODE + 4n));
});

// Runs one mixed RISC-V program (ALU, M, loads/stores, LR/SC, AMOs, FP with
// flags, CSRs, compressed code, branches) on the interpreter and on the wasm
// JIT, and compares every register, fcsr and the data page.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { A, DATA, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, a3, a4, a5, t0, t1, s0, s1 } = X;

/** A loop of 200 iterations over many instruction classes; ends with ecall. */
function program(): number[] {
  const body = [
    A.op(1, 0, a2, a2, a1), // mul a2, a2, a1
    A.addi(a2, a2, 7),
    A.op(1, 4, a3, a2, a0, true), // divw a3, a2, a0
    A.op(0x20, 5, a3, a3, a0), // sra
    A.store(3, a2, s0, 0), // sd a2, 0(s0)
    A.load(2, t0, s0, 4), // lw t0, 4(s0)
    A.amo(0b00000, 3, t1, s1, a0), // amoadd.d t1, a0, (s1)
    A.amo(0b00010, 2, t1, s1, 0), // lr.w
    A.amo(0b00011, 2, t1, s1, a2), // sc.w
    A.fp(0x69, 7, 1, a2, 0), // fcvt.d.w f1, a2
    A.fp(0x0d, 7, 2, 2, 1), // fdiv.d f2, f2, f1
    A.fp(0x61, 1, a4, 2, 0), // fcvt.w.d a4, f2, rtz
    A.csr(2, a5, 1, 0), // frflags a5
    0x1541, // c.addi a0, -16
    0x9d2d, // c.addw a0, a1
    A.addi(a1, a1, -1),
    A.bne(a1, 0, -4 * 13 - 2 * 2 - 4),
    A.ecall,
  ];
  return [A.addi(a1, 0, 200), A.addi(a0, 0, 3), A.fp(0x79, 0, 2, a0, 0), ...body];
}

Deno.test("riscv: interpreter and JIT agree on a mixed program", () => {
  const runs = [false, true].map((jit) => {
    const m = machine(program(), "rv64", jit);
    m.cpu.setGlobal(s0, BigInt(DATA));
    m.cpu.setGlobal(s1, BigInt(DATA) + 64n);
    const exit = m.cpu.run(1_000_000);
    assert.ok(exit.reason === "trap" && exit.trap.kind === 0, `ended with ${Deno.inspect(exit)}`);
    if (jit) {
      const stats = (m.cpu.backend as JitBackend).stats;
      assert.ok(stats.tbsCompiled > 0 && stats.regionCalls > 0, "the JIT compiled and ran code");
    }
    return {
      regs: Array.from({ length: 64 }, (_, i) => m.cpu.getGlobal(i)),
      fcsr: m.cpu.getState(520),
      data: m.mem.readBytes(DATA, 128),
      icount: m.cpu.icount,
    };
  });
  assert.ok(runs[0].icount > 3000);
  assert.deepEqual(runs[1], runs[0]);
});

Deno.test("riscv: a double loaded with its top bit set compares as a negative integer in the same block", () => {
  // fld makes an 8-byte load the IR calls unsigned; the interpreter held 0x8000000000000000 as
  // 2^63, and slt in the same TB (no helper in between to reload the registers) said 0.
  const code = [
    A.fld(1, s0, 0), // fld f1, 0(s0)
    A.fp(0x71, 0, a0, 1, 0), // fmv.x.d a0, f1
    A.op(0, 2, a1, a0, a2), // slt a1, a0, a2
    A.ecall,
  ];
  for (const jit of [false, true]) {
    const m = machine(code, "rv64", jit);
    m.mem.writeBytes(DATA, new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0x80]));
    m.cpu.setGlobal(s0, BigInt(DATA));
    m.cpu.setGlobal(a2, -512n);
    m.cpu.run(1000);
    assert.equal(m.cpu.getGlobal(a1), 1n, `slt on the ${jit ? "JIT" : "interpreter"}`);
  }
});

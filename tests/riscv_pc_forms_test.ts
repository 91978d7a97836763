// The RISC-V translator computes a TB's pcs as numbers where they are exact
// (RV64: the signed value, below 2^52) and as bigints elsewhere. Code at a
// low address, past 2^52, in the top half (a kernel's, a negative number) and
// at the very top runs the same: pc-relative values, links, jump and branch
// targets and the pc of a trap, on the interpreter and on the JIT.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { CpuCore } from "../core/cpu_core.ts";
import { GuestMemory, Perm } from "../core/guest_memory.ts";
import { JitBackend } from "../core/jit/jit_backend.ts";
import { TrapKind } from "../core/trap.ts";
import { createRiscvTarget } from "../targets/riscv/mod.ts";
import { A, encode, X } from "./riscv/asm.ts";

const { a0, ra, zero } = X;
const NOP = A.addi(zero, zero, 0);
/** auipc a0, 1; jal ra, +8; nop; beq x0, x0, +8; nop; ecall */
const PROGRAM = [A.auipc(a0, 1), A.jal(ra, 8), NOP, A.beq(zero, zero, 8), NOP, A.ecall];

function runAt(base: bigint, cpuModel: string, jit: boolean) {
  const mem = new GuestMemory();
  mem.map(base, 0x1000n, Perm.R | Perm.W | Perm.X);
  mem.writeBytes(base, encode(PROGRAM));
  const cpu = new CpuCore(createRiscvTarget(cpuModel), mem);
  if (jit) {
    const backend = new JitBackend(cpu);
    backend.hotThreshold = 0;
    cpu.backend = backend;
  }
  cpu.pc = base;
  return { exit: cpu.run(100), cpu };
}

for (const jit of [false, true]) {
  const on = jit ? "JIT" : "interpreter";
  Deno.test(`riscv: pcs as numbers and as bigints translate alike (RV64, ${on})`, () => {
    const bases = [
      0x10000n,
      0x7fff_ffff_fff0_0000n,
      0xffff_ffff_8000_0000n,
      0xfff0_0000_0000_0000n,
    ];
    for (const base of bases) {
      const { exit, cpu } = runAt(base, "rv64", jit);
      assert.equal(exit.reason, "trap", base.toString(16));
      if (exit.reason !== "trap") continue;
      assert.equal(exit.trap.kind, TrapKind.SYSCALL);
      assert.equal(exit.trap.pc, base + 20n);
      assert.equal(cpu.getGlobal(a0), BigInt.asIntN(64, base + 0x1000n));
      assert.equal(cpu.getGlobal(ra), BigInt.asIntN(64, base + 8n));
    }
  });

  Deno.test(`riscv: pcs in the top half of RV32 translate as unsigned (${on})`, () => {
    const base = 0xffff_e000n;
    const { exit, cpu } = runAt(base, "rv32", jit);
    assert.equal(exit.reason === "trap" && exit.trap.pc, base + 20n);
    assert.equal(cpu.getGlobal(a0), BigInt.asIntN(32, base + 0x1000n));
    assert.equal(cpu.getGlobal(ra), BigInt.asIntN(32, base + 8n));
  });
}

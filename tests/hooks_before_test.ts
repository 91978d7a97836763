// Memory callbacks before the access (`before: true`, what RISC-V gdb watchpoints use): they see
// memory unchanged and a load's value as 0, and with `regs: "write"` setPc skips the
// instruction; a run that starts again there runs it. Both engines.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { Hooks, type MemAccess } from "../mod.ts";
import { A, CODE, DATA, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2 } = X;

for (const jit of [false, true]) {
  Deno.test(`${jit ? "jit" : "interp"}: a before-access callback sees memory unchanged and can skip the instruction`, () => {
    // sw a1, 0(a0); lw a2, 0(a0); ecall
    const m = machine([A.store(2, a1, a0, 0), A.load(2, a2, a0, 0), A.ecall], "rv64", jit);
    m.cpu.mem.store(DATA, 4, 7n);
    m.cpu.setGlobal(a0, DATA);
    m.cpu.setGlobal(a1, 9n);
    const seen: (MemAccess & { memory: bigint })[] = [];
    let skip = true;
    const hooks = new Hooks(m.cpu);
    hooks.addMemHook((v, a) => {
      seen.push({ ...a, memory: m.cpu.mem.load(DATA, 4, false) });
      if (a.write && skip) {
        skip = false;
        v.stop();
        v.setPc(a.pc);
      }
    }, { before: true, regs: "write" });
    assert.equal(m.cpu.run(100).reason, "stop");
    assert.equal(m.cpu.pc, CODE); // the store did not run
    assert.equal(m.cpu.mem.load(DATA, 4, false), 7n);
    assert.equal(m.cpu.run(100).reason, "trap"); // on to the ecall
    assert.deepEqual(
      seen.map((a) => [a.pc, a.write, a.value, a.memory, a.before]),
      [[CODE, true, 9n, 7n, true], [CODE, true, 9n, 7n, true], [CODE + 4n, false, 0n, 9n, true]],
    );
    assert.equal(m.cpu.getGlobal(a2), 9n);
  });
}

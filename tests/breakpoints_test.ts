// Software breakpoints (core/hooks/breakpoints.ts), shared by user and system
// mode: a breakpoint stops before its instruction, every time it is reached,
// and resuming on it runs the instruction instead of stopping again at once.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Hooks } from "../mod.ts";
import { Breakpoints } from "../core/hooks/breakpoints.ts";
import { A, CODE, machine, X } from "./riscv/asm.ts";

const { a0, a1 } = X;
const loop = [A.addi(a0, a0, 1), A.addi(a1, a1, -1), A.bne(a1, 0, -8), A.ecall];

for (const jit of [false, true]) {
  Deno.test(`${jit ? "jit" : "interp"}: a breakpoint in a loop stops on every iteration`, () => {
    const m = machine(loop, "rv64", jit);
    const bps = new Breakpoints(new Hooks(m.cpu));
    bps.add(CODE + 4n);
    m.cpu.setGlobal(a1, 3n);
    const stops: [bigint, bigint][] = [];
    for (let runs = 0; runs < 10; runs++) { // bounded: a breakpoint that never lets go fails, not hangs
      bps.resume(m.cpu.pc);
      const exit = m.cpu.run(1000);
      if (bps.hit === null) {
        assertEquals(exit.reason, "trap"); // the ecall
        break;
      }
      // stopped before `addi a1`: a0 is already counted, a1 not yet
      stops.push([m.cpu.pc - CODE, m.cpu.getGlobal(a1)]);
      assertEquals(m.cpu.getGlobal(a0), BigInt(stops.length));
    }
    assertEquals(stops, [[4n, 3n], [4n, 2n], [4n, 1n]]);
    bps.remove(CODE + 4n);
    assertEquals(bps.has(CODE + 4n), false);
  });
}

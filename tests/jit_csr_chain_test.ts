// Code that reads or writes CSRs chains on in generated code: a delay loop that calls a function
// reading `time` (U-Boot's timer_get_count) stays in one region instead of returning to JS at
// every iteration, and reads the same times as the interpreter; so does one calling a function that writes fflags.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { A, i, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2, ra } = X;
/** csrrs rd, time, x0 */
const rdtime = (rd: number) => i(0xc01, 0, 2, rd, 0x73);
const add = (rd: number, rs1: number, rs2: number) => A.op(0, 0, rd, rs1, rs2);

const delayLoop = [
  A.jal(ra, 20), //       0: call get_time
  add(a2, a2, a0), //     4: sum of the times read
  A.addi(a1, a1, -1), //  8
  A.bne(a1, 0, -12), //  12: -> 0
  A.ecall, //            16
  rdtime(a0), //         20: get_time
  A.jalr(0, ra, 0), //   24: ret
];

/**
 * Runs `loop` 2000 times on the JIT and on the interpreter: the JIT must stay in generated code
 * (a few region entries from JS) and both must sum the same values into a2.
 */
function assertStaysInRegion(loop: number[]): void {
  const sums: bigint[] = [];
  for (const jit of [true, false]) {
    const m = machine(loop, "rv64", jit);
    m.cpu.setGlobal(a1, 2000n);
    assertEquals(m.cpu.run(1_000_000).reason, "trap");
    sums.push(m.cpu.getGlobal(a2));
    if (jit) {
      const calls = (m.cpu.backend as JitBackend).stats.regionCalls;
      assertEquals(calls < 20, true, `${calls} region entries from JS for 2000 iterations`);
    }
  }
  assertEquals(sums[0], sums[1]);
}

Deno.test("jit: a loop calling a function that reads `time` stays in generated code", () => {
  assertStaysInRegion(delayLoop);
});

/** csrrw rd, fflags, rs1 */
const csrrwFflags = (rd: number, rs1: number) => i(0x001, rs1, 1, rd, 0x73);

const flagsLoop = [
  A.jal(ra, 20), //           0: call swap_flags
  add(a2, a2, a0), //         4
  A.addi(a1, a1, -1), //      8
  A.bne(a1, 0, -12), //      12: -> 0
  A.ecall, //                16
  csrrwFflags(a0, a1), //    20: swap_flags: a CSR write that changes no register and no TB flag
  A.jalr(0, ra, 0), //       24: ret
];

Deno.test("jit: a loop calling a function that writes a CSR stays in generated code", () => {
  assertStaysInRegion(flagsLoop);
});

// The translation-block cache: lookups by pc on both engines, including pcs
// whose 64-bit value has no exact JS number (the cache's fast key).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Perm } from "../mod.ts";
import { A, encode, machine, X } from "./riscv/asm.ts";

const { a0, a1 } = X;

Deno.test("TB cache: code above 2^53 (no exact number key) is still found by pc", () => {
  const high = 1n << 60n;
  for (const jit of [false, true]) {
    const m = machine([], "rv64", jit);
    m.mem.map(high, 0x1000n, Perm.R | Perm.X);
    const loop = [A.addi(a0, a0, 3), A.addi(a1, a1, -1), A.bne(a1, 0, -8), A.ecall];
    m.mem.writeBytes(high, encode(loop), true);
    m.cpu.pc = high;
    m.cpu.setGlobal(a1, 100n);
    assertEquals(m.cpu.run(10_000).reason, "trap");
    assertEquals(m.cpu.getGlobal(a0), 300n);
    assertEquals(m.cpu.tbs.lookup(Number(high), 0), undefined);
    // the loop's two TBs were translated once each, not once per iteration
    assertEquals(m.cpu.tbs.translated, 2);
  }
});

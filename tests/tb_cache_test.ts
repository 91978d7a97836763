// The translation-block cache: lookups by pc on both engines, including pcs
// whose 64-bit value has no exact JS number (the cache's fast key).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Perm } from "../plugin.ts";
import { A, encode, machine, X } from "./riscv/asm.ts";

const { a0, a1, a2 } = X;

Deno.test("TB cache: pcs above 2^53, whose number keys collide, each run their own TB", () => {
  // 2^60 and 2^60 + 2 round to the same number: a lookup by number alone
  // would run the TB at `high` (which also bumps a2) for the loop at high + 2.
  const high = 1n << 60n;
  const cAddiA2 = 0x605; // c.addi a2, 1
  const program = [cAddiA2, A.addi(a0, a0, 3), A.addi(a1, a1, -1), A.bne(a1, 0, -8), A.ecall];
  for (const jit of [false, true]) {
    const m = machine([], "rv64", jit);
    m.mem.map(high, 0x1000n, Perm.R | Perm.X);
    m.mem.writeBytes(high, encode(program), true);
    m.cpu.pc = high;
    m.cpu.setGlobal(a1, 100n);
    assertEquals(m.cpu.run(10_000).reason, "trap");
    assertEquals([m.cpu.getGlobal(a0), m.cpu.getGlobal(a2)], [300n, 1n]);
    assertEquals(m.cpu.tbs.lookup(Number(high + 2n), 0), undefined);
  }
});

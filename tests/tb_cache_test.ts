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

Deno.test("TB cache: a TB's instruction list, kept packed, reads back as one array of what was translated", () => {
  // c.addi, then 32-bit instructions: pcs follow from the sizes
  const program = [0x605, A.addi(a0, a0, 3), A.addi(a1, a1, -1), A.bne(a1, 0, -8)];
  const m = machine([], "rv64", false);
  const at = 0x4000_0000n;
  m.mem.map(at, 0x1000n, Perm.R | Perm.X);
  m.mem.writeBytes(at, encode(program), true);
  const tb = m.cpu.tbs.get(at, m.cpu.target.tbFlags(m.cpu));
  const sizes = [2, 4, 4, 4];
  const pcs = [at, at + 2n, at + 6n, at + 10n];
  assertEquals(tb.insnCount, 4);
  assertEquals(pcs.map((_, i) => tb.insnPc(i)), pcs);
  const want = pcs.map((pc, i) => ({ pc, size: sizes[i], bits: program[i] >>> 0 }));
  assertEquals(tb.insns, want);
  assertEquals(tb.insns === tb.insns, true);
  assertEquals(pcs.map((_, i) => tb.insnPc(i)), pcs); // from the list, once made
});

Deno.test("TB cache: a full cache is flushed before its next translation, and the code runs on", () => {
  // 64 blocks of one add each, run 50 times: 65 TBs, in a cache sized for about 8 of them
  const blocks = Array.from({ length: 64 }, () => [A.addi(a0, a0, 1), A.jal(0, 4)]).flat();
  const program = [...blocks, A.addi(a1, a1, -1), A.bne(a1, 0, -4 * (blocks.length + 1)), A.ecall];
  const run = (jit: boolean, maxBytes?: number) => {
    const m = machine(program, "rv64", jit);
    if (maxBytes) m.cpu.tbs.maxBytes = maxBytes;
    m.cpu.setGlobal(a1, 50n);
    let cached = 0;
    while (m.cpu.run(100).reason === "budget") cached = Math.max(cached, m.cpu.tbs.bytes);
    return { a0: m.cpu.getGlobal(a0), tbs: m.cpu.tbs, peakBytes: cached };
  };
  const whole = run(false);
  assertEquals([whole.a0, whole.tbs.fullFlushes, [...whole.tbs.blocks()].length], [3200n, 0, 66]);
  const perTb = whole.tbs.bytes / 66;
  for (const jit of [false, true]) {
    const small = run(jit, 8 * perTb);
    assertEquals(small.a0, 3200n);
    const flushes = small.tbs.fullFlushes;
    assertEquals(flushes >= 50 * 64 / 9, true, `${flushes} flushes`);
    assertEquals(small.peakBytes < 10 * perTb, true, `${small.peakBytes} bytes cached`);
  }
});

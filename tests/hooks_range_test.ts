// Adding or removing a block or instruction hook limited to an address range
// drops only the translated blocks on that range's pages; the hook still sees
// code translated before it was added.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { LinuxProcess } from "../core/linux/process.ts";
import type { TranslationBlock } from "../core/tb.ts";
import { readSymbols } from "../core/elf.ts";

const PROG = new URL("./guests/bin/sort.static.O2", import.meta.url).pathname;

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`${accel}: a range-limited hook invalidates only the blocks of its pages`, async () => {
    const p = await LinuxProcess.create({ program: PROG, accel, stdout: () => {} });
    for (let n = 0; n < 8;) if (p.step().kind === "syscall") n++;
    const main = readSymbols(p.elf!).find((s) => s.name === "main")!.value;
    const begin = main & ~0xfffn, end = begin + 0xfffn;
    const onPage = (tb: TranslationBlock) => tb.pages.some((pn) => pn === Number(begin >> 12n));
    const before = [...p.cpu.tbs.blocks()];
    const outside = before.filter((tb) => !onPage(tb));
    ok(outside.length > 10 && before.some(onPage));

    const seen: bigint[] = [];
    const id = p.hooks.addBlockHook((_v, pc) => seen.push(pc), { begin, end, regs: "none" });
    const pcs = (tbs: TranslationBlock[]) => tbs.map((tb) => tb.pc);
    assertEquals(pcs(outside.filter((tb) => !tb.valid)), []);
    assertEquals(pcs(before.filter(onPage).filter((tb) => tb.valid)), []);
    for (let i = 0; i < 20 && !p.exited; i++) p.step();
    ok(seen.length > 0 && seen.every((pc) => pc >= begin && pc <= end));

    const kept = [...p.cpu.tbs.blocks()].filter((tb) => !onPage(tb));
    p.hooks.remove(id);
    assertEquals(pcs(kept.filter((tb) => !tb.valid)), []);
    const count = seen.length;
    p.runToExit();
    assertEquals(seen.length, count);
  });
}

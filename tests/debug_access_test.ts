// A debugger's look at memory (m.peekMemory, gdb's m packets) walks the page
// tables as QEMU's debug accesses do: a page whose PTE lacks the accessed bit
// is readable, and the PTE stays as it was.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { BAREMETAL_PROGRAMS, programCpu, programImage } from "../scripts/build_baremetal.ts";
import { hartOf } from "../targets/riscv/hart.ts";

const ROOT = 0x8100_0000n, MID = 0x8100_1000n, LEAF = 0x8100_2000n, DATA = 0x8200_0000n;
const VA = 0x4000_0000n;
const PTE_V = 1n, PTE_R = 2n, PTE_W = 4n;

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

Deno.test("peekMemory: a page without the accessed bit reads, and its PTE is left unchanged", async () => {
  const program = BAREMETAL_PROGRAMS[0];
  const m = await createMachine({
    system: { cpu: programCpu(program), bios: "none", kernel: programImage(program) },
  });
  // Sv39: VA 0x4000_0000 -> DATA, a 4 KiB leaf with V, R and W but neither A nor D.
  const vpn = [(VA >> 12n) & 511n, (VA >> 21n) & 511n, (VA >> 30n) & 511n];
  m.writeMemory(ROOT + vpn[2] * 8n, u64(((MID >> 12n) << 10n) | PTE_V));
  m.writeMemory(MID + vpn[1] * 8n, u64(((LEAF >> 12n) << 10n) | PTE_V));
  const leaf = ((DATA >> 12n) << 10n) | PTE_R | PTE_W | PTE_V;
  m.writeMemory(LEAF + vpn[0] * 8n, u64(leaf));
  m.writeMemory(DATA, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
  const hart = hartOf(m.hooks.vcpu.cpu)!;
  hart.pmp.writeAddr(0, (1n << 54n) - 1n); // one NAPOT entry over everything, R W X
  hart.pmp.writeCfg(0, 0x1fn);
  hart.satp = (8n << 60n) | (ROOT >> 12n);
  hart.priv = 1; // S-mode: translated
  assert.deepEqual([...m.peekMemory(VA, 8)], [1, 2, 3, 4, 5, 6, 7, 8]);
  hart.priv = 3; // M-mode: physical
  const pte = new DataView(m.peekMemory(LEAF + vpn[0] * 8n, 8).buffer).getBigUint64(0, true);
  assert.equal(pte, leaf, "the debugger's read set the accessed bit");
  await m.close();
});

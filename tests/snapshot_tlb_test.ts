// Cached address translations do not outlive a snapshot: a page-table entry
// changed without sfence.vma right after a snapshot is seen the same way
// after the snapshot and after its restore (both walk the page table, as
// QEMU's loadvm does), on every engine. The bare-metal vm_sv39 program is
// stopped in S-mode with TEST_VA mapped and read (its translation cached).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, type Machine } from "../mod.ts";

const KERNEL = new URL("./baremetal/bin/vm_sv39.elf", import.meta.url).pathname;
/** vm.c's TEST_VA under Sv39: a 4 KiB page mapped to page(7), which holds 0x1234. */
const TEST_VA = 0x40_0000_0000n - 0x20_0000n;
const V = 1n, R = 2n, W = 4n, A = 64n, D = 128n;

function word(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, true);
  return b;
}

function read(m: Machine, addr: bigint): bigint {
  return new DataView(m.readMemory(addr, 8).buffer).getBigUint64(0, true);
}

/** Points TEST_VA's leaf entry at page(6), holding `marker`, without sfence.vma. */
function remap(m: Machine, marker: bigint): void {
  const page6 = m.symbol("_pages")! + 6n * 4096n;
  m.writeMemory(page6, word(marker));
  const pte = read(m, m.symbol("test_pte")!);
  m.writeMemory(pte, word(((page6 >> 12n) << 10n) | V | R | W | A | D));
}

for (const accel of ["jit", "interp", "lockstep"] as const) {
  Deno.test(`${accel}: a snapshot drops cached translations: a remap without sfence.vma reads the same after restore`, async () => {
    const m = await createMachine({ system: { bios: "none", kernel: KERNEL }, accel });
    try {
      while (!m.stdout.includes("D after read=")) m.step(20);
      assert.equal(read(m, TEST_VA), 0x1234n);
      const s = m.snapshot();
      remap(m, 0xabcdn);
      const afterSnapshot = read(m, TEST_VA);
      m.restore(s);
      remap(m, 0xabcdn);
      assert.equal(read(m, TEST_VA), afterSnapshot);
      assert.equal(afterSnapshot, 0xabcdn);
    } finally {
      await m.close();
    }
  });
}

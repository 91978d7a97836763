// When a physical page first holds translated code, stores to it must leave the soft TLB's fast
// path (any virtual page may map it, so every write tag goes), while cached reads stay.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { pageNumber } from "../core/guest_memory.ts";
import { HostMemory, TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE } from "../core/host_memory.ts";
import { SoftTlb, TLB_READ, TLB_WRITE } from "../core/soft_tlb.ts";
import { PhysicalBus } from "../core/system/bus.ts";
import { SystemMemory } from "../core/system/system_memory.ts";

Deno.test("soft TLB: a page becoming code revokes the write tags and keeps the read ones", () => {
  const bus = new PhysicalBus(new HostMemory());
  bus.addRam("dram", 0x8000_0000n, 0x10_0000n);
  const mem = new SystemMemory(bus), tlb = new SoftTlb(mem);
  const data = 0x8000_1000n, code = 0x8000_2000n;
  for (const a of [data, code]) {
    mem.store(a, 8, 1n); // dirty: writes may go inline
    tlb.fill(a);
  }
  const word = (a: bigint, w: number) => {
    const entry = TLB_BASE + (Number(a >> 12n) & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE;
    return mem.host.dv.getBigInt64(entry + w, true);
  };
  assert.equal(word(data, TLB_WRITE), data);
  assert.equal(word(code, TLB_WRITE), code);
  mem.markCode(pageNumber(code));
  assert.equal(word(code, TLB_WRITE), -1n);
  assert.equal(word(data, TLB_WRITE), -1n); // it might alias the code page
  assert.equal(word(data, TLB_READ), data);
  assert.equal(word(code, TLB_READ), code);
});

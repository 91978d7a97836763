// The soft TLB and the jump cache keep no stale entries across remaps, and start empty; the
// soft TLB keeps a table per MMU mode.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { GuestMemory, Perm } from "../core/guest_memory.ts";
import { TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE } from "../core/host_memory.ts";
import { SoftTlb, TLB_READ, tlbTable } from "../core/soft_tlb.ts";
import { jumpCacheKey, MAX_CHAIN_FLAGS } from "../core/jit/region_abi.ts";

const PAGE = 0x1000n;

for (const pages of [1n, 512n]) {
  Deno.test(`soft TLB: mapping ${pages} page(s) over a cached page drops its entry`, () => {
    const mem = new GuestMemory();
    const tlb = new SoftTlb(mem);
    const at = 0x40000000n;
    mem.map(at, PAGE, Perm.R | Perm.W);
    tlb.fill(at);
    const entry = TLB_BASE + Number((at / PAGE) % BigInt(TLB_ENTRIES)) * TLB_ENTRY_SIZE;
    const dv = mem.host.dv;
    assert.equal(dv.getBigInt64(entry + TLB_READ, true), at);
    mem.map(at, pages * PAGE, Perm.R); // new zero pages: the old entry would read the old bytes
    assert.equal(dv.getBigInt64(entry + TLB_READ, true), -1n);
  });
}

Deno.test("jump cache: zeroed memory (an empty entry) matches no pc under any flags", () => {
  const pcs = [0n, 2n, 0x10000n, 0x7ffffffffffen, 0xfffffffffffffffen];
  for (const pc of pcs) {
    for (let flags = 0; flags <= MAX_CHAIN_FLAGS; flags++) {
      assert.notEqual(jumpCacheKey(pc, flags), 0n, `pc ${pc.toString(16)} flags ${flags}`);
    }
  }
});

Deno.test("soft TLB: each MMU mode keeps its table; a flush reaches the others before they run", () => {
  const mem = new GuestMemory();
  const tlb = new SoftTlb(mem);
  const at = 0x40000000n;
  mem.map(at, PAGE, Perm.R | Perm.W);
  const tag = (mode: number) =>
    mem.host.dv.getBigInt64(
      tlbTable(mode) + Number((at / PAGE) % BigInt(TLB_ENTRIES)) * TLB_ENTRY_SIZE + TLB_READ,
      true,
    );
  tlb.select(1);
  tlb.fill(at);
  tlb.select(2); // another privilege level: table 1 keeps its entry
  assert.equal(tag(2), -1n);
  tlb.fill(at);
  tlb.select(1);
  assert.equal(tag(1), at);
  tlb.flushAll(); // table 1 now, table 2 when code of its mode next runs
  assert.equal(tag(1), -1n);
  tlb.select(2);
  assert.equal(tag(2), -1n);
  tlb.fill(at);
  mem.translationChanged(Number(at / PAGE)); // one page, every table
  assert.equal(tag(2), -1n);
});

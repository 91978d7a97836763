// The MMU keeps the leaf PTE of a superpage it walked (targets/riscv/mmu.ts): the other pages of
// the superpage translate without a walk, their accessed/dirty bits still reach the PTE in
// memory, and a flush (sfence.vma, satp) drops it like any cached translation.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { HostMemory } from "../core/host_memory.ts";
import { PhysicalBus } from "../core/system/bus.ts";
import { RiscvMmu } from "../targets/riscv/mmu.ts";
import { Pmp } from "../targets/riscv/pmp.ts";
import { Priv } from "../targets/riscv/csr.ts";

const RAM = 0x8000_0000n, ROOT = RAM, L1 = RAM + 0x1000n, MEGAPAGE = RAM + 0x20_0000n;
const V = 1n, R = 2n, W = 4n, A = 64n, D = 128n;
/** Sv39: virtual 0x4000_0000 (root entry 1) is a 2 MiB page at MEGAPAGE (L1 entry 0). */
const VPN = 0x4_0000;
const pte = (pa: bigint, flags: bigint) => ((pa >> 12n) << 10n) | flags;

function machine(leafFlags: bigint) {
  const bus = new PhysicalBus(new HostMemory());
  bus.addRam("dram", RAM, 0x40_0000n);
  bus.store(ROOT + 8n, 8, pte(L1, V));
  bus.store(L1, 8, pte(MEGAPAGE, leafFlags));
  const pmp = new Pmp(64);
  pmp.writeAddr(0, (1n << 54n) - 1n); // NAPOT over everything
  pmp.writeCfg(0, 0x1fn); // A=NAPOT, RWX
  const ctx = {
    xlen: 64 as const,
    priv: Priv.S as number,
    mstatus: 0n,
    satp: (8n << 60n) | (ROOT >> 12n),
    bus,
    pmp,
    svnapot: false,
    svpbmt: false,
  };
  return { bus, ctx, mmu: new RiscvMmu(ctx) };
}

Deno.test("mmu: a superpage's other pages translate from its cached leaf, A/D bits included", () => {
  const { bus, mmu } = machine(V | R | W);
  assert.notEqual(typeof mmu.resolve(VPN, "read"), "string");
  assert.equal(bus.load(L1, 8) & (A | D), A);
  assert.equal(mmu.physicalPage(VPN + 1, "read"), Number(MEGAPAGE >> 12n) + 1);
  // a write to another page of it needs D: written to the PTE in memory
  assert.notEqual(typeof mmu.resolve(VPN + 5, "write"), "string");
  assert.equal(bus.load(L1, 8) & (A | D), A | D);
  assert.equal(mmu.physicalPage(VPN + 7, "write"), Number(MEGAPAGE >> 12n) + 7);
});

Deno.test("mmu: a flush drops cached superpages; until then a PTE change is not seen", () => {
  const { bus, mmu } = machine(V | R | W | A | D);
  assert.notEqual(typeof mmu.resolve(VPN, "write"), "string");
  bus.store(L1, 8, pte(MEGAPAGE, V | R | A)); // read-only now, with no sfence.vma
  assert.notEqual(typeof mmu.resolve(VPN + 3, "write"), "string"); // as a hardware TLB may
  mmu.flush();
  assert.equal(mmu.resolve(VPN + 3, "write"), "unmapped");
  assert.equal(mmu.lastFault, "page");
  assert.notEqual(typeof mmu.resolve(VPN + 3, "read"), "string");
});

Deno.test("mmu: a superpage cached for S-mode is still checked for U-mode", () => {
  const { ctx, mmu } = machine(V | R | W | A | D);
  assert.notEqual(typeof mmu.resolve(VPN, "read"), "string");
  ctx.priv = Priv.U; // no U bit: a U-mode access faults even with the leaf cached
  assert.equal(mmu.resolve(VPN + 1, "read"), "unmapped");
});

Deno.test("mmu: each privilege level keeps its own translations across a switch", () => {
  const { ctx, mmu } = machine(V | R | W | A | D);
  assert.notEqual(typeof mmu.resolve(VPN, "read"), "string"); // cached for S
  ctx.priv = Priv.U;
  mmu.selectPriv(Priv.U); // as the hart does at a trap return to U-mode
  assert.equal(mmu.resolve(VPN, "read"), "unmapped"); // no U bit: S's translation is not U's
  ctx.priv = Priv.S;
  mmu.selectPriv(Priv.S);
  assert.notEqual(typeof mmu.resolve(VPN, "read"), "string");
});

Deno.test("mmu: a page of a cached superpage is reported, so one-page flushes drop it whole", () => {
  const { mmu } = machine(V | R | W | A | D);
  assert.equal(mmu.inSuperpage(VPN + 3), false);
  assert.notEqual(typeof mmu.resolve(VPN, "read"), "string");
  assert.equal(mmu.inSuperpage(VPN + 3), true); // the hart flushes everything then
  assert.equal(mmu.inSuperpage(VPN + 512), false); // the next 2 MiB
});

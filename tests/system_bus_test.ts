// Physical bus: region overlaps, RAM/ROM/MMIO routing, pages for the soft TLB, DMA helpers.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { EmuError, GuestFault } from "../mod.ts";
import { GuestMemory, type MmioHandler, Perm, PhysicalBus } from "../plugin.ts";
import { HostMemory } from "../core/host_memory.ts";
import { SoftTlb } from "../core/soft_tlb.ts";

function recorder() {
  const log: string[] = [];
  const h: MmioHandler = {
    read: (off, size) => {
      log.push(`r ${off} ${size}`);
      return 0x1122334455667788n;
    },
    write: (off, size, v) => void log.push(`w ${off} ${size} ${v.toString(16)}`),
  };
  return { log, h };
}

Deno.test("bus: overlapping regions are refused with both names", () => {
  const bus = new PhysicalBus(new HostMemory());
  bus.addRam("dram", 0x80000000n, 0x10000n);
  bus.addMmio("uart", 0x10000000n, 0x100n, recorder().h);
  assert.throws(() => bus.addMmio("x", 0x8000f000n, 0x2000n, recorder().h), (e: Error) => {
    assert.ok(e instanceof EmuError);
    assert.match(e.message, /"x".*overlaps "dram"/);
    return true;
  });
  assert.throws(() => bus.addMmio("y", 0x100000ffn, 4n, recorder().h), /overlaps "uart"/);
  assert.throws(() => bus.addRam("r", 0x1000n, 0x800n), /not page aligned/);
  // RAM may not share a page with a device (the TLB maps whole pages).
  bus.addMmio("z", 0x90000800n, 0x100n, recorder().h);
  assert.throws(() => bus.addRam("r2", 0x90000000n, 0x1000n), /overlaps "z"/);
  bus.addRam("r3", 0x90001000n, 0x1000n);
  assert.throws(() => bus.addRam("r4", 0x90000000n, 0x800n), /not page aligned/);
  // Adjacent is fine.
  bus.addMmio("next", 0x10000100n, 0x100n, recorder().h);
  assert.equal(bus.regions.length, 5);
});

Deno.test("bus: RAM is contiguous host memory, MMIO goes to the handler with region offsets", () => {
  const bus = new PhysicalBus(new HostMemory());
  const ram = bus.addRam("dram", 0x80000000n, 0x4000n);
  const dev = recorder();
  bus.addMmio("dev", 0x10000000n, 0x2000n, dev.h);
  bus.store(0x80001ffcn, 8, 0x0102030405060708n); // crosses a page inside RAM
  assert.equal(bus.load(0x80001ffcn, 8), 0x0102030405060708n);
  assert.equal(bus.host.u8[ram.host + 0x1ffc], 0x08);
  assert.equal(bus.load(0x10001004n, 4), 0x55667788n);
  bus.store(0x10000010n, 2, 0xabcdn);
  assert.deepEqual(dev.log, ["r 4100 4", "w 16 2 abcd"]);
  assert.throws(() => bus.load(0x90000000n, 4), GuestFault);
  assert.deepEqual([...bus.readBytes(0x80001ffen, 4)], [6, 5, 4, 3]);
  bus.writeBytes(0x80003ffen, new Uint8Array([9, 9]));
  assert.throws(() => bus.writeBytes(0x80003fffn, new Uint8Array([1, 2])), GuestFault);
});

Deno.test("bus: pages for GuestMemory and the soft TLB (frames, MMIO, ROM)", () => {
  const bus = new PhysicalBus(new HostMemory());
  const ram = bus.addRam("dram", 0x80000000n, 0x4000n);
  bus.addRom("rom", 0x1000n, 0x1000n);
  const dev = recorder();
  bus.addMmio("clint", 0x2000000n, 0x10000n, dev.h);
  const pn = (a: bigint) => Number(a >> 12n);
  const p = bus.page(pn(0x80002000n))!;
  assert.equal(p.frame, ram.host + 0x2000);
  assert.equal(p.perms, Perm.R | Perm.W | Perm.X);
  assert.equal(bus.page(pn(0x80002000n)), p, "pages are created once and kept");
  const m = bus.page(pn(0x2004000n))!;
  assert.equal(m.frame, -1);
  assert.equal(m.mmioPageOffset, 0x4000n, "a page of a large region knows where it is inside it");
  assert.equal(bus.page(pn(0x5000n)), undefined);

  const mem = new GuestMemory(bus.host);
  mem.resolve = bus.resolver();
  const tlb = new SoftTlb(mem);
  mem.store(0x80000008n, 4, 0xcafef00dn);
  assert.equal(bus.load(0x80000008n, 4), 0xcafef00dn);
  tlb.fill(0x80000008n);
  assert.equal(mem.load(0x2004008n, 4, false), 0x55667788n);
  assert.deepEqual(dev.log, ["r 16392 4"]);
  assert.throws(() => mem.store(0x1000n, 4, 1n), (e: GuestFault) => e.reason === "protection");
  assert.throws(() => mem.load(0x2000000n, 4, false, "fetch"), GuestFault);
  bus.writeBytes(0x1000n, new Uint8Array([0x97, 0x02])); // loaders may fill ROM
  assert.equal(mem.load(0x1000n, 2, false, "fetch"), 0x0297n);
});

Deno.test("bus: small devices sharing one page each get their own offsets", () => {
  const bus = new PhysicalBus(new HostMemory());
  const a = recorder(), b = recorder();
  bus.addMmio("a", 0x10000000n, 0x100n, a.h);
  bus.addMmio("b", 0x10000100n, 0x100n, b.h);
  const mem = new GuestMemory(bus.host);
  mem.resolve = bus.resolver();
  mem.store(0x10000104n, 1, 0x41n);
  mem.store(0x10000005n, 1, 0x42n);
  assert.equal(mem.load(0x10000800n, 4, false), 0n, "unassigned space reads as zero");
  assert.deepEqual(a.log, ["w 5 1 42"]);
  assert.deepEqual(b.log, ["w 4 1 41"]);
});

Deno.test("bus: code pages written by loaders or DMA are reported", () => {
  const bus = new PhysicalBus(new HostMemory());
  bus.addRam("dram", 0x80000000n, 0x4000n);
  const hit: number[] = [];
  bus.observers.push({ onCodeWrite: (pn) => hit.push(pn) });
  bus.page(0x80001)!.hasCode = true;
  bus.writeBytes(0x80000ff0n, new Uint8Array(32));
  bus.store(0x80003000n, 4, 1n);
  assert.deepEqual(hit, [0x80001]);
});

Deno.test("bus: codeChanged reports the code pages of an executable device's range", () => {
  const bus = new PhysicalBus(new HostMemory());
  bus.addMmio("flash", 0x20000000n, 0x2000000n, recorder().h, true);
  const hit: number[] = [];
  bus.observers.push({ onCodeWrite: (pn) => hit.push(pn) });
  bus.page(0x20001)!.hasCode = true;
  bus.page(0x20002); // made, without code
  bus.codeChanged(0x20000000n, 0x2000000); // the whole bank: more pages than were made
  bus.codeChanged(0x20001ffen, 4); // two pages
  bus.codeChanged(0x20002000n, 4096);
  assert.deepEqual(hit, [0x20001, 0x20001]);
});

Deno.test("bus: loaded images are written again by reloadImages, in load order", () => {
  const bus = new PhysicalBus(new HostMemory());
  bus.addRom("rom", 0x1000n, 0x1000n);
  bus.loadImage(0x1000n, new Uint8Array([1, 2, 3, 4]));
  bus.loadImage(0x1002n, new Uint8Array([9]));
  bus.writeBytes(0x1000n, new Uint8Array(4)); // not an image: lost on reload
  bus.reloadImages();
  assert.deepEqual([...bus.readBytes(0x1000n, 4)], [1, 2, 9, 4]);
  assert.deepEqual(bus.images.map((i) => i.addr), [0x1000n, 0x1002n]);
});

Deno.test("bus: DMA over more than a page of device windows is refused before any device access", () => {
  // selffuzz mmio seed 17705: a 4 GiB descriptor over the PCI window made 2^32 device reads (a hang)
  const bus = new PhysicalBus(new HostMemory());
  bus.addRam("ram", 0x80000000n, 0x10000n);
  let reads = 0, writes = 0;
  const h: MmioHandler = {
    read: () => {
      if (++reads > 10_000) throw new Error("the device was read byte by byte");
      return 0xffn;
    },
    write: () => void writes++,
  };
  bus.addMmio("pci-window", 0x400000000n, 0x400000000n, h);
  for (const at of [0x66dc45d00n, 0x400000000n]) {
    assert.throws(() => bus.readBytes(at, 0xffffffff), GuestFault);
    assert.throws(() => bus.writeBytes(at, new Uint8Array(4097)), GuestFault);
  }
  assert.deepEqual([reads, writes], [0, 0]);
  // a page of it is still copied (QEMU bounces DMA to MMIO through one page), and RAM spans are fast
  assert.equal(bus.readBytes(0x400000000n, 4096).length, 4096);
  assert.equal(reads, 4096);
  assert.equal(bus.readBytes(0x80000000n, 0x10000).length, 0x10000);
  assert.throws(() => bus.readBytes(0x8000f000n, 0x2000), GuestFault); // runs off RAM into nothing
});

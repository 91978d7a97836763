// The user-mode address space refuses what Linux refuses: mappings above the task size; two
// pages on one frame (two MAP_SHARED mappings of one file page); an mremap over shared and private
// pages (a host TypeError before its guard). It places memory as qemu-user 7.2 (what the host
// kernel does for QEMU moves with the host's ASLR: tests/mmap_layout_peer_test.ts cannot check it).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { GuestMemory, Perm } from "../core/guest_memory.ts";
import { AddressSpace, MAP } from "../core/linux/mm.ts";
import { E, SysError } from "../core/linux/errno.ts";
import { SharedRegion } from "../core/linux/shared_memory.ts";
import { capturePageTable, restorePageTable } from "../core/snapshot/page_table.ts";

const enomem = (e: unknown) => e instanceof SysError && e.errno === E.ENOMEM;

Deno.test("mmap(MAP_FIXED) above the task size is ENOMEM, as on Linux", () => {
  const as = new AddressSpace(new GuestMemory(), 0x4000000000n, 1n << 38n);
  const fixed = MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED;
  // The syscall layer may hand the address over signed: both spellings are refused.
  for (const addr of [0x8000000000000000n, -(1n << 63n), -4096n, 1n << 38n]) {
    assert.throws(
      () => as.mmap(addr, 4096n, Perm.R | Perm.W, fixed),
      enomem,
      `0x${addr.toString(16)}`,
    );
  }
  assert.equal(as.mem.pages.size, 0);
});

Deno.test("two pages on one frame (mapAlias): stores seen through both, one frame, kept by snapshots", () => {
  const mem = new GuestMemory(), a = 0x10000n, b = 0x20000n;
  mem.map(a, 4096n, Perm.R | Perm.W);
  mem.mapAlias(Number(b >> 12n), Number(a >> 12n), Perm.R | Perm.W);
  mem.store(a + 8n, 4, 7n);
  assert.equal(mem.load(b + 8n, 4, false), 7n);
  const s = capturePageTable(mem);
  mem.store(b + 8n, 4, 9n);
  assert.equal(mem.load(a + 8n, 4, false), 9n);
  mem.unmap(a, 4096n);
  assert.equal(mem.load(b + 8n, 4, false), 9n, "the frame lives while a page maps it");
  mem.unmap(b, 4096n);
  restorePageTable(mem, s);
  assert.equal(mem.load(a + 8n, 4, false), 7n);
  mem.store(a + 8n, 4, 5n);
  assert.equal(mem.load(b + 8n, 4, false), 5n, "restored as one frame");
  mem.unmap(a, 4096n);
  mem.unmap(b, 4096n);
  // freed once: two fresh pages get two frames
  mem.map(a, 8192n, Perm.R);
  assert.notEqual(
    mem.pages.get(Number(a >> 12n))!.frame,
    mem.pages.get(Number(a >> 12n) + 1)!.frame,
  );
});

Deno.test("mremap of a range spanning a MAP_SHARED page and a private one moves both, sharing kept", () => {
  const as = new AddressSpace(new GuestMemory(), 0x4000000000n, 1n << 38n);
  const rw = Perm.R | Perm.W, at = 0x10000n;
  const region = new SharedRegion(0n, null);
  const source = { name: "/dev/zero", dev: 1n, ino: 1n, offset: 0n, shared: true, region };
  as.mapPages(at, 4096n, rw); // the shared page, and a second mapping of it elsewhere
  as.setSource(at, 4096n, source);
  as.mapPages(0x30000n, 4096n, rw);
  as.setSource(0x30000n, 4096n, source);
  as.mapPages(at + 4096n, 4096n, rw); // a private page right after it
  // Linux refuses a range over two vmas (EFAULT); Denemu keeps no vmas, so it moves both pages
  const to = as.mremap(at, 8192n, 8192n, 3, 0x50000n);
  assert.equal(to, 0x50000n);
  as.mem.store(to + 8n, 4, 7n);
  assert.equal(as.mem.load(0x30008n, 4, false), 7n, "the moved shared page still shares");
  as.mem.store(to + 4096n, 4, 9n);
  assert.equal(as.mem.load(to + 4096n, 4, false), 9n);
});

Deno.test("mmap places as qemu-user 7.2: after the last mapping, a used hint or next start top-down", () => {
  const top = 1n << 47n, base = 0x4000000000n, rw = Perm.R | Perm.W, anon = 0x22;
  const as = new AddressSpace(new GuestMemory(), base, top);
  const a = as.mmap(0n, 8192n, rw, anon), b = as.mmap(0n, 8192n, rw, anon);
  assert.deepEqual([a, b], [base, base + 8192n]);
  as.munmap(a, 8192n);
  assert.equal(as.mmap(0n, 4096n, rw, anon), base + 16384n, "the hole is not reused");
  assert.equal(as.mmap(a + 4096n, 4096n, rw, anon), a + 4096n, "a free hint is taken");
  // a hint on used pages: where the host kernel would put it (top-down), the next start stays
  assert.equal(as.mmap(b, 4096n, rw, anon), top - 4096n);
  as.mmap(base + 20480n, 4096n, rw, anon | MAP.FIXED); // on the next start
  assert.equal(as.mmap(0n, 8192n, rw, anon), top - 12288n, "under the last top-down one");
  assert.equal(as.mmap(0n, 4096n, rw, anon), top - 16384n, "the next start followed it");
});

Deno.test("mremap with MREMAP_MAYMOVE moves, even to shrink, as qemu-user 7.2; brk keeps its pages", () => {
  const base = 0x4000000000n, rw = Perm.R | Perm.W;
  const as = new AddressSpace(new GuestMemory(), base, 1n << 47n);
  const a = as.mmap(0n, 16384n, rw, 0x22);
  as.mem.store(a, 4, 7n);
  const b = as.mremap(a, 16384n, 8192n, 1, 0n);
  assert.deepEqual([b, as.mem.load(b, 4, false), as.isFree(a, 16384n)], [a + 16384n, 7n, true]);
  assert.equal(as.mremap(b, 8192n, 4096n, 0, 0n), b, "without MAYMOVE it shrinks in place");
  as.startLayout(0x10000n, base);
  assert.equal(as.setBrk(0x13000n), 0x13000n);
  as.mem.store(0x12000n, 4, 9n);
  assert.equal(as.setBrk(0x11000n), 0x11000n);
  assert.ok(as.mem.isMapped(0x11000n, 0x2000n), "a lower break keeps its pages");
  assert.equal(as.setBrk(0x12004n), 0x12004n);
  assert.equal(as.mem.load(0x12000n, 4, false), 0n, "the bytes it takes back read as zeros");
  assert.equal(as.setBrk(0xf000n), 0x12004n, "never under its start");
});

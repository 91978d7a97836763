// The user-mode address space refuses what Linux refuses: mappings above the task size; two
// pages on one frame (two MAP_SHARED mappings of one file page); an mremap over shared and private
// pages (a host TypeError before its guard).
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

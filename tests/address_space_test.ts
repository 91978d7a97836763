// The user-mode address space refuses what Linux refuses: mappings above the task size.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { GuestMemory, Perm } from "../core/guest_memory.ts";
import { AddressSpace, MAP } from "../core/linux/mm.ts";
import { E, SysError } from "../core/linux/errno.ts";

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

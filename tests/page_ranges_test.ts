// The mapped-page index behind GuestMemory.findFree: same answers as a naive page set, and no
// per-call cost that grows with the number of mappings (the quadratic mmap of issue 13).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { PageRanges } from "../core/page_ranges.ts";
import { GuestMemory, Perm } from "../core/guest_memory.ts";
import { AddressSpace } from "../core/linux/mm.ts";

function naiveFirstFree(set: Set<number>, from: number, count: number, limit: number): number {
  for (let pn = from; pn + count <= limit; pn++) {
    let ok = true;
    for (let k = pn; k < pn + count && ok; k++) ok = !set.has(k);
    if (ok) return pn;
  }
  return -1;
}

function naiveLastFree(set: Set<number>, count: number, limit: number): number {
  for (let pn = limit - count; pn >= 0; pn--) {
    let ok = true;
    for (let k = pn; k < pn + count && ok; k++) ok = !set.has(k);
    if (ok) return pn;
  }
  return -1;
}

Deno.test("PageRanges: random adds and removes agree with a page set, upward and top-down", () => {
  let seed = 12345;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  const r = new PageRanges(), set = new Set<number>();
  for (let step = 0; step < 3000; step++) {
    const first = rnd(200), count = 1 + rnd(12);
    if (rnd(3)) {
      r.add(first, count);
      for (let k = first; k < first + count; k++) set.add(k);
    } else {
      r.remove(first, count);
      for (let k = first; k < first + count; k++) set.delete(k);
    }
    const from = rnd(220), want = 1 + rnd(8), limit = 150 + rnd(100);
    assert.equal(
      r.firstFree(from, want, limit),
      naiveFirstFree(set, from, want, limit),
      `step ${step}`,
    );
    assert.equal(r.lastFree(limit, want, 0), naiveLastFree(set, want, limit), `step ${step} down`);
  }
});

Deno.test("mmap(NULL) x 65,000 finishes, leaves holes as qemu-user, a hint reuses one (was quadratic)", () => {
  const mem = new GuestMemory();
  const as = new AddressSpace(mem, 0x4000000000n, 1n << 47n);
  let last = 0n;
  const t0 = performance.now();
  for (let i = 0; i < 65_000; i++) last = as.mmap(0n, 4096n, Perm.R | Perm.W, 0x22);
  const ms = performance.now() - t0;
  assert.equal(last, 0x4000000000n + 64_999n * 4096n);
  // A generous bound: the old search took ~100 s here; the new one well under a second.
  assert.ok(ms < 20_000, `${ms} ms`);
  const hole = 0x4000000000n + 4096n * 10n;
  as.munmap(hole, 4096n);
  assert.equal(as.mmap(0n, 4096n, Perm.R, 0x22), 0x4000000000n + 65_000n * 4096n);
  assert.equal(as.mmap(hole, 4096n, Perm.R, 0x22), hole);
});

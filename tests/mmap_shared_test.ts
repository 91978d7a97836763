// MAP_SHARED mappings (core/linux/shared_memory.ts): written back to their file on msync,
// munmap and exit, shared between fork'd processes on every schedule, two mappings of one file
// seeing each other's stores at once (one process, two threads, two processes); mremap (a
// shared mapping moved, shrunk or grown still shared with a fork'd child and the process's other
// mappings), MADV_DONTNEED and MAP_FIXED_NOREPLACE. Compared with qemu-riscv64, except where qemu 7.2 departs from Linux.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { runGuest, testAgainstQemu } from "./util/guest_runs.ts";

testAgainstQemu(
  "mmap_shared",
  ["mmap_shared.static.O2", "mmap_shared.dynamic.O2"],
  [{}, { sched: "random,quantum=100", seed: 4 }, { accel: "interp" }],
  (out) =>
    out.includes('child exit: file at 4296 reads "child-exit"') && !out.includes(": no") &&
    out.includes("each its own mapping, 100 round trips: 200, via a: 200"),
);

Deno.test("mmap_shared: MAP_FIXED_NOREPLACE, MADV_DONTNEED, mremap of old size 0 as the man pages say", async () => {
  const r = await runGuest("mmap_shared.static.O2", { args: ["linux"] });
  assertEquals(r.status, 0);
  // mmap(2): "If the requested range would collide with an existing mapping, then this call
  // fails with the error EEXIST"; madvise(2): ENOMEM "Addresses in the specified range are not
  // currently mapped".
  // mremap(2): "If the value of old_size is zero, and old_address refers to a shareable mapping
  // [...] mremap() will create a new mapping of the same pages"; EINVAL "old_size was zero and
  // old_address does not refer to a shareable mapping".
  const lines = r.stdout.split("\n");
  assertEquals(
    lines.filter((l) => /NOREPLACE on a used|^MADV_DONTNEED unmapped|old size 0/.test(l)),
    [
      "mremap old size 0: a second mapping elsewhere, reads one page, two places",
      "mremap old size 0 of private memory: Invalid argument",
      "MADV_DONTNEED unmapped: Cannot allocate memory",
      "MAP_FIXED_NOREPLACE on a used page: File exists",
      "MAP_FIXED|MAP_FIXED_NOREPLACE on a used page: File exists",
    ],
  );
});

// memfd_create's files (core/linux/memfd.ts) hold their bytes in host memory: only the bytes
// written take it (a file truncated to 1 GiB reads zeros and costs nothing); past 2 GiB a
// truncate or a write is EFBIG, one errno for the guest (Linux's sparse shmem file takes it;
// tests/guests/src/a64/sysquery.c compares the rest with qemu-aarch64), never a host RangeError.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { E, SysError } from "../core/linux/errno.ts";
import { MemFd } from "../core/linux/memfd.ts";

const efbig = (e: unknown) => e instanceof SysError && e.errno === E.EFBIG;

Deno.test("memfd: past 2 GiB a truncate or a write is EFBIG and the file stays as it was", () => {
  const f = new MemFd("/memfd:big (deleted)");
  assertEquals(f.pwrite(new Uint8Array([7, 8]), 4095), 2);
  assert.throws(() => f.truncate(2 ** 40), efbig);
  assert.throws(() => f.pwrite(new Uint8Array(1), 2 ** 41), efbig);
  assertEquals(f.stat().size, 4097n);
  const back = new Uint8Array(3);
  assertEquals(f.pread(back, 4095), 2);
  assertEquals([...back], [7, 8, 0]);
});

Deno.test("memfd: a large size takes no memory; bytes cut off by a truncate read zeros after", () => {
  const f = new MemFd("/memfd:sparse (deleted)");
  f.pwrite(new Uint8Array([1, 2, 3, 4]), 0);
  f.truncate(2);
  f.truncate(2 ** 30);
  const back = new Uint8Array(4);
  assertEquals([f.pread(back, 0), ...back], [4, 1, 2, 0, 0]);
  assertEquals([f.pread(back, 2 ** 30 - 2), ...back], [2, 0, 0, 0, 0]);
  assertEquals(f.stat().size, 2n ** 30n);
});

// mincore: the pages of a mapped range are resident (Denemu never pages out; Linux says so of
// pages touched), an unmapped range is ENOMEM, as qemu-riscv64 answers (it was ENOSYS).
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, encode, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

const { a0, a1, a2, a3, a4, a5, a7, s0, s1, t0, t1 } = {
  ...X,
  t0: 5,
  t1: 6,
};
const SYS = { mmap: 222, mincore: 232, exit: 93 };

/** mincore(`addr` register, 8192, the data page) into s1 */
const mincoreOf = (addr: number) => [
  A.addi(a0, addr, 0),
  A.lui(a1, 2), // 8192
  A.lui(a2, 0x20),
  A.addi(a7, 0, SYS.mincore),
  A.ecall,
];

/**
 * Maps two pages and writes to both, asks mincore about them (s1: the result; the vector's two
 * bytes summed in t0) and about the two pages at 0 (unmapped: ENOMEM, -12); exits with
 * s1 * 16 + t0 + the second result, 2 - 12 = -10 (246) when all is as on Linux.
 */
const PROGRAM = [
  A.addi(a0, 0, 0),
  A.lui(a1, 2),
  A.addi(a2, 0, 3), // PROT_READ | PROT_WRITE
  A.addi(a3, 0, 0x22), // MAP_PRIVATE | MAP_ANONYMOUS
  A.addi(a4, 0, -1),
  A.addi(a5, 0, 0),
  A.addi(a7, 0, SYS.mmap),
  A.ecall,
  A.addi(s0, a0, 0),
  A.store(0, s0, s0, 0), // sb to both pages: touched, so resident on Linux too
  A.lui(t1, 1),
  A.op(0, 0, t1, t1, s0),
  A.store(0, s0, t1, 0),
  ...mincoreOf(s0),
  A.addi(s1, a0, 0),
  A.lui(a2, 0x20),
  A.load(4, t0, a2, 0), // lbu
  A.load(4, t1, a2, 1),
  A.op(0, 0, t0, t0, t1),
  ...mincoreOf(0),
  A.slli(s1, s1, 4),
  A.op(0, 0, a0, a0, s1),
  A.op(0, 0, a0, a0, t0),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

Deno.test("mincore: mapped pages are resident, unmapped ones ENOMEM, as on qemu-riscv64", async () => {
  await assertExitsAsQemu(riscvElf(encode(PROGRAM), new Uint8Array(0x1000)), 246);
});

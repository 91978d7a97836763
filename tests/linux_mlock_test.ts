// mlock/munlock of a range with an unmapped page fail with ENOMEM, as on Linux and qemu-riscv64
// (they returned 0 whatever the range); of mapped memory they succeed.
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, encode, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

const { a0, a1, a7, s0 } = X;
const SYS = { mlock: 228, munlock: 229, exit: 93 };

/** `nr(page << 12, 0x1800)`, its result added to s0 shifted left by 4 */
const lockCall = (nr: number, page: number) => [
  A.lui(a0, page),
  A.lui(a1, 2),
  A.addi(a1, a1, -0x800), // 6 KiB from the page start: two pages
  A.addi(a7, 0, nr),
  A.ecall,
  A.slli(s0, s0, 4),
  A.op(0, 0, s0, s0, a0),
];

/**
 * mlock and munlock the data page and the next (unmapped) one, then the data page alone with
 * a length that ends inside it; exits with the results folded into a byte: each ENOMEM is -12.
 */
const PROGRAM = [
  A.addi(s0, 0, 0),
  ...lockCall(SYS.mlock, 0x20), // 0x20000..0x21800: 0x21000 is not mapped
  ...lockCall(SYS.munlock, 0x20),
  ...lockCall(SYS.mlock, 0x1f), // 0x1f000..0x20800: 0x1f000, between the segments, is PROT_NONE
  A.lui(a0, 0x20),
  A.addi(a0, a0, 0x10), // 0x20010 + 0x100: inside the data page
  A.addi(a1, 0, 0x100),
  A.addi(a7, 0, SYS.mlock),
  A.ecall,
  A.op(0, 0, s0, s0, a0),
  A.addi(a0, s0, 0),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

/** ((-12 * 16 - 12) * 16 - 12) + 0, as a byte */
const EXPECTED = ((-12 * 16 - 12) * 16 - 12) & 0xff;

Deno.test("mlock/munlock: an unmapped page in the range is ENOMEM, as on qemu-riscv64", async () => {
  await assertExitsAsQemu(riscvElf(encode(PROGRAM), new Uint8Array(0x1000)), EXPECTED);
});

Deno.test("munlock: a range that wraps past the top of the address space is EINVAL, as on Linux", async () => {
  const wrap = [
    A.lui(a0, 0x20),
    A.lui(a1, 0xfffff), // -4096: the range ends below where it starts
    A.addi(a7, 0, SYS.munlock),
    A.ecall,
    A.op(0x20, 0, a0, X.zero, a0), // exit with -result: 22 for EINVAL
    A.addi(a7, 0, SYS.exit),
    A.ecall,
  ];
  await assertExitsAsQemu(riscvElf(encode(wrap), new Uint8Array(0x1000)), 22);
});

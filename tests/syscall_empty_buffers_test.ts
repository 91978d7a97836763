// Syscall arguments at their edges, as on Linux and qemu-riscv64: no bytes to copy at address 0
// (pause() is ppoll(NULL, 0, ...) in glibc on riscv64 and aarch64) is no EFAULT, and an mmap
// length is unsigned.
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, encode, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

const { a0, a1, a2, a3, a4, a5, a7 } = X;

Deno.test("ppoll of no descriptors at NULL with a zero timeout returns 0, as on qemu-riscv64", async () => {
  const code = [
    A.addi(a0, 0, 0), // fds: NULL
    A.addi(a1, 0, 0), // nfds: 0
    A.lui(a2, 0x20), // the timeout: { 0, 0 } in the zeroed data page
    A.addi(a3, 0, 0), // no signal mask
    A.addi(a4, 0, 8),
    A.addi(a7, 0, 73), // ppoll
    A.ecall,
    A.addi(a7, 0, 93), // exit(its result & 0xff): EFAULT is 256 - 14 = 242
    A.ecall,
  ];
  await assertExitsAsQemu(riscvElf(encode(code), new Uint8Array(0x1000)), 0);
});

Deno.test("mmap of a length past the address space (-4096 as unsigned) is ENOMEM, as on qemu-riscv64", async () => {
  const code = [
    A.addi(a0, 0, 0),
    A.addi(a1, 0, 0),
    A.lui(a1, 0xfffff), // -4096
    A.addi(a2, 0, 1), // PROT_READ
    A.addi(a3, 0, 0x22), // MAP_PRIVATE | MAP_ANONYMOUS
    A.addi(a4, 0, -1),
    A.addi(a5, 0, 0),
    A.addi(a7, 0, 222), // mmap
    A.ecall,
    A.addi(a7, 0, 93), // exit(its result & 0xff): ENOMEM is 256 - 12 = 244
    A.ecall,
  ];
  await assertExitsAsQemu(riscvElf(encode(code), new Uint8Array(0x1000)), 244);
});

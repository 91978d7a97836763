// Extended attributes: Denemu's files have none, and the calls say so as Linux does on a file
// without any (they were ENOSYS, which coreutils' `ls -l` reports as an error for every file).
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, encode, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

const { a0, a1, a2, a3, a7 } = X;
const SYS = { getxattr: 8, lgetxattr: 9, llistxattr: 12, exit: 93 };
/** The data page: two paths and two attribute names, at these offsets. */
const DOT = 0, MISSING = 8, NAME = 16, EMPTY = 40;
const DATA = new Uint8Array(0x1000);
for (const [at, s] of [[DOT, "."], [MISSING, "nope"], [NAME, "user.denemu"]] as const) {
  DATA.set(new TextEncoder().encode(s), at);
}

/** `nr(path, name, NULL, 0)`, then exit with the negated result (the errno, or 0). */
const call = (nr: number, path: number, name: number) =>
  riscvElf(
    encode([
      A.lui(a0, 0x20),
      A.addi(a1, a0, name),
      A.addi(a0, a0, path),
      A.addi(a2, 0, 0),
      A.addi(a3, 0, 0),
      A.addi(a7, 0, nr),
      A.ecall,
      A.op(0x20, 0, a0, X.zero, a0),
      A.addi(a7, 0, SYS.exit),
      A.ecall,
    ]),
    DATA,
  );

Deno.test("getxattr of an attribute the file lacks is ENODATA, as on qemu-riscv64", async () => {
  await assertExitsAsQemu(call(SYS.lgetxattr, DOT, NAME), 61);
  await assertExitsAsQemu(call(SYS.getxattr, DOT, NAME), 61);
});

Deno.test("getxattr checks the file, then the name, as qemu-riscv64's kernel does", async () => {
  await assertExitsAsQemu(call(SYS.getxattr, MISSING, NAME), 2); // ENOENT
  await assertExitsAsQemu(call(SYS.lgetxattr, DOT, EMPTY), 34); // ERANGE
});

Deno.test("listxattr of a file without attributes lists none, as on qemu-riscv64", async () => {
  await assertExitsAsQemu(call(SYS.llistxattr, DOT, 0), 0); // a1 (the list) is the data page
});

// A file mapping's pages wholly past the end of the file raise SIGBUS (BUS_ADRERR, si_addr the
// address touched) as on Linux and qemu-riscv64, where they read as zeros; the bytes past the
// end in the file's last page read as zeros.
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, encode, i, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

const { a0, a1, a2, a3, a4, a5, a7, s0, s1 } = X;
const t0 = 5, t1 = 6, t2 = 7, t3 = 28;
const SYS = { openat: 56, exit: 93, rt_sigaction: 134, mmap: 222 };
const SIGBUS = 7, SA_SIGINFO = 4, FILE_SIZE = 100;
const sltiu = (rd: number, rs: number, imm: number) => i(imm, rs, 3, rd, 0x13);

/**
 * Installs `handlerAt` for SIGBUS (SA_SIGINFO), maps 8 KiB of the file named at 0x20000
 * (100 bytes of 'a') and reads its byte 99 plus byte 100 into s1 ('a' + 0), then byte 4096:
 * SIGBUS. Exits 1 if that read returns.
 */
const body = (handlerAt: number) => [
  A.lui(t0, 0x10),
  A.addi(t0, t0, handlerAt),
  A.lui(a1, 0x20),
  A.addi(a1, a1, 0x100),
  A.store(3, t0, a1, 0), // sa_handler
  A.addi(t1, 0, SA_SIGINFO),
  A.store(3, t1, a1, 8), // sa_flags
  A.addi(a0, 0, SIGBUS),
  A.addi(a2, 0, 0),
  A.addi(a3, 0, 8),
  A.addi(a7, 0, SYS.rt_sigaction),
  A.ecall,
  A.addi(a0, 0, -100), // AT_FDCWD
  A.lui(a1, 0x20),
  A.addi(a2, 0, 0),
  A.addi(a3, 0, 0),
  A.addi(a7, 0, SYS.openat),
  A.ecall,
  A.addi(a4, a0, 0),
  A.addi(a0, 0, 0),
  A.lui(a1, 2),
  A.addi(a2, 0, 1), // PROT_READ
  A.addi(a3, 0, 2), // MAP_PRIVATE
  A.addi(a5, 0, 0),
  A.addi(a7, 0, SYS.mmap),
  A.ecall,
  A.addi(s0, a0, 0),
  A.load(4, s1, s0, FILE_SIZE - 1),
  A.load(4, t0, s0, FILE_SIZE),
  A.op(0, 0, s1, s1, t0),
  A.lui(t1, 1),
  A.op(0, 0, t1, t1, s0),
  A.load(4, t0, t1, 0),
  A.addi(a0, 0, 1),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

/**
 * The handler: exits with sig + si_code * 16 + 64 when si_addr is the mapping's second page
 * + 128 when s1 is 'a': 7 + 2 * 16 + 64 + 128 = 231 when all is as on Linux.
 */
const HANDLER = [
  A.load(2, t0, a1, 8), // lw si_code
  A.load(3, t1, a1, 16), // ld si_addr
  A.op(0x20, 0, t1, t1, s0), // sub
  A.lui(t2, 1),
  A.op(0x20, 0, t1, t1, t2),
  sltiu(t1, t1, 1),
  A.slli(t1, t1, 6),
  A.addi(t3, s1, -0x61),
  sltiu(t3, t3, 1),
  A.slli(t3, t3, 7),
  A.slli(t0, t0, 4),
  A.op(0, 0, a0, a0, t0),
  A.op(0, 0, a0, a0, t1),
  A.op(0, 0, a0, a0, t3),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

Deno.test("mmap: a page wholly past the end of the file is SIGBUS (BUS_ADRERR), as on qemu-riscv64", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/f`;
    await Deno.writeFile(file, new Uint8Array(FILE_SIZE).fill(0x61));
    const code = [...body(body(0).length * 4), ...HANDLER];
    const data = new Uint8Array(0x1000);
    data.set(new TextEncoder().encode(file));
    await assertExitsAsQemu(riscvElf(encode(code), data), 231, { dir });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

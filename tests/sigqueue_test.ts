// sigqueue (rt_sigqueueinfo) to itself: the signal is queued with its si_value, and
// rt_sigtimedwait hands the whole siginfo back, as on qemu-riscv64 (it was ENOSYS).
// SPDX-License-Identifier: GPL-3.0-or-later
import { A, encode, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

const { a0, a1, a2, a3, a7, s0, s1 } = X;
const T0 = 5, T1 = 6;
const SYS = { getpid: 172, sigprocmask: 135, sigtimedwait: 137, sigqueueinfo: 138, exit: 93 };
const SIGRTMIN = 34, VALUE = 77;

/** A data page address: `lui`+`addi` of 0x20000 + `off` into `rd`. */
const data = (rd: number, off: number) => [A.lui(rd, 0x20), A.addi(rd, rd, off)];

/**
 * Blocks SIGRTMIN (the set at 0x20000), queues it to itself with the siginfo at 0x20100
 * (SI_QUEUE, value 77; s1: the result), takes it with rt_sigtimedwait (siginfo out at 0x20200,
 * zero timeout at 0x20300) and exits with (its result - SIGRTMIN) + s1 + the value read back: 77.
 */
const PROGRAM = [
  A.addi(a7, 0, SYS.getpid),
  A.ecall,
  A.addi(s0, a0, 0),
  A.addi(a0, 0, 0), // SIG_BLOCK
  ...data(a1, 0),
  A.addi(a2, 0, 0),
  A.addi(a3, 0, 8),
  A.addi(a7, 0, SYS.sigprocmask),
  A.ecall,
  A.addi(a0, s0, 0),
  A.addi(a1, 0, SIGRTMIN),
  ...data(a2, 0x100),
  A.addi(a7, 0, SYS.sigqueueinfo),
  A.ecall,
  A.addi(s1, a0, 0),
  ...data(a0, 0),
  ...data(a1, 0x200),
  ...data(a2, 0x300),
  A.addi(a3, 0, 8),
  A.addi(a7, 0, SYS.sigtimedwait),
  A.ecall,
  A.addi(a0, a0, -SIGRTMIN),
  ...data(T0, 0x200),
  A.load(3, T1, T0, 24), // ld: si_value
  A.op(0, 0, a0, a0, T1),
  A.op(0, 0, a0, a0, s1),
  A.addi(a7, 0, SYS.exit),
  A.ecall,
];

function dataPage(): Uint8Array {
  const page = new Uint8Array(0x1000), dv = new DataView(page.buffer);
  dv.setBigUint64(0, 1n << BigInt(SIGRTMIN - 1), true); // the signal set
  dv.setInt32(0x100 + 8, -1, true); // si_code: SI_QUEUE
  dv.setBigUint64(0x100 + 24, BigInt(VALUE), true); // si_value
  return page;
}

Deno.test("sigqueue to itself: rt_sigtimedwait gets the signal and its value, as on qemu-riscv64", async () => {
  await assertExitsAsQemu(riscvElf(encode(PROGRAM), dataPage()), VALUE);
});

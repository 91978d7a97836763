// The si_code of the SIGILL an undefined AArch64 instruction raises: ILL_ILLOPN (2), as
// qemu-aarch64 gives it (qemu-riscv64 and Denemu's riscv give ILL_ILLOPC, 1).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { aarch64Elf, DATA_VADDR } from "./util/elf_writer.ts";
import { assertExitsAsQemu } from "./util/exit_as_qemu.ts";

/** Installs a SA_SIGINFO handler for SIGILL, runs `udf #0`; the handler exits with si_code. */
const CODE = [
  0xd2800080, // movz x0, #4 (SIGILL)
  0xd2a00041, // movz x1, #2, lsl #16 (the struct sigaction at 0x20000)
  0xd2800002, // movz x2, #0
  0xd2800103, // movz x3, #8
  0xd28010c8, // movz x8, #134 (rt_sigaction)
  0xd4000001, // svc #0
  0x00000000, // udf #0
  0xb9400820, // handler (0x1001c): ldr w0, [x1, #8] (siginfo's si_code)
  0xd2800ba8, // movz x8, #93 (exit)
  0xd4000001, // svc #0
];

function program(): Uint8Array {
  const code = new Uint8Array(CODE.length * 4), data = new Uint8Array(32);
  CODE.forEach((w, i) => new DataView(code.buffer).setUint32(i * 4, w, true));
  const dv = new DataView(data.buffer);
  dv.setBigUint64(0, 0x1001cn, true); // sa_handler
  dv.setBigUint64(8, 4n, true); // sa_flags: SA_SIGINFO
  assert.equal(DATA_VADDR, 0x20000n);
  return aarch64Elf(code, data);
}

Deno.test("aarch64: an undefined instruction's SIGILL has si_code ILL_ILLOPN, as on qemu-aarch64", async () => {
  await assertExitsAsQemu(program(), 2, { qemu: "qemu-aarch64" });
});

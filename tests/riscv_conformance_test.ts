// Conformance corners where the spec allows two behaviours and Denemu follows
// QEMU: small user-mode programs run on both engines and on qemu-riscv64 in
// the same run (explicitly skipped for QEMU when it is not installed).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { A, encode, X } from "./riscv/asm.ts";
import { riscvElf } from "./util/elf_writer.ts";
import { which } from "../scripts/build_guests.ts";

const { a0, a1, a3, a7 } = X;
const hasQemu = (await which("qemu-riscv64")) !== null;
if (!hasQemu) console.log("qemu-riscv64 not installed: checking Denemu only");

/** Exit status of `code` (a static ELF with a data page at 0x20000) on both engines and QEMU. */
async function exitStatuses(code: number[]) {
  const dir = await Deno.makeTempDir({ prefix: "denemu-conformance-" });
  try {
    const path = `${dir}/prog`;
    await Deno.writeFile(path, riscvElf(encode(code), new Uint8Array(0x1000)), { mode: 0o755 });
    const status = async (accel: "interp" | "jit") =>
      await (await createMachine({ program: path, accel, stdout: () => {} })).runToExit();
    const interp = await status("interp"), jit = await status("jit");
    const qemu = hasQemu
      ? (await new Deno.Command("qemu-riscv64", { args: [path] }).output()).code
      : undefined;
    return { interp, jit, qemu };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [name, width, offset] of [["sc.w", 2, 2], ["sc.d", 3, 4]] as const) {
  const peer = hasQemu ? "as on qemu-riscv64" : "(qemu-riscv64 not installed: not compared)";
  Deno.test(`riscv: ${name} to a misaligned address without a reservation fails (rd = 1) ${peer}`, async () => {
    const { interp, jit, qemu } = await exitStatuses([
      A.lui(a0, 0x20),
      A.addi(a0, a0, offset), // misaligned for the width
      A.addi(a3, 0, 123),
      A.amo(0b00011, width, a3, a0, a1),
      A.addi(a0, a3, 0),
      A.addi(a7, 0, 93), // exit(a3)
      A.ecall,
    ]);
    assert.equal(interp, 1);
    assert.equal(jit, 1);
    if (qemu !== undefined) assert.equal(qemu, 1, "qemu-riscv64");
  });
}

// A hand-made guest run in Denemu and on its qemu-user peer: both must end with the same status.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine } from "../../mod.ts";
import { which } from "../../scripts/build_guests.ts";

/**
 * Writes the executable `elf` to `dir` (a fresh temporary directory when not given, removed
 * afterwards), runs it in Denemu and, when installed, under `qemu`: both must exit `expected`.
 */
export async function assertExitsAsQemu(
  elf: Uint8Array,
  expected: number,
  opts: { qemu?: "qemu-riscv64" | "qemu-aarch64"; dir?: string } = {},
): Promise<void> {
  const dir = opts.dir ?? await Deno.makeTempDir();
  const qemu = opts.qemu ?? "qemu-riscv64";
  try {
    const path = `${dir}/prog`;
    await Deno.writeFile(path, elf, { mode: 0o755 });
    const m = await createMachine({ program: path });
    assert.equal(await m.runToExit(), expected, "Denemu");
    await m.close();
    if (await which(qemu)) {
      assert.equal((await new Deno.Command(qemu, { args: [path] }).output()).code, expected, qemu);
    }
  } finally {
    if (!opts.dir) await Deno.remove(dir, { recursive: true });
  }
}

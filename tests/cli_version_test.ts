// `-version` of `emu user` and `emu system`, as qemu-riscv64 and qemu-system-riscv64 have it.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { VERSION } from "../core/version.ts";

async function emu(args: string[]): Promise<[number, string, string]> {
  const r = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", "mod.ts", ...args] })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return [r.code, text(r.stdout), text(r.stderr)];
}

Deno.test("emu user and emu system: -version and --version print the version and exit 0", async () => {
  for (const command of ["user", "system"]) {
    for (const flag of ["-version", "--version"]) {
      assert.deepEqual(
        await emu([command, flag]),
        [0, `emu ${command} version ${VERSION} (Denemu)\n`, ""],
      );
    }
  }
});

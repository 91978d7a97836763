// A program killed by a signal: exit status 128+N, and on stderr what qemu-user 7.2 prints, which
// is "qemu: uncaught target signal N (...) - core dumped" where its ELF loader dumps core
// (aarch64) and nothing on riscv64.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { aarch64Elf, riscvElf } from "./util/elf_writer.ts";
import { which } from "../scripts/build_guests.ts";

/** An all-zero word: illegal on both machines (SIGILL). */
const ILLEGAL = new Uint8Array(4);
const PEERS = [
  { peer: "qemu-riscv64", elf: riscvElf(ILLEGAL, new Uint8Array(16)), stderr: "" },
  {
    peer: "qemu-aarch64",
    elf: aarch64Elf(ILLEGAL, new Uint8Array(16)),
    stderr: "qemu: uncaught target signal 4 (Illegal instruction) - core dumped\n",
  },
];

async function run(cmd: string, args: string[]): Promise<[number, string]> {
  const out = await new Deno.Command(cmd, { args, stdout: "null" }).output();
  return [out.code, new TextDecoder().decode(out.stderr)];
}

for (const { peer, elf, stderr } of PEERS) {
  Deno.test(`emu user: a SIGILL death says on stderr what ${peer} says`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/prog`, elf, { mode: 0o755 });
      const emu = await run(Deno.execPath(), ["run", "-A", "mod.ts", "user", `${dir}/prog`]);
      assert.deepEqual(emu, [132, stderr]);
      if (await which(peer)) assert.deepEqual(await run(peer, [`${dir}/prog`]), [132, stderr]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

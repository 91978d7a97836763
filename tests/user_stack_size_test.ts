// qemu-riscv64's `-s SIZE`: the stack's size (bytes, k or M; at least 128 KiB). stack.c puts a
// 4 MiB array on the stack: with `-s 4096k` it overflows (SIGSEGV, status 139) and with
// `-s 4097k` it fits, under emu user as under qemu-riscv64 in the same run (run with an empty
// environment, as Denemu gives the guest, so that both start with the same stack in use).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { which } from "../scripts/build_guests.ts";

const PROG = "tests/guests/bin/stack.static.O2";
const peer = await which("qemu-riscv64");
if (!peer) {
  console.warn("user_stack_size_test: SKIPPING the peer's runs: qemu-riscv64 not installed");
}

async function run(cmd: string, args: string[]): Promise<[number, string]> {
  const signal = AbortSignal.timeout(120_000);
  // the peer gets no host variables; emu user gives the guest none anyway
  const clearEnv = cmd === "qemu-riscv64";
  const out = await new Deno.Command(cmd, { args, clearEnv, stderr: "null", signal }).output();
  return [out.code, new TextDecoder().decode(out.stdout)];
}

Deno.test("emu user -s sets the stack's size, as qemu-riscv64 -s", async () => {
  for (const [size, status] of [["4096k", 139], ["4097k", 0], ["0x1000000", 0], ["1M", 139]]) {
    // before: emu: unknown option -s (see emu user -h), status 1
    const emu = await run(Deno.execPath(), ["run", "-A", "mod.ts", "user", "-s", `${size}`, PROG]);
    assert.equal(emu[0], status, `emu user -s ${size}`);
    if (!peer) continue;
    assert.deepEqual(emu, await run("qemu-riscv64", ["-s", `${size}`, PROG]), `-s ${size}`);
  }
});

Deno.test("emu user -s refuses a size qemu-riscv64 refuses, with one line", async () => {
  for (const size of ["0", "abc"]) {
    const emu = await run(Deno.execPath(), ["run", "-A", "mod.ts", "user", "-s", size, PROG]);
    assert.equal(emu[0], 1, `emu user -s ${size}`);
    if (peer) assert.equal((await run("qemu-riscv64", ["-s", size, PROG]))[0], 1, `-s ${size}`);
  }
});

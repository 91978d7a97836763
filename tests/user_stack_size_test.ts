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

// -R SIZE (reserved_va): the guest's address space is [0, SIZE); the stack, ld.so, the trampoline
// and mmap go down from its top and mremap moves what may move, as qemu-user 7.2 places them: the
// addresses in -strace's mmap, mremap and brk lines are the peer's (pids left out).
const LAYOUT_CASES: [string, string[]][] = [
  ["qemu-riscv64", ["-R", "256M", "tests/guests/bin/malloc_stress.static.O2"]],
  ["qemu-riscv64", ["-R", "1G", "tests/guests/bin/hello.dynamic.O2"]],
  ["qemu-aarch64", ["-R", "256M", "tests/guests/bin/aarch64/hello.dynamic.O2"]],
];

async function memoryCalls(cmd: string, args: string[]): Promise<string[]> {
  const signal = AbortSignal.timeout(120_000);
  const out = await new Deno.Command(cmd, {
    args,
    clearEnv: true,
    stdout: "null",
    signal,
  }).output();
  return new TextDecoder().decode(out.stderr).split("\n")
    .map((l) => l.replace(/^\d+ /, ""))
    .filter((l) => /^(mmap|mremap|brk)\(/.test(l));
}

Deno.test("emu user -R places memory where qemu-user -R does", async () => {
  for (const [peerName, args] of LAYOUT_CASES) {
    // before: emu: unknown option -R (see emu user -h)
    const emuArgs = ["run", "-A", "mod.ts", "user", "-strace", ...args];
    const emu = await memoryCalls(Deno.execPath(), emuArgs);
    assert.ok(emu.some((l) => /= 0x00000000[0-3]/.test(l)), `${args}: nothing below -R's top`);
    if (!await which(peerName)) {
      console.warn(`user_stack_size_test: SKIPPING ${peerName} -R: not installed`);
      continue;
    }
    const sysroot = `/usr/${peerName.slice(5)}-linux-gnu`;
    const peerCalls = await memoryCalls(peerName, ["-L", sysroot, "-strace", ...args]);
    assert.deepEqual(emu, peerCalls, args.join(" "));
  }
});

/** The first line a command writes to stderr, without `emu: `/`qemu-riscv64: ` and the hint. */
async function firstError(cmd: string, args: string[], env: Record<string, string> = {}) {
  const signal = AbortSignal.timeout(120_000);
  const out = await new Deno.Command(cmd, { args, env, clearEnv: true, signal, stdout: "null" })
    .output();
  const line = new TextDecoder().decode(out.stderr).split("\n")[0];
  return [out.code, line.replace(/^(emu|qemu-riscv64): /, "").replace(/ \([^()]*\)$/, "")];
}

// -B (guest_base: invisible to the guest, but checked), -R and -p (the host page size) and their
// variables: the values qemu-riscv64 takes or refuses, and its messages.
const OPTION_CASES: [string[], Record<string, string>][] = [
  [["-B", "0x10000000"], {}],
  [["-B", "abc"], {}],
  [["-B", "0x1001"], {}],
  [["-B", "-4096"], {}],
  [["-R", "1M"], {}],
  [["-R", "100000"], {}],
  [["-R", "abc"], {}],
  [["-R", "1T"], {}],
  [["-R", "0"], {}],
  [["-R", "0xffffffffffffffff"], {}],
  [["-R", "99999999999999999999G"], {}],
  [["-R", "0x2000000000000"], {}],
  [["-p", "4096"], {}],
  [["-p", "1"], {}],
  [["-p", "3000"], {}],
  [["-p", "0x1000"], {}],
  [["-p", "abc"], {}],
  [[], { QEMU_RESERVED_VA: "1M" }],
  [[], { QEMU_PAGESIZE: "3" }],
  [[], { QEMU_GUEST_BASE: "0x1001" }],
];

Deno.test("emu user -B, -R, -p take and refuse what qemu-riscv64 does, with its messages", async () => {
  for (const [args, env] of OPTION_CASES) {
    const what = `${args.join(" ")} ${JSON.stringify(env)}`;
    const emuArgs = ["run", "-A", "mod.ts", "user", ...args, PROG];
    const emu = await firstError(Deno.execPath(), emuArgs, env);
    assert.ok(emu[0] === 0 || emu[0] === 1, what);
    if (peer) assert.deepEqual(emu, await firstError("qemu-riscv64", [...args, PROG], env), what);
  }
  // qemu-riscv64 -p 65536 runs with 64 KiB host pages (its mmap aligns to them): refused here
  const big = await firstError(Deno.execPath(), [
    "run",
    "-A",
    "mod.ts",
    "user",
    "-p",
    "65536",
    PROG,
  ]);
  assert.deepEqual(big, [1, "-p 65536: host pages above 4096 bytes are not emulated"]);
});

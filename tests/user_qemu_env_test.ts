// qemu-riscv64's ways to set the guest's environment and its options from the shell: -E and -U
// take comma-separated lists and apply in their order, and the QEMU_ variables (QEMU_SET_ENV,
// QEMU_UNSET_ENV, QEMU_ARGV0, QEMU_STACK_SIZE, QEMU_STRACE...) are options read before the command
// line. Compared with qemu-riscv64 in the same run, which is given no other host variable (it
// passes the host's environment, QEMU_ ones included, to the guest; Denemu passes none).
// Bad values (an empty -cpu or -D, a -U name with =) are refused as qemu-riscv64 refuses them.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { which } from "../scripts/build_guests.ts";

const PROG = "tests/guests/bin/argv_env.static.O2";
const peer = await which("qemu-riscv64");
if (!peer) console.warn("user_qemu_env_test: SKIPPING the peer's runs: qemu-riscv64 not installed");

/** The lines of argv_env's output that say what the guest got, QEMU_ variables left out. */
async function guestView(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    clearEnv: cmd === "qemu-riscv64",
    stdin: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const env_ = lines.filter((l) => l.startsWith("env ") && !l.startsWith("env QEMU_"));
  const argv0 = lines.find((l) => l.startsWith("argv[0]"));
  const strace = new TextDecoder().decode(out.stderr).includes(" exit_group(0)");
  return { code: out.code, env: env_, argv0, strace };
}

const CASES: { args: string[]; env: Record<string, string>; want: string[] }[] = [
  // before: one variable A with the value "1,B=2"
  { args: ["-E", "A=1,B=2"], env: {}, want: ["env A=1", "env B=2"] },
  // before: every -U applied after every -E, so A was removed
  { args: ["-U", "A", "-E", "A=1,C=3", "-U", "C,D"], env: {}, want: ["env A=1"] },
  // before: the QEMU_ variables changed nothing
  {
    args: ["-E", "C=3"],
    env: { QEMU_SET_ENV: "A=1,B=2", QEMU_UNSET_ENV: "B", QEMU_ARGV0: "other" },
    want: ["env A=1", "env C=3"],
  },
];

Deno.test("emu user: -E/-U lists and QEMU_SET_ENV, QEMU_UNSET_ENV, QEMU_ARGV0, as qemu-riscv64", async () => {
  for (const { args, env, want } of CASES) {
    const emu = await guestView(
      Deno.execPath(),
      ["run", "-A", "mod.ts", "user", ...args, PROG],
      env,
    );
    assert.equal(emu.code, 0);
    assert.deepEqual(emu.env, want, `${JSON.stringify(env)} ${args}`);
    if (peer) assert.deepEqual(emu, await guestView("qemu-riscv64", [...args, PROG], env));
  }
});

Deno.test("emu user: QEMU_STRACE and QEMU_STACK_SIZE are -strace and -s, as qemu-riscv64", async () => {
  const env = { QEMU_STRACE: "1", QEMU_STACK_SIZE: "16M" };
  const emu = await guestView(Deno.execPath(), ["run", "-A", "mod.ts", "user", PROG], env);
  assert.equal(emu.strace, true);
  if (peer) assert.deepEqual(emu, await guestView("qemu-riscv64", [PROG], env));
  // a bad QEMU_STACK_SIZE is refused as -s would be: status 1
  const bad = { QEMU_STACK_SIZE: "0" };
  const refused = await guestView(Deno.execPath(), ["run", "-A", "mod.ts", "user", PROG], bad);
  assert.equal(refused.code, 1);
  if (peer) assert.equal((await guestView("qemu-riscv64", [PROG], bad)).code, 1);
});

Deno.test("emu user: -r and QEMU_UNAME set the release uname reports, as qemu-riscv64", async () => {
  const uname = async (cmd: string, args: string[], env: Record<string, string>) => {
    const out = await new Deno.Command(cmd, {
      args: [...args, "tests/real/bin/busybox", "uname", "-r"],
      env,
      clearEnv: cmd === "qemu-riscv64",
      stdin: "null",
      signal: AbortSignal.timeout(120_000),
    }).output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  };
  const runs: [string[], Record<string, string>, string][] = [
    [["-r", "2.6.32-old"], {}, "2.6.32-old\n"],
    [[], { QEMU_UNAME: "5.10.0" }, "5.10.0\n"],
    // the command line's comes after the variable's
    [["-r", "9.9"], { QEMU_UNAME: "5.10.0" }, "9.9\n"],
  ];
  for (const [args, env, want] of runs) {
    // before: emu: unknown option -r, and QEMU_UNAME changed nothing
    const emu = await uname(Deno.execPath(), ["run", "-A", "mod.ts", "user", ...args], env);
    assert.deepEqual(emu, { code: 0, stdout: want }, `${args} ${JSON.stringify(env)}`);
    if (peer) assert.deepEqual(await uname("qemu-riscv64", args, env), emu);
  }
});

/** Status, output and stderr lines of `cmd args` with only `env` (and PATH) set. */
async function refusal(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    env: { PATH: Deno.env.get("PATH") ?? "", ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const err = new TextDecoder().decode(out.stderr).split("\n").filter((l) => l);
  return { code: out.code, ran: new TextDecoder().decode(out.stdout).startsWith("argc "), err };
}

Deno.test("emu user: an empty -cpu or -D and a -U name with '=' (or their QEMU_ variables) are refused, as qemu-riscv64", async () => {
  // before: each was ignored and the guest ran
  const cases: [string[], Record<string, string>][] = [
    [["-cpu", ""], {}],
    [["-D", ""], {}],
    [["-U", "A=1"], {}],
    [[], { QEMU_CPU: "" }],
    [[], { QEMU_LOG_FILENAME: "" }],
    [[], { QEMU_UNSET_ENV: "B,A=1" }],
  ];
  for (const [args, env] of cases) {
    const what = `${args.join(" ")} ${JSON.stringify(env)}`;
    const emu = await refusal(Deno.execPath(), ["run", "-A", "mod.ts", "user", ...args, PROG], env);
    assert.equal(emu.code, 1, what);
    assert.equal(emu.ran, false, what);
    assert.equal(emu.err.length, 1, emu.err.join("\n"));
    if (!peer) continue;
    const qemu = await refusal("qemu-riscv64", [...args, PROG], env);
    assert.deepEqual([qemu.code, qemu.ran], [1, false], `qemu-riscv64 ${what}`);
    // -U prints qemu-riscv64's usage on stdout; the others one line, as ours
    if (!args.includes("-U") && !env.QEMU_UNSET_ENV) {
      assert.equal(emu.err[0].replace(/^emu: /, ""), qemu.err[0].replace(/^qemu-riscv64: /, ""));
    }
  }
});

// `emu user -strace` against `qemu-riscv64 -strace` (QEMU 7.2) on the same static guest
// (tests/guests/src/c/strace_calls.c), line by line once pids, addresses and times are replaced.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { GUEST_BIN } from "./util/guest_runs.ts";
import { installed } from "./util/installed.ts";

const PROG = GUEST_BIN + "strace_calls.static.O2";
const QEMU = "qemu-riscv64";
const HAVE_QEMU = installed(QEMU);

/**
 * What legitimately differs between the two runs, replaced: pids, the digits of addresses
 * (a zero-padded address stays told apart from an unpadded one: that is the format), stack
 * addresses QEMU prints in decimal, times, process groups and sessions, and set_robust_list's
 * result (QEMU 7.2 lacks it).
 */
export function normalize(line: string): string {
  return line
    .replace(/(tv_n?sec = )\d+/g, "$1T")
    .replace(/^\d+ /, "PID ")
    .replace(/(FUTEX_\w+),\d+,/, "$1,VAL,")
    .replace(/\b(kill\(|tkill\(|si_pid=|pidfd_open\(|rt_sigqueueinfo\()\d+/g, "$1PID")
    .replace(/\b(tgkill\(|rt_tgsigqueueinfo\()\d+,\d+/g, "$1PID,PID")
    .replace(/^(PID setpgid\(0,)\d+/, "$1PID")
    .replace(/0x[0-9a-f]{16}\b/g, "0xPADDED")
    .replace(/0x[0-9a-f]{5,}\b/g, "0xADDR")
    .replace(/\b\d{9,}\b/g, "DECADDR")
    .replace(
      /^(PID (?:getpid|getppid|gettid|set_tid_address|getpgid|getsid).*\)) = \d+$/,
      "$1 = PID",
    )
    .replace(/^(PID set_robust_list\(.*\)) = .*$/, "$1");
}

async function onQemu(args: string[], cwd: string, prog = PROG, qemu = QEMU): Promise<string[]> {
  const out = await new Deno.Command(qemu, {
    args: ["-strace", prog, ...args],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return new TextDecoder().decode(out.stderr).split("\n").filter((l) => l);
}

async function inDenemu(args: string[], cwd: string, prog = PROG): Promise<string[]> {
  const lines: string[] = [];
  const m = await createMachine({ program: prog, args, cwd, strace: (l) => lines.push(l) });
  await m.runToExit();
  await m.close();
  return lines;
}

/** Both transcripts of one run of the guest, each in a fresh directory (of one length). */
async function both(args: string[], prog = PROG, qemu = QEMU): Promise<[string[], string[]]> {
  const top = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${top}/q`);
    await Deno.mkdir(`${top}/e`);
    await Deno.writeTextFile(`${top}/plain`, "not a program\n", { mode: 0o755 }); // ../plain
    return [await onQemu(args, `${top}/q`, prog, qemu), await inDenemu(args, `${top}/e`, prog)];
  } finally {
    await Deno.remove(top, { recursive: true });
  }
}

Deno.test({
  name: "strace: every line of a single-threaded guest in qemu-riscv64 7.2's format",
  ignore: !HAVE_QEMU, // qemu-riscv64 is the reference; without it there is nothing to compare
  async fn() {
    const [qemu, denemu] = await both([]);
    assertEquals(denemu.map(normalize), qemu.map(normalize));
  },
});

Deno.test({
  name: "strace: every line of the same guest for aarch64 in qemu-aarch64 7.2's format",
  ignore: !installed("qemu-aarch64"),
  async fn() {
    const [qemu, denemu] = await both(
      [],
      GUEST_BIN + "aarch64/strace_calls.static.O2",
      "qemu-aarch64",
    );
    // set_tid_address is the first call: its other five registers hold what glibc's start-up
    // left, which depends on AT_HWCAP (qemu-aarch64 claims features Denemu does not have)
    const startUp = (l: string) => l.replace(/^(PID set_tid_address\(\d+),.*\)/, "$1,...)");
    assertEquals(denemu.map(normalize).map(startUp), qemu.map(normalize).map(startUp));
  },
});

Deno.test({
  name: "strace: wild pointers, lengths and flags print as qemu-riscv64 7.2 prints them",
  ignore: !HAVE_QEMU,
  async fn() {
    // the calls only: QEMU copies some arguments before the call (EFAULT where Linux and
    // Denemu check the fd or the flags first)
    const call = (l: string) => normalize(l).replace(/\) = .*$/, ")");
    const [qemu, denemu] = await both(["hostile"]);
    assertEquals(denemu.map(call), qemu.map(call));
  },
});

Deno.test({
  name: "strace: execve prints its path and argv, as qemu-riscv64 7.2 does",
  ignore: !HAVE_QEMU,
  async fn() {
    // exec.static.O2 "run" execs the path given: a missing one fails, and the program exits
    // (a missing file, and a file that is no program: "Exec format error")
    for (const path of ["/nonexistent", "../plain"]) {
      const [qemu, denemu] = await both(["run", path, "x"], GUEST_BIN + "exec.static.O2");
      assertEquals(denemu.map(normalize), qemu.map(normalize));
    }
  },
});

/**
 * The calls of a transcript (`name(args)`), wherever QEMU's threads cut its lines; without
 * futex, which pthread_join calls only when the thread has not ended yet.
 */
function calls(text: string[]): string[] {
  const found = text.join("\n").match(/\b\d+ [a-z_0-9]+\([^()]*\)/g) ?? [];
  return found.map(normalize).filter((c) => !/^PID (set_robust_list|futex)\(/.test(c)).sort();
}

Deno.test({
  name: "strace: the calls of a guest with a thread (clone, futex) in qemu-riscv64's format",
  ignore: !HAVE_QEMU, // as above
  async fn() {
    const [qemu, denemu] = await both(["thread"]);
    assertEquals(calls(denemu), calls(qemu));
  },
});

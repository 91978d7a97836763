// Pseudo-terminals in user mode (core/linux/pty.ts, pty_files.ts): tests/guests/src/c/pty.c's
// transcript of a pty session (job control, VMIN with VTIME, a session leader's exit), and BusyBox's `script` (which runs a command on a pty it opens),
// compared with qemu-riscv64 (whose guest gets the host's ptys) in the same run.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { installed } from "./util/installed.ts";
import { runGuest, testAgainstQemu } from "./util/guest_runs.ts";
import { runToExit, startProcess } from "./util/process_steps.ts";

testAgainstQemu(
  "pty",
  ["pty.static.O2"],
  [{}, { sched: "random,quantum=100", seed: 4 }, { sched: "rr,quantum=64", accel: "jit" }],
  (out) =>
    out.includes("hung up: SIGHUP yes, read 0") && !out.includes(": no") &&
    !out.includes("read gave") && out.includes("after 3 SIGTTIN, tcsetattr 0 Success after 3") &&
    out.includes("timed read 4 [abcd]") && out.includes("leader gone: SIGHUP 1, SIGCONT 0"),
);

const BUSYBOX = new URL("./real/bin/busybox", import.meta.url).pathname;

/**
 * What `busybox script -qc CMD /dev/null` prints (CMD's output through the pty), and its status,
 * with BusyBox's sh as $SHELL: on qemu-riscv64 a host script that runs it there (the execve of a
 * riscv64 program goes to the host), in Denemu the applet itself.
 */
async function script(cmd: string, peer: boolean): Promise<{ status: number; stdout: string }> {
  const dir = await Deno.makeTempDir({ prefix: "denemu-pty-" });
  try {
    const args = ["script", "-qc", cmd, "/dev/null"];
    if (!peer) {
      await Deno.symlink(BUSYBOX, `${dir}/sh`);
      const m = await createMachine({ program: BUSYBOX, args, env: [`SHELL=${dir}/sh`] });
      const status = await m.runToExit();
      const r = { status, stdout: m.stdout };
      await m.close();
      return r;
    }
    const sh = `#!/bin/sh\nexec qemu-riscv64 ${BUSYBOX} sh "$@"\n`;
    await Deno.writeTextFile(`${dir}/sh`, sh, { mode: 0o755 });
    const o = await new Deno.Command("setsid", {
      args: ["qemu-riscv64", BUSYBOX, ...args],
      env: { SHELL: `${dir}/sh` },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return { status: o.code, stdout: new TextDecoder().decode(o.stdout) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name: "pty: busybox script -qc runs a shell on a pty as qemu-riscv64 does",
  ignore: !installed("qemu-riscv64"),
  async fn() {
    // the shell's 0, 1 and 2 are the slave; what it prints comes back with ONLCR's \r\n
    const cmd = "test -t 0 && echo stdin is a tty; test -t 1 && echo stdout too; printf 'a\\nb\\n'";
    const peer = await script(cmd, true);
    assertEquals(peer.stdout, "stdin is a tty\r\nstdout too\r\na\r\nb\r\n");
    assertEquals(await script(cmd, false), peer);
  },
});

Deno.test("pty: a snapshot puts back the pair (queues, line in edit, size, lock, termios, open ends)", async () => {
  const program = new URL("./guests/bin/pty_snapshot.static.O2", import.meta.url).pathname;
  const { p, out } = await startProcess(program);
  for (let ev = p.step(); ev.kind !== "syscall" || ev.name !== "getppid"; ev = p.step()) {
    if (ev.kind === "exit") throw new Error("no getppid");
  }
  const saved = p.snapshot();
  const original = runToExit(p, out);
  // the run read both queues, changed the termios and closed both ends (freeing the index)
  assertEquals(original.out.split("\n").slice(0, 2), [
    'slave: 6 "typed\\x0a" ',
    'master: 16 "typed\\x0d\\x0ahalfout\\x0d\\x0a" ',
  ]);
  p.restore(saved);
  assertEquals(runToExit(p, out), original);
});

/**
 * The -strace lines of `requests` that QEMU printed whole, without fds, pointers and pids (QEMU's
 * log interleaves the lines of several processes: only whole calls count).
 */
function ptyIoctls(
  lines: string[],
  requests: string,
  results = "0|0 \\(.*\\)|-1 errno=.*",
): string[] {
  const re = new RegExp(`ioctl\\(\\d+,(${requests}),.* = (${results})$`);
  const calls = lines.flatMap((l) => re.exec(l)?.[0] ?? []).map((l) =>
    l.replace(/ioctl\(\d+,/, "ioctl(fd,").replace(/0x[0-9a-f]+/g, "ptr")
      .replace(/(SPGRP,|\()\d{2,}/g, "$1pid")
  );
  return [...new Set(calls)].sort();
}

const JOB_CONTROL = "TIOCSCTTY|TIOCGPGRP|TIOCSPGRP|TIOCSPTLCK";
const TERMIOS = "TCGETS|TCSETS|TCSETSW|TCSETSF|TIOCGWINSZ|TIOCSWINSZ";

Deno.test({
  name:
    "pty: -strace prints the job-control, lock, termios and winsize ioctls as qemu-riscv64 does",
  ignore: !installed("qemu-riscv64"),
  async fn() {
    const prog = new URL("./guests/bin/pty.static.O2", import.meta.url).pathname;
    const log = await Deno.makeTempFile();
    try {
      // QEMU writes a call's name and its result separately, so another process's line can land
      // between them and hide a call: run it again until all five calls come out whole.
      let peerLines: string[] = [];
      for (let run = 0; run < 5 && ptyIoctls(peerLines, JOB_CONTROL).length < 5; run++) {
        const peer = new Deno.Command("qemu-riscv64", {
          args: ["-d", "strace", "-D", log, prog],
          stdout: "null",
          stdin: "null",
        });
        assertEquals((await peer.output()).code, 0);
        peerLines = new TextDecoder().decode(Deno.readFileSync(log)).split("\n");
      }
      const expected = ptyIoctls(peerLines, JOB_CONTROL);
      assertEquals(expected.length, 5, expected.join("\n"));
      const ours = (await runGuest("pty.static.O2")).strace;
      assertEquals(ptyIoctls(ours, JOB_CONTROL), expected);
      // termios and winsize, read and written: every whole successful line QEMU printed
      const termios = ptyIoctls(ours, TERMIOS, "0|0 \\(.*\\)");
      const peerTermios = ptyIoctls(peerLines, TERMIOS, "0|0 \\(.*\\)");
      assert(peerTermios.length >= 8, peerTermios.join("\n"));
      for (const line of peerTermios) assert(termios.includes(line), `missing: ${line}`);
    } finally {
      Deno.removeSync(log);
    }
  },
});

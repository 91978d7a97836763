// Guest processes on the deterministic scheduler: fork, a pipe between processes, dup2,
// waitpid statuses, kill, SIGCHLD and SA_RESTART, compared with qemu-riscv64 under several
// schedules; futexes shared between processes (process-shared mutex, condvar, semaphore); job
// control (stop, continue, waitpid WUNTRACED/WCONTINUED, waitid WSTOPPED/WCONTINUED);
// the same seed gives the same run; snapshots refused while children exist.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, EmuError } from "../mod.ts";
import { GUEST_BIN, runGuest, testAgainstQemu } from "./util/guest_runs.ts";

const BIN = GUEST_BIN;
const run = runGuest;

testAgainstQemu(
  "processes",
  ["fork.static.O2", "fork.dynamic.O2"],
  [{}, { sched: "random,quantum=100", seed: 4 }, { sched: "rr,quantum=64" }],
  (out) => out.includes("read across SIGCHLD: 1 x"),
);

testAgainstQemu(
  "processes, shared futexes",
  ["pshared.static.O2", "pshared.dynamic.O2"],
  [{}, { sched: "random,quantum=100", seed: 3 }, { sched: "random,quantum=64", seed: 8 }],
  (out) => out.startsWith("counted 6000 of 6000\nchild 0 has its turn\n"),
);

testAgainstQemu(
  "processes, job control",
  ["jobctl.static.O2", "jobctl.dynamic.O2"],
  [{}, { sched: "random,quantum=100", seed: 5 }],
  (out) => out.endsWith("SIGCHLD seen for a stop: yes, a continue: yes, the exit: yes\n"),
);

Deno.test("processes: the same seed gives the same run, in every process", async () => {
  const opts = { sched: "random,quantum=150", seed: 11 };
  const a = await run("fork.static.O2", opts);
  assertEquals(await run("fork.static.O2", opts), a);
  const pids = new Set(a.strace.map((l) => l.split(" ")[0]));
  assert(pids.size >= 6, `strace shows ${[...pids]}`); // the parent and its five children
  assert(a.strace.some((l) => /^1000 wait4\(/.test(l)));
});

Deno.test("processes: a snapshot while children exist is refused in one message", async () => {
  const m = await createMachine({ program: BIN + "fork.static.O2" });
  for await (const ev of m.run()) {
    if (ev.type === "syscall" && ev.name === "clone") break;
  }
  m.step(); // the fork runs
  assert.throws(
    () => m.snapshot(),
    (e) => e instanceof EmuError && /1 other process of the run exist/.test(e.message),
  );
  await m.close();
});

Deno.test("processes: execve and posix_spawn start a riscv program in the child", async () => {
  for (const prog of ["exec.static.O2", "exec.dynamic.O2"]) {
    const m = await createMachine({ program: BIN + prog, argv0: BIN + prog });
    assertEquals(await m.runToExit(), 0);
    assertEquals(
      m.stdout,
      `child: [${BIN}${prog}] [child] [via-execve] FOO=bar\nexecve: exit 7\n` +
        `child: [${BIN}${prog}] [child] [via-posix_spawn] FOO=(unset)\nposix_spawn: 0, exit 7\n`,
    );
    await m.close();
  }
});

Deno.test("processes: #! interpreters resolve under --root, and nothing leaves it", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/bin`);
    await Deno.copyFile(`${BIN}exec.static.O2`, `${root}/bin/exec`);
    await Deno.writeTextFile(`${root}/bin/script`, "#!/bin/exec child\n", { mode: 0o755 });
    await Deno.writeTextFile(`${root}/bin/nested`, "#!/bin/script\n", { mode: 0o755 });
    await Deno.writeTextFile(`${root}/bin/escape`, "#!/usr/bin/env sh\n", { mode: 0o755 });
    await Deno.writeTextFile(`${root}/bin/plain`, "not a program\n", { mode: 0o644 });
    const out = async (...args: string[]) => {
      const m = await createMachine({
        program: `${root}/bin/exec`,
        argv0: "/bin/exec",
        root,
        args,
      });
      const status = await m.runToExit();
      await m.close();
      return [status, m.stdout];
    };
    assertEquals(await out("run", "/bin/script", "a"), [
      7,
      "child: [/bin/exec] [child] [/bin/script] [a] FOO=(unset)\n",
    ]);
    assertEquals(await out("run", "/bin/nested"), [
      7,
      "child: [/bin/exec] [child] [/bin/script] [/bin/nested] FOO=(unset)\n",
    ]);
    // The host has /usr/bin/env and this program; the guest's root has neither.
    assertEquals(await out("run", "/bin/escape"), [
      126,
      "execv /bin/escape: No such file or directory\n",
    ]);
    assertEquals(await out("run", `/../../..${BIN}exec.static.O2`), [
      126,
      `execv /../../..${BIN}exec.static.O2: No such file or directory\n`,
    ]);
    assertEquals(await out("run", "/bin/plain"), [126, "execv /bin/plain: Permission denied\n"]);
    const m = await createMachine({ program: `${root}/bin/exec`, argv0: "/bin/exec", root });
    assertEquals(await m.runToExit(), 0);
    assert(m.stdout.startsWith("child: [/bin/exec] [child] [via-execve] FOO=bar\n"), m.stdout);
    await m.close();
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("processes: execve of /proc/self/exe runs the program itself, as Linux does", async () => {
  // BusyBox's shell runs its applets so. (qemu-riscv64 execs the host's /proc/self/exe, itself,
  // which the host runs only through binfmt_misc: ENOEXEC here, so no peer to compare with.)
  const m = await createMachine({
    program: BIN + "exec.static.O2",
    args: ["run", "/proc/self/exe", "child", "x"],
  });
  assertEquals(await m.runToExit(), 7);
  assertEquals(m.stdout, "child: [/proc/self/exe] [child] [x] FOO=(unset)\n");
  await m.close();
});

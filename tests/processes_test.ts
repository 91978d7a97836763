// Guest processes on the deterministic scheduler: fork, a pipe between processes, dup2,
// waitpid statuses, kill, SIGCHLD and SA_RESTART, compared with qemu-riscv64 under several
// schedules; the same seed gives the same run; snapshots refused while children exist.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, EmuError } from "../mod.ts";
import { installed } from "./util/installed.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const SYSROOT = "/usr/riscv64-linux-gnu";
const haveQemu = installed("qemu-riscv64");
const dec = new TextDecoder();

async function run(prog: string, opts: { sched?: string; seed?: number } = {}) {
  const strace: string[] = [];
  const m = await createMachine({ program: BIN + prog, ...opts, strace: (l) => strace.push(l) });
  const status = await m.runToExit();
  const r = { status, stdout: m.stdout, strace };
  await m.close();
  return r;
}

for (const prog of ["fork.static.O2", "fork.dynamic.O2"]) {
  Deno.test({
    name: `processes: ${prog} prints what qemu-riscv64 prints, on every schedule`,
    ignore: !haveQemu,
    async fn() {
      const o = new Deno.Command("qemu-riscv64", {
        args: ["-L", SYSROOT, BIN + prog],
        stdout: "piped",
        stderr: "null",
      }).outputSync();
      const peer = { status: o.code, stdout: dec.decode(o.stdout) };
      assertEquals(peer.status, 0);
      for (const s of [{}, { sched: "random,quantum=100", seed: 4 }, { sched: "rr,quantum=64" }]) {
        const r = await run(prog, s);
        assertEquals({ status: r.status, stdout: r.stdout }, peer, JSON.stringify(s));
      }
      assert(peer.stdout.includes("read across SIGCHLD: 1 x"));
    },
  });
}

Deno.test("processes: qemu-riscv64 is installed for the comparisons", {
  ignore: haveQemu,
}, () => {
  console.warn("skipped: qemu-riscv64 is not installed (apt-get install qemu-user)");
});

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

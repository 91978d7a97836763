// gdb-multiarch against a threaded program under `emu user -g` and qemu-riscv64 -g in the same
// run: gdb sees every guest thread (`info threads`), names them by TID ("Thread 1.TID"), stops
// in the thread that hit the breakpoint, and reads each thread's own registers
// (`thread apply all bt`).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { MachineDebuggee } from "../core/gdb/machine_debuggee.ts";
import { gdbBatch, type GdbRun } from "./util/gdb_batch.ts";
import { installed } from "./util/installed.ts";

const THREADS = new URL("./guests/bin/threads.static.O0", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
const READY = installed("gdb-multiarch") && installed("qemu-riscv64");

const CMDS = ["break work", "continue", "info threads", "bt", "thread apply all -c bt", "kill"];

/**
 * What a gdb user reads in a session of {@linkcode CMDS}, without what legitimately differs
 * (TIDs: QEMU gives its host threads'; which worker hit the breakpoint first; how far the
 * others got): the stop, the threads listed, and the frames every thread's backtrace reaches.
 */
function seen(gdb: string) {
  const stop = /^Thread \d+ hit Breakpoint 1, 0x[0-9a-f]+ in (\w+) \(\)$/m.exec(gdb)?.[1];
  const listed = [...gdb.matchAll(/^[* ] +(\d+) +Thread 1\.(\d+) \(CPU#\d+ \[running\]\)/gm)];
  const applied = gdb.match(/^Thread \d+ \(Thread 1\.\d+ \(CPU#\d+ \[running\]\)\):$/gm) ?? [];
  // the main thread (QEMU's CPU#0) waits for the workers: its registers are its own
  const main = /^[* ] +\d+ +Thread 1\.\d+ \(CPU#0 \[running\]\) +0x[0-9a-f]+ in (\w+) /m.exec(gdb);
  return {
    stop,
    threads: listed.length >= 2,
    distinctTids: new Set(listed.map((m) => m[2])).size === listed.length,
    backtraces: applied.length === listed.length,
    workerStack: /^#1 +0x[0-9a-f]+ in worker \(\)$/m.test(gdb),
    mainElsewhere: main !== null && main[1] !== "work",
    killed: gdb.includes("[Inferior 1 (process 1) killed]"),
  };
}

/**
 * qemu-riscv64 or gdb crashed (qemu-riscv64 7.2 also reports a step's stop in another thread), or
 * qemu's stub garbled its packets until the time limit ended gdb.
 */
const GDB_FAILED =
  /internal-error|Fatal signal|Remote (communication error|connection closed)|Ignoring packet error/;

/**
 * qemu-riscv64 7.2 -g itself often crashes (SIGSEGV) or garbles its packets with threads under
 * gdb, more so on a loaded machine, and a garbled run lasts until the time limit: one try, and
 * null (its side of the comparison skipped, and said so) when it fails.
 */
async function qemuRun(cmds = CMDS): Promise<GdbRun | null> {
  const run = await gdbBatch(["qemu-riscv64", "-g", "PORT", THREADS], THREADS, cmds);
  if (!GDB_FAILED.test(run.gdb)) return run;
  const why = GDB_FAILED.exec(run.gdb)![0];
  console.warn(`skipped: qemu-riscv64 -g failed (${why}): only Denemu's side is checked`);
  return null;
}

Deno.test({
  name: "gdb threads: info threads, the stopped thread and each thread's backtrace, as qemu's",
  ignore: !READY,
  async fn() {
    const emu = [Deno.execPath(), "run", "-A", MOD, "user", "-g", "PORT", THREADS];
    const [ours, qemu] = await Promise.all([gdbBatch(emu, THREADS, CMDS), qemuRun()]);
    const want = {
      stop: "work",
      threads: true,
      distinctTids: true,
      backtraces: true,
      workerStack: true,
      mainElsewhere: true,
      killed: true,
    };
    if (qemu) assertEquals(seen(qemu.gdb), want, qemu.gdb);
    assertEquals(seen(ours.gdb), want, ours.gdb);
    // the main thread is the process: its TID is the pid gdb names the inferior by
    assert(/^ +1 +Thread 1\.1000 /m.test(ours.gdb), ours.gdb);
  },
});

Deno.test("gdb threads: gdb-multiarch and qemu-riscv64 are installed", { ignore: READY }, () => {
  console.warn(
    "skipped: gdb-multiarch or qemu-riscv64 is missing (apt-get install gdb-multiarch qemu-user)",
  );
});

/** `stepi` 60 times in the thread that stopped, then `thread 1` and one `stepi` there. */
const STEPS = [
  "break work",
  "continue",
  "delete",
  ...Array(60).fill("stepi"),
  "thread 1",
  "p $pc",
  "stepi",
  "p $pc",
  "kill",
];

/** The stops of a {@linkcode STEPS} session that left the stepped thread. */
function strayStops(gdb: string): string[] {
  const afterBreak = gdb.slice(gdb.indexOf("hit Breakpoint 1"));
  const switched = afterBreak.match(/^\[Switching to Thread .*$/gm) ?? [];
  return [...switched, ...afterBreak.match(/^.* received signal .*$/gm) ?? []];
}

Deno.test({
  name: "gdb threads: stepi stays in the stepped thread when its turn ends, and in thread 1",
  ignore: !READY,
  async fn() {
    // turns of 64 instructions: 60 steps and the other threads' turns meet
    const sched = ["-sched", "rr,quantum=64"];
    const emu = [Deno.execPath(), "run", "-A", MOD, "user", ...sched, "-g", "PORT", THREADS];
    const [ours, qemu] = await Promise.all([
      gdbBatch(emu, THREADS, STEPS),
      gdbBatch(["qemu-riscv64", "-g", "PORT", THREADS], THREADS, STEPS),
    ]);
    // qemu-riscv64 7.2 reports a step's stop in another thread: gdb 13 fails an assertion
    // (finish_step_over) or crashes; where it does not, it stays in the thread as ours must
    if (GDB_FAILED.test(qemu.gdb)) {
      console.warn(`qemu-riscv64 -g: gdb failed: ${GDB_FAILED.exec(qemu.gdb)![0]}`);
    } else assertEquals(strayStops(qemu.gdb), [], qemu.gdb);
    assertEquals(strayStops(ours.gdb), [], ours.gdb);
    // where the program starts, the 60 steps and the step in thread 1
    assertEquals(ours.gdb.match(/^0x[0-9a-f]+ in \w+ \(\)$/gm)?.length, 62, ours.gdb);
    // `stepi` after `thread 1` steps the main thread, not the one that stopped
    const pcs = [...ours.gdb.matchAll(/^\$\d+ = .* (0x[0-9a-f]+) <\w+\+\d+>$/gm)];
    const [before, after] = pcs.map((m) => BigInt(m[1]));
    assert(pcs.length === 2 && after > before && after - before <= 4n, ours.gdb);
  },
});

Deno.test({
  name: "gdb: a forked child runs on past gdb's breakpoints, as a qemu-riscv64 -g child leaves gdb",
  ignore: !READY,
  async fn() {
    // fork.static.O0: children write into pipes while the parent waits for them
    const fork = new URL("./guests/bin/fork.static.O0", import.meta.url).pathname;
    const cmds = ["break write", "continue", "bt 2", "continue", "continue", "delete", "continue"];
    const emu = [Deno.execPath(), "run", "-A", MOD, "user", "-g", "PORT", fork];
    const [ours, qemu] = await Promise.all([
      gdbBatch(emu, fork, cmds),
      gdbBatch(["qemu-riscv64", "-g", "PORT", fork], fork, cmds),
    ]);
    const stops = (s: string) => s.split("\n").filter((l) => /^(Breakpoint|#|\[Inferior)/.test(l));
    assertEquals(stops(ours.gdb), stops(qemu.gdb));
    assertEquals(stops(ours.gdb).length, 7, ours.gdb); // 3 stops, 2 frames, the exit
    const lines = (s: string) => s.split("\n").sort();
    assertEquals(lines(ours.emuOut), lines(qemu.emuOut));
    assertEquals(ours.emuStatus, 0, ours.emuErr);
  },
});

Deno.test({
  name: "gdb threads: a register gdb writes in a thread that does not run stays that thread's",
  ignore: !READY,
  async fn() {
    const cmds = ["break work", "continue", "thread 1", "set var $a0 = 77", "thread 2", "thread 1"];
    cmds.push("p $a0", "kill");
    const emu = [Deno.execPath(), "run", "-A", MOD, "user", "-g", "PORT", THREADS];
    const [ours, qemu] = await Promise.all([gdbBatch(emu, THREADS, cmds), qemuRun(cmds)]);
    for (const run of qemu ? [qemu, ours] : [ours]) assert(/^\$1 = 77$/m.test(run.gdb), run.gdb);
    assertEquals(ours.emuErr, "emu: Terminated via GDBstub\n");
  },
});

Deno.test("history: a process with threads gets no checkpoints, and a write there ends the way back", async () => {
  // Before: taking a checkpoint (every `interval` instructions, or after gdb wrote a register)
  // threw "snapshots of several threads ... are not supported yet", which ended the stub.
  const m = await createMachine({ program: THREADS, stdout: () => {} });
  const d = new MachineDebuggee(m, { interval: 5000 });
  d.addBreakpoint(m.symbol("work")! + 20n);
  let stop = null;
  while (!stop) stop = d.resume({ step: false, signal: 0, budget: 100_000 });
  assertEquals(stop, { kind: "breakpoint" });
  const front = d.history.checkpoints.at(-1)!;
  assert(d.history.position - front > 5000, "no checkpoint once the threads run");
  d.writeReg("a0", 77n);
  assertEquals(d.reverse({ step: true }), { kind: "history_begin" });
  assertEquals(d.readReg("a0"), 77n);
});

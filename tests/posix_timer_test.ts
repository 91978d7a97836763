// POSIX timers (core/linux/posix_timers.ts): expiry arithmetic, ids, a timer whose signal every
// thread blocks (a deadlock report, not an endless skip of idle time), snapshot files that hold
// armed POSIX timers, files written before timers existed, and damaged timers refused. The guest
// `posix_timer` (timer_*, sigtimedwait, rt_tgsigqueueinfo) is compared with qemu-riscv64 by the
// guest manifest tests and with qemu-aarch64 by tests/aarch64_guests_test.ts.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, rejects, throws } from "node:assert/strict";
import { EmuError } from "../core/errors.ts";
import type { LinuxProcess } from "../core/linux/process.ts";
import { runToExit, startProcess } from "./util/process_steps.ts";
import { DeadlockError } from "../core/linux/thread_group.ts";
import { expiries, PosixTimers, SIGEV } from "../core/linux/posix_timers.ts";
import { processSnapshotIdentity } from "../core/linux/process_file.ts";
import { loadSnapshotFile, saveSnapshotFile } from "../core/snapshot/file.ts";
import { editSnapshot } from "../scripts/selffuzz/snapshot.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;

Deno.test("posix timers: expiries count the missed ones and find the next", () => {
  assertEquals(expiries(100n, 0n, 150n), { count: 1n, next: 0n });
  assertEquals(expiries(100n, 10n, 100n), { count: 1n, next: 110n });
  assertEquals(expiries(100n, 10n, 139n), { count: 4n, next: 140n });
});

Deno.test("posix timers: ids count up; SIGEV_NONE timers never stop the run", () => {
  const t = new PosixTimers();
  const a = t.add({ clock: 1, notify: SIGEV.NONE, signal: 0, tid: 0, value: 0n });
  const b = t.add({ clock: 0, notify: SIGEV.SIGNAL, signal: 34, tid: 0, value: 7n });
  t.find(a).at = 50n;
  assertEquals([a, b, t.next()], [0, 1, undefined]);
  t.find(b).at = 80n;
  assertEquals([t.next(), t.next((timer) => timer.id !== b)], [80n, undefined]);
  t.delete(a);
  throws(() => t.find(a));
  assertEquals(t.add({ clock: 1, notify: SIGEV.NONE, signal: 0, tid: 0, value: 0n }), 2);
});

function toSyscall(p: LinuxProcess, n: number): void {
  for (let seen = 0; seen < n;) if (p.step().kind === "syscall") seen++;
}

for (const arch of ["", "aarch64/"]) {
  Deno.test(`${arch || "riscv64/"}posix_timer blocked: a timer whose signal is blocked ends in the deadlock report`, async () => {
    const { p } = await startProcess(`${BIN}${arch}posix_timer.static.O2`, { args: ["blocked"] });
    throws(
      () => p.runToExit(),
      (e) => e instanceof DeadlockError && /ppoll/.test(e.message),
    );
  });
}

/** Saves `program` at its `n`th syscall to a file; returns the file and how the run went on. */
async function savedAt(program: string, n: number, path: string) {
  const { p, out } = await startProcess(program);
  toSyscall(p, n);
  const id = processSnapshotIdentity(p);
  await saveSnapshotFile(path, p.snapshot(), id);
  return { id, original: runToExit(p, out) };
}

Deno.test("posix timers: a snapshot file keeps armed timers and their waiting signal", async () => {
  const path = Deno.makeTempFileSync();
  const program = `${BIN}posix_timer.static.O2`;
  try {
    // the 55th syscall: a nanosleep while a periodic timer runs and its signal waits
    const { id, original } = await savedAt(program, 55, path);
    const { p, out } = await startProcess(program);
    p.restore(await loadSnapshotFile(path, id));
    assertEquals(runToExit(p, out), original);
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("snapshot files written before timers existed (no timers fields) still load", async () => {
  const path = Deno.makeTempFileSync();
  const program = `${BIN}hello.static.O2`;
  try {
    const { id, original } = await savedAt(program, 3, path);
    await Deno.writeFile(
      path,
      await editSnapshot(await Deno.readFile(path), (f) => {
        const meta = f.header.meta as Record<string, unknown>;
        delete meta.timers;
        delete meta.posixTimers;
      }),
    );
    const { p, out } = await startProcess(program);
    p.restore(await loadSnapshotFile(path, id));
    assertEquals(runToExit(p, out), original);
  } finally {
    Deno.removeSync(path);
  }
});

type SavedTimers = { nextId: number; timers: Record<string, unknown>[] };

/** Saves the posix_timer guest with two timers made, edits them, expects a one-line refusal. */
async function refused(edit: (t: SavedTimers) => void) {
  const path = Deno.makeTempFileSync();
  const program = `${BIN}posix_timer.static.O2`;
  try {
    const { id } = await savedAt(program, 66, path); // after the second timer_create
    await Deno.writeFile(
      path,
      await editSnapshot(await Deno.readFile(path), (f) => {
        edit((f.header.meta as { posixTimers: SavedTimers }).posixTimers);
      }),
    );
    const { p } = await startProcess(program);
    await rejects(
      async () => p.restore(await loadSnapshotFile(path, id)),
      (e) => e instanceof EmuError && /POSIX timers/.test(e.message) && !e.message.includes("\n"),
    );
  } finally {
    Deno.removeSync(path);
  }
}

Deno.test("hostile snapshot: POSIX timers with the same id are refused in one line", async () => {
  await refused((t) => t.timers.push(t.timers[0]));
});

Deno.test("hostile snapshot: a POSIX timer id past the next id is refused in one line", async () => {
  await refused((t) => t.nextId = 0);
});

Deno.test("hostile snapshot: a POSIX timer of an unknown notification is refused", async () => {
  await refused((t) => t.timers[0].notify = 3);
});

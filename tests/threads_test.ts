// Guest threads on the deterministic scheduler: a pthread program compared with qemu-riscv64
// under several schedules, the same seed giving the same run, a planted race found under
// `-sched random`, LR/SC kept atomic across switches, a deadlock reported, snapshots refused.
// threads.c also reads a pipe a sleeping producer thread fills (a read waits for the data).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, EmuError } from "../mod.ts";
import { GUEST_BIN, runGuest, testAgainstQemu } from "./util/guest_runs.ts";
import { DEFAULT_SCHED, parseSched } from "../core/linux/threads.ts";
import { FutexTable } from "../core/linux/futex.ts";
import { GuestThread } from "../core/linux/threads.ts";
import { startProcess } from "./util/process_steps.ts";
import { processSnapshotIdentity } from "../core/linux/process_file.ts";
import { loadSnapshotFile, saveSnapshotFile } from "../core/snapshot/file.ts";
import { editSnapshot } from "../scripts/selffuzz/snapshot.ts";

const BIN = GUEST_BIN;
const run = runGuest;

testAgainstQemu(
  "threads",
  ["threads.static.O2", "threads.dynamic.O2"],
  [{}, { sched: "random,quantum=200", seed: 1 }, { sched: "random", seed: 2 }],
  (out) => out.includes("robust: lock after the owner died: EOWNERDEAD"),
);

Deno.test("threads: the same seed gives the same interleaving, another seed another", async () => {
  const opts = { sched: "random,quantum=100", seed: 7 };
  const a = await run("threads.static.O2", opts);
  const b = await run("threads.static.O2", opts);
  assertEquals(a, b);
  const clones = a.strace.filter((l) => /^1000 clone\(CLONE_VM\|/.test(l));
  assert(clones.length >= 8, `${clones.length} clones`);
  assert(a.strace.some((l) => /^100[1-9] futex\(/.test(l)), "threads other than main call futex");
  assertEquals(await run("threads.static.O2", { ...opts, accel: "interp" }), a, "interp vs jit");
  const c = await run("threads.static.O2", { ...opts, seed: 8 });
  assertEquals(c.stdout, a.stdout);
  assert(c.strace.join("\n") !== a.strace.join("\n"), "seed 8 interleaves like seed 7");
});

Deno.test("threads: a planted race is found under -sched random, and only there", async () => {
  const rr = await run("race.static.O2");
  assertEquals([rr.status, rr.stdout], [0, "counter 600 of 600\n"]);
  const found = [];
  for (const seed of [1, 3]) {
    const r = await run("race.static.O2", { sched: "random,quantum=200", seed });
    assertEquals(r.status, 1, `seed ${seed}: ${r.stdout}`);
    assertEquals(await run("race.static.O2", { sched: "random,quantum=200", seed }), r);
    found.push(r.stdout);
  }
  assert(found[0] !== found[1], `both seeds lost the same updates: ${found}`);
});

Deno.test("threads: LR/SC stays atomic when a switch falls between them", async () => {
  for (const seed of [1, 2, 3]) {
    const r = await run("race.static.O2", { sched: "random,quantum=64", seed, args: ["cas"] });
    assertEquals([r.status, r.stdout], [0, "counter 600 of 600\n"], `seed ${seed}`);
  }
});

for (const prog of ["deadlock.static.O2", "deadlock.dynamic.O2"]) {
  Deno.test(`threads: ${prog} ends with a report of each thread and its wait`, async () => {
    const m = await createMachine({ program: BIN + prog });
    const e = await m.runToExit().then(() => null, (e) => e);
    assert(e instanceof EmuError, String(e));
    const lines = e.message.split("\n");
    assert(lines[0].startsWith("deadlock: every guest thread waits"), e.message);
    assertEquals(lines.length, 3, e.message);
    assert(/^ {2}thread 1000: futex\(0x[0-9a-f]+,FUTEX_PRIVATE_FLAG\|FUTEX_WAIT,2,/.test(lines[1]));
    assert(/^ {2}thread 1001: futex\(.* waiting on futex 0x[0-9a-f]+$/.test(lines[2]));
    assertEquals(m.stdout, "both threads hold one mutex and want the other\n");
    await m.close();
  });
}

Deno.test("threads: the CLI reports a deadlock in one message and exits 1", async () => {
  const o = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../mod.ts", import.meta.url).pathname,
      "user",
      BIN + "deadlock.static.O2",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(o.code, 1);
  assert(
    /^emu: deadlock: .*\n {2}thread 1000: .*\n {2}thread 1001: /.test(
      new TextDecoder().decode(o.stderr),
    ),
  );
});

Deno.test("threads: a snapshot with several threads is refused in one message", async () => {
  const m = await createMachine({ program: BIN + "threads.static.O2" });
  const before = m.snapshot(); // one thread: fine
  let clones = 0;
  for await (const ev of m.run()) {
    if (ev.type === "syscall" && ev.name === "clone") clones++;
    else if (clones && ev.type === "syscall") break;
  }
  assert.throws(() => m.snapshot(), (e) => e instanceof EmuError && /2 threads/.test(e.message));
  m.restore(before);
  assertEquals(await m.runToExit(), 0);
  assert(m.stdout.endsWith("last thread: main has gone, exiting with 0\n"), m.stdout);
  await m.close();
});

Deno.test("threads: a snapshot file keeps the thread-id counter (a restored process hands out no tid in use)", async () => {
  const path = Deno.makeTempFileSync();
  const program = BIN + "threads.static.O2";
  try {
    // the last thread, alone once main has gone, with the tids of a dozen threads handed out
    const { p } = await startProcess(program);
    while (p.threads.all.length !== 1 || p.tid === p.pid) p.step();
    for (const { fd } of p.fds.list()) if (fd > 2) p.fds.close(fd); // the pipe, read no more
    const id = processSnapshotIdentity(p);
    await saveSnapshotFile(path, p.snapshot(), id);
    const next = p.world.allocId();
    assert(next > p.tid, `${next} after ${p.tid}`);
    const fresh = await startProcess(program);
    fresh.p.restore(await loadSnapshotFile(path, id));
    assertEquals([fresh.p.tid, fresh.p.world.allocId()], [p.tid, next]);
    // a file written before the counter was kept: the next tid comes after the restored one
    await Deno.writeFile(
      path,
      await editSnapshot(await Deno.readFile(path), (f) => {
        delete (f.header.meta as { thread: { nextId?: number } }).thread.nextId;
      }),
    );
    const old = await startProcess(program);
    old.p.restore(await loadSnapshotFile(path, id));
    assertEquals(old.p.world.allocId(), p.tid + 1);
    // a counter at or below the tid is refused in one line
    await Deno.writeFile(
      path,
      await editSnapshot(await Deno.readFile(path), (f) => {
        (f.header.meta as { thread: { nextId?: number } }).thread.nextId = p.tid;
      }),
    );
    await assert.rejects(
      async () => old.p.restore(await loadSnapshotFile(path, id)),
      (e) => e instanceof EmuError && /next thread id/.test(e.message),
    );
  } finally {
    Deno.removeSync(path);
  }
});

Deno.test("-sched: policies, quantum and its limits", () => {
  assertEquals(parseSched("rr"), DEFAULT_SCHED);
  assertEquals(parseSched("random,quantum=64"), { policy: "random", quantum: 64 });
  assert.throws(() => parseSched("fifo"), /unknown policy "fifo"/);
  assert.throws(() => parseSched("rr,quantum=10"), /quantum 10 out of range/);
  assert.throws(() => parseSched("rr,slice=10"), /unknown option "slice=10"/);
});

Deno.test("futex queues: bitsets, requeue, first come first woken", () => {
  const f = new FutexTable();
  const [a, b, c] = [1001, 1002, 1003].map((t) => new GuestThread(t));
  const wa = f.enqueue(0x100n, a, 1), wb = f.enqueue(0x100n, b, 2), wc = f.enqueue(0x100n, c, 3);
  assertEquals(f.wake(0x100n, 5, 2), 2);
  assertEquals([wa.woken, wb.woken, wc.woken], [false, true, true]);
  assertEquals(f.requeue(0x100n, 0x200n, 1), 1);
  assertEquals([f.has(0x100n), f.has(0x200n)], [false, true]);
  assertEquals(f.shift(0x200n), wa);
});

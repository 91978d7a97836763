// Interval timers (core/linux/itimers.ts): expiries, intervals and missed expiries on the
// virtual clock, and snapshot files whose timers are damaged. The guest `itimer` (alarm, pause,
// sleeps cut short, the three timers, the errors) is compared with qemu-riscv64 by the guest
// manifest tests.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, rejects } from "node:assert/strict";
import { createMachine, EmuError } from "../mod.ts";
import { IntervalTimers } from "../core/linux/itimers.ts";
import { editSnapshot } from "../scripts/selffuzz/snapshot.ts";

Deno.test("interval timers: a one-shot timer expires once, then is disarmed", () => {
  const t = new IntervalTimers();
  t.set(0, 100n, 0n, 1000n);
  assertEquals([t.next(), t.get(0, 1040n)], [1100n, [60n, 0n]]);
  assertEquals([t.due(1099n), t.due(1100n), t.next(), t.get(0, 1200n)], [
    [],
    [0],
    undefined,
    [0n, 0n],
  ]);
});

Deno.test("interval timers: a periodic timer rearms; expiries missed meanwhile count once", () => {
  const t = new IntervalTimers();
  t.set(1, 10n, 10n, 0n);
  assertEquals([t.due(10n), t.next()], [[1], 20n]);
  assertEquals([t.due(55n), t.next()], [[1], 60n]);
  t.set(2, 5n, 0n, 56n);
  assertEquals([t.due(61n), t.next()], [[1, 2], 70n]);
  t.set(1, 0n, 10n, 61n); // a value of 0 disarms, whatever the interval
  assertEquals(t.next(), undefined);
});

/** Saves a user-mode machine, edits the file's timers, and expects the load to fail in a line. */
async function loadWithTimers(edit: (timers: unknown[]) => void) {
  const path = await Deno.makeTempFile();
  const hello = new URL("./guests/bin/hello.static.O2", import.meta.url).pathname;
  try {
    const saver = await createMachine({ program: hello, stdout: () => {} });
    saver.next(20_000);
    await saver.save(path);
    await saver.close();
    await Deno.writeFile(
      path,
      await editSnapshot(await Deno.readFile(path), (p) => {
        edit((p.header.meta as { timers: unknown[] }).timers);
      }),
    );
    const m = await createMachine({ program: hello, stdout: () => {} });
    await rejects(
      m.load(path),
      (e) =>
        e instanceof EmuError && /interval timers/.test(e.message) && !e.message.includes("\n"),
    );
    await m.close();
  } finally {
    await Deno.remove(path);
  }
}

Deno.test("hostile snapshot: four interval timers are refused in one line", async () => {
  await loadWithTimers((timers) => timers.push(timers[0]));
});

Deno.test("hostile snapshot: a negative timer interval is refused in one line", async () => {
  await loadWithTimers((timers) => (timers[0] as unknown[])[1] = { $n: "-5" });
});

Deno.test("interval timers: idle time is not skipped to a timer whose signal is ignored", () => {
  const t = new IntervalTimers();
  t.set(0, 100n, 100n, 0n); // SIGALRM, periodic
  t.set(1, 300n, 0n, 0n); // SIGVTALRM
  const ignoresAlarm = (signal: number) => signal !== 14;
  assertEquals([t.next(), t.next(ignoresAlarm), t.next(() => false)], [100n, 300n, undefined]);
});

// Virtual-time event queue (ordering, cancel, determinism), interrupt lines, and the serial
// console's expect/write driven by virtual time.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { EventQueue, IrqLine } from "../plugin.ts";
import { ExpectTimeout, SerialConsole } from "../mod.ts";
import { testEnv } from "./system_env.ts";

Deno.test("events: run by time, ties in scheduling order, only when due", () => {
  const q = new EventQueue();
  const seen: string[] = [];
  q.schedule(30n, () => seen.push("c"));
  q.schedule(10n, () => seen.push("a1"));
  q.schedule(20n, () => seen.push("b"));
  q.schedule(10n, () => seen.push("a2"));
  assert.equal(q.nextDeadline(), 10n);
  assert.equal(q.runDue(9n), 0);
  assert.equal(q.runDue(20n), 3);
  assert.deepEqual(seen, ["a1", "a2", "b"]);
  assert.equal(q.nextDeadline(), 30n);
  assert.equal(q.size, 1);
});

Deno.test("events: cancel, and events scheduled by callbacks run when due", () => {
  const q = new EventQueue();
  const seen: bigint[] = [];
  const h = q.schedule(5n, () => seen.push(5n));
  assert.equal(q.cancel(h), true);
  assert.equal(q.cancel(h), false);
  assert.equal(q.isPending(h), false);
  q.schedule(10n, (now) => {
    seen.push(now);
    q.schedule(12n, () => seen.push(12n)); // due in the same runDue
    q.schedule(50n, () => seen.push(50n)); // not yet
  });
  q.runDue(15n);
  assert.deepEqual(seen, [15n, 12n]);
  assert.equal(q.nextDeadline(), 50n);
  q.runDue(100n);
  assert.equal(q.nextDeadline(), null);
});

Deno.test("events: the same schedule gives the same order (many random events)", () => {
  const run = () => {
    const q = new EventQueue();
    const order: number[] = [];
    let x = 12345;
    const handles = [];
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      handles.push(q.schedule(BigInt(x % 97), () => order.push(i)));
    }
    for (let i = 0; i < 500; i += 7) q.cancel(handles[i]);
    for (let t = 0n; t <= 100n; t += 10n) q.runDue(t);
    return order;
  };
  const a = run(), b = run();
  assert.deepEqual(a, b);
  assert.equal(a.length, 500 - Math.ceil(500 / 7));
  assert.ok(!a.includes(0) && !a.includes(7));
});

Deno.test("events: onSooner tells of an event due before every pending one", () => {
  const q = new EventQueue();
  let told = 0;
  q.onSooner = () => told++;
  q.schedule(100n, () => {});
  assert.equal(told, 1, "the first event is the soonest");
  q.schedule(200n, () => {});
  assert.equal(told, 1, "a later one is not");
  const t = q.timer("t", () => {});
  t.arm(50n);
  assert.equal(told, 2, "a timer armed before them is");
  t.arm(300n);
  assert.equal(told, 2, "re-armed after them, it is not");
});

Deno.test("irq: a line reports level changes only", () => {
  const changes: boolean[] = [];
  const line = new IrqLine((l) => changes.push(l));
  line.set(true);
  line.set(true);
  line.set(false);
  line.pulse();
  assert.deepEqual(changes, [true, false, true, false]);
  assert.equal(line.level, false);
});

Deno.test("console: expect matches accumulated output and consumes it", async () => {
  const env = testEnv();
  const con = new SerialConsole(env.events, env.clock);
  const type = (s: string) => {
    for (const b of new TextEncoder().encode(s)) con.transmit(b);
  };
  const first = con.expect(/Hit any key/);
  type("U-Boot 2023.01\nHit any ");
  type("key to stop autoboot\n=> ");
  assert.equal((await first)[0], "Hit any key");
  const prompt = await con.expect("=> ");
  assert.equal(prompt.index, " to stop autoboot\n".length);
  // Already consumed: a second prompt must wait for new output.
  let done = false;
  const again = con.expect("=> ").then(() => (done = true));
  await Promise.resolve();
  assert.equal(done, false);
  type("=> ");
  await again;
  assert.ok(con.output.startsWith("U-Boot"));
});

Deno.test("console: expect times out in virtual time", async () => {
  const env = testEnv();
  const con = new SerialConsole(env.events, env.clock);
  const p = con.expect(/login:/, { timeoutNs: 1000n });
  env.advanceTo(999n);
  con.transmit(0x78);
  env.advanceTo(1000n);
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof ExpectTimeout);
    assert.match(e.message, /within 1000 ns.*"x"/);
    return true;
  });
  assert.equal(env.events.size, 0);
});

Deno.test("console: write feeds the receive side and tells listeners", () => {
  const env = testEnv();
  const con = new SerialConsole(env.events, env.clock);
  let told = 0;
  con.onInput(() => told++);
  con.write("hé");
  assert.equal(told, 1);
  assert.equal(con.inputLength, 3);
  assert.deepEqual([con.receive(), con.receive(), con.receive(), con.receive()], [
    0x68,
    0xc3,
    0xa9,
    undefined,
  ]);
});

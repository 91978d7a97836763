// The scripting API: events, breakpoints, watchpoints, fault retry, syscall
// skipping, exact stepping and determinism, on both backends.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, type RunEvent } from "../mod.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;

for (const accel of ["interp", "jit"] as const) {
  Deno.test(`${accel}: syscall events, and skipping a write suppresses it`, async () => {
    const m = await createMachine({ program: `${BIN}hello.static.O2`, accel });
    const names: string[] = [];
    for await (const ev of m.run()) {
      if (ev.type === "syscall") {
        names.push(ev.name);
        if (ev.name === "write") ev.skip(14n);
      }
      if (ev.type === "exit") assertEquals(ev.status, 0);
    }
    assert(names.includes("write") && names.at(-1) === "exit_group", names.join(" "));
    assertEquals(m.stdout, "");
  });

  Deno.test(`${accel}: breakpoint at main, registers, then resume to exit`, async () => {
    const m = await createMachine({ program: `${BIN}argv_env.static.O2`, args: ["a", "b"], accel });
    const main = m.symbol("main");
    assert(main !== undefined, "main symbol");
    m.addBreakpoint(main);
    const ev = m.runUntil(main);
    assertEquals(ev, { type: "breakpoint", pc: main });
    assertEquals(m.pc, main);
    assertEquals(m.readReg("a0"), 3n); // argc
    assertEquals(m.symbolAt(main + 4n), "main+0x4");
    m.removeBreakpoint(main);
    assertEquals(await m.runToExit(), 0);
    assert(m.stdout.includes('argv[2] "b"'), m.stdout);
  });

  Deno.test(`${accel}: a fault is reported first; mapping the page and retrying continues`, async () => {
    const m = await createMachine({ program: `${BIN}crash.static.O2`, args: ["segv"], accel });
    const seen: RunEvent["type"][] = [];
    const signals: number[] = [];
    for await (const ev of m.run()) {
      seen.push(ev.type);
      if (ev.type === "fault") {
        signals.push(ev.signal);
        if (ev.signal === 11) {
          // GCC compiled the NULL write as `sw zero,0(zero); ebreak`
          assertEquals([ev.address, ev.access], [0n, "write"]);
          m.mapMemory(0n, 0x1000n, "rw");
          ev.retry(); // the store runs again, now successfully
        } // the ebreak's SIGTRAP is left to kill the guest
      }
      if (ev.type === "exit") assertEquals(ev.status, 128 + 5);
    }
    assertEquals(signals, [11, 5]);
    assertEquals(m.stdout, "mode segv\n");
  });

  Deno.test(`${accel}: watchpoint stops after the write`, async () => {
    const m = await createMachine({ program: `${BIN}crash.static.O2`, args: ["segv"], accel });
    m.mapMemory(0n, 0x1000n, "rw");
    m.addWatchpoint(0n, 4, "write");
    const ev = m.next();
    let e = ev;
    while (e.type === "syscall") e = m.next();
    assertEquals(e.type, "watchpoint");
    if (e.type === "watchpoint") {
      assertEquals([e.address, e.size, e.write, e.value], [0n, 4, true, 0n]);
    }
    assertEquals(await m.runToExit(), 128 + 5); // then the ebreak: SIGTRAP
  });

  Deno.test(`${accel}: step(n) retires exactly n instructions`, async () => {
    const m = await createMachine({ program: `${BIN}exit42.static.O2`, accel });
    assertEquals(m.step(5), null);
    assertEquals(m.icount, 5);
    assertEquals(m.step(7), null);
    assertEquals(m.icount, 12);
  });
}

Deno.test("the same run, driven twice, yields identical events (and both backends agree)", async () => {
  const trace = async (accel: "jit" | "interp") => {
    const m = await createMachine({ program: `${BIN}printf_float.static.O2`, seed: 7, accel });
    const out: string[] = [];
    for await (const ev of m.run()) {
      out.push(JSON.stringify(ev, (_k, v) => typeof v === "bigint" ? v.toString(16) : v));
    }
    return { out, icount: m.icount, stdout: m.stdout };
  };
  const a = await trace("jit"), b = await trace("jit"), c = await trace("interp");
  assert(a.out.length > 10);
  assertEquals(b, a);
  assertEquals(c, a);
});

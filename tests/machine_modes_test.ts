// One Machine for both modes: the same script drives a Linux program (user mode) and a bare-metal
// kernel on the virt board (system mode), on every engine; events of both modes in one union.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { type Accel, createMachine, EmuError, type Machine, type RunEvent } from "../mod.ts";

const HELLO = new URL("./guests/bin/hello.static.O2", import.meta.url).pathname;
const TIMER = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;
const ACCELS: Accel[] = ["jit", "interp", "interp32", "lockstep"];

/** The script: the same methods, whatever the mode. Returns the types of the events it saw. */
async function script(m: Machine, accel: Accel): Promise<string[]> {
  const seen: string[] = [];
  const main = m.symbol("main")!;
  assert(main !== undefined, "main has a symbol");
  assertEquals(m.runUntil(main), { type: "breakpoint", pc: main });
  assertEquals(m.symbolAt(m.pc), "main");
  // registers and memory
  const sp = m.readReg("sp");
  const scratch = sp - 512n;
  m.writeMemory(scratch, new Uint8Array([1, 2, 3, 4]));
  assertEquals([...m.readMemory(scratch, 4)], [1, 2, 3, 4]);
  m.writeReg("t6", 0x1234n);
  assertEquals(m.readReg("t6"), 0x1234n);
  // a watchpoint on the stack main is about to use: its prologue stores into it
  const watch = m.addWatchpoint(sp - 64n, 64, "write");
  const hit = m.next();
  assert(hit.type === "watchpoint" && hit.write, JSON.stringify(hit, (_k, v) => String(v)));
  m.removeWatchpoint(watch);
  // exact steps, counted by a hook too
  let counted = 0;
  const id = m.hooks.addInsnHook(() => counted++, { regs: "none" });
  const before = m.icount;
  assertEquals(m.step(3), null);
  // user-mode lockstep runs every block on both engines, callbacks included
  const engines = accel === "lockstep" && m.mode === "user" ? 2 : 1;
  assertEquals([m.icount - before, counted], [3, 3 * engines]);
  m.hooks.remove(id);
  // a breakpoint, then stop() ends the next run at once
  m.addBreakpoint(main);
  m.stop();
  for await (const ev of m.run()) seen.push(ev.type);
  // a budget, then the rest of the run
  for await (const ev of m.run({ budget: 10 })) seen.push(ev.type);
  for await (const ev of m.run()) seen.push(ev.type);
  m.removeBreakpoint(main);
  await m.close();
  return seen;
}

for (const accel of ACCELS) {
  Deno.test(`${accel}: the same script runs a Linux program and a bare-metal kernel`, async () => {
    const user = await createMachine({ program: HELLO, accel });
    const userEvents = await script(user, accel);
    assertEquals(userEvents.filter((t) => t !== "syscall"), ["stop", "budget", "exit"]);
    assert(userEvents.includes("syscall"));
    assertEquals(user.mode, "user");
    assertEquals(user.stdout, "Hello, world!\n");

    const sys = await createMachine({ system: { bios: "none", kernel: TIMER }, accel });
    assertEquals(await script(sys, accel), ["stop", "budget", "poweroff"]);
    assertEquals(sys.mode, "system");
    assert(sys.stdout.includes("timer"), sys.stdout);
  });
}

Deno.test("system mode: the board's reset device gives a reset event, then the guest boots again", async () => {
  const m = await createMachine({ system: { bios: "none", kernel: TIMER } });
  const main = m.symbol("main")!;
  m.addBreakpoint(main);
  const events: RunEvent["type"][] = [];
  let resets = 0;
  for await (const ev of m.run()) {
    events.push(ev.type);
    // the first time at main: patch main to ask the SiFive test device (0x100000) for a reset
    // (the reset reloads the kernel image, so the second boot runs the real main)
    if (ev.type === "breakpoint" && resets++ === 0) {
      const words = [
        0x001002b7, // lui t0, 0x100
        0x00007337, // lui t1, 0x7
        0x77730313, // addi t1, t1, 0x777
        0x0062a023, // sw t1, 0(t0): FINISHER_RESET
      ];
      m.writeMemory(main, new Uint8Array(new Uint32Array(words).buffer));
    }
  }
  await m.close();
  assertEquals(events, ["breakpoint", "reset", "breakpoint", "poweroff"]);
});

Deno.test("mode-specific parts say which mode they need", async () => {
  const user = await createMachine({ program: HELLO });
  assert.throws(
    () => user.serial,
    (e: unknown) => e instanceof EmuError && /no serial port/.test(e.message),
  );
  await user.close();
  const sys = await createMachine({ system: { bios: "none", kernel: TIMER } });
  assert.throws(() => sys.mapMemory(0x1000n, 0x1000n), EmuError);
  await assert.rejects(
    () =>
      createMachine({
        system: { kernel: TIMER, bios: "none" },
        log: { categories: ["strace"], write: () => {} },
      }),
    /not a system-mode log item/,
  );
  await sys.close();
});

Deno.test("snapshots refuse another mode's state, and say when they are unavailable", async () => {
  const user = await createMachine({ program: HELLO });
  const sys = await createMachine({ system: { bios: "none", kernel: TIMER } });
  let snap;
  try {
    snap = user.snapshot();
  } catch (e) {
    assert(e instanceof EmuError && /snapshots not available yet/.test(e.message));
  }
  if (snap) assert.throws(() => sys.restore(snap), /cannot restore a user-mode snapshot/);
  await user.close();
  await sys.close();
});

Deno.test("-d in_asm: one format in both modes, naming the function", async () => {
  const logs: string[][] = [[], []];
  const user = await createMachine({
    program: HELLO,
    log: { categories: ["in_asm"], write: (t) => logs[0].push(t) },
  });
  await user.runToExit();
  const sys = await createMachine({
    system: { bios: "none", kernel: TIMER },
    log: { categories: ["in_asm"], write: (t) => logs[1].push(t) },
  });
  await sys.runToExit();
  await sys.close();
  // system mode adds qemu-system-riscv64's line of the block's privilege
  const block =
    /^-{16}\nIN: [\w.]*\n(Priv: [0-3]; Virt: 0\n)?(0x[0-9a-f]{16}: {2}[0-9a-f]{4,8} +\S.*\n)+$/;
  for (const log of logs) {
    assert(log.length > 10);
    for (const b of log) assert(block.test(b), JSON.stringify(b));
    assert(log.some((b) => b.startsWith("----------------\nIN: main\n")), "a block in main");
  }
});

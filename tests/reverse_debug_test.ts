// Reverse execution: the ExecutionHistory engine (steps back compared with the states a
// forward run recorded, back to breakpoints and watchpoints, across syscalls, interrupts and
// wfi idling), then gdb-multiarch's reverse-stepi, reverse-continue, reverse-finish,
// reverse-next and reverse-step against `emu user -g` and `emu system -gdb`.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, ExecutionHistory, type Machine } from "../mod.ts";
import type { Debuggee } from "../core/gdb/debuggee.ts";
import { GdbHandler } from "../core/gdb/handler.ts";
import { MachineDebuggee } from "../core/gdb/machine_debuggee.ts";
import { gdbBatch } from "./util/gdb_batch.ts";
import { installed } from "./util/installed.ts";
import { emuSystemArgs } from "./util/emu_system.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const HELLO = `${BIN}hello.static.O2`;
const SORT = `${BIN}sort.static.O0`;
const TIMER = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;

/** Every integer register and the pc, as one comparable string. */
function registers(m: Machine): string {
  const names = ["pc", ...Array.from({ length: 31 }, (_, i) => `x${i + 1}`)];
  return names.map((n) => m.readReg(n).toString(16)).join(" ");
}

function timerMachine(): Promise<Machine> {
  return createMachine({ system: { kernel: TIMER, bios: "none", memory: "128M" } });
}

/** Steps `n` times recording the registers, then steps back comparing them. */
function stepBackAndCompare(m: Machine, h: ExecutionHistory, n: number): bigint[] {
  const seen: { position: number; regs: string }[] = [];
  for (let i = 0; i < n; i++) {
    seen.push({ position: h.position, regs: registers(m) });
    const ev = h.stepForward();
    if (ev.type === "exit" || ev.type === "poweroff") break;
  }
  const pcs: bigint[] = [];
  for (const want of seen.reverse()) {
    assert(h.reverseStep(), `reverse step to ${want.position}`);
    assertEquals({ position: h.position, regs: registers(m) }, want);
    pcs.push(m.pc);
  }
  return pcs;
}

Deno.test("history (user): 3000 steps back equal the forward run, across syscalls and thinned checkpoints", async () => {
  const m = await createMachine({ program: HELLO });
  const h = new ExecutionHistory(m, { interval: 200, maxCheckpoints: 6 });
  stepBackAndCompare(m, h, 3000);
  assertEquals(h.position, 0);
  assertEquals(h.reverseStep(), false);
  assert(h.checkpoints.length <= 6, `${h.checkpoints}`);
  // forward again from the start: the same run; its output is not repeated
  for (let ev = h.next(); ev.type !== "exit"; ev = h.next());
  assertEquals(m.stdout, "Hello, world!\n");
  const end = h.position;
  h.seek(end - 50);
  for (let ev = h.next(); ev.type !== "exit"; ev = h.next());
  assertEquals([h.position, m.stdout], [end, "Hello, world!\n"]);

  await m.close();
});

Deno.test("history (user): reverseContinue stops at each earlier breakpoint hit, then at the start", async () => {
  const m = await createMachine({ program: SORT });
  const h = new ExecutionHistory(m, { interval: 10_000 });
  m.addBreakpoint(m.symbol("next")!);
  const hits: number[] = [];
  while (hits.length < 5) {
    const ev = h.next();
    if (ev.type === "breakpoint") hits.push(h.position);
  }
  const back: number[] = [];
  for (;;) {
    const stop = h.reverseContinue();
    if (stop.type === "history_begin") break;
    assertEquals(stop.type, "breakpoint");
    assertEquals(m.pc, m.symbol("next"));
    back.push(h.position);
  }
  assertEquals(back, hits.slice(0, -1).reverse());
  assertEquals(h.position, 0);
  // a hit exactly at a checkpoint (rewrite() takes one here) is found too
  while (h.next().type !== "breakpoint");
  const at = h.position;
  h.rewrite();
  for (let i = 0; i < 50; i++) h.stepForward();
  assertEquals([h.reverseContinue().type, h.position], ["breakpoint", at]);
  await m.close();
});

Deno.test("history (user): reverseContinue stops before the store a watchpoint saw", async () => {
  const m = await createMachine({ program: SORT });
  const h = new ExecutionHistory(m, { interval: 5_000 });
  const rng = m.symbol("rng")!;
  m.addWatchpoint(rng, 4, "write");
  const values: bigint[] = [];
  let last = 0;
  while (values.length < 3) {
    const ev = h.next();
    if (ev.type === "watchpoint") {
      values.push(ev.value);
      last = h.position;
    }
  }
  const word = () => new DataView(m.readMemory(rng, 4).buffer).getUint32(0, true);
  // back from just after the third store: before it, rng holds the second value
  const stop = h.reverseContinue();
  assertEquals(stop.type, "watchpoint");
  assertEquals(h.position, last - 1);
  assertEquals(BigInt(word()), values[1]);
  h.reverseContinue();
  assertEquals(BigInt(word()), values[0]);
  await m.close();
});

Deno.test("history (user): a re-execution that goes another way (outside input) is refused in one line", async () => {
  const m = await createMachine({ program: HELLO });
  const h = new ExecutionHistory(m, { interval: 200 });
  let writes = 0; // outside input: the first write returns 14, later ones 1
  m.hooks.on("syscall", (e) => e.name === "write" && e.skip(writes++ === 0 ? 14n : 1n));
  for (let ev = h.next(); ev.type !== "exit"; ev = h.next());
  assert.throws(
    () => h.reverseContinue(),
    (e: Error) =>
      e.name === "EmuError" &&
      /went another way before position \d+ \(the registers/.test(e.message),
  );
  await m.close();
});

Deno.test("history (system): steps back across interrupts and wfi equal the forward run; back from the poweroff", async () => {
  const m = await timerMachine();
  const h = new ExecutionHistory(m, { interval: 1000, maxCheckpoints: 8 });
  m.addBreakpoint(m.symbol("main")!);
  assertEquals(h.next().type, "breakpoint");
  m.removeBreakpoint(m.symbol("main")!);
  const pcs = stepBackAndCompare(m, h, 2500);
  assert(pcs.includes(m.symbol("on_m_irq")!), "the steps went through the interrupt handler");
  let ev = h.next();
  while (ev.type !== "poweroff") ev = h.next();
  const end = h.position, output = m.stdout;
  // before: a restore left the board powered off for good
  assert(h.reverseStep());
  assertEquals(h.stepForward().type, "poweroff");
  assertEquals([h.position, m.stdout], [end, output]);
  await m.close();
});

Deno.test("history (system): a seek back and then past the frontier prints the new serial output once", async () => {
  const plain = await timerMachine();
  while (plain.next().type !== "poweroff");
  const m = await timerMachine();
  const h = new ExecutionHistory(m, { interval: 1000 });
  h.seek(1000);
  h.seek(10);
  h.seek(plain.icount - 1); // before: one muted run from 10 on, losing the output after 1000
  assertEquals(h.stepForward().type, "poweroff");
  assertEquals(m.stdout, plain.stdout);
  await Promise.all([m.close(), plain.close()]);
});

Deno.test("system: a first snapshot shares one zero frame for RAM never written, and restores it", async () => {
  const m = await timerMachine();
  const t = performance.now();
  const s = m.snapshot(); // before: every frame of the 128 MiB copied, seconds on a slow host
  const ms = performance.now() - t;
  m.writeMemory(0x87f00000n, new Uint8Array([1, 2, 3]));
  m.restore(s);
  assertEquals([...m.readMemory(0x87f00000n, 3)], [0, 0, 0]);
  assert(ms < 2000, `a first snapshot took ${ms} ms`);
  await m.close();
});

Deno.test("system: a poweroff happens at the same instruction count however the run is sliced", async () => {
  // before: the run loop saw the poweroff only at the end of its chunk, so a guest spinning
  // after the poweroff store went on for the rest of the slice (4596 or 100000000 here)
  const at: number[] = [];
  for (const slice of [1e8, 1000, 1]) {
    const m = await timerMachine();
    while (m.next(slice).type !== "poweroff");
    at.push(m.icount);
    await m.close();
  }
  assertEquals(new Set(at).size, 1, `${at}`);
});

Deno.test("gdb stub: bs and bc packets, ReverseStep+ in qSupported, replaylog:begin at the start", async () => {
  const m = await createMachine({ program: HELLO });
  const d = new MachineDebuggee(m);
  const h = new GdbHandler(d);
  const sup = h.handle("qSupported:swbreak+");
  // where QEMU offers it (in replay): after qXfer:features:read+
  assert(sup.kind === "reply" && /:read\+;ReverseStep\+;ReverseContinue\+;/.test(`${sup.body}`));
  assertEquals(h.handle("bs"), { kind: "resume", step: true, signal: 0, reverse: true });
  assertEquals(h.handle("bc"), { kind: "resume", step: false, signal: 0, reverse: true });
  assertEquals(h.handle("bx"), { kind: "reply", body: "" });
  const pc0 = m.pc;
  assertEquals(d.reverse({ step: true }), { kind: "history_begin" });
  assertEquals(h.stopReply({ kind: "history_begin" }), "T05replaylog:begin;thread:3e8;");
  for (let i = 0; i < 5; i++) d.resume({ step: true, signal: 0, budget: 1 });
  assertEquals(d.reverse({ step: true }), { kind: "step" });
  assertEquals(d.reverse({ step: false }), { kind: "history_begin" });
  assertEquals([d.history.position, m.pc], [0, pc0]);
  // a stub without a history does not offer reverse execution
  const plain = new GdbHandler({ target: d.target, cpu: () => d.cpu() } as unknown as Debuggee);
  const sup2 = plain.handle("qSupported:swbreak+");
  assert(sup2.kind === "reply" && !`${sup2.body}`.includes("Reverse"));
  assertEquals(plain.handle("bs"), { kind: "reply", body: "" });
  await m.close();
});

// ---- gdb-multiarch ----

const GDB = installed("gdb-multiarch");
if (!GDB) console.log("reverse_debug_test: gdb-multiarch is not installed: skipping the gdb tests");
const REGS = "info registers pc ra sp a0 a5";
const N = 12;

/** `stepi` N times showing the registers, then `reverse-stepi` N times showing them. */
function stepsThereAndBack(): string[] {
  const forward = Array.from({ length: N }, () => [REGS, "stepi"]).flat();
  const back = Array.from({ length: N }, () => ["reverse-stepi", REGS]).flat();
  return [...forward, ...back];
}

/** The register blocks gdb printed, in order (one string per `info registers`). */
function registerBlocks(out: string): string[] {
  const lines = [...out.matchAll(/^(pc|ra|sp|a0|a5)\s+(0x[0-9a-f]+)/gm)].map((x) => x[0]);
  const blocks: string[] = [];
  for (let i = 0; i + 5 <= lines.length; i += 5) blocks.push(lines.slice(i, i + 5).join("\n"));
  return blocks;
}

/** The pcs `info registers pc` printed, in order. */
function pcsOf(out: string): bigint[] {
  return [...out.matchAll(/^pc\s+(0x[0-9a-f]+)/gm)].map((x) => BigInt(x[1]));
}

/** gdb-multiarch -batch with `cmds` against `emu user -g PORT program`. */
function userGdb(program: string, cmds: string[]) {
  return gdbBatch(
    [Deno.execPath(), "run", "-A", MOD, "user", "-g", "PORT", program],
    program,
    cmds,
  );
}

function assertStepsBack(out: string): void {
  const blocks = registerBlocks(out);
  assert(blocks.length >= 2 * N, out);
  const forward = blocks.slice(0, N), back = blocks.slice(N, 2 * N);
  assertEquals(back, forward.slice().reverse());
}

Deno.test({
  name:
    "gdb-multiarch (user): reverse-stepi, reverse-finish, reverse-next, reverse-step, reverse-continue",
  ignore: !GDB,
  async fn() {
    const r = await userGdb(HELLO, [
      "break main",
      "continue",
      ...stepsThereAndBack(),
      "break puts",
      "continue",
      "reverse-finish",
      "info registers pc",
      "x/i $pc",
      "delete 2",
      "next",
      "reverse-next",
      "info registers pc",
      "next",
      "reverse-step",
      "info registers pc",
      "reverse-continue",
      "reverse-continue",
      "info registers pc",
      "delete",
      "continue",
    ]);
    assertStepsBack(r.gdb);
    const m = await createMachine({ program: HELLO });
    const main = m.symbol("main")!;
    const pcs = pcsOf(r.gdb);
    // reverse-finish: out of puts, back onto its call in main
    const call = pcs.at(-4)!;
    assert(call > main && call < main + 32n, r.gdb);
    assert(/=> 0x[0-9a-f]+ <main\+\d+>:\s+jal\s/.test(r.gdb), r.gdb);
    // next goes to line 7; reverse-next back over the call of puts, into line 6
    const after = r.gdb.slice(r.gdb.indexOf("Breakpoint 2, "));
    assert(
      /\n7\t {2}return 0;\n(0x[0-9a-f]+\t)?6\t {2}puts\("Hello, world!"\);\npc/.test(after),
      r.gdb,
    );
    assert(pcs.at(-3)! >= main && pcs.at(-3)! <= call, r.gdb);
    // reverse-step from line 7 also steps back over puts (no line information) into line 6
    assertEquals(pcs.at(-2), pcs.at(-3));
    // reverse-continue: to the breakpoint in main, then to the start of the history
    assert(/Breakpoint 1, main \(\)[^]*No more reverse-execution history/.test(after), r.gdb);
    assertEquals(pcs.at(-1), m.pc);
    assert(r.gdb.includes("[Inferior 1 (process 1) exited normally]"), r.gdb);
    // what was re-executed is not printed again
    assertEquals(r.emuOut, "Hello, world!\n");
    await m.close();
  },
});

Deno.test({
  name:
    "gdb-multiarch (user): reverse-continue to a watchpoint sees the stores undone; reverse-nexti",
  ignore: !GDB,
  async fn() {
    const r = await userGdb(SORT, [
      "watch *(unsigned*)&rng",
      "continue",
      "continue",
      "continue",
      "reverse-continue",
      "reverse-continue",
      "info registers pc",
      "reverse-nexti",
      "info registers pc",
      "kill",
    ]);
    const changes = [...r.gdb.matchAll(/Old value = (\d+)\nNew value = (\d+)/g)].map((x) => [
      x[1],
      x[2],
    ]);
    assertEquals(changes.length, 5, r.gdb);
    // backwards, each store is undone: the values of the forward stores, swapped, in reverse order
    assertEquals(changes.slice(3), changes.slice(1, 3).reverse().map(([a, b]) => [b, a]));
    const pcs = pcsOf(r.gdb);
    assert(pcs[1] < pcs[0], r.gdb);
  },
});

Deno.test({
  name:
    "gdb-multiarch (system): reverse-stepi, reverse-continue into an interrupt handler, reverse-finish",
  ignore: !GDB,
  async fn() {
    const emu = [Deno.execPath(), ...emuSystemArgs(TIMER, ["-gdb", "tcp::PORT", "-S"])];
    const r = await gdbBatch(emu, TIMER, [
      "break main",
      "continue",
      ...stepsThereAndBack(),
      "break on_m_irq",
      "continue",
      "continue",
      "reverse-continue",
      "info registers pc",
      "reverse-finish",
      "info registers pc",
      "x/i $pc",
      "reverse-continue",
      "info registers pc",
      "delete",
      "continue",
    ]);
    assertStepsBack(r.gdb);
    const m = await timerMachine();
    const pcs = pcsOf(r.gdb);
    assertEquals(pcs.at(-3), m.symbol("on_m_irq"));
    // reverse-finish: out of the handler, back onto its call in the trap code
    const trap = pcs.at(-2)!;
    assert(trap >= m.symbol("m_trap")! && trap < m.symbol("s_trap")!, r.gdb);
    assert(/=> 0x[0-9a-f]+ <m_trap\+\d+>:\s+jalr\s/.test(r.gdb), r.gdb);
    const after = r.gdb.slice(r.gdb.indexOf("<m_trap+"));
    assert(/Breakpoint 1, 0x[0-9a-f]+ in main/.test(after), r.gdb);
    assert(r.gdb.includes("exited normally"), r.gdb);
    await m.close();
  },
});

// The hook API on both backends, on the toy target.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { Cond, type CpuCore, Op } from "../plugin.ts";
import { Hooks, type MemAccess } from "../mod.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { EmuError } from "../core/errors.ts";
import { machine } from "./util/toy_target.ts";

const BLOCKS = 17;

/** Runs `steps` chunks of `budget`, skipping over traps. */
function drive(cpu: CpuCore, steps: number, budget = 50): void {
  for (let i = 0; i < steps; i++) {
    const e = cpu.run(budget);
    if (e.reason === "trap") cpu.pc = cpu.pc + 4n;
    if (e.reason === "stop") return;
  }
}

for (const jit of [false, true]) {
  const name = jit ? "jit" : "interp";

  Deno.test(`${name}: block hook and inline counter agree with icount`, () => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    const sb = hooks.scoreboard();
    let calls = 0, insnsSeen = 0;
    hooks.onTranslate((tb) => {
      tb.onExec(() => calls++, { regs: "none" });
      for (const i of tb.insns) i.inlineAdd(sb, 1n);
    });
    hooks.addInsnHook(() => insnsSeen++, { regs: "read" });
    drive(cpu, 200);
    assert(calls > 100);
    // every retired instruction was counted inline; the insn hook also saw the
    // instructions that trapped (they were about to run)
    assert(sb.get() >= BigInt(cpu.icount) && sb.get() <= BigInt(cpu.icount + 200));
    assertEquals(BigInt(insnsSeen), sb.get());
  });

  Deno.test(`${name}: translate callbacks see a block once, however budgets cut it`, () => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    let shown = 0, wholes = 0, parts = 0;
    hooks.onTranslate((tb) => {
      shown++;
      tb.onExec(() => {}, { regs: "none" });
    });
    cpu.tbs.observers.push({ onBlock: (tb) => tb.part ? parts++ : wholes++ });
    drive(cpu, 200, 7);
    assert(parts > 0);
    assertEquals(shown, wholes);
  });

  Deno.test(`${name}: memory hooks see every access with its value`, () => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    const seen: MemAccess[] = [];
    hooks.addMemHook((_v, a) => seen.push(a), { regs: "none", begin: 0x20000n, end: 0x20fffn });
    drive(cpu, 100);
    assert(seen.length > 20, `only ${seen.length} accesses`);
    for (const a of seen.filter((x) => !x.write).slice(0, 50)) {
      assert(a.address >= 0x20000n && a.address <= 0x20fffn);
    }
  });

  Deno.test(`${name}: hooks added mid-run apply to translated code, removal stops them`, () => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    drive(cpu, 100); // everything hot and compiled
    let n = 0;
    const id = hooks.addBlockHook(() => n++, { regs: "none" });
    drive(cpu, 50);
    assert(n > 0, "hook added late never fired");
    hooks.remove(id);
    const before = n;
    drive(cpu, 50);
    assertEquals(n, before);
  });

  Deno.test(`${name}: stop() and setPc() from callbacks`, () => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    let hits = 0;
    hooks.addBlockHook((v) => {
      if (++hits === 30) v.stop();
    }, { regs: "write" });
    let exit = cpu.run(1_000_000);
    while (exit.reason === "trap") {
      cpu.pc += 4n;
      exit = cpu.run(1_000_000);
    }
    assertEquals(exit.reason, "stop");
    assertEquals(hits, 30);
    // redirect every block at 0x1000 to 0x1100
    const cpu2 = machine(jit, BLOCKS);
    const h2 = new Hooks(cpu2);
    const entered: bigint[] = [];
    h2.addBlockHook((v, pc) => {
      entered.push(pc);
      if (pc === 0x1000n) v.setPc(0x1100n);
    }, { regs: "write" });
    cpu2.run(30);
    assertEquals(entered.slice(0, 2), [0x1000n, 0x1100n]);
  });

  Deno.test(`${name}: conditional callback fires on the scoreboard condition`, () => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    const sb = hooks.scoreboard();
    let fired = 0;
    hooks.onTranslate((tb) => {
      tb.inlineAdd(sb, 1n);
      tb.insns[0].onExecIf(sb, Cond.GEU, 100n, () => fired++, { regs: "none" });
    });
    drive(cpu, 100);
    const entries = Number(sb.get());
    assert(entries > 150);
    assertEquals(fired, entries - 99);
  });
}

Deno.test("interp and jit produce the same callback stream", () => {
  const record = (jit: boolean) => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    const log: string[] = [];
    hooks.addInsnHook((v, pc) => log.push(`i ${pc.toString(16)} ${v.readReg("r1")}`), {
      regs: "read",
    });
    hooks.addMemHook(
      (_v, a) => log.push(`m ${a.pc} ${a.address} ${a.size} ${a.value} ${a.write}`),
      {
        regs: "none",
      },
    );
    drive(cpu, 150);
    return { log, stats: jit ? (cpu.backend as JitBackend).stats.regionsCompiled : 0 };
  };
  const a = record(false), b = record(true);
  assert(b.stats > 0, "the JIT compiled no region");
  assert(a.log.length > 1000);
  assertEquals(b.log, a.log);
});

Deno.test("vcpu init/exit events, instruction bytes and symbols on a real program", async () => {
  const { createMachine } = await import("../mod.ts");
  const m = await createMachine({
    program: new URL("./guests/bin/hello.static.O2", import.meta.url).pathname,
  });
  const seen: string[] = [];
  m.hooks.on("vcpu_init", () => seen.push("init"));
  m.hooks.on("vcpu_exit", () => seen.push("exit"));
  const main = m.symbol("main")!;
  let atMain: { symbol?: string; bytes: number[]; size: number } | undefined;
  m.hooks.onTranslate((tb) => {
    for (const i of tb.insns) {
      if (i.pc === main) atMain = { symbol: i.symbol, bytes: [...i.bytes], size: i.size };
    }
  });
  assertEquals(await m.runToExit(), 0);
  assertEquals(seen, ["init", "exit"]);
  assertEquals(atMain?.symbol, "main");
  assertEquals(atMain?.bytes, [...m.readMemory(main, atMain!.size)]);
});

for (const jit of [false, true]) {
  Deno.test(`${jit ? "jit" : "interp"}: deferred block callbacks run in order, once per block entry`, () => {
    const cpu = machine(jit, BLOCKS);
    const hooks = new Hooks(cpu);
    const sb = hooks.scoreboard();
    const deferred: bigint[] = [], direct: bigint[] = [];
    hooks.onTranslate((tb) => tb.inlineAdd(sb, 1n));
    hooks.addBlockHook((_v, pc) => deferred.push(pc), { regs: "none", deferred: true });
    hooks.addBlockHook((_v, pc) => direct.push(pc), { regs: "none" });
    drive(cpu, 120);
    drive(cpu, 10, 100_000); // long runs fill the trace buffer inside compiled code
    assert(deferred.length > 10_000, `${deferred.length}`);
    assertEquals(deferred, direct);
    assertEquals(BigInt(deferred.length), sb.get());
    assert.throws(() => {
      hooks.addBlockHook(() => {}, { regs: "read", deferred: true });
      cpu.run(10);
    }, /deferred callback cannot access registers/);
  });
}

/** Runs with a regs-none block hook that calls `act` at its 500th call (after regions compiled). */
function noRegsRun(jit: boolean, act: (v: Hooks["vcpu"]) => void) {
  const cpu = machine(jit, BLOCKS);
  const hooks = new Hooks(cpu);
  const seen: bigint[] = [];
  hooks.addBlockHook((v, pc) => {
    seen.push(pc);
    if (seen.length === 500) act(v);
  }, { regs: "none" });
  let exit = cpu.run(1_000_000);
  while (exit.reason === "trap") {
    cpu.pc += 4n;
    exit = cpu.run(1_000_000);
  }
  const regions = jit ? (cpu.backend as JitBackend).stats.regionsCompiled : 0;
  return { regions, stop: { reason: exit.reason, seen, icount: cpu.icount, pc: cpu.pc } };
}

Deno.test("stop() from a regs-none block hook stops both engines at the same instruction", () => {
  const a = noRegsRun(false, (v) => v.stop()), b = noRegsRun(true, (v) => v.stop());
  assert(b.regions > 0, "the JIT compiled no region");
  assertEquals(b.stop, a.stop);
  assertEquals(a.stop.reason, "stop");
});

Deno.test("a guest fault in a regs-none callback of compiled code is the tool's error", () => {
  assert.throws(
    () => noRegsRun(true, (v) => v.readMemory(0xdead0000n, 4)),
    (e) => e instanceof EmuError && /^a hook callback faulted/.test(e.message),
  );
});

Deno.test("instrumentation from the builder's words makes the IR the op objects' path makes", async () => {
  const { createMachine } = await import("../mod.ts");
  const { machineDriver } = await import("../core/machine/machine.ts");
  /** Each TB's IR with the same hooks; `objects`: an observer first reads the ops as objects. */
  const tbsMade = async (objects: boolean) => {
    const m = await createMachine({
      program: new URL("./guests/bin/compute.static.O2", import.meta.url).pathname,
      args: ["2"],
    });
    const sb = m.hooks.scoreboard(2);
    m.hooks.onTranslate((tb) => {
      tb.inlineAdd(sb, 1n);
      tb.insns.forEach((i, k) => {
        i.inlineAdd(sb, 2n, 1);
        if (k === 2) i.onExecIf(sb, Cond.GTU, 5n, () => {}, { regs: "none" });
      });
    });
    m.hooks.addBlockHook(() => {}, { regs: "none" });
    m.hooks.addBlockHook(() => {}, { regs: "none", deferred: true });
    m.hooks.addInsnHook(() => {}, { regs: "read", begin: 0x10400n, end: 0x10500n });
    const tbs = machineDriver(m).cpu.tbs, made: string[] = [];
    if (objects) tbs.observers.unshift({ instrument: (ir) => void ir.ops });
    tbs.observers.push({
      onBlock: (tb) =>
        made.push(JSON.stringify(tb.ir, (_k, v) => typeof v === "bigint" ? `${v}` : v)),
    });
    assertEquals(await m.runToExit(), 0);
    return made;
  };
  const packed = await tbsMade(false), objects = await tbsMade(true);
  assert(packed.length > 100 && packed.some((ir) => ir.includes(`"op":${Op.COUNTER_ADD}`)));
  assertEquals(packed, objects);
});

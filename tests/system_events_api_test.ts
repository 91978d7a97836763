// System-mode scripting: breakpoints, device events (reset, poweroff) and
// trap/interrupt discontinuities from a bare-metal guest, on every engine.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, type RunEvent } from "../mod.ts";
import { InternalError } from "../core/errors.ts";
import type { JitBackend } from "../core/jit/jit_backend.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { emuSystemArgs } from "./util/emu_system.ts";

const ELF = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;

for (const accel of ["jit", "interp", "lockstep"] as const) {
  Deno.test(`${accel}: run() yields a breakpoint, then poweroff; traps are discontinuities`, async () => {
    const m = await createMachine({ system: { bios: "none", kernel: ELF }, accel });
    const main = m.symbol("main")!;
    assert(main !== undefined, "symbols come from the -kernel ELF");
    const kinds = new Map<string, number>();
    m.hooks.on("discontinuity", (d) => kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1));
    const lifecycle: string[] = [];
    m.hooks.on("vcpu_init", () => lifecycle.push("init"));
    m.hooks.on("vcpu_exit", () => lifecycle.push("vcpu_exit"));
    m.hooks.on("exit", (e) => lifecycle.push(`exit ${e.status}`));
    m.addBreakpoint(main);
    const seen: RunEvent[] = [];
    for await (const ev of m.run()) {
      seen.push(ev);
      if (ev.type === "breakpoint") {
        assertEquals(m.pc, main);
        assertEquals(m.symbolAt(m.pc), "main");
        m.removeBreakpoint(main);
      }
    }
    await m.close();
    assertEquals(seen, [{ type: "breakpoint", pc: main }, { type: "poweroff", status: 0 }]);
    assert((kinds.get("interrupt") ?? 0) > 0, "the timer program takes interrupts");
    assertEquals(lifecycle, ["init", "vcpu_exit", "exit 0"]);
    assert(m.stdout.length > 0, "m.stdout is the serial output");
  });
}

Deno.test("emu system -plugin: tool plugins see the system guest (interrupts as discontinuities)", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: emuSystemArgs(ELF, ["-plugin", "traps", "-plugin", "insn"]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(r.stderr);
  assertEquals(r.code, 0, err);
  const row = /^\s*0,\s*(\d+),\s*(\d+),\s*0$/m.exec(err);
  assert(row && Number(row[1]) > 0, err);
  assert(/total insns: \d+/.test(err), err);
});

Deno.test("emu system -plugin drcov: the kernel ELF is the module, its symbols name blocks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denemu-drcov-" });
  try {
    const r = await new Deno.Command(Deno.execPath(), {
      args: emuSystemArgs(ELF, ["-plugin", `drcov,filename=${dir}/cov.drcov`]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    const log = new TextDecoder().decode(await Deno.readFile(`${dir}/cov.drcov`));
    assert(log.includes(ELF), log.slice(0, 400));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lockstep in system mode reports where the JIT machine leaves the interpreter's", async () => {
  const m = await createMachine({ system: { bios: "none", kernel: ELF }, accel: "lockstep" });
  const jit = machineDriver(m).cpu.backend as JitBackend;
  // Sabotage the JIT: after every block it runs, t0 (x5) is off by one.
  const exec = jit.exec.bind(jit);
  jit.exec = (cpu, tb, budget) => {
    const n = exec(cpu, tb, budget);
    cpu.setGlobal(5, cpu.getGlobal(5) + 1n);
    return n;
  };
  await assert.rejects(() => m.runToExit(), (e: unknown) => {
    assert(e instanceof InternalError);
    assert(/lockstep: between instructions \d+ and \d+ .* differ .*x5 /.test(e.message), e.message);
    return true;
  });
  await m.close();
});

for (const accel of ["jit", "interp", "lockstep"] as const) {
  Deno.test(`${accel}: a guest whose trap vector faults does not hold next() or run() (selffuzz snapshot seed 9243)`, async () => {
    const m = await createMachine({ system: { bios: "none", kernel: ELF }, accel });
    m.next(5_000);
    // zeros (illegal) at the pc and over the whole trap handler: every trap traps again at once
    const mtvec = m.symbol("m_trap_entry")!;
    m.writeMemory(mtvec, new Uint8Array(256));
    m.writeMemory(m.readReg("pc"), new Uint8Array(4));
    const icount = m.icount;
    assertEquals(m.next(1_000), { type: "budget", icount });
    let slices = 0;
    setTimeout(() => m.stop(), 0);
    for await (const ev of m.run()) {
      slices++;
      assertEquals(ev, { type: "stop" });
    }
    assertEquals([slices, m.icount], [1, icount]);
    await m.close();
  });
}

// System-mode scripting: breakpoints, device events (reset, poweroff) and
// trap/interrupt discontinuities from a bare-metal guest, on both engines.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { DeviceOptions, EmulatedSystem, parseElf, readSymbols, type SystemEvent } from "../mod.ts";
import { emuSystemArgs } from "./util/emu_system.ts";

const ELF = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;
const main =
  readSymbols(parseElf(Deno.readFileSync(ELF), ELF)).find((s) => s.name === "main")!.value;

for (const accel of ["jit", "interp"] as const) {
  Deno.test(`${accel}: runEvents yields a breakpoint, then poweroff; traps are discontinuities`, async () => {
    const sys = await EmulatedSystem.create({
      machineName: "virt",
      cpu: "rv64",
      accel,
      machine: new DeviceOptions("virt"),
      ramSize: 128n << 20n,
      bios: "none",
      kernel: ELF,
      devices: [],
      drives: [],
    });
    const kinds = new Map<string, number>();
    sys.hooks.on("discontinuity", (d) => kinds.set(d.kind, (kinds.get(d.kind) ?? 0) + 1));
    const lifecycle: string[] = [];
    sys.hooks.on("vcpu_init", () => lifecycle.push("init"));
    sys.hooks.on("vcpu_exit", () => lifecycle.push("vcpu_exit"));
    sys.hooks.on("exit", (e) => lifecycle.push(`exit ${e.status}`));
    sys.addBreakpoint(main);
    const seen: SystemEvent[] = [];
    for await (const ev of sys.runEvents()) {
      seen.push(ev);
      if (ev.type === "breakpoint") {
        assertEquals(sys.cpu.pc, main);
        sys.removeBreakpoint(main);
      }
    }
    await sys.close();
    assertEquals(seen, [{ type: "breakpoint", pc: main }, { type: "poweroff", status: 0 }]);
    assert((kinds.get("interrupt") ?? 0) > 0, "the timer program takes interrupts");
    assertEquals(lifecycle, ["init", "vcpu_exit", "exit 0"]);
    assert(sys.console.output.length > 0);
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

// The gdb stub with -smp 2, hart by hart: memory read through the selected hart's page tables,
// stepi and continue of the one hart gdb resumes, and each hart's CSRs (mhartid, satp, priv), in
// gdb-multiarch sessions against `emu system` and qemu-system-riscv64 that must print the same.
// gdb_smp.elf: hart 0 runs in S-mode under Sv39 at an alias of RAM (0xc0000000 + offset), hart 1
// in M-mode, bare. `set scheduler-locking on` makes gdb resume only the selected hart, so the
// sessions do not depend on how the harts interleave.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, ExecutionHistory } from "../mod.ts";
import { GdbHandler } from "../core/gdb/handler.ts";
import { MachineDebuggee } from "../core/gdb/machine_debuggee.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { emuSystemArgs } from "./util/emu_system.ts";
import { gdbBatch } from "./util/gdb_batch.ts";
import { installed } from "./util/installed.ts";

const ELF = new URL("./baremetal/bin/gdb_smp.elf", import.meta.url).pathname;
const STUB = ["-gdb", "tcp::PORT", "-S", "-smp", "2"];
const GDB = installed("gdb-multiarch"), QEMU = installed("qemu-system-riscv64");
const skipped = !GDB
  ? " (skipped: gdb-multiarch not installed)"
  : !QEMU
  ? " (skipped: qemu-system-riscv64 not installed)"
  : "";

/** Hart 0 stopped at paged_spot (S-mode, at its alias), hart 1 at hart1_spot (M-mode). */
const BOTH_STOPPED = [
  "set scheduler-locking on",
  "thread 1",
  "hbreak *((long)&paged_spot + 0x40000000)",
  "continue",
  "thread 2",
  "hbreak hart1_spot",
  "continue",
  "info threads",
];

/** What gdb prints for `cmds` against Denemu and against QEMU, line by line. */
async function bothSessions(cmds: string[]): Promise<[string[], string[]]> {
  const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none"];
  qemu.push("-icount", "shift=0", "-kernel", ELF, "-nographic", ...STUB);
  const all = [...BOTH_STOPPED, ...cmds];
  const ours = await gdbBatch([Deno.execPath(), ...emuSystemArgs(ELF, STUB)], ELF, all);
  const theirs = await gdbBatch(qemu, ELF, all);
  // at the end gdb detaches from both (qAttached 1 in system mode): the machines run on
  const lines = (s: string) =>
    s.split("\n").filter((l) => l.trim() !== "" && !l.startsWith("[Inferior 1"));
  return [lines(ours.gdb), lines(theirs.gdb)];
}

Deno.test({
  name: `gdb -smp 2: x, x/i and disassemble read through the selected hart's MMU${skipped}`,
  ignore: skipped !== "",
  async fn() {
    const [ours, theirs] = await bothSessions([
      "thread 1",
      "x/4i $pc",
      "x/2gx (long)&marker + 0x40000000",
      "x/2gx &marker",
      "thread 2",
      "x/4i $pc",
      "x/2gx (long)&marker + 0x40000000",
      "x/2gx &marker",
      "disassemble",
    ]);
    // hart 0 reads the alias through its page tables; hart 1 (bare) finds nothing there
    assert(ours.some((l) => /^0xc00005c0:\s+0x1122334455667788\s+0x99aabbccddeeff00/.test(l)));
    assert(ours.includes("Cannot access memory at address 0xc00005c0"), ours.join("\n"));
    assertEquals(ours, theirs);
  },
});

Deno.test({
  name: `gdb -smp 2: stepi and continue run the selected hart alone${skipped}`,
  ignore: skipped !== "",
  async fn() {
    const [ours, theirs] = await bothSessions([
      "stepi",
      "info threads",
      "thread 1",
      "stepi",
      "stepi",
      "info threads",
    ]);
    assert(ours.some((l) => /^\* 1 .*0x00000000c0000462 in \?\? \(\)$/.test(l)), ours.join("\n"));
    assertEquals(ours, theirs);
  },
});

Deno.test({
  name: `gdb -smp 2: vCont;s:TID (maint packet) steps that hart alone${skipped}`,
  ignore: skipped !== "",
  async fn() {
    // gdb steps RISC-V in software (a breakpoint and vCont;c:TID): send the step packet itself
    const step = (tid: string) => [`maint packet vCont;s:${tid}`, "maint flush register-cache"];
    const [ours, theirs] = await bothSessions([
      ...step("p1.2"),
      "info threads",
      ...step("p1.1"),
      "info threads",
    ]);
    assert(ours.includes('received: "T05thread:p01.01;"'), ours.join("\n"));
    assertEquals(ours, theirs);
  },
});

Deno.test({
  name: `gdb -smp 2: maint packet of QEMU's single-step flags and qAttached, as QEMU's${skipped}`,
  ignore: skipped !== "",
  async fn() {
    const packets = ["qqemu.sstepbits", "qqemu.sstep", "Qqemu.sstep=5", "qqemu.sstep"];
    packets.push("Qqemu.sstep=9", "qAttached");
    const [ours, theirs] = await bothSessions(packets.map((p) => `maint packet ${p}`));
    assert(ours.includes('received: "ENABLE=1,NOIRQ=2,NOTIMER=4"'), ours.join("\n"));
    assertEquals(ours, theirs);
  },
});

Deno.test({
  name:
    `gdb -smp 2: each hart's mhartid, priv and satp, as qemu-system-riscv64 shows them${skipped}`,
  ignore: skipped !== "",
  async fn() {
    const regs = ["p $mhartid", "info registers mhartid", "p $priv", "p/x $satp"];
    const [ours, theirs] = await bothSessions(["thread 1", ...regs, "thread 2", ...regs]);
    assert(ours.includes("mhartid        0x1\t1"), ours.join("\n"));
    assertEquals(ours, theirs);
  },
});

Deno.test("gdb -smp 2: s after Hc and vCont;s:TID step that hart alone", async () => {
  const m = await createMachine({ system: { bios: "none", kernel: ELF, smp: 2 } });
  try {
    const h = new GdbHandler(new MachineDebuggee(m));
    h.handle("qSupported:multiprocess+");
    const pcs = () => [m.readReg("pc", 0), m.readReg("pc", 1)];
    const step = (packet: string) => {
      const a = h.handle(packet);
      assert(a.kind === "resume" && a.step, JSON.stringify(a));
      return h.stopReply(h.debuggee.resume({ ...a, budget: 1 })!);
    };
    const [p0, p1] = pcs();
    assertEquals(h.handle("Hc2"), { kind: "reply", body: "OK" });
    assertEquals(step("s"), "T05thread:p01.02;");
    assertEquals(pcs(), [p0, p1 + 4n]); // the reset ROM's first instruction (auipc)
    assertEquals(step("vCont;s:p1.1;c"), "T05thread:p01.01;");
    assertEquals(pcs(), [p0 + 4n, p1 + 4n]);
    // a stop selects the hart that stopped: `s` steps it
    assertEquals(step("s"), "T05thread:p01.01;");
    assertEquals(pcs(), [p0 + 8n, p1 + 4n]);
    assertEquals(h.handle("vCont;c:p1.2"), { kind: "resume", step: false, signal: 0, thread: 1 });
    assertEquals(h.handle("vCont;c:p1.-1"), { kind: "resume", step: false, signal: 0 });
    assertEquals(h.handle("c"), { kind: "resume", step: false, signal: 0 });
  } finally {
    await m.close();
  }
});

Deno.test("history -smp 2: going back and forth repeats where one hart ran alone", async () => {
  const m = await createMachine({ system: { bios: "none", kernel: ELF, smp: 2 } });
  try {
    const h = new ExecutionHistory(m, { interval: 700 });
    const pcs = () => `${m.readReg("pc", 0)},${m.readReg("pc", 1)}`;
    const seen = new Map<number, string>();
    const run = (solo: number | null, n: number) => {
      h.soloCpu = solo;
      for (let i = 0; i < n; i++) {
        h.next(250);
        seen.set(h.position, pcs());
      }
    };
    run(null, 4);
    const hart0 = m.readReg("pc", 0);
    run(1, 8); // hart 1 alone: hart 0 stays where it is
    assertEquals(m.readReg("pc", 0), hart0);
    run(null, 4);
    for (const [position, state] of [...seen].reverse()) {
      h.seek(position);
      assertEquals(pcs(), state, `at position ${position}`);
    }
  } finally {
    await m.close();
  }
});

Deno.test("-smp 2: a run goes on past the breakpoint hart 1 stopped at", async () => {
  const m = await createMachine({ system: { bios: "none", kernel: ELF, smp: 2, quantum: 100 } });
  try {
    m.addBreakpoint(m.symbol("hart1_spot")!);
    assertEquals(m.next().type, "breakpoint");
    assertEquals(m.readReg("pc", 1), m.symbol("hart1_spot"));
    const icount = m.icount;
    assertEquals(m.next().type, "breakpoint"); // hart1_main calls hart1_spot again
    assert(m.icount > icount, "hart 1 ran its loop once more");
  } finally {
    await m.close();
  }
});

Deno.test("gdb -smp 2, lockstep: a CSR gdb writes is written on both engines' hart", async () => {
  const m = await createMachine({
    system: { bios: "none", kernel: ELF, smp: 2, quantum: 100 },
    accel: "lockstep",
  });
  try {
    const d = new MachineDebuggee(m), h = new GdbHandler(d);
    const priv = h.registers.find((r) => r.name === "priv")!.regnum.toString(16);
    h.handle("qXfer:features:read:target.xml:0,1"); // as gdb: QEMU answers p/P after it
    assertEquals(h.handle("Hg2"), { kind: "reply", body: "OK" });
    assertEquals(h.handle(`P${priv}=0100000000000000`), { kind: "reply", body: "OK" });
    assertEquals(h.handle(`p${priv}`), { kind: "reply", body: "0100000000000000" });
    // hart 1 runs on in S-mode (its reset ROM traps at once); lockstep compares the engines
    assertEquals(d.resume({ step: false, signal: 0, budget: 3000 }), null);
  } finally {
    await m.close();
  }
});

Deno.test("gdb, lockstep: a vector register gdb writes is written on both engines' hart", async () => {
  const m = await createMachine({
    system: { bios: "none", kernel: ELF, cpu: "rv64,v=true" },
    accel: "lockstep",
  });
  try {
    const h = new GdbHandler(new MachineDebuggee(m));
    const v1 = h.registers.find((r) => r.name === "v1")!.regnum.toString(16);
    const lanes = "0102030405060708090a0b0c0d0e0f10";
    h.handle("qXfer:features:read:target.xml:0,1"); // as gdb: QEMU answers p/P after it
    assertEquals(h.handle(`P${v1}=${lanes}`), { kind: "reply", body: "OK" });
    const [cpu, mirror] = [machineDriver(m).cpus![0], machineDriver(m).mirrors![0].cpu];
    assertEquals(mirror.stateBlock(), cpu.stateBlock());
  } finally {
    await m.close();
  }
});

// System mode under a real gdb: `emu system ... -gdb tcp::PORT -S`, a breakpoint in a bare-metal
// program, a single step, and the machine's poweroff seen as the inferior's exit; hardware
// breakpoints and watchpoints compared with qemu-system-riscv64's.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { parseElf, readSymbols } from "../plugin.ts";
import { emuSystemArgs } from "./util/emu_system.ts";
import { gdbBatch } from "./util/gdb_batch.ts";

const ELF = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;
const GDB_ARGS = ["-gdb", "tcp::PORT", "-S"];

async function which(cmd: string): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args: ["--version"], stdout: "null" }).output()).success;
  } catch {
    return false;
  }
}

const hasGdb = await which("gdb-multiarch");
if (!hasGdb) console.warn("gdb_system_test: gdb-multiarch not installed, skipped");

Deno.test({
  name: `system mode: gdb breaks in main, steps, and sees the poweroff${
    hasGdb ? "" : " (skipped: gdb-multiarch not installed)"
  }`,
  ignore: !hasGdb,
  fn: async () => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    const emu = new Deno.Command(Deno.execPath(), {
      args: emuSystemArgs(ELF, ["-gdb", `tcp::${port}`, "-S"]),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000), // a machine that does not end when gdb is done
    }).spawn();
    try {
      // gdb retries refused connections (tcp auto-retry) until the stub listens; a probe
      // connection here would use up the stub's single session
      const gdb = await new Deno.Command("gdb-multiarch", {
        args: [
          "-q",
          "-nx",
          "-batch",
          "-ex",
          "set architecture riscv:rv64",
          "-ex",
          `target remote 127.0.0.1:${port}`,
          "-ex",
          "break main",
          "-ex",
          "continue",
          "-ex",
          "info registers pc",
          "-ex",
          "stepi",
          "-ex",
          "info registers pc",
          "-ex",
          "continue",
          ELF,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      }).output();
      const out = new TextDecoder().decode(gdb.stdout) + new TextDecoder().decode(gdb.stderr);
      const main = readSymbols(parseElf(Deno.readFileSync(ELF), ELF)).find((s) =>
        s.name === "main"
      )!;
      const bp = /Breakpoint 1, (0x[0-9a-f]+) in main/.exec(out);
      assert(bp, out);
      const at = BigInt(bp[1]);
      assert(at >= main.value && at < main.value + (main.size || 64n), out);
      const pcs = [...out.matchAll(/^pc\s+(0x[0-9a-f]+)/gm)].map((m) => BigInt(m[1]));
      assert.equal(pcs.length, 2, out);
      assert.equal(pcs[0], at);
      assert.notEqual(pcs[1], at, "stepi moved the pc");
      assert(/exited normally/.test(out), out);
      const status = await emu.status;
      assert.equal(status.code, 0);
      const serial = new TextDecoder().decode(
        (await emu.output().catch(() => null))?.stdout ?? new Uint8Array(),
      );
      void serial;
    } finally {
      try {
        emu.kill();
      } catch { /* already exited */ }
    }
  },
});

const hasQemu = await which("qemu-system-riscv64");

Deno.test({
  name: "system mode: gdb hbreak, watch, rwatch and awatch stop where qemu-system-riscv64's do",
  ignore: !hasGdb || !hasQemu,
  fn: async () => {
    const cmds = [
      "hbreak main",
      "continue",
      "info registers pc",
      "delete",
      "watch *(int *)&timer_hits",
      "continue",
      "delete",
      "rwatch *(int *)&timer_hits",
      "continue",
      "delete",
      "awatch *(int *)&soft_hits",
      "continue",
      "continue",
      "delete",
    ];
    // QEMU's timer runs on host time unless -icount: under load its 100 us timer could fire
    // before main's first read of timer_hits; with -icount it fires in the wfi loop, as ours does
    const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none"];
    qemu.push("-icount", "shift=0");
    const ours = await gdbBatch([Deno.execPath(), ...emuSystemArgs(ELF, GDB_ARGS)], ELF, cmds);
    const theirs = await gdbBatch([...qemu, "-kernel", ELF, "-nographic", ...GDB_ARGS], ELF, cmds);
    // the stops (a watchpoint stops right after the accessing instruction) and the values
    const stops = (s: string) =>
      s.split("\n").filter((l) => /^(0x|Breakpoint|pc |Hardware|Old|New|Value)/.test(l));
    assert.equal(stops(ours.gdb).filter((l) => /^Hardware .*watchpoint/.test(l)).length, 7);
    assert.deepEqual(stops(ours.gdb), stops(theirs.gdb));
  },
});

Deno.test({
  name: "system mode: a gdb watchpoint on a vector store's element stops as qemu-system-riscv64's",
  ignore: !hasGdb || !hasQemu,
  fn: async () => {
    // vs.elf's main: vse32.v v2, (data) writes data[0..3]; the watch is on data[2]
    const vs = new URL("./baremetal/bin/vs.elf", import.meta.url).pathname;
    const cpu = ["-cpu", "rv64,v=true,vlen=128"];
    const cmds = [
      "hbreak main",
      "continue",
      "delete",
      "watch *(unsigned int *)((long)&data + 8)",
      "continue",
      "info registers pc",
      "p $vstart",
      "x/4wx &data",
      "delete",
    ];
    const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none", ...cpu];
    const ours = await gdbBatch(
      [Deno.execPath(), ...emuSystemArgs(vs, [...cpu, ...GDB_ARGS])],
      vs,
      cmds,
    );
    const theirs = await gdbBatch([...qemu, "-kernel", vs, "-nographic", ...GDB_ARGS], vs, cmds);
    const stops = (s: string) => s.split("\n").filter((l) => /^(0x|pc |Old|New|\$\d)/.test(l));
    assert(/New value = 6/.test(ours.gdb), ours.gdb + ours.emuErr);
    assert.deepEqual(stops(ours.gdb), stops(theirs.gdb));
  },
});

Deno.test({
  name: "system mode -smp 2: gdb sees one thread per hart, as on qemu-system-riscv64",
  ignore: !hasGdb || !hasQemu,
  fn: async () => {
    // smp.elf: hart 1 runs secondary_main while hart 0 spins in main; the breakpoint stops
    // on hart 1, `thread N` reads each hart's registers, stepi moves the stopped hart only
    const smp = new URL("./baremetal/bin/smp.elf", import.meta.url).pathname;
    const cmds = [
      "info threads",
      "hbreak secondary_main",
      "continue",
      "info threads",
      "thread 1",
      "info registers pc",
      "thread 2",
      "info registers pc",
      "stepi",
      "info threads",
    ];
    const args = [...GDB_ARGS, "-smp", "2"];
    const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none"];
    qemu.push("-icount", "shift=0", "-kernel", smp, "-nographic", ...args);
    const ours = await gdbBatch([Deno.execPath(), ...emuSystemArgs(smp, args)], smp, cmds);
    const theirs = await gdbBatch(qemu, smp, cmds);
    // hart 0 spins in main: where in the loop it is depends on the interleaving
    const lines = (s: string) =>
      s.replace(/0x[0-9a-f]+( in main \(\))/g, "ADDR$1").replace(
        /(pc +)0x[0-9a-f]+\s+0x[0-9a-f]+ <main\+\d+>/g,
        "$1MAIN",
      )
        .split("\n").filter((l) => /Thread|thread|^pc |^#0|^0x/.test(l));
    assert.match(
      ours.gdb,
      /\* 2 +Thread 1\.2 \(CPU#1 \[running\]\) 0x0+80000470 in secondary_main/,
    );
    assert.deepEqual(lines(ours.gdb), lines(theirs.gdb));
  },
});

Deno.test({
  name: "system mode: Qqemu.PhyMemMode:1 reads and writes physical memory; no auxv; as qemu's",
  ignore: !hasGdb || !hasQemu,
  fn: async () => {
    // vm_sv39.elf's s_tests runs in S-mode under Sv39, with TEST_VA mapped to a page of RAM
    const vm = new URL("./baremetal/bin/vm_sv39.elf", import.meta.url).pathname;
    const testVa = "0x3fffe00000";
    const cmds = [
      "break s_tests",
      "continue",
      "p $priv",
      "info auxv", // none in system mode: qemu-system offers no qXfer:auxv:read
      `x/2xg ${testVa}`,
      "maintenance packet qqemu.PhyMemMode",
      "maintenance packet Qqemu.PhyMemMode:1",
      "maintenance packet qqemu.PhyMemMode",
      `x/2xg ${testVa}`, // no memory at that physical address: zeros, as QEMU's
      "x/2xw 0x80000000",
      "set *(int *)0x80000004 = 0x12345678",
      "x/2xw 0x80000000",
      "set *(char *)0x10000000 = 0x42", // the UART's transmit register: "B" on the serial port
      "maintenance packet Qqemu.PhyMemMode:0",
      `x/2xg ${testVa}`,
      "kill",
    ];
    const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none"];
    const ours = await gdbBatch([Deno.execPath(), ...emuSystemArgs(vm, GDB_ARGS)], vm, cmds);
    const theirs = await gdbBatch([...qemu, "-kernel", vm, "-nographic", ...GDB_ARGS], vm, cmds);
    const seen = (s: string) => s.split("\n").filter((l) => /^(0x|received|\$|No aux)/.test(l));
    assert.deepEqual(seen(ours.gdb), seen(theirs.gdb));
    assert.match(ours.gdb, /^No auxiliary vector found, or failed reading it\.$/m);
    assert.deepEqual(seen(ours.gdb).slice(1, 7), [
      "$1 = 1",
      `${testVa}:\t0x0000000000001234\t0x0000000000000000`,
      'received: "0"',
      'received: "OK"',
      'received: "1"',
      `${testVa}:\t0x0000000000000000\t0x0000000000000000`,
    ], ours.gdb);
    assert.match(ours.gdb, /^0x80000000 <_start>:\t0x00015117\t0x12345678$/m);
    assert.match(theirs.emuOut, /B/);
    assert.match(ours.emuOut, /B/);
  },
});

Deno.test({
  name: "system mode: gdb's monitor commands reach the monitor; no device sees a virtual write",
  ignore: !hasGdb || !hasQemu,
  fn: async () => {
    const cmds = [
      "break main",
      "continue",
      "monitor info status",
      "monitor xp /2xw 0x80000000",
      "monitor help system_reset",
      "monitor info registers",
      "monitor no_such_command",
      "set *(char *)0x10000000 = 0x7e", // at a virtual address the UART does not see it: no "~"
      "kill",
    ];
    const qemu = ["qemu-system-riscv64", "-M", "virt", "-m", "128M", "-bios", "none"];
    const ours = await gdbBatch([Deno.execPath(), ...emuSystemArgs(ELF, GDB_ARGS)], ELF, cmds);
    const theirs = await gdbBatch([...qemu, "-kernel", ELF, "-nographic", ...GDB_ARGS], ELF, cmds);
    // QEMU's hart also has the H extension: its CSRs are left out
    const seen = (s: string) =>
      s.split("\n").filter((l) =>
        /^(VM status|0000000080000000:|system_reset|unknown command| pc | mhartid | x0\/zero)/
          .test(l)
      );
    assert.deepEqual(seen(ours.gdb), seen(theirs.gdb));
    assert.deepEqual(seen(ours.gdb).slice(0, 3), [
      "VM status: paused (debug)\r", // QEMU's monitor ends its lines in \r\n for gdb too
      "0000000080000000: 0x00015117 0x00010113\r",
      "system_reset  -- reset the system\r",
    ], ours.gdb);
    assert.equal(seen(ours.gdb).length, 7, ours.gdb);
    assert.doesNotMatch(theirs.emuOut, /~/);
    assert.doesNotMatch(ours.emuOut, /~/);
  },
});

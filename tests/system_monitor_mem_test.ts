// The monitor's `info mem` and `info chardev`, compared with qemu-system-riscv64 7.2's in the same
// run. `info mem` is asked through gdb (`monitor info mem`) at a breakpoint after the kernel
// turned paging on, so that both stop at the same instruction; `info chardev` on `-monitor stdio`
// and on the Ctrl-A C monitor, for the command lines that make different devices.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { installed } from "./util/installed.ts";
import { freePort } from "./util/gdb_batch.ts";
import { systemPeer } from "./util/monitor_peers.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const KERNELS = `${ROOT}tests/baremetal/bin/`;
const PEERS = installed("qemu-system-riscv64") && installed("gdb-multiarch");
if (!PEERS || !installed("qemu-system-riscv32")) {
  console.error(
    "system_monitor_mem_test: skipped, qemu-system-riscv64, qemu-system-riscv32 or gdb-multiarch missing",
  );
}

/**
 * What `monitor info mem` printed after gdb ran `steps` on `kernel` in QEMU or Denemu; an RV32
 * kernel (`vm_sv32`) runs on qemu-system-riscv32, as Denemu's `-cpu rv32`.
 */
async function infoMemAt(peer: "qemu" | "emu", kernel: string, steps: string[]): Promise<string> {
  const port = freePort(), file = `${KERNELS}${kernel}`, xlen = kernel.includes("sv32") ? 32 : 64;
  const boot = ["-M", "virt", "-nographic", "-bios", "none", "-kernel", file, "-S"];
  boot.push("-gdb", `tcp::${port}`, "-serial", "null", "-monitor", "none");
  const signal = AbortSignal.timeout(120_000);
  const [cmd, args] = peer === "qemu"
    ? [`qemu-system-riscv${xlen}`, [...boot, "-cpu", `rv${xlen},h=false`]]
    : [Deno.execPath(), ["run", "-A", `${ROOT}mod.ts`, "system", ...boot, "-cpu", `rv${xlen}`]];
  const stub = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "null",
    signal,
  })
    .spawn();
  const gdbArgs = [
    "-nx",
    "-batch",
    "-ex",
    `set architecture riscv:rv${xlen}`,
    "-ex",
    `file ${file}`,
  ];
  // gdb retries until the stub listens (Deno starts slowly on a loaded machine)
  gdbArgs.push("-ex", "set tcp connect-timeout 60", "-ex", `target remote 127.0.0.1:${port}`);
  for (const s of [...steps, "monitor info mem", "kill"]) gdbArgs.push("-ex", s);
  const gdb = await new Deno.Command("gdb-multiarch", { args: gdbArgs, stdin: "null", signal })
    .output();
  await stub.status;
  // gdb writes the monitor's answer on stdout, or (riscv:rv32) on stderr
  const dec = new TextDecoder();
  const out = (dec.decode(gdb.stdout) + dec.decode(gdb.stderr)).replaceAll("\r", "");
  const answer = out.split("\n").filter((l) =>
    /^(vaddr |-+ -{16} |[0-9a-f]+ [0-9a-f]{16} [0-9a-f]+ [-rwxugad]{7}$|No translation)/.test(l)
  );
  return answer.length ? answer.join("\n") : out;
}

const MEM_CASES: [string, string[]][] = [
  ["vm_sv39.elf", []], // satp is Bare at reset
  ["vm_sv39.elf", ["b s_tests", "c"]],
  ["vm_sv48.elf", ["b s_tests", "c"]],
  ["vm_sv57.elf", ["b s_tests", "c"]],
  ["vm_sv32.elf", ["b s_tests", "c"]],
  ["paging_bench.elf", ["b s_work", "c"]],
  ["svext.elf", ["b access", "c", "c", "c"]],
];
for (const [kernel, steps] of MEM_CASES) {
  Deno.test({
    name: `info mem on ${kernel} after [${steps.join("; ")}]: QEMU's lines`,
    ignore: !PEERS || !installed("qemu-system-riscv32"),
    async fn() {
      const [q, e] = await Promise.all([
        infoMemAt("qemu", kernel, steps),
        infoMemAt("emu", kernel, steps),
      ]);
      assertEquals(e, q);
    },
  });
}

const VM = ["-M", "virt", "-bios", "none", "-kernel", `${KERNELS}vm_sv39.elf`, "-S"];
/** A port for `-gdb` unlikely to be taken (the peers run one after the other). */
const GDB_PORT = 20000 + Math.floor(Math.random() * 20000);
const CHARDEV_CASES: string[][] = [
  ["-nographic", "-monitor", "stdio", "-serial", "null"],
  ["-nographic", "-monitor", "stdio", "-serial", "file:/dev/null"],
  ["-display", "none", "-monitor", "stdio", "-serial", "null"],
  ["-display", "none", "-nodefaults", "-monitor", "stdio"],
  ["-nographic", "-chardev", "null,id=c1", "-serial", "chardev:c1", "-monitor", "stdio"],
  ["-nographic"],
  [
    "-display",
    "none",
    "-chardev",
    "stdio,id=s1,mux=on",
    "-serial",
    "chardev:s1",
    "-mon",
    "chardev=s1",
  ],
  ["-display", "none", "-nodefaults", "-serial", "mon:stdio"],
  // before: serial0 was null (QEMU's is its graphic console, vc), and no gdb entries
  ["-display", "none", "-monitor", "stdio"],
  ["-display", "none", "-monitor", "stdio", "-gdb", `tcp::${GDB_PORT}`],
  ["-nographic", "-gdb", `tcp::${GDB_PORT}`],
  ["-display", "none", "-nodefaults", "-monitor", "stdio", "-gdb", `tcp::${GDB_PORT}`],
];
Deno.test({
  name: "info chardev lists QEMU's character devices in QEMU's order",
  ignore: !PEERS,
  async fn() {
    const devices = (out: string) =>
      out.split("\n").map((l) => l.replace(/^\(qemu\) /, "")).filter((l) => / filename=/.test(l));
    for (const flags of CHARDEV_CASES) {
      // -monitor stdio reads commands; the Ctrl-A C monitor is reached by its escape
      const toMonitor = flags.includes("-monitor") ? "" : "\x01c";
      const input = `${toMonitor}info chardev\nquit\n`;
      const q = await systemPeer("qemu", [...VM, "-cpu", "rv64,h=false", ...flags], input);
      const e = await systemPeer("emu", [...VM, ...flags], input);
      assert(devices(q.stdout).length > 0, q.stdout + q.stderr);
      if (!flags.includes("-gdb")) {
        assertEquals(devices(e.stdout), devices(q.stdout), flags.join(" "));
        continue;
      }
      // the gdb monitor's chardev is QEMU's `#chr0` and two random digits, which move it in the
      // hash table's order: compared as sets
      const gdbDevices = (out: string) =>
        devices(out).map((l) => l.replace(/^#chr0\d\d:/, "#chr0NN:")).sort();
      assertEquals(gdbDevices(e.stdout), gdbDevices(q.stdout), flags.join(" "));
    }
  },
});

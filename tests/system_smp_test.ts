// -smp N: per-hart CLINT and PLIC contexts, the device tree's cpus against qemu-system-riscv64's
// dumped one, OpenSBI's banner and a Linux boot with 4 harts against a live QEMU's, the same run
// twice, and `-smp` parsing. (The two-hart bare-metal program is in system_cpu_baremetal_test.)
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import {
  decodeFdt,
  EventQueue,
  fdtCells,
  type FdtNode,
  RecordingInterruptSink,
  VirtualClock,
} from "../plugin.ts";
import { createMachine, type Machine } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";
import type { SystemDriver } from "../core/machine/system.ts";
import { Clint } from "../plugins/devices/aclint.ts";
import { Plic } from "../plugins/devices/plic.ts";
import { parseSystemArgs } from "../cli/system.ts";
import { BAREMETAL_PROGRAMS, programCpu, programImage } from "../scripts/build_baremetal.ts";
import { FW_JUMP } from "../scripts/record_uboot_qemu.ts";
import { which } from "../scripts/build_guests.ts";
import { linuxDrive, linuxSystem, qemuLinuxArgs } from "../scripts/bench_linux.ts";

const hasQemu = (await which("qemu-system-riscv64")) !== null;
const hasFirmware = await Deno.stat(FW_JUMP).then(() => true, () => false);
if (!hasQemu) console.log("qemu-system-riscv64 not installed: -smp not compared with QEMU");
if (!hasFirmware) console.log("opensbi not installed: -smp boots skipped");
const MSIP = 3, MTIP = 7, MEIP = 11, SEIP = 9;

Deno.test("clint: each hart has its msip and mtimecmp; mtime is shared", () => {
  let icount = 0;
  const events = new EventQueue();
  const harts = [new RecordingInterruptSink(), new RecordingInterruptSink()];
  const clint = new Clint(new VirtualClock(() => icount), events, harts);
  clint.writeWord(0x4, 1); // hart 1's msip
  assert.deepEqual([harts[0].isPending(MSIP), harts[1].isPending(MSIP)], [false, true]);
  assert.equal(clint.readWord(0x4), 1);
  assert.equal(clint.readWord(0x0), 0);
  clint.writeWord(0x4008, 3); // hart 1's mtimecmp = 3 ticks = 300 ns
  clint.writeWord(0x400c, 0);
  assert.equal(clint.readWord(0x4008), 3);
  assert.equal(clint.readWord(0x4000), 0xffffffff); // hart 0's is untouched
  icount = 300;
  events.runDue(300n);
  assert.deepEqual([harts[0].isPending(MTIP), harts[1].isPending(MTIP)], [false, true]);
  assert.equal(clint.readWord(0xbff8), 3);
});

Deno.test("plic: context 2N and 2N+1 are hart N's M and S contexts", () => {
  const harts = [new RecordingInterruptSink(), new RecordingInterruptSink()];
  const plic = new Plic(harts, 96);
  plic.writeWord(4 * 10, 1);
  plic.writeWord(0x2000 + 0x80 * 3, 1 << 10); // context 3: hart 1, S-mode
  plic.line(10).set(true);
  assert.deepEqual(harts.map((h) => [h.isPending(MEIP), h.isPending(SEIP)]), [
    [false, false],
    [false, true],
  ]);
  assert.equal(plic.readWord(0x200004 + 0x1000 * 3), 10); // claim
  assert.equal(harts[1].isPending(SEIP), false);
});

Deno.test("-smp: N, cpus=N, cores=N and QEMU's one-socket topology; others refused", () => {
  const smp = (v: string) => parseSystemArgs(["-smp", v]).smp;
  assert.equal(smp("4"), 4);
  assert.equal(smp("cpus=2"), 2);
  assert.equal(smp("2,sockets=1,cores=2,threads=1,maxcpus=2"), 2);
  assert.throws(() => smp("4,sockets=2"), /-smp 4,sockets=2: sockets=2 is not supported/);
  // as in QEMU 7.2: a missing or 0 count is the product of the topology's
  assert.equal(smp("0"), 1);
  assert.equal(smp("cores=3"), 3);
  assert.throws(() => smp("cores=0"), /at least one CPU/);
  assert.throws(() => smp("2,foo=1"), /foo/);
});

/** `node`'s path, for phandles. */
function phandlePaths(root: FdtNode): Map<number, string> {
  const out = new Map<number, string>();
  root.walk((n, path) => {
    const p = n.props.get("phandle");
    if (p) out.set(fdtCells(p as Uint8Array)[0], path);
  });
  return out;
}

/** The cpus subtree and the CLINT's and PLIC's interrupt lists, with phandles as node paths. */
function hartWiring(blob: Uint8Array): string[] {
  const root = decodeFdt(blob).root, paths = phandlePaths(root);
  const out: string[] = [];
  root.walk((n, path) => {
    if (!path.startsWith("/cpus") && !/clint|plic/.test(path)) return;
    for (const [name, value] of n.props) {
      if (name === "phandle" || name === "riscv,isa") continue;
      if (name === "interrupts-extended" || name === "cpu") {
        const cells = fdtCells(value as Uint8Array);
        const shown = cells.map((c, i) =>
          name === "cpu" || i % 2 === 0 ? paths.get(c) ?? `?${c}` : String(c)
        );
        out.push(`${path} ${name} = ${shown.join(" ")}`);
      } else if (path.startsWith("/cpus")) out.push(`${path} ${name}`);
    }
  });
  return out.sort();
}

Deno.test({
  name: "-smp 4: the cpus nodes, cpu-map and interrupts-extended lists equal QEMU's dumped dtb",
  ignore: !hasQemu,
  fn: async () => {
    const path = await Deno.makeTempFile({ suffix: ".dtb" });
    const q = await new Deno.Command("qemu-system-riscv64", {
      args: ["-M", `virt,dumpdtb=${path}`, "-smp", "4", "-nographic", "-bios", "none"],
      stdout: "null",
      stderr: "null",
    }).output();
    assert.ok(q.success);
    const qemu = hartWiring(await Deno.readFile(path));
    const m = await createMachine({
      system: { bios: "none", machine: `virt,dumpdtb=${path}`, smp: 4 },
    });
    await m.close();
    const ours = hartWiring(await Deno.readFile(path));
    await Deno.remove(path);
    assert.ok(qemu.some((l) => l.includes("core3 cpu = /cpus/cpu@3")));
    assert.deepEqual(ours, qemu);
  },
});

/** Console lines without hex values, timestamps, and what differs by design (see linux_boot_test). */
function normalise(text: string): string[] {
  return text.replaceAll("\r", "").split("\n")
    .map((l) => l.replace(/^\[ *\d+\.\d+\] /, "").replace(/0x[0-9a-f]+/g, "0x_"))
    // QEMU's harts race for the boot lottery, Denemu's hart 0 always wins
    .filter((l) => !/^(Domain0 )?Boot HART( ID)? +:/.test(l))
    .filter((l) => !/^Boot HART (Base ISA|MHPM Count)|^riscv: base ISA|^Memory: /.test(l))
    .map((l) => l.replace(/\d{4}-\d\d-\d\dT[\d:]+ UTC \(\d+\)/, "DATE"))
    .map((l) => l.replace(/hartid \[\d+\]/, "hartid [boot]"));
}

/** The output of qemu-system-riscv64 with `args` until it exits or `seconds` pass. */
async function qemuOutput(args: string[], seconds: number): Promise<string> {
  const child = new Deno.Command("qemu-system-riscv64", { args, stdin: "null", stdout: "piped" })
    .spawn();
  const timer = setTimeout(() => child.kill(), seconds * 1000);
  const out = await child.output();
  clearTimeout(timer);
  return new TextDecoder().decode(out.stdout);
}

/**
 * QEMU's Linux boot with `-smp 4`. Its harts are host threads on host time: on a loaded host the
 * kernel can give up waiting for one ("CPU1: failed to come online"), and that run is no reference.
 * Such a run is tried again, at most 3 times; the last one is returned whatever it printed.
 */
async function qemuAllHartsUp(args: string[]): Promise<string> {
  for (let attempt = 1;; attempt++) {
    const out = await qemuOutput(args, 60);
    if (out.includes("smp: Brought up 1 node, 4 CPUs") || attempt === 3) return out;
  }
}

/** OpenSBI with 4 harts, `budget` instructions: its console and every hart's pc. */
async function openSbi4(accel: "jit" | "interp" | "lockstep", budget: number) {
  const m = await createMachine({ system: { bios: FW_JUMP, smp: 4 }, accel });
  for await (const _ of m.run({ budget })) { /* runs to the budget */ }
  await m.close();
  return m.stdout;
}

Deno.test({
  name: "-smp 4: OpenSBI's banner equals QEMU's (HART count 4), the same on every run and engine",
  ignore: !hasFirmware,
  fn: async () => {
    const banner = (t: string) => t.slice(0, t.indexOf("Boot HART MEDELEG"));
    // the harts OpenSBI holds back spin until the boot hart relocated it: 4 harts' turns
    const jit = await openSbi4("jit", 45_000_000);
    assert.match(jit, /Platform HART Count +: 4\r?\n/);
    assert.match(jit, /Domain0 HARTs +: 0\*,1\*,2\*,3\*\r?\n/);
    assert.match(jit, /Boot HART MEDELEG/);
    assert.equal(await openSbi4("jit", 45_000_000), jit);
    // lockstep compares every hart's registers after each slice
    const early = await openSbi4("lockstep", 15_000_000);
    assert.ok(early.length > 0 && jit.startsWith(early));
    if (hasQemu) {
      const qemu = await qemuOutput(["-M", "virt", "-smp", "4", "-nographic", "-bios", FW_JUMP], 5);
      assert.deepEqual(normalise(banner(jit)), normalise(banner(qemu)));
    }
  },
});

Deno.test({
  name: "-smp 4: Linux brings up 4 CPUs and powers off; its console equals QEMU's (sorted)",
  ignore: !hasFirmware,
  fn: async () => {
    const disk = await Deno.makeTempFile({ suffix: ".ext2" });
    await Deno.copyFile(new URL("./linux/disk.ext2", import.meta.url).pathname, disk);
    const m = await createMachine({
      system: linuxSystem(linuxDrive(disk, ",snapshot=on"), { smp: 4 }),
    });
    const events = [];
    for await (const ev of m.run()) events.push(ev);
    await m.close();
    assert.deepEqual(events.at(-1), { type: "poweroff", status: 0 });
    assert.ok(m.stdout.includes("smp: Brought up 1 node, 4 CPUs"));
    assert.ok(m.stdout.includes("init: hwrng gave 16 bytes"));
    if (hasQemu) {
      const args = [...qemuLinuxArgs(disk, ",snapshot=on"), "-smp", "4"];
      const qemu = await qemuAllHartsUp(args);
      // QEMU's timing decides where asynchronous kernel work prints: lines compared sorted
      assert.deepEqual(normalise(m.stdout).sort(), normalise(qemu).sort());
    }
    await Deno.remove(disk);
  },
});

/** Runs `m` for `budget` instructions; returns what it printed meanwhile and every hart's pc. */
async function runFor(m: Machine, budget: number) {
  const before = m.stdout.length;
  for await (const _ of m.run({ budget })) { /* runs to the budget */ }
  const harts = (machineDriver(m) as SystemDriver).sys.harts;
  return { out: m.stdout.slice(before), pcs: harts.map((h) => h.cpu.pc) };
}

Deno.test({
  name: "-smp 4: a snapshot, in memory and through a file, brings back every hart and the schedule",
  ignore: !hasFirmware,
  fn: async () => {
    const path = await Deno.makeTempFile();
    const m = await createMachine({ system: { bios: FW_JUMP, smp: 4 } });
    await runFor(m, 14_000_000);
    const s = m.snapshot();
    await m.save(path);
    const after = await runFor(m, 30_000_000);
    assert.match(after.out, /Platform HART Count +: 4/);
    m.restore(s);
    assert.deepEqual(await runFor(m, 30_000_000), after);
    await m.close();
    const fresh = await createMachine({ system: { bios: FW_JUMP, smp: 4 }, loadvm: path });
    assert.deepEqual(await runFor(fresh, 30_000_000), after);
    await fresh.close();
    const other = await createMachine({ system: { bios: FW_JUMP, smp: 2 } });
    await assert.rejects(() => other.load(path), /snapshot/);
    await other.close();
    await Deno.remove(path);
  },
});

Deno.test({
  name: "-smp 4: hooks, vcpu_init and -d in_asm see every hart's blocks (vCPU index = hart)",
  ignore: !hasFirmware,
  fn: async () => {
    let inAsm = "", execlog = "";
    const m = await createMachine({
      system: { bios: FW_JUMP, smp: 4 },
      log: { categories: ["in_asm"], write: (t) => inAsm += t },
      plugins: ["execlog,afilter=80000000"],
      pluginOutput: (t) => execlog += t,
    });
    const inits: number[] = [];
    m.hooks.on("vcpu_init", (e) => inits.push(e.index));
    const blocks = [0, 0, 0, 0];
    const entered = new Set<number>(); // harts that ran OpenSBI's first block (0x80000000)
    m.hooks.addBlockHook((vcpu, pc) => {
      blocks[vcpu.index]++;
      if (pc === 0x8000_0000n) entered.add(vcpu.index);
    }, { regs: "read" });
    for await (const _ of m.run({ budget: 2_000_000 })) { /* runs to the budget */ }
    await m.close();
    assert.deepEqual(inits, [0, 1, 2, 3]);
    assert.deepEqual([...entered].sort(), [0, 1, 2, 3]);
    assert.ok(blocks.every((n) => n > 0), `blocks per hart: ${blocks}`);
    // each hart translates the reset ROM's block into its own cache
    assert.equal(inAsm.split("0x0000000000001000:").length - 1, 4);
    // execlog's lines start with the vCPU index, as QEMU's
    const entries = execlog.split("\n").filter((l) => l.includes(", 0x80000000, "));
    assert.deepEqual(entries.map((l) => l.split(",")[0]).sort(), ["0", "1", "2", "3"]);
  },
});

Deno.test({
  name: "-smp 4: m.stop() from a hook on hart 2 ends the run at once",
  ignore: !hasFirmware,
  fn: async () => {
    const m = await createMachine({ system: { bios: FW_JUMP, smp: 4 } });
    let stopped = false, blocksAfter = 0;
    m.hooks.addBlockHook((vcpu) => {
      if (stopped) blocksAfter++;
      else if (vcpu.index === 2) {
        stopped = true;
        m.stop();
      }
    }, { regs: "none" });
    const events = [];
    for await (const e of m.run({ budget: 2_000_000 })) events.push(e.type);
    await m.close();
    assert.ok(stopped);
    assert.deepEqual(events, ["stop"]);
    assert.equal(blocksAfter, 0);
  },
});

Deno.test("-smp 2: m.readReg / m.writeReg take a hart id; a hart past -smp is refused", async () => {
  const smp = BAREMETAL_PROGRAMS.find((p) => p.name === "smp")!;
  const m = await createMachine({
    system: { cpu: programCpu(smp), bios: "none", kernel: programImage(smp), smp: 2 },
    accel: "lockstep",
  });
  m.writeReg("s11", 0x1234n, 1);
  m.writeReg("s10", 0x99n);
  for await (const _ of m.run({ budget: 40 })) { /* runs on, lockstep compares with the mirror */ }
  assert.deepEqual([m.readReg("s11"), m.readReg("s11", 0), m.readReg("s11", 1)], [0n, 0n, 0x1234n]);
  assert.deepEqual([m.readReg("s10", 0), m.readReg("s10", 1)], [0x99n, 0n]);
  assert.throws(() => m.readReg("pc", 2), /no vCPU 2: this machine has 2/);
  await m.close();
});

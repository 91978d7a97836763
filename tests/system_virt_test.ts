// The virt board without a CPU: memory map, image placement, reset ROM, generated device tree
// (also against qemu-system-riscv64's when installed), -dtb, -drive, -device, dumpdtb.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import {
  type BuiltMachine,
  decodeFdt,
  DeviceOptions,
  encodeFdt,
  fdtCells,
  type FdtNode,
  fdtString,
  fdtStrings,
  type MachineOptions,
} from "../plugin.ts";
import { loadMachinePlugin } from "../core/plugin.ts";
import { parseDeviceSpec } from "../core/system/options.ts";
import { type TestEnv, testEnv, which } from "./system_env.ts";

const MiB = 1n << 20n;
const FIRMWARE = new Uint8Array(0x3000).fill(0x13); // "nop"s: 12 KiB of raw firmware
const KERNEL = new Uint8Array(0x1800).fill(0x73);

function options(o: Partial<MachineOptions> = {}): MachineOptions {
  return { machine: new DeviceOptions("virt"), ramSize: 256n * MiB, devices: [], drives: [], ...o };
}

async function build(o: Partial<MachineOptions>, files: Record<string, Uint8Array> = {}) {
  const env: TestEnv = testEnv();
  env.readFile = (p) => {
    const f = files[p];
    return f ? Promise.resolve(f) : Promise.reject(new Error("No such file or directory"));
  };
  const written: Record<string, Uint8Array> = {};
  env.writeFile = (p, d) => Promise.resolve(void (written[p] = d));
  const virt = await loadMachinePlugin("virt");
  const m: BuiltMachine = await virt.build(env, options(o));
  return { env, m, written, tree: decodeFdt(m.fdt).root };
}

const prop = (n: FdtNode | undefined, name: string) => n?.props.get(name) as Uint8Array;

Deno.test("virt: memory map, firmware at DRAM, kernel at 0x80200000, FDT near the end of RAM", async () => {
  const { env, m, tree } = await build(
    { bios: "fw.bin", kernel: "k.bin", initrd: "rd", append: "console=ttyS0 earlycon" },
    { "fw.bin": FIRMWARE, "k.bin": KERNEL, "rd": new Uint8Array([1, 2, 3, 4]) },
  );
  const names = env.bus.regions.map((r) => `${r.name}@${r.base.toString(16)}`);
  for (
    const want of [
      "mrom@1000",
      "sifive_test@100000@100000",
      "goldfish_rtc@101000@101000",
      "aclint@2000000@2000000",
      "plic@c000000@c000000",
      "ns16550a@10000000@10000000",
      "virtio_mmio@10001000@10001000",
      "virtio_mmio@10008000@10008000",
      "dram@80000000",
    ]
  ) assert.ok(names.includes(want), `${want} in ${names}`);
  assert.equal(m.entryPc, 0x1000n);
  assert.equal(m.fdtAddress, 0x8fe00000n);
  assert.deepEqual(m.boot, { pc: 0x80000000n, args: [0n, 0x8fe00000n, 0x1028n] });
  assert.equal(env.bus.load(0x80000000n, 4), 0x13131313n, "firmware at DRAM base");
  assert.equal(env.bus.load(0x80200000n, 4), 0x73737373n, "kernel at the next 2 MiB boundary");
  assert.deepEqual(env.bus.readBytes(m.fdtAddress, m.fdt.length), m.fdt);
  const chosen = tree.find("/chosen");
  assert.equal(fdtString(prop(chosen, "bootargs")), "console=ttyS0 earlycon");
  assert.equal(fdtString(prop(chosen, "stdout-path")), "/soc/serial@10000000");
  // initrd: kernel + min(RAM/2, 512 MiB)
  const start = 0x80200000n + 128n * MiB;
  assert.deepEqual(fdtCells(prop(chosen, "linux,initrd-start")), [0, Number(start)]);
  assert.deepEqual(fdtCells(prop(chosen, "linux,initrd-end")), [0, Number(start + 4n)]);
  assert.equal(env.bus.load(start, 4), 0x04030201n);
  assert.deepEqual(fdtCells(prop(tree.find("/memory@80000000"), "reg")), [
    0,
    0x80000000,
    0,
    256 << 20,
  ]);
  await m.close();
});

Deno.test("virt: the reset vector loads a0/a1/a2 and jumps; fw_dynamic_info follows it", async () => {
  const { env } = await build({ bios: "fw.bin", kernel: "k.bin" }, {
    "fw.bin": FIRMWARE,
    "k.bin": KERNEL,
  });
  const words = [0, 1, 2, 3, 4, 5].map((i) => Number(env.bus.load(0x1000n + BigInt(4 * i), 4)));
  assert.deepEqual(words, [
    0x00000297, // auipc t0, 0
    0x02828613, // addi a2, t0, 40
    0xf1402573, // csrr a0, mhartid
    0x0202b583, // ld a1, 32(t0)
    0x0182b283, // ld t0, 24(t0)
    0x00028067, // jr t0
  ]);
  assert.equal(env.bus.load(0x1018n, 8), 0x80000000n, "start address");
  assert.equal(env.bus.load(0x1020n, 8), 0x8fe00000n, "FDT address");
  const info = [0, 1, 2, 3, 4, 5].map((i) => env.bus.load(0x1028n + BigInt(8 * i), 8));
  assert.deepEqual(info, [0x4942534fn, 2n, 0x80200000n, 1n, 0n, 0n]);
  assert.equal(env.bus.resolver()(1, "write"), "protection", "the mask ROM is read-only");
});

/** A minimal ELF64 RISC-V executable: one PT_LOAD at `vaddr` with a 0x100-byte bss. */
function tinyElf(vaddr: bigint, entryOffset: number): Uint8Array {
  const b = new Uint8Array(0x100);
  const dv = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  dv.setUint16(16, 2, true); // ET_EXEC
  dv.setUint16(18, 243, true); // EM_RISCV
  dv.setUint32(20, 1, true);
  dv.setBigUint64(24, vaddr + BigInt(entryOffset), true);
  dv.setBigUint64(32, 64n, true); // e_phoff
  dv.setUint16(52, 64, true);
  dv.setUint16(54, 56, true);
  dv.setUint16(56, 1, true);
  dv.setUint32(64, 1, true); // PT_LOAD
  dv.setUint32(68, 5, true);
  dv.setBigUint64(72, 0n, true);
  dv.setBigUint64(80, vaddr, true);
  dv.setBigUint64(88, vaddr, true);
  dv.setBigUint64(96, 0x100n, true);
  dv.setBigUint64(104, 0x200n, true);
  dv.setBigUint64(112, 0x1000n, true);
  dv.setUint32(0xc0, 0x00100073, true); // ebreak at the entry
  return b;
}

// QEMU 7.2's reset vector jumps to DRAM whatever e_entry says (here to nothing: -d in_asm shows
// `0x0000000080000000:  0000  illegal`); tests/system_rom_overlap_test.ts runs it beside the peer
Deno.test("virt: -bios none loads a bare ELF kernel by its program headers and jumps to DRAM", async () => {
  const { env, m } = await build({ bios: "none", kernel: "k.elf" }, {
    "k.elf": tinyElf(0x80400000n, 0xc0),
  });
  assert.equal(m.boot.pc, 0x80000000n);
  assert.equal(env.bus.load(0x1018n, 8), 0x80000000n);
  assert.equal(env.bus.load(0x804000c0n, 4), 0x00100073n);
  assert.equal(env.bus.load(0x80000000n, 4), 0n, "nothing at DRAM base");
  const wrongPlace = tinyElf(0x40000000n, 0xc0);
  await assert.rejects(
    build({ bios: "none", kernel: "k.elf" }, { "k.elf": wrongPlace }),
    /not inside the machine's memory/,
  );
});

Deno.test("virt: missing -bios, unreadable files and bad options say what to do", async () => {
  await assert.rejects(build({}), (e: Error & { hint?: string }) => {
    assert.match(e.message, /no firmware given/);
    assert.match(e.hint ?? "", /-bios fw_jump.bin/);
    return true;
  });
  await assert.rejects(build({ bios: "missing.bin" }), /-bios missing.bin: cannot read/);
  await assert.rejects(
    build({ bios: "none", initrd: "x" }),
    /-initrd only allowed with -kernel option/,
  );
  await assert.rejects(
    build({ bios: "none", machine: new DeviceOptions("virt", { aia: "aplic" }) }),
    /unknown option aia/,
  );
  await assert.rejects(
    build({ bios: "none", machine: new DeviceOptions("virt", { "mmu-type": "sv32" }) }),
    /not one of sv39, sv48, sv57/,
  );
  await assert.rejects(
    build({ bios: "none", devices: [parseDeviceSpec("virtio-rng-pci,bus=pcie.1")] }),
    /bus=pcie.1: the machine has no such PCI bus/,
  );
  await assert.rejects(
    build({ bios: "none", devices: [parseDeviceSpec("virtio-rng-pci,addr=0")] }),
    /PCI slot 0 is already in use/,
  );
  // QEMU's addr=SLOT[.FN] is hex; a slot past 1f was "the PCI bus has no free slot"
  for (const [addr, why] of [["20", /addr=20 is not a PCI slot/], ["3.1", /only function 0/]]) {
    await assert.rejects(
      build({ bios: "none", devices: [parseDeviceSpec(`virtio-rng-pci,addr=${addr}`)] }),
      why as RegExp,
    );
  }
});

Deno.test("virt: -drive if=virtio is virtio-blk-pci, -device virtio-*-device takes the last mmio slot", async () => {
  const img = await Deno.makeTempFile();
  await Deno.writeFile(img, new Uint8Array(4096));
  try {
    const { env, m, tree } = await build({
      bios: "none",
      drives: [
        new DeviceOptions("-drive", { file: img, format: "raw", if: "virtio" }),
        new DeviceOptions("-drive", { file: img, format: "raw", if: "none", id: "d1" }),
      ],
      devices: [
        parseDeviceSpec("./plugins/devices/example_counter.ts,addr=0x10010000,irq=9"),
        parseDeviceSpec("virtio-rng-device"),
        parseDeviceSpec("virtio-blk-pci,drive=d1,addr=5,readonly=on"),
        parseDeviceSpec("virtio-rng-pci,addr=10.0"),
        parseDeviceSpec("virtio-rng-pci"),
      ],
    });
    const ecam = (slot: number, reg: number) =>
      env.bus.load(0x30000000n + BigInt(slot << 15 | reg), 4);
    assert.equal(ecam(0, 0), 0x00081b36n, "00.0: the host bridge");
    assert.equal(ecam(5, 0), 0x10421af4n, "05.0: -device virtio-blk-pci,addr=5 (modern)");
    assert.equal(ecam(16, 0), 0x10441af4n, "10.0: addr is hex, as QEMU's");
    assert.equal(ecam(1, 0), 0x10441af4n, "01.0: virtio-rng-pci, the next -device");
    assert.equal(ecam(2, 0), 0x10421af4n, "02.0: -drive if=virtio, after the -device ones");
    assert.equal(ecam(3, 0), 0xffffffffn, "no slot 3");
    assert.equal(env.bus.load(0x10008008n, 4), 4n, "virtio-rng at 0x10008000");
    assert.equal(env.bus.load(0x10007008n, 4), 0n);
    const counter = tree.find("/soc/counter@10010000");
    assert.deepEqual(fdtStrings(prop(counter, "compatible")), ["denemu,example-counter"]);
    assert.deepEqual(fdtCells(prop(counter, "interrupts")), [9]);
    const plic = tree.find("/soc/plic@c000000");
    assert.deepEqual(prop(counter, "interrupt-parent"), prop(plic, "phandle"));
    await m.close();
  } finally {
    await Deno.remove(img);
  }
});

Deno.test("virt: dumpdtb writes the blob; -dtb uses a given one with /chosen patched", async () => {
  const { m, written } = await build({
    bios: "none",
    machine: new DeviceOptions("virt", { dumpdtb: "out.dtb", "mmu-type": "sv39" }),
  });
  assert.equal(m.dumpedDtb, "out.dtb");
  assert.deepEqual(written["out.dtb"], m.fdt);
  const cpu = decodeFdt(m.fdt).root.find("/cpus/cpu@0");
  assert.equal(fdtString(prop(cpu, "mmu-type")), "riscv,sv39");
  assert.equal(
    fdtString(prop(cpu, "riscv,isa")),
    "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc",
  );

  const given = decodeFdt(m.fdt).root;
  given.set("model", "custom");
  // -append needs -kernel, as in QEMU
  const { tree } = await build({ bios: "none", kernel: "k", dtb: "my.dtb", append: "quiet" }, {
    "my.dtb": encodeFdt(given),
    k: new Uint8Array(16),
  });
  assert.equal(fdtString(prop(tree, "model")), "custom");
  assert.equal(fdtString(prop(tree.find("/chosen"), "bootargs")), "quiet");
  await assert.rejects(
    build({ bios: "none", dtb: "bad.dtb" }, { "bad.dtb": new Uint8Array(64) }),
    /-dtb bad.dtb: invalid DTB: bad magic/,
  );
});

/** Every node path with its property names. */
function shape(root: FdtNode): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  root.walk((n, path) => out.set(path, new Set(n.props.keys())));
  return out;
}

const haveQemu = await which("qemu-system-riscv64");
/** QEMU nodes for devices this board does not have. */
const QEMU_ONLY = /^\/pmu/;
/** Properties newer QEMUs add that the board leaves out. */
const QEMU_ONLY_PROPS = new Set([
  "riscv,cbom-block-size",
  "riscv,cboz-block-size",
  "riscv,isa-base",
  "riscv,isa-extensions",
]);

/** Properties whose values do not depend on phandle numbering or randomness. */
const VALUES_COMPARED = [
  "reg",
  "interrupts",
  "compatible",
  "#address-cells",
  "riscv,ndev",
  "offset",
  "value",
  "ranges",
  "interrupt-map-mask",
  "bus-range",
  "linux,pci-domain",
  "device_type",
  "#interrupt-cells",
  "#size-cells",
  "dma-coherent",
  "bank-width",
];

/** A bridge's interrupt-map with the interrupt controller's phandle replaced by 0. */
function interruptMap(tree: FdtNode, path: string): number[] {
  const phandle = fdtCells(prop(tree.find("/soc/plic@c000000"), "phandle"))[0];
  const cells = fdtCells(prop(tree.find(path), "interrupt-map"));
  // entries: 3 address cells, 1 pin, the parent's phandle, 1 source
  return cells.map((c, i) => (i % 6 === 4 && c === phandle ? 0 : c));
}

Deno.test({
  name: `virt: our DTB has QEMU's nodes and properties for the devices both have${
    haveQemu ? "" : " (skipped: qemu-system-riscv64 is not installed)"
  }`,
  ignore: !haveQemu,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/qemu.dtb`;
      const out = await new Deno.Command("qemu-system-riscv64", {
        args: ["-M", `virt,dumpdtb=${path}`, "-m", "256M", "-nographic", "-bios", "none"],
        stdout: "null",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000), // dumpdtb exits before the machine runs
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const qemuTree = decodeFdt(await Deno.readFile(path)).root;
      const qemu = shape(qemuTree);
      const { tree } = await build({ bios: "none" });
      const ours = shape(tree);
      const qemuPaths = [...qemu.keys()].filter((p) => !QEMU_ONLY.test(p)).sort();
      assert.deepEqual([...ours.keys()].sort(), qemuPaths);
      for (const p of qemuPaths) {
        const want = [...qemu.get(p)!].filter((x) => !QEMU_ONLY_PROPS.has(x)).sort();
        assert.deepEqual([...ours.get(p)!].sort(), want, `properties of ${p}`);
      }
      for (const p of qemuPaths) {
        for (const name of VALUES_COMPARED) {
          const a = ours.get(p)!.has(name) ? prop(tree.find(p), name) : undefined;
          const b = qemu.get(p)!.has(name) ? prop(qemuTree.find(p), name) : undefined;
          assert.deepEqual(a, b, `${p} ${name}`);
        }
      }
      assert.deepEqual(
        interruptMap(tree, "/soc/pci@30000000"),
        interruptMap(qemuTree, "/soc/pci@30000000"),
      );
      // Linux and U-Boot number virtio devices in tree order.
      const virtioOrder = (t: FdtNode) =>
        t.find("/soc")!.children.map((n) => n.name).filter((n) => n.startsWith("virtio_mmio@"));
      assert.deepEqual(virtioOrder(tree), virtioOrder(qemuTree));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

const FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
const UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
const haveBootFiles = await Deno.stat(FW_JUMP).then(() => Deno.stat(UBOOT)).then(
  () => true,
  () => false,
);

Deno.test({
  name: `virt: OpenSBI fw_jump + U-Boot are placed as QEMU places them${
    haveBootFiles ? "" : " (skipped: opensbi or u-boot-qemu is not installed)"
  }`,
  ignore: !haveBootFiles,
  async fn() {
    const env = testEnv();
    const virt = await loadMachinePlugin("virt");
    const m = await virt.build(env, options({ bios: FW_JUMP, kernel: UBOOT }));
    const fw = await Deno.readFile(FW_JUMP), uboot = await Deno.readFile(UBOOT);
    assert.deepEqual(env.bus.readBytes(0x80000000n, fw.length), fw);
    assert.deepEqual(env.bus.readBytes(0x80200000n, uboot.length), uboot);
    assert.deepEqual(m.boot, { pc: 0x80000000n, args: [0n, 0x8fe00000n, 0x1028n] });
    await m.close();
  },
});

Deno.test("emu system: QEMU-style flags, -M help and -device help", async () => {
  const { parseSystemArgs } = await import("../cli/system.ts");
  const a = parseSystemArgs([
    "-M",
    "virt,dumpdtb=x.dtb",
    "-m=256M",
    "--cpu",
    "rv32",
    "-device",
    "help",
  ]);
  assert.equal(a.machine, "virt,dumpdtb=x.dtb");
  assert.equal(a.ramSize, 256n * MiB);
  assert.equal(a.cpu, "rv32");
  assert.deepEqual(a.devices, ["help"]);
  assert.equal(parseSystemArgs(["-cpu", "rv64,v=true,vlen=256"]).cpu, "rv64,v=true,vlen=256");
  assert.equal(parseSystemArgs(["-cpu", "help"]).helpTopic, "cpu");
  assert.throws(() => parseSystemArgs(["-m"]), /option -m needs a value/);
  assert.throws(() => parseSystemArgs(["kernel.elf"]), /unexpected argument/);

  const emu = async (...args: string[]) => {
    const mod = new URL("../mod.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", mod, "system", ...args],
      signal: AbortSignal.timeout(120_000),
    })
      .output();
    return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
  };
  const machines = await emu("-M", "help");
  assert.equal(machines.code, 0);
  assert.match(machines.stdout, /^virt +RISC-V VirtIO board/m);
  const devices = await emu("-device", "help");
  assert.equal(devices.code, 0);
  for (const d of ["aclint", "goldfish_rtc", "ns16550a", "plic", "sifive_test", "virtio_blk"]) {
    assert.match(devices.stdout, new RegExp(`^name "${d}", bus \\S+, desc "`, "m"));
  }
  // only targets with a system mode: aarch64 is user mode only
  const cpus = await emu("-cpu", "help");
  assert.equal(cpus.code, 0);
  assert.match(cpus.stdout, /^Available CPUs \(riscv\):\n {2}rv64\n/);
  assert.doesNotMatch(cpus.stdout, /aarch64|cortex/);
});

// PCI on the virt board: configuration space and BAR sizing, the INTx swizzle, the virtio-pci
// (modern) transport, and U-Boot's view of `-drive if=virtio` + `-device virtio-rng-pci` compared
// with a live qemu-system-riscv64 in the same run (QEMU with disable-legacy=on: Denemu's
// virtio-pci functions are modern only).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import {
  IrqLine,
  PciCommand,
  PciConfig,
  PciFunction,
  PciHost,
  VirtioPciCommon as C,
  VirtioPciTransport,
  VirtioStatus,
} from "../plugin.ts";
import { PhysicalBus } from "../core/system/bus.ts";
import { HostMemory } from "../core/host_memory.ts";
import { RngBackend } from "../plugins/devices/virtio_rng.ts";
import { createMachine } from "../mod.ts";
import { FW_JUMP, qemuUBoot, qemuUBootArgs, UBOOT } from "../scripts/record_uboot_qemu.ts";
import { which } from "../scripts/build_guests.ts";
import { converse, ubootCommands } from "./util/serial.ts";

const silent = { read: () => 0n, write: () => {} };

Deno.test("pci: BARs size by writing ones, decode only when enabled; ECAM reads absent slots as ones", () => {
  const lines = [0, 1, 2, 3].map(() => new IrqLine());
  const host = new PciHost((slot, pin) => lines[(slot + pin - 1) % 4]);
  const fn = new PciFunction({
    vendorId: 0x1234,
    deviceId: 0x5678,
    revision: 2,
    classCode: 0x010000,
    interruptPin: 1,
    bars: [
      { index: 0, kind: "io", size: 0x20n, handler: silent },
      { index: 1, kind: "mem32", size: 0x1000n, handler: silent },
      { index: 2, kind: "mem64", prefetchable: true, size: 0x4000n, handler: silent },
    ],
  });
  assert.equal(host.attach(fn, 3), 3);
  const cfg = (reg: number) => host.ecam.read(BigInt(3 << 15 | reg), 4);
  const set = (reg: number, v: bigint) => host.ecam.write(BigInt(3 << 15 | reg), 4, v);
  assert.equal(cfg(0), 0x56781234n);
  assert.equal(cfg(PciConfig.REVISION), 0x01000002n);
  assert.equal(host.ecam.read(BigInt(4 << 15), 4), 0xffffffffn, "empty slot");
  for (const [reg, sized] of [[0x10, 0xffffffe1n], [0x14, 0xfffff000n], [0x18, 0xffffc00cn]]) {
    set(reg as number, 0xffffffffn);
    assert.equal(cfg(reg as number), sized, `BAR at ${reg}`);
  }
  set(0x1c, 0xffffffffn);
  assert.equal(cfg(0x1c), 0xffffffffn, "the upper half of a 64-bit BAR is all address");
  set(0x18, 0x4000000cn);
  set(0x1c, 4n);
  const bar = fn.spec.bars[2];
  assert.equal(fn.barAddress(bar), null, "memory decoding is off");
  set(PciConfig.COMMAND, BigInt(PciCommand.MEMORY));
  assert.equal(fn.barAddress(bar), 0x440000000n);
  host.reset();
  assert.equal(cfg(0x18), 0xcn, "reset unassigns the BAR");
});

Deno.test("pci: INTx goes to host line (slot + pin - 1) % 4, ORed, masked by INTx disable", () => {
  const lines = [0, 1, 2, 3].map(() => new IrqLine());
  const host = new PciHost((slot, pin) => lines[(slot + pin - 1) % 4]);
  const spec = (pin: number) => ({
    vendorId: 1,
    deviceId: 2,
    revision: 0,
    classCode: 0,
    interruptPin: pin,
    bars: [],
  });
  const a = new PciFunction(spec(1)), b = new PciFunction(spec(4));
  host.attach(a, 1); // INTA of slot 1: line 1
  host.attach(b, 2); // INTD of slot 2: line (2 + 3) % 4 = 1
  a.intx.set(true);
  b.intx.set(true);
  assert.deepEqual(lines.map((l) => l.level), [false, true, false, false]);
  a.intx.set(false);
  assert.equal(lines[1].level, true, "b still holds the shared line");
  assert.equal(Number(b.readConfig(PciConfig.STATUS, 2)) & 8, 8, "status shows the interrupt");
  b.writeConfig(PciConfig.COMMAND, 2, BigInt(PciCommand.INTX_DISABLE));
  assert.equal(lines[1].level, false, "INTx disable masks it");
});

Deno.test("virtio-pci: capabilities, queue setup in BAR 4, notify, ISR read clears INTx", () => {
  const bus = new PhysicalBus(new HostMemory());
  bus.addRam("ram", 0x80000000n, 0x10000n);
  const lines = [0, 1, 2, 3].map(() => new IrqLine());
  const host = new PciHost((slot, pin) => lines[(slot + pin - 1) % 4]);
  let n = 0;
  const random = { next64: () => 0n, bytes: (k: number) => new Uint8Array(k).fill(++n), state: 0n };
  const t = new VirtioPciTransport(bus, host, new RngBackend(random));
  const fn = t.function;
  assert.equal(fn.readConfig(0, 4), 0x10441af4n);
  // Walk the capability list: four virtio structures in BAR 4, and MSI-X.
  const caps: number[] = [];
  for (let at = Number(fn.readConfig(PciConfig.CAPABILITIES, 1)); at;) {
    const id = Number(fn.readConfig(at, 1));
    caps.push(id === 9 ? Number(fn.readConfig(at + 3, 1)) : -id);
    at = Number(fn.readConfig(at + 1, 1));
  }
  assert.deepEqual(caps, [1, 3, 4, 2, -0x11]);
  const bar = fn.spec.bars.find((b) => b.index === 4)!.handler;
  const w = (off: number, size: number, v: bigint) => bar.write(BigInt(off), size, v);
  const r = (off: number, size: number) => bar.read(BigInt(off), size);
  assert.equal(r(C.QUEUE_SIZE, 2), 64n, "queue_size reads the maximum before setup");
  w(C.DEVICE_FEATURE_SELECT, 4, 1n);
  assert.equal(r(C.DEVICE_FEATURE, 4), 1n, "VERSION_1");
  w(C.DRIVER_FEATURE_SELECT, 4, 1n);
  w(C.DRIVER_FEATURE, 4, 1n);
  w(
    C.DEVICE_STATUS,
    1,
    BigInt(VirtioStatus.ACKNOWLEDGE | VirtioStatus.DRIVER | VirtioStatus.FEATURES_OK),
  );
  assert.equal(Number(r(C.DEVICE_STATUS, 1)) & VirtioStatus.FEATURES_OK, VirtioStatus.FEATURES_OK);
  // One 8-byte writable buffer at 0x80001000; rings at 0x80002000 (avail) and 0x80003000 (used).
  w(C.QUEUE_SIZE, 2, 8n);
  w(C.QUEUE_DESC, 8, 0x80000000n);
  w(C.QUEUE_DRIVER, 4, 0x80002000n);
  w(C.QUEUE_DRIVER + 4, 4, 0n);
  w(C.QUEUE_DEVICE, 8, 0x80003000n);
  w(C.QUEUE_ENABLE, 2, 1n);
  bus.store(0x80000000n, 8, 0x80001000n);
  bus.store(0x80000008n, 4, 8n);
  bus.store(0x8000000cn, 2, 2n); // VIRTQ_DESC_F_WRITE
  bus.store(0x80002004n, 2, 0n);
  bus.store(0x80002002n, 2, 1n);
  w(C.DEVICE_STATUS, 1, 0xfn);
  w(0x3000 + 4 * Number(r(C.QUEUE_NOTIFY_OFF, 2)), 2, 0n);
  assert.equal(bus.load(0x80003002n, 2), 1n, "one used entry");
  assert.equal(bus.load(0x80001000n, 1), 1n, "the device filled the buffer");
  assert.equal(t.slot, 0);
  assert.equal(lines[0].level, true, "INTA of slot 0");
  assert.equal(r(0x1000, 1), 1n, "ISR: queue interrupt");
  assert.equal(lines[0].level, false, "reading the ISR lowered the line");
  assert.equal(r(0x1000, 1), 0n);
  // QEMU takes the queue as the offset divided by the multiplier: a write at +2 notifies it too
  bus.store(0x80002006n, 2, 0n);
  bus.store(0x80002002n, 2, 2n);
  w(0x3000 + 4 * Number(r(C.QUEUE_NOTIFY_OFF, 2)) + 2, 2, 0n);
  assert.equal(bus.load(0x80003002n, 2), 2n, "a notify at +2 of the queue's address");
});

const haveUBoot = await Promise.all([FW_JUMP, UBOOT].map((f) => Deno.stat(f))).then(
  () => true,
  () => false,
);
const haveQemu = haveUBoot && await which("qemu-system-riscv64");

Deno.test({
  name: `pci: U-Boot lists and uses the virtio-pci devices as on QEMU${
    haveQemu ? "" : " (skipped: opensbi, u-boot-qemu or qemu-system-riscv64 is not installed)"
  }`,
  ignore: !haveQemu,
  async fn() {
    const disk = new URL("./linux/disk.ext2", import.meta.url).pathname;
    const drive = `file=${disk},format=raw,if=virtio,snapshot=on`;
    const commands = ["pci", "pci header 0.1.0", "pci bar 0.2.0", "virtio scan", "virtio info"];
    const sys = await createMachine({
      system: {
        memory: "256M",
        bios: FW_JUMP,
        kernel: UBOOT,
        drives: [drive],
        devices: ["virtio-rng-pci"],
      },
    });
    let output: string;
    try {
      output = await ubootCommands(sys, commands);
    } finally {
      await sys.close();
    }
    const qemu = await qemuUBoot(
      qemuUBootArgs([
        "-device",
        "virtio-rng-pci",
        "-drive",
        drive,
        "-global",
        "virtio-pci.disable-legacy=on",
      ]),
      commands,
    );
    const answers = (out: string) => out.slice(out.indexOf("=> pci\n"));
    const ours = answers(output.replaceAll("\r\n", "\n"));
    assert.match(ours, /00\.02\.00 +0x1af4 +0x1042 +Mass storage controller/);
    assert.match(ours, /Device 0: 1af4 VirtIO Block Device/);
    assert.equal(ours, answers(qemu));
  },
});

Deno.test({
  name: `pci: a snapshot keeps the assigned BARs and the virtio-pci queues${
    haveUBoot ? "" : " (skipped: opensbi or u-boot-qemu is not installed)"
  }`,
  ignore: !haveUBoot,
  async fn() {
    const disk = new URL("./linux/disk.ext2", import.meta.url).pathname;
    const system = {
      bios: FW_JUMP,
      kernel: UBOOT,
      drives: [`file=${disk},format=raw,if=virtio,snapshot=on`],
      devices: ["virtio-rng-pci"],
    };
    const path = await Deno.makeTempFile();
    const m = await createMachine({ system });
    let before: string;
    try {
      await converse(m, "", /Hit any key to stop autoboot/);
      await converse(m, "x", /=> /);
      await converse(m, "virtio scan\r", /=> /);
      await m.save(path);
      before = await converse(m, "virtio info; pci header 0.2.0\r", /=> /);
    } finally {
      await m.close();
    }
    assert.match(before, /VirtIO Block Device[\s\S]*base address 4 = +0x4000c00c/);
    const restored = await createMachine({ system, loadvm: path });
    try {
      assert.equal(await converse(restored, "virtio info; pci header 0.2.0\r", /=> /), before);
    } finally {
      await restored.close();
      await Deno.remove(path);
    }
  },
});

/**
 * The virtio-mmio transport (virtio 1.x, "modern", register layout
 * version 2), and {@linkcode attachVirtio}, which puts a device back-end
 * (virtio-blk, virtio-rng, ...) behind virtio-mmio or virtio-pci. A
 * transport without a backend is an empty slot (DeviceID 0), as QEMU's
 * virt board has eight of them.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { MmioHandler } from "../guest_memory.ts";
import type { DmaView } from "./bus.ts";
import type { DeviceOptionHelp } from "../plugin.ts";
import type { DeviceContext } from "./device.ts";
import type { IrqLine } from "./irq.ts";
import type { DeviceOptions } from "./options.ts";
import { type VirtioBackend, VirtioCore, type VirtioTransport } from "./virtio_core.ts";
import { VirtioPciTransport } from "./virtio_pci.ts";
import { PCI_SLOTS } from "./pci.ts";

/** QEMU's name of a PCIe host bridge's root bus, as `-device ...,bus=` gives it. */
export const PCI_ROOT_BUS = "pcie.0";

/** virtio-mmio register offsets. */
export const VirtioMmioReg = {
  MagicValue: 0x000,
  Version: 0x004,
  DeviceID: 0x008,
  VendorID: 0x00c,
  DeviceFeatures: 0x010,
  DeviceFeaturesSel: 0x014,
  DriverFeatures: 0x020,
  DriverFeaturesSel: 0x024,
  QueueSel: 0x030,
  QueueNumMax: 0x034,
  QueueNum: 0x038,
  QueueReady: 0x044,
  QueueNotify: 0x050,
  InterruptStatus: 0x060,
  InterruptACK: 0x064,
  Status: 0x070,
  QueueDescLow: 0x080,
  QueueDescHigh: 0x084,
  QueueDriverLow: 0x090,
  QueueDriverHigh: 0x094,
  QueueDeviceLow: 0x0a0,
  QueueDeviceHigh: 0x0a4,
  ConfigGeneration: 0x0fc,
  Config: 0x100,
} as const;

const MAGIC = 0x74726976n; // "virt"
/** QEMU's vendor id ("QEMU"), which guests see on every virtio-mmio device. */
export const VIRTIO_VENDOR_QEMU = 0x554d4551;
/** Size of one virtio-mmio window. */
export const VIRTIO_MMIO_SIZE = 0x1000n;

/**
 * A virtio-mmio window. Plug a backend before the guest probes it.
 *
 * @example
 * ```ts ignore
 * const t = new VirtioMmioTransport(bus, plic.line(1));
 * bus.addMmio("virtio0", 0x10001000n, VIRTIO_MMIO_SIZE, t);
 * t.plug(myBackend);
 * ```
 */
export class VirtioMmioTransport implements MmioHandler {
  /** The device state behind the registers. */
  readonly core: VirtioCore;

  /** Makes an empty slot: `dma` is what the device reads and writes, `irq` its interrupt line. */
  constructor(readonly dma: DmaView, readonly irq: IrqLine) {
    this.core = new VirtioCore(dma, irq, "virtio-mmio");
  }

  /** The plugged backend (null for an empty slot). */
  get backend(): VirtioBackend | null {
    return this.core.backend;
  }

  /** Connects a backend; throws if the slot is taken. */
  plug(backend: VirtioBackend): void {
    if (this.core.backend) throw new EmuError("virtio-mmio slot is already in use");
    this.core.plug(backend);
  }

  /** Reads a virtio-mmio register (offsets 0x100 on: the backend's configuration space). */
  read(offset: bigint, size: number): bigint {
    const off = Number(offset);
    const c = this.core, be = c.backend;
    if (off >= VirtioMmioReg.Config) {
      if (!be || off - VirtioMmioReg.Config + size > be.configSize) return 0n;
      return be.readConfig(off - VirtioMmioReg.Config, size);
    }
    const R = VirtioMmioReg;
    switch (off) {
      case R.MagicValue:
        return MAGIC;
      case R.Version:
        return 2n;
      case R.DeviceID:
        return BigInt(be?.deviceId ?? 0);
      case R.VendorID:
        return BigInt(VIRTIO_VENDOR_QEMU);
      case R.DeviceFeatures:
        return c.deviceFeatureWord();
      case R.QueueNumMax:
        return BigInt(c.queue()?.maxSize ?? 0);
      case R.QueueReady:
        return c.queue()?.ready ? 1n : 0n;
      case R.InterruptStatus:
        return BigInt(c.interruptStatus);
      case R.Status:
        return BigInt(c.status);
      case R.ConfigGeneration:
        return 0n;
    }
    const q = c.queue();
    if (!q) return 0n;
    switch (off) {
      case R.QueueNum:
        return BigInt(q.size);
      case R.QueueDescLow:
      case R.QueueDescHigh:
        return half(q.descAddr, off - R.QueueDescLow);
      case R.QueueDriverLow:
      case R.QueueDriverHigh:
        return half(q.driverAddr, off - R.QueueDriverLow);
      case R.QueueDeviceLow:
      case R.QueueDeviceHigh:
        return half(q.deviceAddr, off - R.QueueDeviceLow);
    }
    return 0n;
  }

  /** Writes a virtio-mmio register (offsets 0x100 on: the backend's configuration space). */
  write(offset: bigint, size: number, value: bigint): void {
    const off = Number(offset);
    const c = this.core, be = c.backend;
    if (!be) return;
    if (off >= VirtioMmioReg.Config) {
      if (off - VirtioMmioReg.Config + size <= be.configSize) {
        be.writeConfig?.(off - VirtioMmioReg.Config, size, value);
      }
      return;
    }
    const R = VirtioMmioReg;
    const v32 = Number(value & 0xffffffffn);
    switch (off) {
      case R.DeviceFeaturesSel:
        c.deviceFeaturesSel = v32;
        return;
      case R.DriverFeaturesSel:
        c.driverFeaturesSel = v32;
        return;
      case R.DriverFeatures:
        return c.setDriverFeatureWord(v32);
      case R.QueueSel:
        c.queueSel = v32;
        return;
      case R.QueueNotify:
        return c.notify(v32 & 0xffff);
      case R.InterruptACK:
        return c.acknowledge(v32);
      case R.Status:
        return c.setStatus(v32);
    }
    const q = c.queue();
    if (!q || q.ready && off !== R.QueueReady) return;
    switch (off) {
      case R.QueueNum:
        return q.setSize(v32);
      case R.QueueReady:
        q.ready = (v32 & 1) === 1;
        return;
      case R.QueueDescLow:
      case R.QueueDescHigh:
        q.descAddr = setHalf(q.descAddr, off - R.QueueDescLow, v32);
        return;
      case R.QueueDriverLow:
      case R.QueueDriverHigh:
        q.driverAddr = setHalf(q.driverAddr, off - R.QueueDriverLow, v32);
        return;
      case R.QueueDeviceLow:
      case R.QueueDeviceHigh:
        q.deviceAddr = setHalf(q.deviceAddr, off - R.QueueDeviceLow, v32);
        return;
    }
  }
}

function half(v: bigint, which: number): bigint {
  return which === 0 ? v & 0xffffffffn : v >> 32n;
}

function setHalf(v: bigint, which: number, word: number): bigint {
  return which === 0
    ? (v & ~0xffffffffn) | BigInt(word)
    : (v & 0xffffffffn) | (BigInt(word) << 32n);
}

/**
 * Creates a virtio-mmio window at `base` on interrupt source `irq`, maps it
 * and describes it in the device tree.
 *
 * @example
 * ```ts ignore
 * const slot = createVirtioMmio(ctx, 0x10001000n, 1);
 * ctx.offerVirtioSlot(slot);
 * ```
 */
export function createVirtioMmio(
  ctx: DeviceContext,
  base: bigint,
  irq: number,
): VirtioMmioTransport {
  const t = new VirtioMmioTransport(ctx.dma, ctx.irq(irq));
  ctx.mapMmio(base, VIRTIO_MMIO_SIZE, t);
  ctx.describe({
    node: "virtio_mmio",
    compatible: ["virtio,mmio"],
    reg: [{ base, size: VIRTIO_MMIO_SIZE }],
    interrupts: [irq],
  });
  return t;
}

/** The options every virtio device takes for its transport (`-device NAME,help` lists them). */
export const VIRTIO_TRANSPORT_OPTIONS: Record<string, DeviceOptionHelp> = {
  bus: {
    type: "str",
    help: "pcie.0 for virtio-pci (the -pci names' default), else a virtio-mmio slot",
  },
  addr: {
    type: "str",
    help: "PCI slot (06 or 06.0), or the base of a virtio-mmio window of its own",
  },
  irq: {
    type: "uint32",
    help: "the interrupt line of a virtio-mmio window of its own (with addr)",
  },
};

/**
 * Connects a virtio backend: as a virtio-pci function when the options
 * give `bus=pcie.0` (QEMU's root bus name; `addr=SLOT` picks the slot),
 * else into a new virtio-mmio window when they give `addr=` (and `irq=`),
 * else into the machine's next free virtio-mmio slot.
 *
 * @example
 * ```ts ignore
 * create(ctx, options) {
 *   const transport = attachVirtio(ctx, options, new RngBackend(ctx.random));
 *   return { name: "virtio-rng", reset: () => transport.reset() };
 * }
 * ```
 */
export function attachVirtio(
  ctx: DeviceContext,
  options: DeviceOptions,
  backend: VirtioBackend,
): VirtioTransport {
  const bus = options.string("bus", "");
  if (bus !== "") return attachVirtioPci(ctx, options, bus, backend);
  let t: VirtioMmioTransport | undefined;
  if (options.has("addr")) t = createVirtioMmio(ctx, options.address("addr"), options.int("irq"));
  else t = ctx.claimVirtioSlot();
  if (!t) {
    throw new EmuError(
      `${ctx.id}: no free virtio-mmio slot`,
      "give it its own window with addr=0x...,irq=N, or use fewer virtio devices",
    );
  }
  t.plug(backend);
  return t.core;
}

function attachVirtioPci(
  ctx: DeviceContext,
  options: DeviceOptions,
  bus: string,
  backend: VirtioBackend,
): VirtioTransport {
  const host = ctx.pciHost();
  if (bus !== PCI_ROOT_BUS || !host) {
    throw new EmuError(
      `${ctx.id}: bus=${bus}: the machine has no such PCI bus`,
      `use bus=${PCI_ROOT_BUS} on a board with a PCI host bridge`,
    );
  }
  const slot = options.has("addr") ? pciSlot(ctx.id, options.string("addr")) : undefined;
  return new VirtioPciTransport(ctx.dma, host, backend, slot).core;
}

/**
 * QEMU's PCI `addr=SLOT[.FN]`, both in hex ("addr=10" is slot 0x10); only
 * function 0 is emulated.
 */
function pciSlot(id: string, addr: string): number {
  const m = /^(?:0x)?([0-9a-f]{1,2})(?:\.([0-7]))?$/i.exec(addr);
  const slot = m ? parseInt(m[1], 16) : NaN;
  if (!m || slot >= PCI_SLOTS) {
    throw new EmuError(`${id}: addr=${addr} is not a PCI slot`, "give SLOT[.FN] in hex, 0 to 1f");
  }
  if (m[2] && m[2] !== "0") {
    throw new EmuError(`${id}: addr=${addr}: only function 0 is emulated`, `use addr=${m[1]}`);
  }
  return slot;
}

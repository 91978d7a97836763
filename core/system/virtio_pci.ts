/**
 * The virtio-pci transport, modern only (virtio 1.x, section 4.1): a PCI
 * function with vendor 0x1af4 and device 0x1040 + the virtio id, whose
 * vendor-specific capabilities point into one 64-bit memory BAR (BAR 4, as
 * QEMU places it) holding the common configuration, the ISR, the device
 * configuration and the notification area, and an MSI-X table in BAR 1
 * that is never used (the board has no MSI controller). Interrupts are
 * INTx (pin A): reading the ISR returns and clears the interrupt status.
 *
 * The registers decode into the same {@linkcode VirtioCore} the
 * virtio-mmio transport uses, so every virtio back-end works behind both.
 *
 * @module
 */

import type { MmioHandler } from "../guest_memory.ts";
import type { DmaView } from "./bus.ts";
import { PciFunction, type PciHost } from "./pci.ts";
import { type VirtioBackend, VirtioCore } from "./virtio_core.ts";

/** PCI vendor id of virtio devices (Red Hat / Qumranet). */
export const VIRTIO_PCI_VENDOR = 0x1af4;
/** Modern device ids are this plus the virtio device id. */
export const VIRTIO_PCI_DEVICE_BASE = 0x1040;
/** QEMU's subsystem id of modern-only virtio functions. */
const SUBSYSTEM_QEMU = 0x1100;
/** Where each structure lives in BAR 4 (QEMU's layout, 4 KiB apart). */
export const VirtioPciRegion = { COMMON: 0x0000, ISR: 0x1000, DEVICE: 0x2000, NOTIFY: 0x3000 };
const REGION_SIZE = 0x1000;
const BAR_INDEX = 4, BAR_SIZE = 0x4000n;
/** Bytes between two queues' notify addresses (QEMU's non-page-per-vq multiplier). */
const NOTIFY_MULTIPLIER = 4;
/** virtio_pci_cap cfg_type values. */
const CapType = { COMMON: 1, NOTIFY: 2, ISR: 3, DEVICE: 4 } as const;
const CAP_VENDOR = 0x09;
const CAP_MSIX = 0x11, MSIX_BAR = 1, MSIX_BAR_SIZE = 0x1000n, MSIX_PBA = 0x800;
/** "No MSI-X vector": this transport has only INTx. */
const NO_VECTOR = 0xffffn;

/** Common configuration offsets (struct virtio_pci_common_cfg). */
export const VirtioPciCommon = {
  DEVICE_FEATURE_SELECT: 0x00,
  DEVICE_FEATURE: 0x04,
  DRIVER_FEATURE_SELECT: 0x08,
  DRIVER_FEATURE: 0x0c,
  MSIX_CONFIG: 0x10,
  NUM_QUEUES: 0x12,
  DEVICE_STATUS: 0x14,
  CONFIG_GENERATION: 0x15,
  QUEUE_SELECT: 0x16,
  QUEUE_SIZE: 0x18,
  QUEUE_MSIX_VECTOR: 0x1a,
  QUEUE_ENABLE: 0x1c,
  QUEUE_NOTIFY_OFF: 0x1e,
  QUEUE_DESC: 0x20,
  QUEUE_DRIVER: 0x28,
  QUEUE_DEVICE: 0x30,
} as const;

/** The body (after id and next) of a virtio_pci_cap pointing at `offset` in BAR 4. */
function capability(type: number, offset: number, length: number, extra: number[] = []) {
  const body = new Uint8Array(14 + 4 * extra.length);
  const v = new DataView(body.buffer);
  v.setUint8(0, body.length + 2); // cap_len
  v.setUint8(1, type);
  v.setUint8(2, BAR_INDEX);
  v.setUint32(6, offset, true);
  v.setUint32(10, length, true);
  extra.forEach((x, i) => v.setUint32(14 + 4 * i, x, true));
  return { id: CAP_VENDOR, body };
}

/**
 * A virtio device as a PCI function on `host`.
 *
 * @example
 * ```ts ignore
 * const t = new VirtioPciTransport(bus, host, new RngBackend(random));
 * console.log(t.slot); // 1: the first slot after the host bridge
 * ```
 */
export class VirtioPciTransport {
  /** the device state behind the registers */
  readonly core: VirtioCore;
  /** the PCI function plugged into the host */
  readonly function: PciFunction;
  /** The slot on the root bus. */
  readonly slot: number;

  /**
   * Makes the function for `backend` and plugs it into `host` at `slot` (default: the first free
   * one).
   */
  constructor(dma: DmaView, host: PciHost, backend: VirtioBackend, slot?: number) {
    const bar: MmioHandler = {
      read: (offset, size) => this.#read(Number(offset), size),
      write: (offset, size, value) => this.#write(Number(offset), size, value),
    };
    const R = VirtioPciRegion, vectors = backend.queueMaxSizes.length + 1;
    this.function = new PciFunction({
      vendorId: VIRTIO_PCI_VENDOR,
      deviceId: VIRTIO_PCI_DEVICE_BASE + backend.deviceId,
      revision: 1,
      classCode: pciClass(backend.deviceId),
      subsystemVendorId: VIRTIO_PCI_VENDOR,
      subsystemId: SUBSYSTEM_QEMU,
      interruptPin: 1,
      bars: [
        { index: MSIX_BAR, kind: "mem32", size: MSIX_BAR_SIZE, handler: msixTable(vectors) },
        { index: BAR_INDEX, kind: "mem64", prefetchable: true, size: BAR_SIZE, handler: bar },
      ],
      capabilities: [
        capability(CapType.COMMON, R.COMMON, REGION_SIZE),
        capability(CapType.ISR, R.ISR, REGION_SIZE),
        capability(CapType.DEVICE, R.DEVICE, REGION_SIZE),
        capability(CapType.NOTIFY, R.NOTIFY, REGION_SIZE, [NOTIFY_MULTIPLIER]),
        msixCapability(vectors),
      ],
    });
    this.core = new VirtioCore(dma, this.function.intx, "virtio-pci");
    this.core.plug(backend);
    this.slot = host.attach(this.function, slot);
  }

  #read(offset: number, size: number): bigint {
    const R = VirtioPciRegion, be = this.core.backend!;
    const region = offset - offset % REGION_SIZE, off = offset % REGION_SIZE;
    switch (region) {
      case R.COMMON:
        return this.#readCommon(off, size);
      case R.ISR: {
        const isr = this.core.interruptStatus;
        this.core.acknowledge(isr);
        return BigInt(isr);
      }
      case R.DEVICE:
        return off + size <= be.configSize ? be.readConfig(off, size) : 0n;
    }
    return 0n;
  }

  #write(offset: number, size: number, value: bigint): void {
    const R = VirtioPciRegion, be = this.core.backend!;
    const region = offset - offset % REGION_SIZE, off = offset % REGION_SIZE;
    if (region === R.COMMON) {
      this.#writeCommon(off, Number(value & 0xffffffffn));
      if (size === 8) this.#writeCommon(off + 4, Number(value >> 32n & 0xffffffffn));
      return;
    }
    if (region === R.DEVICE && off + size <= be.configSize) be.writeConfig?.(off, size, value);
    if (region === R.NOTIFY) this.core.notify(Math.floor(off / NOTIFY_MULTIPLIER)); // as QEMU
  }

  #readCommon(off: number, size: number): bigint {
    const C = VirtioPciCommon, c = this.core, q = c.queue();
    const addr = (v: bigint | undefined, base: number) =>
      size === 8 ? v ?? 0n : off === base ? (v ?? 0n) & 0xffffffffn : (v ?? 0n) >> 32n;
    switch (off) {
      case C.DEVICE_FEATURE_SELECT:
        return BigInt(c.deviceFeaturesSel);
      case C.DEVICE_FEATURE:
        return c.deviceFeatureWord();
      case C.DRIVER_FEATURE_SELECT:
        return BigInt(c.driverFeaturesSel);
      case C.DRIVER_FEATURE:
        return c.driverFeaturesSel > 1
          ? 0n
          : c.driverFeatures >> BigInt(32 * c.driverFeaturesSel) & 0xffffffffn;
      case C.MSIX_CONFIG:
      case C.QUEUE_MSIX_VECTOR:
        return NO_VECTOR;
      case C.NUM_QUEUES:
        return BigInt(c.queueCount);
      case C.DEVICE_STATUS:
        return BigInt(c.status);
      case C.CONFIG_GENERATION:
        return 0n;
      case C.QUEUE_SELECT:
        return BigInt(c.queueSel);
      case C.QUEUE_SIZE: // the maximum until the driver picks a size
        return BigInt(q ? q.size || q.maxSize : 0);
      case C.QUEUE_ENABLE:
        return q?.ready ? 1n : 0n;
      case C.QUEUE_NOTIFY_OFF:
        return BigInt(c.queueSel);
      case C.QUEUE_DESC:
      case C.QUEUE_DESC + 4:
        return addr(q?.descAddr, C.QUEUE_DESC);
      case C.QUEUE_DRIVER:
      case C.QUEUE_DRIVER + 4:
        return addr(q?.driverAddr, C.QUEUE_DRIVER);
      case C.QUEUE_DEVICE:
      case C.QUEUE_DEVICE + 4:
        return addr(q?.deviceAddr, C.QUEUE_DEVICE);
    }
    return 0n;
  }

  #writeCommon(off: number, v: number): void {
    const C = VirtioPciCommon, c = this.core;
    switch (off) {
      case C.DEVICE_FEATURE_SELECT:
        c.deviceFeaturesSel = v;
        return;
      case C.DRIVER_FEATURE_SELECT:
        c.driverFeaturesSel = v;
        return;
      case C.DRIVER_FEATURE:
        return c.setDriverFeatureWord(v);
      case C.DEVICE_STATUS:
        return c.setStatus(v & 0xff);
      case C.QUEUE_SELECT:
        c.queueSel = v & 0xffff;
        return;
    }
    const q = c.queue();
    if (!q || q.ready) return; // a live queue's configuration is fixed until reset
    const half = (old: bigint, base: number) =>
      off === base
        ? (old & ~0xffffffffn) | BigInt(v >>> 0)
        : (old & 0xffffffffn) | BigInt(v >>> 0) << 32n;
    switch (off) {
      case C.QUEUE_SIZE:
        return q.setSize(v & 0xffff);
      case C.QUEUE_ENABLE:
        if (q.size === 0) q.setSize(q.maxSize);
        q.ready = (v & 1) === 1;
        return;
      case C.QUEUE_DESC:
      case C.QUEUE_DESC + 4:
        q.descAddr = half(q.descAddr, C.QUEUE_DESC);
        return;
      case C.QUEUE_DRIVER:
      case C.QUEUE_DRIVER + 4:
        q.driverAddr = half(q.driverAddr, C.QUEUE_DRIVER);
        return;
      case C.QUEUE_DEVICE:
      case C.QUEUE_DEVICE + 4:
        q.deviceAddr = half(q.deviceAddr, C.QUEUE_DEVICE);
        return;
    }
  }
}

/**
 * The MSI-X capability QEMU gives virtio functions (one vector per queue
 * plus one for configuration changes), table at 0 and pending bits at 0x800
 * of BAR 1. Its enable bit is read-only: the board has no MSI controller,
 * so drivers fall back to INTx, as Linux does on QEMU's virt without AIA.
 */
function msixCapability(vectors: number) {
  const body = new Uint8Array(10);
  const v = new DataView(body.buffer);
  v.setUint16(0, vectors - 1, true);
  v.setUint32(2, MSIX_BAR, true);
  v.setUint32(6, MSIX_PBA | MSIX_BAR, true);
  return { id: CAP_MSIX, body };
}

/** BAR 1: the MSI-X table as plain storage (nothing is ever delivered), pending bits read 0. */
function msixTable(vectors: number): MmioHandler {
  const table = new Uint8Array(vectors * 16);
  const inTable = (offset: bigint, size: number) => Number(offset) + size <= table.length;
  return {
    read: (offset, size) => {
      if (!inTable(offset, size)) return 0n;
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = v << 8n | BigInt(table[Number(offset) + i]);
      return v;
    },
    write: (offset, size, value) => {
      if (!inTable(offset, size)) return;
      for (let i = 0; i < size; i++) {
        table[Number(offset) + i] = Number(value >> BigInt(8 * i) & 0xffn);
      }
    },
  };
}

/** QEMU's PCI class for each virtio device id (block: storage, entropy: "other"). */
function pciClass(deviceId: number): number {
  const classes: Record<number, number> = { 1: 0x020000, 2: 0x010000, 4: 0x00ff00 };
  return classes[deviceId] ?? 0x00ff00;
}

/**
 * The virtio-mmio transport (virtio 1.x, "modern", register layout
 * version 2) and the interface of the device backends behind it
 * (virtio-blk, virtio-rng, ...). A transport without a backend is an empty
 * slot (DeviceID 0), as QEMU's virt board has eight of them.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { MmioHandler } from "../guest_memory.ts";
import type { DmaView } from "./bus.ts";
import type { DeviceContext } from "./device.ts";
import type { IrqLine } from "./irq.ts";
import type { DeviceOptions } from "./options.ts";
import type { DeviceState } from "./vmstate.ts";
import { SplitVirtqueue, type VirtqChain, VirtqueueError } from "./virtqueue.ts";

/** VIRTIO_F_VERSION_1: the device is a modern (1.x) device. */
export const VIRTIO_F_VERSION_1 = 1n << 32n;

/** Device status bits. */
export const VirtioStatus = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  DEVICE_NEEDS_RESET: 64,
  FAILED: 128,
} as const;

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
 * A virtio device behind a transport.
 *
 * @example
 * ```ts ignore
 * const rng: VirtioBackend = {
 *   deviceId: 4, features: 0n, queueMaxSizes: [64], configSize: 0,
 *   readConfig: () => 0n,
 *   handle: (_q, chain) => chain.write(0, random.bytes(chain.writableLength)),
 * };
 * ```
 */
export interface VirtioBackend {
  /** virtio device id (2 = block, 4 = entropy) */
  readonly deviceId: number;
  /** device-specific feature bits (the transport adds VIRTIO_F_VERSION_1) */
  readonly features: bigint;
  /** the largest size of each queue */
  readonly queueMaxSizes: number[];
  /** bytes of device configuration space */
  readonly configSize: number;
  readConfig(offset: number, size: number): bigint;
  writeConfig?(offset: number, size: number, value: bigint): void;
  /** Handles one chain from queue `queue`; returns the bytes written into it. */
  handle(queue: number, chain: VirtqChain): number;
  /** Called when the driver resets the device. */
  reset?(): void;
}

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
  #backend: VirtioBackend | null = null;
  #queues: SplitVirtqueue[] = [];
  #deviceFeaturesSel = 0;
  #driverFeaturesSel = 0;
  #driverFeatures = 0n;
  #queueSel = 0;
  #status = 0;
  #interruptStatus = 0;

  constructor(readonly dma: DmaView, readonly irq: IrqLine) {}

  /** The plugged backend (null for an empty slot). */
  get backend(): VirtioBackend | null {
    return this.#backend;
  }

  /** The feature bits the driver accepted. */
  get driverFeatures(): bigint {
    return this.#driverFeatures;
  }

  /** The device status register. */
  get status(): number {
    return this.#status;
  }

  /** Connects a backend; throws if the slot is taken. */
  plug(backend: VirtioBackend): void {
    if (this.#backend) throw new EmuError("virtio-mmio slot is already in use");
    this.#backend = backend;
    this.#queues = backend.queueMaxSizes.map((max) => new SplitVirtqueue(this.dma, max));
  }

  #offered(): bigint {
    return this.#backend ? this.#backend.features | VIRTIO_F_VERSION_1 : 0n;
  }

  #queue(): SplitVirtqueue | undefined {
    return this.#queues[this.#queueSel];
  }

  read(offset: bigint, size: number): bigint {
    const off = Number(offset);
    const be = this.#backend;
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
        return this.#deviceFeaturesSel > 1
          ? 0n
          : (this.#offered() >> BigInt(32 * this.#deviceFeaturesSel)) & 0xffffffffn;
      case R.QueueNumMax:
        return BigInt(this.#queue()?.maxSize ?? 0);
      case R.QueueReady:
        return this.#queue()?.ready ? 1n : 0n;
      case R.InterruptStatus:
        return BigInt(this.#interruptStatus);
      case R.Status:
        return BigInt(this.#status);
      case R.ConfigGeneration:
        return 0n;
    }
    const q = this.#queue();
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

  write(offset: bigint, size: number, value: bigint): void {
    const off = Number(offset);
    const be = this.#backend;
    if (!be) return;
    if (off >= VirtioMmioReg.Config) {
      if (off - VirtioMmioReg.Config + size <= be.configSize) {
        be.writeConfig?.(off - VirtioMmioReg.Config, size, value);
      }
      return;
    }
    const R = VirtioMmioReg;
    const v32 = Number(value & 0xffffffffn);
    const q = this.#queue();
    switch (off) {
      case R.DeviceFeaturesSel:
        this.#deviceFeaturesSel = v32;
        return;
      case R.DriverFeaturesSel:
        this.#driverFeaturesSel = v32;
        return;
      case R.DriverFeatures:
        if (this.#driverFeaturesSel <= 1) {
          const shift = BigInt(32 * this.#driverFeaturesSel);
          this.#driverFeatures = (this.#driverFeatures & ~(0xffffffffn << shift)) |
            (BigInt(v32) << shift);
        }
        return;
      case R.QueueSel:
        this.#queueSel = v32;
        return;
      case R.QueueNotify:
        this.#notify(v32 & 0xffff);
        return;
      case R.InterruptACK:
        this.#interruptStatus &= ~v32;
        this.irq.set(this.#interruptStatus !== 0);
        return;
      case R.Status:
        this.#setStatus(v32);
        return;
    }
    if (!q || q.ready && off !== R.QueueReady) return;
    switch (off) {
      case R.QueueNum:
        if (v32 > 0 && v32 <= q.maxSize && (v32 & (v32 - 1)) === 0) q.size = v32;
        return;
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

  #setStatus(v: number): void {
    if (v === 0) return this.reset();
    if ((v & VirtioStatus.FEATURES_OK) && !(this.#status & VirtioStatus.FEATURES_OK)) {
      // Accept only a subset of what we offered, including VERSION_1.
      const f = this.#driverFeatures;
      if ((f & ~this.#offered()) !== 0n || !(f & VIRTIO_F_VERSION_1)) {
        v &= ~VirtioStatus.FEATURES_OK;
      }
    }
    this.#status = v;
  }

  /** Saves the transport's registers and its queues (backends keep no state between requests). */
  save(): DeviceState {
    const regs = [this.#deviceFeaturesSel, this.#driverFeaturesSel, this.#queueSel, this.#status];
    return {
      name: "virtio-mmio",
      version: 1,
      fields: {
        regs: [...regs, this.#interruptStatus],
        driverFeatures: this.#driverFeatures,
        queues: this.#queues.map((q) => q.save()),
      },
    };
  }

  /** Loads what {@linkcode save} returned (into a transport with the same backend). */
  load(s: DeviceState): void {
    const f = s.fields as {
      regs: number[];
      driverFeatures: bigint;
      queues: (number | bigint | boolean)[][];
    };
    if (s.name !== "virtio-mmio" || s.version !== 1 || f.queues.length !== this.#queues.length) {
      throw new EmuError(`snapshot: ${s.name} state does not fit this virtio-mmio transport`);
    }
    [this.#deviceFeaturesSel, this.#driverFeaturesSel, this.#queueSel, this.#status] = f.regs;
    this.#interruptStatus = f.regs[4];
    this.#driverFeatures = f.driverFeatures;
    f.queues.forEach((q, i) => this.#queues[i].load(q));
    this.irq.restore(this.#interruptStatus !== 0);
  }

  /** Device reset: queues, features, status and interrupts back to zero. */
  reset(): void {
    for (const q of this.#queues) q.reset();
    this.#backend?.reset?.();
    this.#deviceFeaturesSel = this.#driverFeaturesSel = this.#queueSel = 0;
    this.#driverFeatures = 0n;
    this.#status = 0;
    this.#interruptStatus = 0;
    this.irq.set(false);
  }

  #notify(index: number): void {
    const q = this.#queues[index], be = this.#backend;
    if (!q || !be || !(this.#status & VirtioStatus.DRIVER_OK)) return;
    let used = false;
    try {
      for (let chain = q.pop(); chain; chain = q.pop()) {
        q.push(chain, be.handle(index, chain));
        used = true;
      }
    } catch (e) {
      if (!(e instanceof VirtqueueError)) throw e;
      this.#status |= VirtioStatus.DEVICE_NEEDS_RESET;
      this.#interruptStatus |= 2; // configuration change
      this.irq.set(true);
      return;
    }
    if (used && q.wantsInterrupt()) {
      this.#interruptStatus |= 1;
      this.irq.set(true);
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

/**
 * Connects a virtio backend: into a new window when the options give
 * `addr=` (and `irq=`), else into the machine's next free virtio-mmio slot.
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
): VirtioMmioTransport {
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
  return t;
}

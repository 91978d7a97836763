/**
 * The transport-independent half of a virtio 1.x device: feature
 * negotiation, the device status, the queues and the interrupt status
 * (ISR) bits. The virtio-mmio transport (`virtio.ts`) and the virtio-pci
 * transport (`virtio_pci.ts`) decode their own registers and call into one
 * {@linkcode VirtioCore}, so a device back-end (virtio-blk, virtio-rng) runs
 * the same behind either.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { DmaView } from "./bus.ts";
import type { IrqLine } from "./irq.ts";
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

/** Interrupt status (ISR) bits. */
export const VirtioIsr = { QUEUE: 1, CONFIG: 2 } as const;

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
  /** Reads `size` bytes at `offset` of the device configuration space. */
  readConfig(offset: number, size: number): bigint;
  /** Writes `size` bytes at `offset` of the device configuration space (absent: read-only). */
  writeConfig?(offset: number, size: number, value: bigint): void;
  /** Handles one chain from queue `queue`; returns the bytes written into it. */
  handle(queue: number, chain: VirtqChain): number;
  /** Called when the driver resets the device. */
  reset?(): void;
}

/**
 * What a device plugin keeps of its transport (mmio or pci): machine reset
 * and snapshots. A transport's {@linkcode VirtioCore} is one.
 *
 * @example
 * ```ts ignore
 * const transport: VirtioTransport = attachVirtio(ctx, options, backend);
 * return { name: ctx.id, reset: () => transport.reset(), save: () => transport.save() };
 * ```
 */
export interface VirtioTransport {
  /** Returns the device to its power-on state (machine reset). */
  reset(): void;
  /** Saves the transport's registers and its queues' configuration and positions, for a snapshot. */
  save(): DeviceState;
  /** Loads what {@linkcode save} returned. */
  load(state: DeviceState): void;
}

/** The fields of the state {@linkcode VirtioCore.save} returns. */
interface VirtioCoreState {
  /** device/driver feature selectors, queue selector, status, interrupt status */
  regs: number[];
  driverFeatures: bigint;
  queues: (number | bigint | boolean)[][];
}

/**
 * Features, status, queues and interrupt status of one virtio device.
 *
 * @example
 * ```ts ignore
 * const core = new VirtioCore(bus, plic.line(1), "virtio-mmio");
 * core.plug(new RngBackend(random));
 * core.setStatus(VirtioStatus.ACKNOWLEDGE);
 * ```
 */
export class VirtioCore implements VirtioTransport {
  #backend: VirtioBackend | null = null;
  #queues: SplitVirtqueue[] = [];
  /** which 32-bit word of the device features the driver reads */
  deviceFeaturesSel = 0;
  /** which 32-bit word of the driver features the driver writes */
  driverFeaturesSel = 0;
  /** the queue the queue registers address */
  queueSel = 0;
  #driverFeatures = 0n;
  #status = 0;
  #interruptStatus = 0;

  /** `stateName` names the transport in snapshots ("virtio-mmio", "virtio-pci"). */
  constructor(readonly dma: DmaView, readonly irq: IrqLine, readonly stateName: string) {}

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

  /** The interrupt status bits ({@linkcode VirtioIsr}). */
  get interruptStatus(): number {
    return this.#interruptStatus;
  }

  /** How many queues the device has. */
  get queueCount(): number {
    return this.#queues.length;
  }

  /** Connects a backend; throws if one is already connected. */
  plug(backend: VirtioBackend): void {
    if (this.#backend) throw new EmuError("virtio transport is already in use");
    this.#backend = backend;
    this.#queues = backend.queueMaxSizes.map((max) => new SplitVirtqueue(this.dma, max));
  }

  /** The features offered: the backend's plus VERSION_1 (none for an empty slot). */
  offered(): bigint {
    return this.#backend ? this.#backend.features | VIRTIO_F_VERSION_1 : 0n;
  }

  /** The selected 32-bit word of the offered features. */
  deviceFeatureWord(): bigint {
    if (this.deviceFeaturesSel > 1) return 0n;
    return (this.offered() >> BigInt(32 * this.deviceFeaturesSel)) & 0xffffffffn;
  }

  /** Writes the selected 32-bit word of the driver's features. */
  setDriverFeatureWord(word: number): void {
    if (this.driverFeaturesSel > 1) return;
    const shift = BigInt(32 * this.driverFeaturesSel);
    this.#driverFeatures = (this.#driverFeatures & ~(0xffffffffn << shift)) |
      (BigInt(word >>> 0) << shift);
  }

  /** The selected queue (undefined when the selector is out of range). */
  queue(): SplitVirtqueue | undefined {
    return this.#queues[this.queueSel];
  }

  /** A status write: 0 resets; FEATURES_OK sticks only for a subset of the offer with VERSION_1. */
  setStatus(v: number): void {
    if (v === 0) return this.reset();
    if ((v & VirtioStatus.FEATURES_OK) && !(this.#status & VirtioStatus.FEATURES_OK)) {
      const f = this.#driverFeatures;
      if ((f & ~this.offered()) !== 0n || !(f & VIRTIO_F_VERSION_1)) {
        v &= ~VirtioStatus.FEATURES_OK;
      }
    }
    this.#status = v;
  }

  /** Clears interrupt status bits (and lowers the line when none is left). */
  acknowledge(bits: number): void {
    this.#interruptStatus &= ~bits;
    this.irq.set(this.#interruptStatus !== 0);
  }

  /** The driver notified queue `index`: serves every available chain. */
  notify(index: number): void {
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
      return this.#raise(VirtioIsr.CONFIG);
    }
    if (used && q.wantsInterrupt()) this.#raise(VirtioIsr.QUEUE);
  }

  #raise(bit: number): void {
    this.#interruptStatus |= bit;
    this.irq.set(true);
  }

  /** Device reset: queues, features, status and interrupts back to zero. */
  reset(): void {
    for (const q of this.#queues) q.reset();
    this.#backend?.reset?.();
    this.deviceFeaturesSel = this.driverFeaturesSel = this.queueSel = 0;
    this.#driverFeatures = 0n;
    this.#status = 0;
    this.#interruptStatus = 0;
    this.irq.set(false);
  }

  /** The transport's state (backends keep no state between requests). */
  save(): DeviceState {
    const name = this.stateName;
    const regs = [this.deviceFeaturesSel, this.driverFeaturesSel, this.queueSel, this.#status];
    const fields: VirtioCoreState = {
      regs: [...regs, this.#interruptStatus],
      driverFeatures: this.#driverFeatures,
      queues: this.#queues.map((q) => q.save()),
    };
    return { name, version: 1, fields: { ...fields } };
  }

  /** Loads what {@linkcode save} returned (into a transport with the same backend). */
  load(s: DeviceState): void {
    const name = this.stateName;
    const f = s.fields as unknown as VirtioCoreState;
    if (s.name !== name || s.version !== 1 || f.queues?.length !== this.#queues.length) {
      throw new EmuError(`snapshot: ${s.name} state does not fit this ${name} transport`);
    }
    [this.deviceFeaturesSel, this.driverFeaturesSel, this.queueSel, this.#status] = f.regs;
    this.#interruptStatus = f.regs[4];
    this.#driverFeatures = f.driverFeatures;
    f.queues.forEach((q, i) => this.#queues[i].load(q));
    this.irq.restore(this.#interruptStatus !== 0);
  }
}

/**
 * Split virtqueues (virtio 1.x, section 2.7): the descriptor table, the
 * driver ("available") ring and the device ("used") ring in guest memory,
 * read and written through the bus's DMA view.
 *
 * @module
 */

import type { DmaView } from "./bus.ts";

const DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;
const AVAIL_F_NO_INTERRUPT = 1;

/** One buffer of a descriptor chain. */
export interface VirtqBuffer {
  /** guest physical address of the buffer */
  addr: bigint;
  /** its length in bytes */
  len: number;
  /** device-writable (else device-readable) */
  writable: boolean;
}

/**
 * Why a chain could not be used: the driver broke the ring (the device then needs a reset).
 *
 * @example
 * ```ts
 * import { VirtqueueError } from "./virtqueue.ts";
 * const e = new VirtqueueError("descriptor 3 chains to itself");
 * console.log(e.name, e instanceof Error); // VirtqueueError true
 * ```
 */
export class VirtqueueError extends Error {
  /** "VirtqueueError", the class name (what a stack trace and `e.name` show) */
  override name = "VirtqueueError";
}

/**
 * A descriptor chain taken from the available ring: its readable buffers
 * (gathered by {@linkcode VirtqChain.read}) and writable ones (scattered by
 * {@linkcode VirtqChain.write}).
 *
 * @example
 * ```ts ignore
 * const request = chain.read();
 * const written = chain.write(0, response);
 * ```
 */
export class VirtqChain {
  /**
   * A chain of `buffers` starting at descriptor `head` (what {@linkcode SplitVirtqueue.pop}
   * returns).
   */
  constructor(
    readonly dma: DmaView,
    /** index of the head descriptor (the id reported in the used ring) */
    readonly head: number,
    readonly buffers: VirtqBuffer[],
  ) {}

  /** Total bytes of the device-readable buffers. */
  get readableLength(): number {
    return this.buffers.reduce((n, b) => n + (b.writable ? 0 : b.len), 0);
  }

  /** Total bytes of the device-writable buffers. */
  get writableLength(): number {
    return this.buffers.reduce((n, b) => n + (b.writable ? b.len : 0), 0);
  }

  /** All device-readable bytes, concatenated. */
  read(): Uint8Array {
    const out = new Uint8Array(this.readableLength);
    let o = 0;
    for (const b of this.buffers) {
      if (b.writable) continue;
      out.set(this.dma.readBytes(b.addr, b.len), o);
      o += b.len;
    }
    return out;
  }

  /**
   * Writes `data` into the device-writable buffers starting `offset` bytes
   * into them; returns the bytes written (cut at the end of the buffers).
   */
  write(offset: number, data: Uint8Array): number {
    let skip = offset, done = 0;
    for (const b of this.buffers) {
      if (!b.writable) continue;
      if (skip >= b.len) {
        skip -= b.len;
        continue;
      }
      const n = Math.min(b.len - skip, data.length - done);
      this.dma.writeBytes(b.addr + BigInt(skip), data.subarray(done, done + n));
      done += n;
      skip = 0;
      if (done === data.length) break;
    }
    return done;
  }
}

/**
 * One split virtqueue as configured by the driver.
 *
 * @example
 * ```ts ignore
 * const q = new SplitVirtqueue(bus, 256);
 * q.size = 8; q.descAddr = 0x80001000n; q.driverAddr = 0x80002000n; q.deviceAddr = 0x80003000n;
 * q.ready = true;
 * for (let c = q.pop(); c; c = q.pop()) q.push(c, handle(c));
 * ```
 */
export class SplitVirtqueue {
  /** number of entries the driver set (0: not configured; see {@linkcode setSize}) */
  size = 0;
  /** whether the driver enabled the queue */
  ready = false;
  /** guest physical address of the descriptor table */
  descAddr = 0n;
  /** guest physical address of the driver (available) ring */
  driverAddr = 0n;
  /** guest physical address of the device (used) ring */
  deviceAddr = 0n;
  #lastAvail = 0;
  #usedIdx = 0;

  /** Makes an unconfigured queue of at most `maxSize` entries whose rings live in `dma`. */
  constructor(readonly dma: DmaView, readonly maxSize: number) {}

  /** The queue's configuration and ring positions, for a snapshot. */
  save(): (number | bigint | boolean)[] {
    const { size, ready, descAddr, driverAddr, deviceAddr } = this;
    return [size, ready, descAddr, driverAddr, deviceAddr, this.#lastAvail, this.#usedIdx];
  }

  /** Loads what {@linkcode save} returned. */
  load(s: readonly (number | bigint | boolean)[]): void {
    [this.size, this.ready, this.descAddr, this.driverAddr, this.deviceAddr] = s as [
      number,
      boolean,
      bigint,
      bigint,
      bigint,
    ];
    this.#lastAvail = s[5] as number;
    this.#usedIdx = s[6] as number;
  }

  /** A driver's size write: kept only when it is a power of two no larger than the maximum. */
  setSize(v: number): void {
    if (v > 0 && v <= this.maxSize && (v & (v - 1)) === 0) this.size = v;
  }

  /** Forgets the configuration (device reset). */
  reset(): void {
    this.size = 0;
    this.ready = false;
    this.descAddr = this.driverAddr = this.deviceAddr = 0n;
    this.#lastAvail = this.#usedIdx = 0;
  }

  /** The next available chain, or undefined when the driver has posted none. */
  pop(): VirtqChain | undefined {
    if (!this.ready || this.size === 0) return undefined;
    const availIdx = Number(this.dma.load(this.driverAddr + 2n, 2));
    if (availIdx === this.#lastAvail) return undefined;
    if (((availIdx - this.#lastAvail) & 0xffff) > this.size) {
      // as QEMU's virtqueue_num_heads: more heads than the ring holds is a broken driver
      throw new VirtqueueError(
        `driver moved the available index from ${this.#lastAvail} to ${availIdx}`,
      );
    }
    const slot = this.#lastAvail % this.size;
    const head = Number(this.dma.load(this.driverAddr + 4n + BigInt(slot * 2), 2));
    this.#lastAvail = (this.#lastAvail + 1) & 0xffff;
    return new VirtqChain(this.dma, head, this.#walk(head));
  }

  #walk(head: number): VirtqBuffer[] {
    const buffers: VirtqBuffer[] = [];
    let i = head;
    for (let steps = 0;; steps++) {
      if (i >= this.size) {
        throw new VirtqueueError(`descriptor index ${i} >= queue size ${this.size}`);
      }
      if (steps >= this.size) throw new VirtqueueError("descriptor chain loops");
      const d = this.descAddr + BigInt(i * 16);
      const flags = Number(this.dma.load(d + 12n, 2));
      if (flags & DESC_F_INDIRECT) {
        throw new VirtqueueError("indirect descriptors were not offered");
      }
      buffers.push({
        addr: this.dma.load(d, 8),
        len: Number(this.dma.load(d + 8n, 4)),
        writable: (flags & DESC_F_WRITE) !== 0,
      });
      if (!(flags & DESC_F_NEXT)) return buffers;
      i = Number(this.dma.load(d + 14n, 2));
    }
  }

  /** Returns a chain to the driver through the used ring, with `written` bytes written. */
  push(chain: VirtqChain, written: number): void {
    const slot = this.#usedIdx % this.size;
    const e = this.deviceAddr + 4n + BigInt(slot * 8);
    this.dma.store(e, 4, BigInt(chain.head));
    this.dma.store(e + 4n, 4, BigInt(written));
    this.#usedIdx = (this.#usedIdx + 1) & 0xffff;
    this.dma.store(this.deviceAddr + 2n, 2, BigInt(this.#usedIdx));
  }

  /** Whether the driver wants an interrupt for used buffers (no VIRTQ_AVAIL_F_NO_INTERRUPT). */
  wantsInterrupt(): boolean {
    return (Number(this.dma.load(this.driverAddr, 2)) & AVAIL_F_NO_INTERRUPT) === 0;
  }
}

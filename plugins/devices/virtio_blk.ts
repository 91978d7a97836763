/**
 * virtio-blk on a disk image of any block format (`-drive
 * file=disk.qcow2,format=qcow2,if=virtio` or `-device virtio_blk,file=disk.img`):
 * reads, writes, flush and get-id.
 *
 * Writes reach the image file as in QEMU. With `snapshot=on` they stay in
 * memory (a {@linkcode DriveOverlay}) and the file is never changed; with
 * `readonly=on` the guest sees a read-only disk. Machine snapshots hold the
 * in-memory writes, so a restore puts the disk back with RAM; a writable
 * drive without `snapshot=on` refuses snapshots, as QEMU's savevm refuses a
 * drive that cannot hold one. The guest can touch no file but the image (backing files
 * are opened read-only). A request the image cannot serve (broken metadata)
 * completes with an I/O error status.
 *
 * Options: `file` (required), `format` (raw, qcow2..., probed if absent), `snapshot`, `readonly`,
 * `serial` (the get-id string, at most 20 bytes), `id` (ignored), `num-queues` (request
 * queues; default, as QEMU's: one per hart on PCI, one on virtio-mmio), and
 * `addr`/`irq` for a window of its own instead of a free virtio-mmio slot.
 *
 * @module
 */

import {
  attachVirtio,
  checkSnapshottable,
  type Device,
  type DeviceContext,
  type DeviceDrive,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  type DriveBytes,
  DriveOverlay,
  type DriveOverlayState,
  EmuError,
  openDriveImage,
  probedRawWarning,
  VIRTIO_TRANSPORT_OPTIONS,
  type VirtioBackend,
  type VirtqChain,
} from "../../plugin.ts";

/** Bytes per sector, the unit of the virtio-blk protocol. */
export const SECTOR = 512;
const VIRTIO_ID_BLOCK = 2;
/** Request types. */
export const BlkRequest = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 } as const;
/** Request status codes (the last byte of each request). */
export const BlkStatus = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
const F_SEG_MAX = 1n << 2n, F_RO = 1n << 5n, F_BLK_SIZE = 1n << 6n, F_FLUSH = 1n << 9n;
/** VIRTIO_BLK_F_MQ: several request queues, their number at config offset 34 */
const F_MQ = 1n << 12n;
const NUM_QUEUES_AT = 34;
const QUEUE_SIZE = 256;
const SEG_MAX = QUEUE_SIZE - 2;

/**
 * The virtio-blk device logic behind a transport.
 *
 * @example
 * ```ts ignore
 * const blk = new BlkBackend(DiskImage.open("disk.img", { snapshot: false, readOnly: false }), "sn0");
 * transport.plug(blk);
 * ```
 */
export class BlkBackend implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_BLOCK;
  readonly features: bigint;
  readonly queueMaxSizes: number[];
  readonly configSize: number;
  readonly #config: DataView;

  constructor(
    readonly disk: DriveBytes,
    readonly readOnly: boolean,
    readonly serial = "",
    /** request queues (more than one: VIRTIO_BLK_F_MQ, as QEMU's num-queues) */
    queues = 1,
  ) {
    this.features = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (readOnly ? F_RO : 0n) |
      (queues > 1 ? F_MQ : 0n);
    this.queueMaxSizes = Array.from({ length: queues }, () => QUEUE_SIZE);
    this.configSize = queues > 1 ? NUM_QUEUES_AT + 2 : 24;
    const c = new DataView(new ArrayBuffer(this.configSize));
    if (queues > 1) c.setUint16(NUM_QUEUES_AT, queues, true);
    c.setBigUint64(0, BigInt(Math.floor(disk.size / SECTOR)), true); // capacity
    c.setUint32(8, 0, true); // size_max (not offered)
    c.setUint32(12, SEG_MAX, true);
    c.setUint32(20, SECTOR, true); // blk_size
    this.#config = c;
  }

  /** Capacity in sectors. */
  get sectors(): number {
    return Math.floor(this.disk.size / SECTOR);
  }

  readConfig(offset: number, size: number): bigint {
    const c = this.#config;
    if (size === 1) return BigInt(c.getUint8(offset));
    if (size === 2) return BigInt(c.getUint16(offset, true));
    if (size === 4) return BigInt(c.getUint32(offset, true));
    return c.getBigUint64(offset, true);
  }

  handle(queue: number, chain: VirtqChain): number {
    try {
      return this.#serve(queue, chain);
    } catch (e) {
      // The image could not serve the request (broken metadata): the guest sees an I/O error.
      if (!(e instanceof EmuError)) throw e;
      const writable = chain.writableLength;
      if (writable < 1) return 0;
      chain.write(writable - 1, new Uint8Array([BlkStatus.IOERR]));
      return 1;
    }
  }

  #serve(_queue: number, chain: VirtqChain): number {
    const readable = chain.read();
    const writable = chain.writableLength;
    if (readable.length < 16 || writable < 1) return 0; // no room for a status: drop it
    const hdr = new DataView(readable.buffer, readable.byteOffset, 16);
    const type = hdr.getUint32(0, true);
    const sector = hdr.getBigUint64(8, true);
    const statusAt = writable - 1;
    const finish = (status: number, dataBytes: number) => {
      chain.write(statusAt, new Uint8Array([status]));
      return dataBytes + 1;
    };
    const inRange = (bytes: number) =>
      bytes % SECTOR === 0 && sector + BigInt(bytes / SECTOR) <= BigInt(this.sectors);
    switch (type) {
      case BlkRequest.IN: {
        if (!inRange(statusAt)) return finish(BlkStatus.IOERR, 0);
        chain.write(0, this.disk.read(Number(sector) * SECTOR, statusAt));
        return finish(BlkStatus.OK, statusAt);
      }
      case BlkRequest.OUT: {
        const data = readable.subarray(16);
        if (this.readOnly || !inRange(data.length)) return finish(BlkStatus.IOERR, 0);
        this.disk.write(Number(sector) * SECTOR, data);
        return finish(BlkStatus.OK, 0);
      }
      case BlkRequest.FLUSH:
        this.disk.flush();
        return finish(BlkStatus.OK, 0);
      case BlkRequest.GET_ID: {
        const id = new Uint8Array(20);
        id.set(new TextEncoder().encode(this.serial).subarray(0, 20));
        const n = chain.write(0, id.subarray(0, Math.min(20, statusAt)));
        return finish(BlkStatus.OK, n);
      }
    }
    return finish(BlkStatus.UNSUPP, 0);
  }
}

async function create(ctx: DeviceContext, options: DeviceOptions): Promise<Device> {
  const path = options.string("file");
  const format = options.string("format", "");
  const id = options.string("id", "");
  const readOnly = options.bool("readonly", false);
  const snapshot = options.bool("snapshot", false);
  // With snapshot=on the image is only read: the overlay above its format keeps the writes.
  // an encrypted image's key: the id of a -object secret, as QEMU's drive options name it
  const keys = ["encrypt.key-secret", "key-secret"].flatMap((k) => {
    const id = options.string(k, "");
    return id ? [[k, id]] : [];
  });
  const image = await openDriveImage(options.owner, path, {
    format: format || undefined,
    readOnly: readOnly || snapshot,
    driverOptions: Object.fromEntries(keys),
  });
  if (!format && image.format === "raw") ctx.warn(probedRawWarning(path));
  const overlay = snapshot ? new DriveOverlay(image) : undefined;
  const serial = options.string("serial", "");
  // QEMU's virtio-blk-pci has a request queue per vCPU; virtio-blk-device has one
  const queues = options.int("num-queues", options.string("bus", "") ? ctx.harts.length : 1);
  if (queues < 1 || queues > 16) {
    throw new EmuError(`${ctx.id}: num-queues=${queues} is not within 1..16`);
  }
  try {
    const transport = attachVirtio(
      ctx,
      options,
      new BlkBackend(overlay ?? image, readOnly, serial, queues),
    );
    const drive: DeviceDrive = {
      name: id || ctx.id,
      path,
      image,
      readOnly,
      overlay,
      heldByImage: false,
    };
    return {
      name: ctx.id,
      virtioType: options.string("bus", "") ? "virtio-blk-pci" : "virtio-blk-device",
      virtioTransport: transport,
      drive,
      reset: () => transport.reset(),
      save: () => {
        checkSnapshottable("drive", ctx.id, drive);
        return {
          ...VMSTATE,
          fields: { transport: transport.save(), disk: overlay?.save() ?? null },
        };
      },
      load: (s: DeviceState) => {
        const f = s.fields as { transport?: DeviceState; disk?: DriveOverlayState | null };
        if (s.name !== VMSTATE.name || s.version !== VMSTATE.version || !f.transport) {
          throw new EmuError(`snapshot: ${s.name} state cannot be loaded into ${ctx.id}`);
        }
        if (!f.disk !== !overlay) {
          const was = f.disk ? "on" : "off";
          throw new EmuError(`snapshot: ${ctx.id}: the snapshot was taken with snapshot=${was}`);
        }
        transport.load(f.transport);
        if (overlay && f.disk) overlay.load(f.disk);
      },
      close: () => image.close(),
    };
  } catch (e) {
    image.close();
    throw e;
  }
}

/** The state's name and version (a load checks both). */
const VMSTATE = { name: "virtio-blk", version: 1 };

/** The virtio-blk device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "virtio_blk",
  apiVersion: { min: 2, cur: 2 },
  description:
    "virtio block device on a disk image, raw or qcow2 (snapshot=on keeps writes in memory)",
  category: "Storage",
  options: {
    ...VIRTIO_TRANSPORT_OPTIONS,
    drive: { type: "str", help: "the id of a -drive if=none that gives the other options" },
    file: { type: "str", help: "the disk image (required without drive)" },
    format: { type: "str", help: "raw, qcow2... (probed when left out)" },
    id: { type: "str", help: "the drive's name in info block" },
    "num-queues": {
      type: "uint16",
      help: "request queues",
      default: "one per hart on PCI, else 1",
    },
    readonly: { type: "bool", help: "on/off", default: "false" },
    serial: { type: "str", help: "the get-id string (at most 20 bytes)" },
    snapshot: { type: "bool", help: "on/off: keep the writes in memory", default: "false" },
  },
  create,
};
export default plugin;

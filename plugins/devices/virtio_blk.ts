/**
 * virtio-blk on a raw disk image (`-drive file=disk.img,format=raw,if=virtio`
 * or `-device virtio_blk,file=disk.img`): reads, writes, flush and get-id.
 *
 * Writes reach the image file as in QEMU. With `snapshot=on` they stay in
 * memory and the file is never changed; with `readonly=on` the guest sees a
 * read-only disk. The guest can touch no file but the image.
 *
 * Options: `file` (required), `format` (raw), `snapshot`, `readonly`,
 * `serial` (the get-id string, at most 20 bytes), `id` (ignored), and
 * `addr`/`irq` for a window of its own instead of a free virtio-mmio slot.
 *
 * @module
 */

import {
  attachVirtio,
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  EmuError,
  PLUGIN_API_VERSION,
  type VirtioBackend,
  type VirtqChain,
} from "../../mod.ts";

/** Bytes per sector, the unit of the virtio-blk protocol. */
export const SECTOR = 512;
const VIRTIO_ID_BLOCK = 2;
/** Request types. */
export const BlkRequest = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 } as const;
/** Request status codes (the last byte of each request). */
export const BlkStatus = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
const F_SEG_MAX = 1n << 2n, F_RO = 1n << 5n, F_BLK_SIZE = 1n << 6n, F_FLUSH = 1n << 9n;
const QUEUE_SIZE = 256;
const SEG_MAX = QUEUE_SIZE - 2;

/**
 * A raw disk image file, optionally with an in-memory overlay (`snapshot`).
 *
 * @example
 * ```ts ignore
 * const disk = DiskImage.open("disk.img", { snapshot: true, readOnly: false });
 * disk.write(0, new Uint8Array(512).fill(1)); // the file is unchanged
 * console.log(disk.read(0, 4)); // Uint8Array [1, 1, 1, 1]
 * disk.close();
 * ```
 */
export class DiskImage {
  /** sector number -> contents, for snapshot mode */
  readonly #overlay = new Map<number, Uint8Array>();

  private constructor(
    readonly path: string,
    readonly file: Deno.FsFile,
    readonly size: number,
    readonly snapshot: boolean,
    readonly readOnly: boolean,
  ) {}

  /** Opens `path`; throws {@linkcode EmuError} when it cannot. */
  static open(path: string, mode: { snapshot: boolean; readOnly: boolean }): DiskImage {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true, write: !mode.snapshot && !mode.readOnly });
    } catch (e) {
      throw new EmuError(
        `virtio_blk: cannot open disk image ${path}: ${(e as Error).message}`,
        "check the path and permissions (snapshot=on or readonly=on need only read access)",
      );
    }
    const size = file.statSync().size;
    return new DiskImage(path, file, size, mode.snapshot, mode.readOnly);
  }

  #readFile(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < length) {
      const n = this.file.readSync(out.subarray(done));
      if (n === null || n === 0) break; // past the end: zeros
      done += n;
    }
    return out;
  }

  /** Reads `length` bytes at byte `offset` (sector aligned). */
  read(offset: number, length: number): Uint8Array {
    const out = this.#readFile(offset, length);
    if (this.#overlay.size) {
      for (let o = 0; o < length; o += SECTOR) {
        const s = this.#overlay.get((offset + o) / SECTOR);
        if (s) out.set(s.subarray(0, Math.min(SECTOR, length - o)), o);
      }
    }
    return out;
  }

  /** Writes `data` at byte `offset` (sector aligned, whole sectors). */
  write(offset: number, data: Uint8Array): void {
    if (this.snapshot) {
      for (let o = 0; o < data.length; o += SECTOR) {
        this.#overlay.set((offset + o) / SECTOR, data.slice(o, o + SECTOR));
      }
      return;
    }
    this.file.seekSync(offset, Deno.SeekMode.Start);
    let done = 0;
    while (done < data.length) done += this.file.writeSync(data.subarray(done));
  }

  /** Makes written data durable (nothing to do in snapshot mode). */
  flush(): void {
    if (!this.snapshot && !this.readOnly) this.file.syncDataSync();
  }

  close(): void {
    this.file.close();
  }
}

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
  readonly queueMaxSizes = [QUEUE_SIZE];
  readonly configSize = 24;
  readonly #config: DataView;

  constructor(readonly disk: DiskImage, readonly serial = "") {
    this.features = F_SEG_MAX | F_BLK_SIZE | F_FLUSH | (disk.readOnly ? F_RO : 0n);
    const c = new DataView(new ArrayBuffer(this.configSize));
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

  handle(_queue: number, chain: VirtqChain): number {
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
        if (this.disk.readOnly || !inRange(data.length)) return finish(BlkStatus.IOERR, 0);
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

function create(ctx: DeviceContext, options: DeviceOptions) {
  const path = options.string("file");
  const format = options.string("format", "raw");
  if (format !== "raw") {
    throw new EmuError(
      `virtio_blk: format=${format} is not supported`,
      "convert the image to raw (qemu-img convert -O raw) and pass format=raw",
    );
  }
  options.string("id", "");
  const disk = DiskImage.open(path, {
    snapshot: options.bool("snapshot", false),
    readOnly: options.bool("readonly", false),
  });
  const serial = options.string("serial", "");
  try {
    const transport = attachVirtio(ctx, options, new BlkBackend(disk, serial));
    return {
      name: ctx.id,
      reset: () => transport.reset(),
      save: () => transport.save(),
      load: (s: DeviceState) => transport.load(s),
      close: () => disk.close(),
    };
  } catch (e) {
    disk.close();
    throw e;
  }
}

/** The virtio-blk device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "virtio_blk",
  apiVersion: PLUGIN_API_VERSION,
  description: "virtio block device on a raw image file (snapshot=on keeps writes in memory)",
  create,
};
export default plugin;

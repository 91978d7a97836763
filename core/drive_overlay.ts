/**
 * A drive's writes kept in memory above its image (QEMU's `snapshot=on`),
 * so that machine snapshots can hold the disk's contents too: QEMU's savevm
 * keeps disk state consistent with RAM, and so does a restore here.
 *
 * The overlay works on guest-visible bytes, above the image format, so it is
 * the same for raw and qcow2 (a format's own caches never see a write). A
 * saved state shares the overlay's pages until the guest writes one of them
 * again (copy on write), so a snapshot costs a list of pages, not a copy of
 * the disk.
 *
 * @module
 */

import type { BlockDriver } from "./block.ts";
import { EmuError } from "./errors.ts";

/** Overlay pages: the unit of copy on write. */
const PAGE = 4096;

/** What a drive's user needs of a disk: the guest-visible bytes. */
export type DriveBytes = Pick<BlockDriver, "size" | "read" | "write" | "flush">;

/**
 * The overlay's pages at one moment (plain data, for snapshot files).
 *
 * @example
 * ```ts
 * import { DriveOverlay } from "./drive_overlay.ts";
 * const bytes = new Uint8Array(8192);
 * const read = (at: number, n: number) => bytes.slice(at, at + n);
 * const disk = { size: bytes.length, read, write: () => {}, flush: () => {} };
 * const d = new DriveOverlay(disk);
 * d.write(4096, new Uint8Array([7]));
 * const state = d.save();
 * console.log(state.pages, state.data[0][0]); // [ 1 ] 7
 * ```
 */
export interface DriveOverlayState {
  /** page numbers (guest offset / 4096) the guest wrote */
  readonly pages: number[];
  /** their contents, in the same order */
  readonly data: Uint8Array[];
}

/**
 * Guest writes of `disk` kept in memory; the image is never written.
 *
 * @example
 * ```ts
 * import { DriveOverlay } from "./drive_overlay.ts";
 * const bytes = new Uint8Array(8192);
 * const disk = {
 *   size: bytes.length,
 *   read: (at: number, n: number) => bytes.slice(at, at + n),
 *   write: () => { throw new Error("read-only"); },
 *   flush: () => {},
 * };
 * const d = new DriveOverlay(disk);
 * d.write(0, new Uint8Array([1]));
 * const saved = d.save();
 * d.write(0, new Uint8Array([2]));
 * d.load(saved);
 * console.log(d.read(0, 1)[0], bytes[0]); // 1 0
 * ```
 */
export class DriveOverlay implements DriveBytes {
  #pages = new Map<number, Uint8Array>();
  /** pages no saved state shares: the guest may write them in place */
  readonly #owned = new Set<number>();

  /** Starts with no page copied: reads go to `disk` until the guest writes. */
  constructor(readonly disk: DriveBytes) {}

  /** Virtual size in bytes (the image's). */
  get size(): number {
    return this.disk.size;
  }

  /** Reads `length` guest bytes at `offset`, written ones from memory. */
  read(offset: number, length: number): Uint8Array {
    const out = this.disk.read(offset, length);
    for (let p = Math.floor(offset / PAGE); p * PAGE < offset + length; p++) {
      const page = this.#pages.get(p);
      if (!page) continue;
      const from = Math.max(offset, p * PAGE), to = Math.min(offset + length, (p + 1) * PAGE);
      out.set(page.subarray(from - p * PAGE, to - p * PAGE), from - offset);
    }
    return out;
  }

  /** Writes guest bytes at `offset` into memory. */
  write(offset: number, data: Uint8Array): void {
    for (let p = Math.floor(offset / PAGE); p * PAGE < offset + data.length; p++) {
      const page = this.#ownPage(p);
      const from = Math.max(offset, p * PAGE), to = Math.min(offset + data.length, (p + 1) * PAGE);
      page.set(data.subarray(from - offset, to - offset), from - p * PAGE);
    }
  }

  /** Nothing to make durable: the writes live as long as the machine. */
  flush(): void {}

  /** The page the guest may write in place: a copy when a saved state shares it. */
  #ownPage(p: number): Uint8Array {
    let page = this.#pages.get(p);
    if (page && this.#owned.has(p)) return page;
    page = page ? page.slice() : this.disk.read(p * PAGE, PAGE);
    this.#pages.set(p, page);
    this.#owned.add(p);
    return page;
  }

  /** The written pages (shared with the overlay until it writes them again). */
  save(): DriveOverlayState {
    this.#owned.clear();
    return { pages: [...this.#pages.keys()], data: [...this.#pages.values()] };
  }

  /** Puts back the writes of a {@linkcode save}. */
  load(s: DriveOverlayState): void {
    if (s.pages.length !== s.data.length || s.data.some((d) => d.length !== PAGE)) {
      throw new EmuError("snapshot: the drive's saved pages are damaged");
    }
    this.#pages = new Map(s.pages.map((p, i) => [p, s.data[i]]));
    this.#owned.clear();
  }
}

/**
 * A disk image a device reads and writes (virtio-blk, flash), as the
 * monitor's `info block` and `savevm TAG` see it.
 */
export interface DeviceDrive {
  /** QEMU's name of the drive: its `id`, else `virtio0`, `pflash0`... */
  readonly name: string;
  /** the image file */
  readonly path: string;
  /** the open image */
  readonly image: BlockDriver;
  /** `readonly=on`: the guest cannot write */
  readonly readOnly: boolean;
  /** `snapshot=on`: the overlay that keeps the writes in memory */
  readonly overlay?: DriveOverlay;
  /**
   * Set while `savevm TAG` saves the machine: the image's own internal
   * snapshot keeps the disk's contents, so the drive's state may be saved.
   */
  heldByImage: boolean;
  /**
   * Called once `loadvm TAG` has put the disk back to a snapshot: a device
   * that keeps the disk's contents in memory reads them again.
   */
  readonly reverted?: () => void;
}

/**
 * Whether `drive`'s state can go into a machine snapshot: its contents stay
 * as they are (read-only), live in the snapshot (overlay), or in the image's
 * own snapshot taken with it; else the error to throw.
 */
export function checkSnapshottable(what: string, id: string, drive: DeviceDrive): void {
  if (!drive.overlay && !drive.readOnly && !drive.heldByImage) {
    throw unsnapshottableDrive(what, id, drive.path);
  }
}

/**
 * The error of a machine snapshot that a writable drive without an overlay
 * cannot follow (QEMU's savevm refuses such a drive too); `what` names the
 * device kind ("drive", "flash").
 *
 * @example
 * ```ts
 * import { unsnapshottableDrive } from "./drive_overlay.ts";
 * console.log(unsnapshottableDrive("drive", "virtio_blk#0", "disk.img").message);
 * ```
 */
export function unsnapshottableDrive(what: string, id: string, path: string): EmuError {
  return new EmuError(
    `snapshot: ${what} ${id} (${path}) is writable, so its contents would not follow a restore`,
    "add snapshot=on to the drive (or -snapshot) to keep its writes in memory and in snapshots, " +
      "or readonly=on",
  );
}

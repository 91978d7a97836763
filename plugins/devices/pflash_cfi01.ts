/**
 * A CFI parallel flash bank with the Intel command set (QEMU's
 * `pflash_cfi01`), on a drive image or on zeros: `-drive
 * if=pflash,file=vars.img,format=raw` on the virt board, or `-device
 * pflash_cfi01,addr=0x...,file=...`. The commands are in
 * {@linkcode CfiFlash} (`_cfi01_flash.ts`).
 *
 * As in QEMU the whole image is read at start (its size must be the bank's),
 * reads in read array mode return its bytes, and erased or programmed bytes
 * are written to the image at once, in whole 512-byte sectors. With
 * `snapshot=on` the writes stay in memory (and in machine snapshots); with
 * `readonly=on` erase and program fail with the status error bits set.
 * Without `file` the bank starts zeroed and its writes live as long as the
 * machine. A writable image without `snapshot=on` refuses snapshots, as
 * virtio-blk does.
 *
 * Accesses are 1, 2 or 4 bytes; an 8-byte access is two 4-byte ones, low
 * address first (QEMU splits them so too). The CPU can run code from the
 * bank (the virt board boots from bank 0): code translated from it is
 * dropped whenever a write leaves or enters read array mode, so a rewritten
 * program runs anew (QEMU 7.2 keeps running the old translation).
 *
 * Options: `addr` (required), `size` (32M), `sector-length` (256K),
 * `width` and `device-width` (4 and 2: two 16-bit chips), `id0`/`id1`
 * (0x89, 0x18: Intel), `file`, `format`, `snapshot`, `readonly`, `id` (ignored).
 *
 * @module
 */

import {
  checkSnapshottable,
  type DeviceContext,
  type DeviceDrive,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  type DriveBytes,
  DriveOverlay,
  type DriveOverlayState,
  EmuError,
  loadVmState,
  type MmioHandler,
  openDriveImage,
  saveVmState,
  type VmStateDescription,
} from "../../plugin.ts";
import { CfiFlash, type CfiGeometry, type CfiStore } from "./_cfi01_flash.ts";

const SECTOR = 512;
/** The overlay's page size: the unit a snapshot load refreshes. */
const PAGE = 4096;

/** A bank with no image: zeros, never written to (an overlay above it keeps the writes). */
function zeros(size: number): DriveBytes {
  return {
    size,
    read: (_offset, length) => new Uint8Array(length),
    write: () => {
      throw new Error("pflash: the zero backing is never written");
    },
    flush: () => {},
  };
}

/** The bank's bytes in memory, written through to `disk` as QEMU's `pflash_update` does. */
class BankStore implements CfiStore {
  readonly bytes: Uint8Array;
  /** pages written since start: a snapshot load refreshes them */
  readonly #touched = new Set<number>();

  constructor(readonly disk: DriveBytes, readonly readOnly: boolean) {
    this.bytes = disk.read(0, disk.size);
  }

  changed(offset: number, length: number): void {
    const from = Math.floor(offset / SECTOR) * SECTOR;
    const to = Math.min(Math.ceil((offset + length) / SECTOR) * SECTOR, this.bytes.length);
    this.disk.write(from, this.bytes.subarray(from, to));
    for (let p = Math.floor(from / PAGE); p * PAGE < to; p++) this.#touched.add(p);
  }

  /**
   * Reads back the pages a snapshot load may have changed (`saved`, and all
   * written ones); false when there were none.
   */
  /** Reads the whole bank again (its disk was put back to a snapshot). */
  reload(): void {
    this.bytes.set(this.disk.read(0, this.bytes.length));
  }

  refresh(saved: number[]): boolean {
    for (const p of saved) this.#touched.add(p);
    for (const p of this.#touched) this.bytes.set(this.disk.read(p * PAGE, PAGE), p * PAGE);
    return this.#touched.size > 0;
  }
}

/**
 * The bank's registers; `leftArray` is told when a write may have changed
 * what instruction fetches see (any write outside read array mode).
 */
function mmio(flash: CfiFlash, leftArray: () => void): MmioHandler {
  const read = (off: number, size: number) => {
    const v = flash.read(off, size);
    return size === 4 ? v : v & (size === 1 ? 0xff : 0xffff);
  };
  return {
    read(offset, size) {
      const off = Number(offset);
      if (size === 8) return BigInt(read(off, 4)) | (BigInt(read(off + 4, 4)) << 32n);
      return BigInt(read(off, size));
    },
    write(offset, size, value) {
      const off = Number(offset), before = flash.cmd;
      if (size !== 8) flash.write(off, size, Number(value & 0xffffffffn));
      else {
        flash.write(off, 4, Number(value & 0xffffffffn));
        flash.write(off + 4, 4, Number((value >> 32n) & 0xffffffffn));
      }
      if (before !== 0 || flash.cmd !== 0) leftArray();
    },
  };
}

function geometry(options: DeviceOptions): CfiGeometry {
  const g = {
    size: Number(options.size("size", 32n << 20n)),
    sectorLength: Number(options.size("sector-length", 256n << 10n)),
    bankWidth: options.int("width", 4),
    deviceWidth: options.int("device-width", 2),
    id0: options.int("id0", 0x89),
    id1: options.int("id1", 0x18),
  };
  const pow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;
  if (![1, 2, 4].includes(g.bankWidth) || ![1, 2, 4].includes(g.deviceWidth)) {
    throw new EmuError(`${options.owner}: width and device-width must be 1, 2 or 4`);
  }
  if (g.deviceWidth > g.bankWidth || !pow2(g.sectorLength) || g.size % g.sectorLength) {
    throw new EmuError(
      `${options.owner}: size ${g.size} is not a whole number of ${g.sectorLength}-byte sectors ` +
        `of a ${g.bankWidth}-byte bank of ${g.deviceWidth}-byte chips`,
    );
  }
  return g;
}

/** Opens the bank's drive (or zeros); checks its size as QEMU does. */
async function openDrive(ctx: DeviceContext, options: DeviceOptions, size: number) {
  const id = options.string("id", "") || ctx.id;
  const path = options.has("file") ? options.string("file") : undefined;
  const format = options.string("format", "");
  const readOnly = options.bool("readonly", false);
  const snapshot = options.bool("snapshot", false);
  if (path === undefined) return { disk: new DriveOverlay(zeros(size)), readOnly, path: "" };
  const image = await openDriveImage(options.owner, path, {
    format: format || undefined,
    readOnly: readOnly || snapshot,
  });
  if (image.size !== size) {
    image.close();
    throw new EmuError(
      `${ctx.id}: ${path}: device requires ${size} bytes, block backend provides ${image.size} bytes`,
      `the flash image must be exactly the bank's size: truncate -s ${size} ${path}`,
    );
  }
  const overlay = snapshot ? new DriveOverlay(image) : undefined;
  const drive: DeviceDrive = {
    name: id,
    path,
    image,
    readOnly,
    overlay,
    heldByImage: false,
  };
  return { disk: overlay ?? image, image, readOnly, path, drive };
}

/** The state's name and version (a load checks both): the command state and the drive's writes. */
const VMSTATE = { name: "pflash_cfi01", version: 1 };
/** The command state machine's part (QEMU's fields, with the buffer of a buffered write). */
const FLASH_STATE: VmStateDescription<CfiFlash> = {
  name: "pflash_cfi01/commands",
  version: 1,
  fields: ["wcycle", "cmd", "status", "counter", "blkOffset", "blkBytes"],
};

async function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr");
  const g = geometry(options);
  const { disk, image, readOnly, drive: opened } = await openDrive(ctx, options, g.size);
  const store = new BankStore(disk, readOnly);
  const flash = new CfiFlash(g, store);
  const overlay = disk instanceof DriveOverlay ? disk : undefined;
  const codeChanged = () => ctx.codeChanged(base, g.size);
  const drive = opened && {
    ...opened,
    reverted: () => {
      store.reload();
      codeChanged();
    },
  };
  try {
    ctx.mapMmio(base, BigInt(g.size), mmio(flash, codeChanged), true);
  } catch (e) {
    image?.close();
    throw e;
  }
  ctx.describe({
    node: "flash",
    parent: "root",
    compatible: ["cfi-flash"],
    reg: [{ base, size: BigInt(g.size) }],
    props: { "bank-width": [g.bankWidth] },
  });
  return {
    name: ctx.id,
    drive,
    reset: () => {
      if (flash.cmd !== 0) codeChanged();
      flash.reset();
    },
    save: (): DeviceState => {
      if (drive) checkSnapshottable("flash", ctx.id, drive);
      const fields = { flash: saveVmState(FLASH_STATE, flash), disk: overlay?.save() ?? null };
      return { ...VMSTATE, fields };
    },
    load: (s: DeviceState) => {
      const f = s.fields as { flash?: DeviceState; disk?: DriveOverlayState | null };
      if (s.name !== VMSTATE.name || s.version !== VMSTATE.version || !f.flash) {
        throw new EmuError(`snapshot: ${s.name} state cannot be loaded into ${ctx.id}`);
      }
      if (!f.disk !== !overlay) {
        const was = f.disk ? "on" : "off";
        throw new EmuError(`snapshot: ${ctx.id}: the snapshot was taken with snapshot=${was}`);
      }
      const pages = f.disk?.pages ?? [];
      if (!pages.every((p) => Number.isInteger(p) && p >= 0 && p * PAGE < g.size)) {
        throw new EmuError(`snapshot: ${ctx.id}: the saved flash pages are damaged`);
      }
      const before = flash.cmd;
      loadVmState(FLASH_STATE, flash, f.flash);
      if (!flash.validState()) {
        flash.reset();
        codeChanged();
        throw new EmuError(`snapshot: ${ctx.id}: the saved flash command state is damaged`);
      }
      let refreshed = false;
      if (overlay && f.disk) {
        overlay.load(f.disk);
        refreshed = store.refresh(f.disk.pages);
      }
      if (refreshed || before !== 0 || flash.cmd !== 0) codeChanged();
    },
    close: () => image?.close(),
  };
}

/** The CFI flash device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "pflash_cfi01",
  apiVersion: { min: 2, cur: 2 },
  description: "CFI parallel flash, Intel command set (QEMU's pflash_cfi01), on a drive image",
  create,
};
export default plugin;

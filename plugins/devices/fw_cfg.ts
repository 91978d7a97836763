/**
 * QEMU's firmware configuration device, MMIO flavour (`qemu,fw-cfg-mmio`,
 * hw/nvram/fw_cfg.c and docs/specs/fw_cfg.txt), with the items QEMU 7.2's
 * virt board offers when it boots no kernel through it: the signature
 * "QEMU", the interface id (traditional and DMA), the UUID (zeros),
 * nographic, the boot menu flag, the CPU count and the file directory with
 * `bios-geometry`, `bootorder` (both empty) and `etc/boot-fail-wait`.
 *
 * Registers, all big-endian as QEMU's MMIO fw_cfg: the data register at 0
 * (1 to 8 bytes of the selected item, in item order, zeros past its end),
 * the 16-bit selector at 8 (write only), and the DMA address at 16: a read
 * gives "QEMU CFG", a 4-byte write at 20 (or an 8-byte one at 16) of the
 * address of a `FWCfgDmaAccess` (be32 control, be32 length, be64 address)
 * runs it: select, read, skip or write (no item is writable: an error), and
 * writes the control word back, 0 or 1 (error).
 *
 * Options: `addr` (required), `id` (ignored).
 *
 * @module
 */

import {
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  type DmaView,
  EmuError,
  GuestFault,
  loadVmState,
  type MmioHandler,
  saveVmState,
  type VmStateDescription,
} from "../../plugin.ts";

const SIZE = 0x18n;
/** Item keys (docs/specs/fw_cfg.txt). */
export const FwCfgKey = {
  SIGNATURE: 0x00,
  ID: 0x01,
  UUID: 0x02,
  NOGRAPHIC: 0x04,
  NB_CPUS: 0x05,
  BOOT_MENU: 0x0e,
  FILE_DIR: 0x19,
  FILE_FIRST: 0x20,
} as const;
/** The directory's slots (QEMU's `x-file-slots` default): its item is always this long. */
const FILE_SLOTS = 0x20;
const ENTRY_MASK = 0x3fff, ARCH_LOCAL = 0x8000, INVALID = 0xffff;
/** `FWCfgDmaAccess.control` bits. */
export const DmaCtl = { ERROR: 0x01, READ: 0x02, SKIP: 0x04, SELECT: 0x08, WRITE: 0x10 } as const;
const DMA_SIGNATURE = 0x51454d5520434647n; // "QEMU CFG"

const le = (bytes: number, v: number) => {
  const b = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) b[i] = (v >>> (8 * i)) & 0xff;
  return b;
};

/** The file directory (be32 count, then be32 size, be16 select, be16 reserved, name[56] each). */
function directory(files: readonly { name: string; data: Uint8Array }[]): Uint8Array {
  const dir = new Uint8Array(4 + 64 * FILE_SLOTS), v = new DataView(dir.buffer);
  v.setUint32(0, files.length);
  files.forEach((f, i) => {
    const at = 4 + 64 * i;
    v.setUint32(at, f.data.length);
    v.setUint16(at + 4, FwCfgKey.FILE_FIRST + i);
    dir.set(new TextEncoder().encode(f.name), at + 8);
  });
  return dir;
}

/**
 * The items of QEMU 7.2's virt board for `cpus` harts, by key.
 *
 * @example
 * ```ts
 * import { FwCfgKey, virtItems } from "./fw_cfg.ts";
 * console.log(new TextDecoder().decode(virtItems(1).get(FwCfgKey.SIGNATURE))); // QEMU
 * ```
 */
export function virtItems(cpus: number): Map<number, Uint8Array> {
  // Sorted by name, as QEMU keeps them (its non-legacy order).
  const files = [
    { name: "bios-geometry", data: new Uint8Array(0) },
    { name: "bootorder", data: new Uint8Array(0) },
    { name: "etc/boot-fail-wait", data: le(4, 0xffffffff) },
  ];
  const items = new Map<number, Uint8Array>([
    [FwCfgKey.SIGNATURE, new TextEncoder().encode("QEMU")],
    [FwCfgKey.ID, le(4, 3)],
    [FwCfgKey.UUID, new Uint8Array(16)],
    [FwCfgKey.NOGRAPHIC, le(2, 1)],
    [FwCfgKey.NB_CPUS, le(2, cpus)],
    [FwCfgKey.BOOT_MENU, le(2, 0)],
    [FwCfgKey.FILE_DIR, directory(files)],
  ]);
  files.forEach((f, i) => items.set(FwCfgKey.FILE_FIRST + i, f.data));
  return items;
}

/**
 * The device's state and its three registers' behaviour.
 *
 * @example
 * ```ts
 * import { FwCfg, virtItems } from "./fw_cfg.ts";
 * const cfg = new FwCfg(virtItems(2));
 * cfg.select(5);
 * console.log(cfg.readData(2)); // 512 (the 16-bit count 2, little-endian, read big-endian)
 * ```
 */
export class FwCfg {
  /** the selected key (QEMU's `cur_entry`; 0xffff: none) */
  curEntry = FwCfgKey.SIGNATURE as number;
  /** the next byte of the selected item (QEMU's `cur_offset`) */
  curOffset = 0;
  /** the high half of the DMA address written so far (QEMU's `dma_addr`) */
  dmaAddr = 0n;

  constructor(readonly items: ReadonlyMap<number, Uint8Array>) {}

  /** Selects `key` (QEMU's `fw_cfg_select`): keys past the last slot select nothing. */
  select(key: number): void {
    this.curOffset = 0;
    this.curEntry = (key & ENTRY_MASK) >= FwCfgKey.FILE_FIRST + FILE_SLOTS ? INVALID : key;
  }

  /** The selected item's bytes (none for an empty slot or an arch-local key: virt has none). */
  #item(): Uint8Array | undefined {
    if (this.curEntry === INVALID || this.curEntry & ARCH_LOCAL) return undefined;
    return this.items.get(this.curEntry & ENTRY_MASK);
  }

  /** The next `size` bytes of the item as a big-endian number, zero-padded on the right. */
  readData(size: number): bigint {
    const e = this.#item();
    let v = 0n, n = 0;
    while (e && n < size && this.curOffset < e.length) {
      v = (v << 8n) | BigInt(e[this.curOffset++]);
      n++;
    }
    return n === 0 ? 0n : v << BigInt(8 * (size - n));
  }

  /** Runs the `FWCfgDmaAccess` at `at` in `mem` (QEMU's `fw_cfg_dma_transfer`). */
  dmaTransfer(mem: DmaView, at: bigint): void {
    this.dmaAddr = 0n;
    let head: DataView;
    try {
      head = new DataView(mem.readBytes(at, 16).buffer);
    } catch (e) {
      if (!(e instanceof GuestFault)) throw e;
      return this.#writeControl(mem, at, DmaCtl.ERROR);
    }
    const control = head.getUint32(0);
    let length = head.getUint32(4), address = head.getBigUint64(8);
    if (control & DmaCtl.SELECT) this.select(control >>> 16);
    const read = (control & DmaCtl.READ) !== 0;
    const write = !read && (control & DmaCtl.WRITE) !== 0;
    if (!read && !write && !(control & DmaCtl.SKIP)) length = 0;
    let status = 0;
    while (length > 0 && !(status & DmaCtl.ERROR)) {
      const e = this.#item(), left = e ? e.length - this.curOffset : 0;
      const len = left > 0 ? Math.min(length, left) : length;
      if (write) status |= DmaCtl.ERROR; // no item is writable
      else if (read) {
        const data = left > 0 ? e!.subarray(this.curOffset, this.curOffset + len) : undefined;
        if (!dmaWrite(mem, address, len, data)) status |= DmaCtl.ERROR;
      }
      if (left > 0) this.curOffset += len;
      address = BigInt.asUintN(64, address + BigInt(len));
      length -= len;
    }
    this.#writeControl(mem, at, status);
  }

  #writeControl(mem: DmaView, at: bigint, control: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, control);
    dmaWrite(mem, at, 4, b);
  }
}

const PAGE = 4096;
const ZEROS = new Uint8Array(PAGE);

/**
 * Writes `length` bytes of `data` (zeros without it) to guest memory as a bus
 * master, page by page; false at the first page that is not RAM (QEMU goes
 * on past it: the pages after a hole are not written here).
 */
function dmaWrite(mem: DmaView, at: bigint, length: number, data?: Uint8Array): boolean {
  for (let done = 0; done < length;) {
    const addr = BigInt.asUintN(64, at + BigInt(done));
    const n = Math.min(length - done, PAGE - Number(addr % BigInt(PAGE)));
    try {
      mem.writeBytes(addr, data ? data.subarray(done, done + n) : ZEROS.subarray(0, n));
    } catch (e) {
      if (e instanceof GuestFault) return false;
      throw e;
    }
    done += n;
  }
  return true;
}

/** The registers: data at 0, selector at 8, DMA address at 16 (all big-endian). */
function mmio(cfg: FwCfg, mem: DmaView): MmioHandler {
  const swap = (v: bigint, size: number) => {
    let r = 0n;
    for (let i = 0; i < size; i++) r = (r << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
    return r;
  };
  return {
    read(offset, size) {
      if (offset === 0n) return swap(cfg.readData(size), size);
      if (offset < 16n) return 0n;
      const at = Number(offset - 16n);
      return swap(
        (DMA_SIGNATURE >> BigInt(8 * (8 - at - size))) & ((1n << BigInt(8 * size)) - 1n),
        size,
      );
    },
    write(offset, size, value) {
      const v = swap(value, size);
      if (offset === 8n && size === 2) cfg.select(Number(v));
      else if (offset === 16n && size === 4) cfg.dmaAddr = v << 32n;
      else if (offset === 20n && size === 4) cfg.dmaTransfer(mem, cfg.dmaAddr | v);
      else if (offset === 16n && size === 8) cfg.dmaTransfer(mem, v);
    },
  };
}

/** QEMU's `fw_cfg` vmstate (version 2) with its DMA subsection. */
const VMSTATE: VmStateDescription<FwCfg> = {
  name: "fw_cfg",
  version: 2,
  fields: ["curEntry", "curOffset", "dmaAddr"],
};

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr");
  options.string("id", "");
  const cfg = new FwCfg(virtItems(ctx.harts.length));
  ctx.mapMmio(base, SIZE, mmio(cfg, ctx.dma));
  ctx.describe({
    node: "fw-cfg",
    parent: "root",
    compatible: ["qemu,fw-cfg-mmio"],
    reg: [{ base, size: SIZE }],
    props: { "dma-coherent": true },
  });
  return {
    name: ctx.id,
    reset: () => cfg.select(FwCfgKey.SIGNATURE),
    save: (): DeviceState => saveVmState(VMSTATE, cfg),
    load: (s: DeviceState) => {
      loadVmState(VMSTATE, cfg, s);
      const { curEntry: k, curOffset: o, dmaAddr: a } = cfg;
      const ok = Number.isInteger(k) && k >= 0 && k <= 0xffff && Number.isInteger(o) && o >= 0 &&
        o <= 0xffffffff && typeof a === "bigint" && a >= 0n && a < 1n << 64n;
      if (!ok) {
        cfg.select(FwCfgKey.SIGNATURE);
        cfg.dmaAddr = 0n;
        throw new EmuError(`snapshot: ${ctx.id}: the saved fw_cfg selection is damaged`);
      }
    },
  };
}

/** The fw_cfg device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "fw_cfg",
  apiVersion: { min: 2, cur: 2 },
  description: "QEMU firmware configuration (fw_cfg) over MMIO, with DMA: the virt board's items",
  create,
};
export default plugin;

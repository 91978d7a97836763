/**
 * The physical address space of a machine: RAM and ROM regions backed by
 * contiguous host frames, and MMIO regions served by device handlers.
 *
 * The bus hands out {@linkcode Page}s by physical page number, so a system
 * mode {@linkcode PageResolver} (after the guest's page-table walk) and the
 * soft TLB use RAM frames directly and route MMIO pages to their devices.
 * Loaders and DMA-capable devices use {@linkcode PhysicalBus.readBytes} and
 * friends, which ignore page permissions.
 *
 * @module
 */

import { type AccessType, EmuError, GuestFault, hex } from "../errors.ts";
import type { MmioHandler, Page, PageResolver } from "../guest_memory.ts";
import { Perm } from "../guest_memory.ts";
import { type HostMemory, PAGE_SIZE } from "../host_memory.ts";

const PAGE = BigInt(PAGE_SIZE);

/**
 * A RAM or ROM region: guest bytes `[base, base+size)` live at host offset `host`.
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { PhysicalBus } from "./bus.ts";
 * const ram = new PhysicalBus(new HostMemory()).addRam("dram", 0x80000000n, 0x10000n);
 * console.log(ram.kind, ram.size, ram.readOnly); // ram 65536n false
 * ```
 */
export interface RamRegion {
  /** always "ram" (tells the region kinds apart) */
  kind: "ram";
  /** the name given to {@linkcode PhysicalBus.addRam} (errors quote it) */
  name: string;
  /** guest physical address of its first byte */
  base: bigint;
  /** its size in bytes (page aligned) */
  size: bigint;
  /** host offset of the first byte */
  host: number;
  /** ROM: the guest may read and execute but not write (loaders still can) */
  readOnly: boolean;
}

/**
 * A device region. Offsets passed to the handler are relative to `base`.
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { PhysicalBus } from "./bus.ts";
 * const bus = new PhysicalBus(new HostMemory());
 * bus.addMmio("uart", 0x10000000n, 0x100n, { read: () => 0n, write: () => {} });
 * const r = bus.findRegion(0x10000005n);
 * console.log(r?.kind, r?.name); // mmio uart
 * ```
 */
export interface MmioRegion {
  /** always "mmio" (tells the region kinds apart) */
  kind: "mmio";
  /** the name given to {@linkcode PhysicalBus.addMmio} (a device's id; errors quote it) */
  name: string;
  /** guest physical address of its first register */
  base: bigint;
  /** its size in bytes */
  size: bigint;
  /** the device's registers, called with offsets from `base` */
  handler: MmioHandler;
  /** instructions may be fetched from it (a flash in read array mode) */
  executable?: boolean;
}

/** A region of the physical address space. */
export type BusRegion = RamRegion | MmioRegion;

/**
 * How DMA-capable devices and loaders see physical memory (permissions ignored).
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { type DmaView, PhysicalBus } from "./bus.ts";
 * const bus = new PhysicalBus(new HostMemory());
 * bus.addRam("dram", 0x80000000n, 0x1000n);
 * const dma: DmaView = bus;
 * dma.writeBytes(0x80000000n, new Uint8Array([1, 2, 3, 4]));
 * console.log(dma.load(0x80000000n, 4).toString(16)); // 4030201
 * ```
 */
export interface DmaView {
  /** Reads `size` bytes (1, 2, 4 or 8) at physical `addr`, little-endian, zero-extended. */
  load(addr: bigint, size: number): bigint;
  /** Writes the low `size` bytes (1, 2, 4 or 8) of `value` at physical `addr`, little-endian. */
  store(addr: bigint, size: number, value: bigint): void;
  /** Copies `length` bytes from physical `addr` (MMIO regions read through their handlers). */
  readBytes(addr: bigint, length: number): Uint8Array;
  /** Copies `data` to physical `addr` (translated code on those pages is dropped). */
  writeBytes(addr: bigint, data: Uint8Array): void;
}

/**
 * Sees changes to physical memory that caches of it must follow.
 *
 * @example
 * ```ts
 * import type { BusObserver } from "./bus.ts";
 * const log: BusObserver = { onCodeWrite: (pn) => console.log("code written on page", pn) };
 * ```
 */
export interface BusObserver {
  /** A loader or DMA wrote physical page `pageNumber`, which holds translated code. */
  onCodeWrite?(pageNumber: number): void;
}

/**
 * An image a loader put into physical memory (restored on machine reset).
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { PhysicalBus } from "./bus.ts";
 * const bus = new PhysicalBus(new HostMemory());
 * bus.addRam("dram", 0x80000000n, 0x1000n);
 * bus.loadImage(0x80000000n, new Uint8Array([0x13, 0, 0, 0]));
 * bus.store(0x80000000n, 1, 0xffn); // the guest overwrites it
 * bus.reloadImages(); // machine reset
 * console.log(bus.load(0x80000000n, 1)); // 19n
 * ```
 */
export interface LoadedImage {
  /** guest physical address it was loaded at */
  readonly addr: bigint;
  /** its bytes, as loaded (a copy: later guest writes do not change it) */
  readonly data: Uint8Array;
  /** what it is, as QEMU's `info roms` names it ("fdt", "kernel.elf ELF program header segment 1") */
  readonly name?: string;
}

/**
 * The physical memory map.
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { PhysicalBus } from "./bus.ts";
 * const bus = new PhysicalBus(new HostMemory());
 * bus.addRam("dram", 0x80000000n, 0x100000n);
 * bus.addMmio("dev", 0x10000000n, 0x100n, { read: () => 7n, write: () => {} });
 * bus.store(0x80000010n, 4, 0xdeadbeefn);
 * console.log(bus.load(0x80000010n, 4).toString(16), bus.load(0x10000000n, 1)); // "deadbeef" 7n
 * ```
 */
export class PhysicalBus implements DmaView {
  /** regions sorted by base */
  readonly #regions: BusRegion[] = [];
  readonly #pages = new Map<number, Page>();
  /** the numbers of the pages made over executable devices (the only device pages with code) */
  readonly #fetchable = new Set<number>();
  readonly #images: LoadedImage[] = [];
  /** Caches of physical memory (system memory's code tracking). */
  readonly observers: BusObserver[] = [];

  /** Makes an empty map whose RAM lives in `host`. */
  constructor(
    /**
     * The host memory RAM regions live in (shared with the CPUs' system memory).
     *
     * @ignore
     */
    readonly host: HostMemory,
  ) {}

  /** The regions in address order. */
  get regions(): readonly BusRegion[] {
    return this.#regions;
  }

  /** Adds zeroed RAM at `[base, base+size)` (page aligned), backed by contiguous host memory. */
  addRam(name: string, base: bigint, size: bigint, readOnly = false): RamRegion {
    if (base % PAGE !== 0n || size % PAGE !== 0n || size <= 0n) {
      throw new EmuError(
        `memory region "${name}" at ${hex(base)} size ${hex(size)} is not page aligned`,
        "RAM and ROM regions must start and end on 4 KiB boundaries",
      );
    }
    if (size > 0xffff0000n) {
      throw new EmuError(
        `memory region "${name}": ${size >> 20n} MiB is more than the host can back (4 GiB in all)`,
        "use a smaller -m",
      );
    }
    // Page alignment plus the overlap check keep devices off RAM pages.
    this.#checkFree(name, base, size);
    let host: number;
    try {
      host = this.host.allocate(Number(size), PAGE_SIZE);
    } catch {
      throw new EmuError(
        `memory region "${name}": cannot allocate ${size >> 20n} MiB of host memory`,
        "use a smaller -m",
      );
    }
    // Fresh from the top of the allocator: already zero.
    const r: RamRegion = { kind: "ram", name, base, size, host, readOnly };
    this.#insert(r);
    return r;
  }

  /** Adds read-only memory (guest stores fault; loaders may write). */
  addRom(name: string, base: bigint, size: bigint): RamRegion {
    return this.addRam(name, base, size, true);
  }

  /**
   * Maps a device at `[base, base+size)`. Regions smaller than a page may
   * share one. An `executable` region (a flash) may be fetched from: the
   * device calls {@linkcode PhysicalBus.codeChanged} when what it returns changes.
   */
  addMmio(
    name: string,
    base: bigint,
    size: bigint,
    handler: MmioHandler,
    executable = false,
  ): MmioRegion {
    if (size <= 0n) throw new EmuError(`device "${name}": MMIO size must be positive`);
    this.#checkFree(name, base, size);
    const r: MmioRegion = { kind: "mmio", name, base, size, handler, executable };
    this.#insert(r);
    return r;
  }

  #checkFree(name: string, base: bigint, size: bigint): void {
    const end = base + size;
    if (base < 0n || end > 1n << 64n) {
      throw new EmuError(`region "${name}" at ${hex(base)} runs past the 64-bit address space`);
    }
    for (const r of this.#regions) {
      if (base < r.base + r.size && r.base < end) {
        throw new EmuError(
          `region "${name}" [${hex(base)}, ${hex(end)}) overlaps "${r.name}" [${hex(r.base)}, ${
            hex(r.base + r.size)
          })`,
          "choose another address (addr=...) for one of them",
        );
      }
    }
  }

  #insert(r: BusRegion): void {
    this.#regions.push(r);
    this.#regions.sort((a, b) => (a.base < b.base ? -1 : 1));
    this.#pages.clear();
    this.#fetchable.clear();
  }

  /** The region holding physical address `addr`. */
  findRegion(addr: bigint): BusRegion | undefined {
    const rs = this.#regions;
    let lo = 0, hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1, r = rs[mid];
      if (addr < r.base) hi = mid - 1;
      else if (addr >= r.base + r.size) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  /**
   * The page for physical page number `pn`, or undefined when nothing is
   * mapped there. Pages are created once and kept (their `hasCode` mark is
   * shared with the TB cache).
   */
  page(pn: number): Page | undefined {
    const cached = this.#pages.get(pn);
    if (cached) return cached;
    const base = BigInt(pn) * PAGE, end = base + PAGE;
    const inside = this.#regions.filter((r) => r.base < end && base < r.base + r.size);
    if (inside.length === 0) return undefined;
    let page: Page;
    const first = inside[0];
    if (first.kind === "ram") {
      const perms = first.readOnly ? Perm.R | Perm.X : Perm.R | Perm.W | Perm.X;
      page = { frame: first.host + Number(base - first.base), perms, hasCode: false };
    } else {
      const whole = inside.length === 1 && first.base <= base && first.base + first.size >= end;
      page = {
        frame: -1,
        perms: Perm.R | Perm.W | (whole && first.executable ? Perm.X : 0),
        mmio: whole ? first.handler : pageHandler(inside as MmioRegion[], base),
        mmioPageOffset: whole ? base - first.base : 0n,
        hasCode: false,
      };
      if (page.perms & Perm.X) this.#fetchable.add(pn);
    }
    this.#pages.set(pn, page);
    return page;
  }

  /**
   * A {@linkcode PageResolver} for physical addresses (no translation): use it
   * directly when paging is off, or call it after a page-table walk.
   * Fetches from MMIO and writes to ROM are "protection" faults.
   */
  resolver(): PageResolver {
    return (pn, access) => {
      const p = this.page(pn);
      if (!p) return "unmapped";
      return (p.perms & NEED[access]) ? p : "protection";
    };
  }

  #ram(addr: bigint, length: number, access: AccessType): RamRegion | undefined {
    const r = this.findRegion(addr);
    if (!r) throw new GuestFault(addr, access, "unmapped");
    if (r.kind === "mmio") return undefined;
    if (addr + BigInt(length) > r.base + r.size) return undefined; // crosses out: go bytewise
    return r;
  }

  /** Loads `size` bytes (1, 2, 4, 8) little-endian at physical `addr`, zero-extended. */
  load(addr: bigint, size: number): bigint {
    const r = this.#ram(addr, size, "read");
    if (r) {
      const h = r.host + Number(addr - r.base), dv = this.host.dv;
      if (size === 1) return BigInt(dv.getUint8(h));
      if (size === 2) return BigInt(dv.getUint16(h, true));
      if (size === 4) return BigInt(dv.getUint32(h, true));
      return dv.getBigUint64(h, true);
    }
    const m = this.findRegion(addr)!;
    if (m.kind === "mmio" && addr + BigInt(size) <= m.base + m.size) {
      return BigInt.asUintN(size * 8, m.handler.read(addr - m.base, size));
    }
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | this.load(addr + BigInt(i), 1);
    return v;
  }

  /** Stores the low `size` bytes of `value` little-endian at physical `addr` (ROM included). */
  store(addr: bigint, size: number, value: bigint): void {
    const r = this.#ram(addr, size, "write");
    if (r) {
      const h = r.host + Number(addr - r.base), dv = this.host.dv;
      if (size === 1) dv.setUint8(h, Number(value & 0xffn));
      else if (size === 2) dv.setUint16(h, Number(value & 0xffffn), true);
      else if (size === 4) dv.setUint32(h, Number(value & 0xffffffffn), true);
      else dv.setBigUint64(h, BigInt.asUintN(64, value), true);
      this.host.dirty.markRange(h, size);
      this.#touched(addr, size);
      return;
    }
    const m = this.findRegion(addr)!;
    if (m.kind === "mmio" && addr + BigInt(size) <= m.base + m.size) {
      m.handler.write(addr - m.base, size, BigInt.asUintN(size * 8, value));
      return;
    }
    for (let i = 0; i < size; i++) this.store(addr + BigInt(i), 1, value >> BigInt(8 * i));
  }

  /** Copies `length` bytes out of physical memory (RAM fast, MMIO bytewise). */
  readBytes(addr: bigint, length: number): Uint8Array {
    const r = this.#ram(addr, length, "read");
    if (r) {
      const h = r.host + Number(addr - r.base);
      return this.host.u8.slice(h, h + length);
    }
    this.#checkDeviceSpan(addr, length, "read");
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = Number(this.load(addr + BigInt(i), 1));
    return out;
  }

  /** Copies bytes into physical memory (ROM included: this is how loaders fill it). */
  writeBytes(addr: bigint, data: Uint8Array): void {
    const r = this.#ram(addr, data.length, "write");
    if (r) {
      this.host.u8.set(data, r.host + Number(addr - r.base));
      this.host.dirty.markRange(r.host + Number(addr - r.base), data.length);
      this.#touched(addr, data.length);
      return;
    }
    this.#checkDeviceSpan(addr, data.length, "write");
    for (let i = 0; i < data.length; i++) this.store(addr + BigInt(i), 1, BigInt(data[i]));
  }

  /**
   * A copy that is not all RAM goes byte by byte: refuse one that is unmapped
   * or covers more than a page of device windows (QEMU bounces DMA to MMIO
   * through one page), before a hostile descriptor of 4 GiB over the PCI
   * window costs 2^32 device reads.
   */
  #checkDeviceSpan(addr: bigint, length: number, access: AccessType): void {
    const end = addr + BigInt(length);
    let device = 0n;
    for (let at = addr; at < end;) {
      const r = this.findRegion(at);
      if (!r) throw new GuestFault(at, access, "unmapped");
      const stop = r.base + r.size < end ? r.base + r.size : end;
      if (r.kind === "mmio") device += stop - at;
      at = stop;
    }
    if (device > BigInt(PAGE_SIZE)) throw new GuestFault(addr, access, "protection");
  }

  /**
   * Loads an image (firmware, kernel, initrd, device tree, ROM code) into
   * physical memory, ROM included, and remembers it for {@linkcode reloadImages}.
   * Throws GuestFault when part of it is not RAM or ROM (unmapped, or a device).
   */
  loadImage(addr: bigint, data: Uint8Array, name?: string): void {
    // An image over a device window would poke the device's registers: it is not memory.
    const end = addr + BigInt(data.length);
    for (let at = addr; at < end;) {
      const r = this.findRegion(at);
      if (!r || r.kind === "mmio") throw new GuestFault(at, "write", "unmapped");
      at = r.base + r.size;
    }
    this.writeBytes(addr, data);
    this.#images.push({ addr, data: data.slice(), name });
  }

  /** The images loaded so far, in load order. */
  get images(): readonly LoadedImage[] {
    return this.#images;
  }

  /** Writes every loaded image again, in load order (machine reset). */
  reloadImages(): void {
    for (const { addr, data } of this.#images) this.writeBytes(addr, data);
  }

  /**
   * The contents of physical page `pn` were replaced behind the bus's back (a
   * snapshot restore), or a CPU stored to it: translated code made from it is
   * dropped, by every CPU on the bus.
   */
  contentsReplaced(pn: number): void {
    if (this.#pages.get(pn)?.hasCode) { for (const o of this.observers) o.onCodeWrite?.(pn); }
  }

  /**
   * What `[addr, addr+length)` reads as changed without a store the bus saw
   * (an executable device's contents or mode): translated code made from it
   * is dropped. Device pages only: RAM changes by stores, or {@linkcode contentsReplaced}.
   */
  codeChanged(addr: bigint, length: number): void {
    if (length === 0) return;
    const first = Number(addr / PAGE), last = Number((addr + BigInt(length) - 1n) / PAGE);
    // Only the device pages made fetchable can hold code. A flash bank spans 8,192 pages, none
    // of them fetched from before U-Boot's prompt, and its probe leaves read-array mode 562
    // times: walking the bank's pages took 120-150 ms of the boot.
    if (last - first >= this.#fetchable.size) {
      for (const pn of this.#fetchable) {
        if (pn >= first && pn <= last) this.contentsReplaced(pn);
      }
    } else {
      for (let pn = first; pn <= last; pn++) if (this.#fetchable.has(pn)) this.contentsReplaced(pn);
    }
  }

  /** RAM at `[addr, addr+length)` was written without a CPU's store (a loader, DMA). */
  #touched(addr: bigint, length: number): void {
    if (length === 0) return;
    const first = Number(addr / PAGE), last = Number((addr + BigInt(length) - 1n) / PAGE);
    for (let pn = first; pn <= last; pn++) this.contentsReplaced(pn);
  }
}

const NEED: Record<AccessType, number> = { read: Perm.R, write: Perm.W, fetch: Perm.X };

/**
 * The MMIO handler of one page: offsets are page relative; accesses that hit
 * no region read as zero and ignore writes (as unassigned memory in QEMU).
 */
function pageHandler(regions: MmioRegion[], pageBase: bigint): MmioHandler {
  const find = (off: bigint, size: number) =>
    regions.find((r) => {
      const a = pageBase + off;
      return a >= r.base && a + BigInt(size) <= r.base + r.size;
    });
  return {
    read(off, size) {
      const r = find(off, size);
      return r ? r.handler.read(pageBase + off - r.base, size) : 0n;
    },
    write(off, size, value) {
      const r = find(off, size);
      if (r) r.handler.write(pageBase + off - r.base, size, value);
    },
  };
}

/**
 * The guest's view of memory: 4 KiB pages with R/W/X permissions, backed by
 * frames of the shared host memory, or by an MMIO handler.
 *
 * Pages are looked up through a {@linkcode PageResolver}. User mode uses the
 * built-in page table ({@linkcode GuestMemory.map} and friends); system mode
 * installs a resolver that walks the guest's page tables and the physical
 * memory map.
 *
 * @module
 */

import { type AccessType, GuestFault } from "./errors.ts";
import { HostMemory, PAGE_SIZE } from "./host_memory.ts";
import { PageRanges } from "./page_ranges.ts";

/** Page permission bits. */
export const Perm = { R: 1, W: 2, X: 4 } as const;

/**
 * A memory-mapped device region. Offsets are relative to the region's base.
 *
 * @example
 * ```ts
 * import type { MmioHandler } from "./guest_memory.ts";
 * const zero: MmioHandler = { read: () => 0n, write: () => {} };
 * ```
 */
export interface MmioHandler {
  /**
   * Reads `size` bytes (1, 2, 4 or 8) at `offset` from the region's base; returns them
   * zero-extended.
   */
  read(offset: bigint, size: number): bigint;
  /** Writes the low `size` bytes (1, 2, 4 or 8) of `value` at `offset` from the region's base. */
  write(offset: bigint, size: number, value: bigint): void;
}

/**
 * One mapped guest page.
 *
 * @example
 * ```ts
 * import { GuestMemory, Perm } from "./guest_memory.ts";
 * const mem = new GuestMemory();
 * mem.map(0x10000n, 0x1000n, Perm.R | Perm.X);
 * console.log(mem.pages.get(0x10)?.perms === (Perm.R | Perm.X)); // true
 * ```
 */
export interface Page {
  /** host offset of the backing frame, or -1 for MMIO */
  frame: number;
  /** {@linkcode Perm} bits */
  perms: number;
  /** the device, for MMIO pages */
  mmio?: MmioHandler;
  /**
   * Offset of this page's first byte inside its MMIO region. It is relative
   * to the page, not to a guest address, so a device mapped at any virtual
   * address sees the offsets of its physical registers.
   */
  mmioPageOffset?: bigint;
  /** translated code was made from this page */
  hasCode: boolean;
}

/**
 * Sees the changes to an address space that caches of it (translated code,
 * the soft TLB) must follow. Observers are independent of each other's order.
 *
 * @example
 * ```ts
 * import { GuestMemory, type MemoryObserver } from "./guest_memory.ts";
 * const mem = new GuestMemory();
 * const log: MemoryObserver = { onCodeWrite: (pn) => console.log("stale code on page", pn) };
 * mem.observers.push(log);
 * ```
 */
export interface MemoryObserver {
  /**
   * Translated code made from guest page `pageNumber` is stale: a store hit
   * the page, or it was unmapped or lost its execute permission.
   */
  onCodeWrite?(pageNumber: number): void;
  /** The mapping or permissions of page `pageNumber` changed (TLB shootdown). */
  onMappingChange?(pageNumber: number): void;
  /** Every cached address translation is stale ({@linkcode GuestMemory.flushTranslations}). */
  onTranslationFlush?(): void;
  /** Cached write permissions are stale, reads and fetches not ({@linkcode GuestMemory.revokeWrites}). */
  onWritesRevoked?(): void;
  /**
   * The guest changed its address space (RISC-V's satp write or sfence.vma,
   * system mode): what was translated under the old one is checked against
   * the new one, and state saved under the old one no longer describes it.
   */
  onRemap?(): void;
}

/** Maps a guest page number to its page for an access, or returns why not. */
export type PageResolver = (
  pageNumber: number,
  access: AccessType,
) => Page | "unmapped" | "protection";

const PAGE_SHIFT = 12n;
const PAGE_MASK = 0xfffn;
/**
 * Mapping this many pages at once tells the observers one translation flush, not a change per
 * page: the 8 MiB stack's 2048 soft-TLB page flushes, cold code at start-up, made its mapping
 * take 20 ms and 700 page faults instead of 5 ms and 190 (docs/perf.md, "Second pass").
 */
const MANY_PAGES = 256;
const NEED: Record<AccessType, number> = { read: Perm.R, write: Perm.W, fetch: Perm.X };

/** How many pages {@linkcode RecentPages} holds per access type (a power of 2). */
const RECENT_PAGES = 64;

/**
 * The pages recent accesses of one type resolved to, direct-mapped by page
 * number: the interpreter's loads and stores skip the resolver (system mode:
 * the MMU) when they touch a page again. The JIT's code has the soft TLB instead.
 */
class RecentPages {
  readonly #numbers = new Float64Array(RECENT_PAGES).fill(-1);
  readonly #pages: (Page | undefined)[] = new Array(RECENT_PAGES).fill(undefined);

  get(pn: number): Page | undefined {
    const i = pn & (RECENT_PAGES - 1);
    return this.#numbers[i] === pn ? this.#pages[i] : undefined;
  }

  set(pn: number, page: Page): void {
    const i = pn & (RECENT_PAGES - 1);
    this.#numbers[i] = pn;
    this.#pages[i] = page;
  }

  drop(pn: number): void {
    const i = pn & (RECENT_PAGES - 1);
    if (this.#numbers[i] === pn) this.#numbers[i] = -1;
  }

  clear(): void {
    this.#numbers.fill(-1);
  }
}

/**
 * Guest virtual memory.
 *
 * @example
 * ```ts
 * import { GuestMemory, Perm } from "./guest_memory.ts";
 * const mem = new GuestMemory();
 * mem.map(0x10000n, 0x2000n, Perm.R | Perm.W);
 * mem.store(0x10008n, 8, 0x1122334455667788n);
 * console.log(mem.load(0x10008n, 4, false).toString(16)); // "55667788"
 * ```
 */
export class GuestMemory {
  /**
   * The host memory the pages' frames live in (the backends' fast path reads it directly).
   *
   * @ignore
   */
  readonly host: HostMemory;
  /** The user-mode page table: page number -> page. */
  readonly pages: Map<number, Page> = new Map();
  /** The page table's keys as runs, for {@linkcode findFree}. */
  #mapped = new PageRanges();
  /** Looks pages up; defaults to the page table. */
  resolve: PageResolver;
  /** The caches that follow this address space (the TB cache, soft TLBs). */
  readonly observers: MemoryObserver[] = [];
  /**
   * A side-effect-free lookup for caches (the soft TLB): like `resolve`, but
   * never updates guest state (system mode: no accessed/dirty bit writes), so
   * it may decline (return a string) where `resolve` would succeed. Defaults
   * to `resolve`.
   */
  probe?: PageResolver;
  /**
   * A debugger's lookup (`readBytes` with `devices` "zero"): like `resolve`,
   * but it changes no guest state (system mode: accessed/dirty bits are
   * neither needed nor written, as QEMU's debug accesses). Defaults to `resolve`.
   */
  debugResolve?: PageResolver;
  /** Bumped whenever a page is mapped, unmapped or re-protected (snapshots compare it). */
  layoutGeneration = 0;
  /** The pages recent reads and writes resolved to (not MMIO), while valid. */
  readonly #recentReads = new RecentPages();
  readonly #recentWrites = new RecentPages();
  /** frames that more than one page maps (mapAlias), with how many pages beyond the first */
  readonly #shares = new Map<number, number>();

  /** Makes an empty address space whose pages live in `host` (a fresh host memory by default). */
  constructor(host: HostMemory = new HostMemory()) {
    this.host = host;
    this.resolve = (pn, access) => {
      const p = this.pages.get(pn);
      if (!p) return "unmapped";
      return (p.perms & NEED[access]) ? p : "protection";
    };
  }

  #changed(pn: number): void {
    this.#recentReads.drop(pn);
    this.#recentWrites.drop(pn);
    for (const o of this.observers) o.onMappingChange?.(pn);
  }

  /**
   * The contents of page `pn` were replaced behind the memory's back (a
   * snapshot restore): translated code made from it is dropped.
   */
  contentsReplaced(pn: number): void {
    if (this.pages.get(pn)?.hasCode) this.codeWritten(pn);
  }

  /**
   * A store (or unmap, or loss of execute permission) hit page `pn`, which
   * holds translated code: tells the observers which pages' code is stale.
   * System memory maps the page to its physical page and its aliases.
   */
  protected codeWritten(pn: number): void {
    for (const o of this.observers) o.onCodeWrite?.(pn);
  }

  #relaid(pn: number): void {
    this.layoutGeneration++;
    this.#changed(pn);
  }

  /** Rebuilds the index of mapped pages after `pages` was replaced wholesale (a snapshot's restore). */
  reindexMapped(): void {
    this.#mapped = new PageRanges();
    this.#shares.clear();
    const seen = new Set<number>();
    for (const [pn, p] of this.pages) {
      this.#mapped.add(pn, 1);
      if (p.frame < 0) continue;
      if (seen.has(p.frame)) this.#shares.set(p.frame, (this.#shares.get(p.frame) ?? 0) + 1);
      seen.add(p.frame);
    }
  }

  /**
   * Forgets every cached translation (system mode: a new address space,
   * privilege level or permission regime).
   */
  flushTranslations(): void {
    this.#recentReads.clear();
    this.#recentWrites.clear();
    for (const o of this.observers) o.onTranslationFlush?.();
  }

  /**
   * The translation of page `pn` may have changed (system mode: the guest
   * flushed one address from its TLB): cached translations of it go.
   */
  translationChanged(pn: number): void {
    this.#changed(pn);
  }

  /**
   * The code running switched to another MMU mode (system mode: privilege
   * level) whose cached translations stay valid: only the last-page shortcuts,
   * which do not record the mode, go. The soft TLB has a table per mode.
   */
  modeChanged(): void {
    this.#recentReads.clear();
    this.#recentWrites.clear();
  }

  /**
   * Stores must take the slow path again, through any address (system mode:
   * a physical page, which any virtual page may map, now holds code).
   */
  revokeWrites(): void {
    this.#recentWrites.clear();
    for (const o of this.observers) o.onWritesRevoked?.();
  }

  /** Maps `[addr, addr+length)` (page aligned) to fresh zeroed frames, replacing old pages. */
  map(addr: bigint, length: bigint, perms: number): void {
    const [first, count] = span(addr, length);
    for (let pn = first; pn < first + count; pn++) {
      this.#drop(pn);
      this.pages.set(pn, { frame: this.host.allocFrame(), perms, hasCode: false });
      if (count < MANY_PAGES) this.#relaid(pn);
    }
    this.#mapped.add(first, count);
    if (count >= MANY_PAGES) {
      this.layoutGeneration++;
      this.flushTranslations();
    }
  }

  /**
   * Maps page `pn` onto the frame of mapped page `of` (two mappings of one
   * MAP_SHARED file page): a store through either is seen through both at
   * once. The frame is freed with the last page on it.
   */
  mapAlias(pn: number, of: number, perms: number): void {
    const frame = this.pages.get(of)!.frame;
    this.#drop(pn);
    this.pages.set(pn, { frame, perms, hasCode: false });
    this.#shares.set(frame, (this.#shares.get(frame) ?? 0) + 1);
    this.#relaid(pn);
    this.#mapped.add(pn, 1);
  }

  /** Maps a device over `[addr, addr+length)`. */
  mapMmio(addr: bigint, length: bigint, handler: MmioHandler): void {
    const [first, count] = span(addr, length);
    for (let pn = first; pn < first + count; pn++) {
      this.#drop(pn);
      this.pages.set(pn, {
        frame: -1,
        perms: Perm.R | Perm.W,
        mmio: handler,
        mmioPageOffset: (BigInt(pn) << 12n) - addr,
        hasCode: false,
      });
      this.#relaid(pn);
    }
    this.#mapped.add(first, count);
  }

  /** Unmaps `[addr, addr+length)`; unmapped pages inside are ignored. */
  unmap(addr: bigint, length: bigint): void {
    const [first, count] = span(addr, length);
    for (let pn = first; pn < first + count; pn++) this.#drop(pn);
  }

  #drop(pn: number): void {
    const p = this.pages.get(pn);
    if (!p) return;
    if (p.hasCode) this.codeWritten(pn);
    const shares = this.#shares.get(p.frame);
    if (shares) {
      if (shares > 1) this.#shares.set(p.frame, shares - 1);
      else this.#shares.delete(p.frame);
    } else if (p.frame >= 0) this.host.freeFrame(p.frame);
    this.pages.delete(pn);
    this.#mapped.remove(pn, 1);
    this.#relaid(pn);
  }

  /** Changes permissions of mapped pages in `[addr, addr+length)`. Returns false if any page is unmapped. */
  protect(addr: bigint, length: bigint, perms: number): boolean {
    const [first, count] = span(addr, length);
    for (let pn = first; pn < first + count; pn++) if (!this.pages.has(pn)) return false;
    for (let pn = first; pn < first + count; pn++) {
      const p = this.pages.get(pn)!;
      if (p.hasCode && !(perms & Perm.X)) this.codeWritten(pn);
      p.perms = perms;
      this.#relaid(pn);
    }
    return true;
  }

  /** Whether every page of `[addr, addr+length)` is mapped (with some access, if `accessible`). */
  isMapped(addr: bigint, length: bigint, accessible = false): boolean {
    const [first, count] = span(addr, length);
    for (let pn = first; pn < first + count; pn++) {
      const page = this.pages.get(pn);
      if (!page || (accessible && !page.perms)) return false;
    }
    return true;
  }

  /**
   * The lowest page-aligned address `>= from` where `length` bytes are free
   * and end at or below `limit`, or -1n.
   */
  findFree(length: bigint, from: bigint, limit: bigint): bigint {
    const count = Number((length + PAGE_MASK) >> PAGE_SHIFT);
    const pn = Number((from + PAGE_MASK) >> PAGE_SHIFT);
    const found = this.#mapped.firstFree(pn, count, Number(limit >> PAGE_SHIFT));
    return found < 0 ? -1n : BigInt(found) << PAGE_SHIFT;
  }

  /**
   * The highest page-aligned address `>= floor` where `length` bytes are free and end at or below
   * `end`, or -1n.
   */
  findFreeBelow(length: bigint, end: bigint, floor: bigint): bigint {
    const count = Number((length + PAGE_MASK) >> PAGE_SHIFT);
    const found = this.#mapped.lastFree(
      Number(end >> PAGE_SHIFT),
      count,
      Number((floor + PAGE_MASK) >> PAGE_SHIFT),
    );
    return found < 0 ? -1n : BigInt(found) << PAGE_SHIFT;
  }

  /** Marks page `pn` as holding translated code. */
  markCode(pn: number): void {
    const p = this.pages.get(pn);
    if (p && !p.hasCode) {
      p.hasCode = true;
      this.#changed(pn);
    }
  }

  /** Clears the code mark of page `pn` (its translations were dropped). */
  clearCode(pn: number): void {
    const p = this.pages.get(pn);
    if (p) p.hasCode = false;
  }

  /**
   * The page a recent read (or, `write` true, write) of page number `pn` resolved to, if it is
   * still known: what {@linkcode page} would return without calling the resolver, or undefined.
   */
  recentPage(pn: number, write: boolean): Page | undefined {
    return (write ? this.#recentWrites : this.#recentReads).get(pn);
  }

  /** The page for `addr` and `access`, or throws {@linkcode GuestFault}. */
  page(addr: bigint, access: AccessType): Page {
    const pn = pageNumber(addr);
    const recent = access === "read"
      ? this.#recentReads
      : access === "write"
      ? this.#recentWrites
      : undefined;
    const hit = recent?.get(pn);
    if (hit) return hit;
    const p = this.resolve(pn, access);
    if (typeof p === "string") throw new GuestFault(BigInt.asUintN(64, addr), access, p);
    if (!p.mmio) recent?.set(pn, p);
    return p;
  }

  /** The page for `addr` as a debugger sees it (see {@linkcode GuestMemory.debugResolve}), or throws. */
  #debugPage(addr: bigint, access: AccessType): Page {
    const p = (this.debugResolve ?? this.resolve)(pageNumber(addr), access);
    if (typeof p === "string") throw new GuestFault(BigInt.asUintN(64, addr), access, p);
    return p;
  }

  /** Loads `size` bytes (1, 2, 4, 8) at `addr`, zero- or sign-extended to 64 bits. */
  load(addr: bigint, size: number, signed: boolean, access: AccessType = "read"): bigint {
    const off = Number(addr & PAGE_MASK);
    if (off + size > PAGE_SIZE) return this.#loadSplit(addr, size, signed, access);
    const p = this.page(addr, access);
    if (p.mmio) {
      const v = p.mmio.read(p.mmioPageOffset! + BigInt(off), size);
      return extend(v, size, signed);
    }
    const dv = this.host.dv, h = p.frame + off;
    switch (size) {
      case 1:
        return BigInt(signed ? dv.getInt8(h) : dv.getUint8(h));
      case 2:
        return BigInt(signed ? dv.getInt16(h, true) : dv.getUint16(h, true));
      case 4:
        return BigInt(signed ? dv.getInt32(h, true) : dv.getUint32(h, true));
      default:
        return signed ? dv.getBigInt64(h, true) : dv.getBigUint64(h, true);
    }
  }

  #loadSplit(addr: bigint, size: number, signed: boolean, access: AccessType): bigint {
    // Check every page first, so a fault leaves nothing half done.
    this.page(addr, access);
    this.page(addr + BigInt(size - 1), access);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) {
      v = (v << 8n) | this.load(addr + BigInt(i), 1, false, access);
    }
    return extend(v, size, signed);
  }

  /** Stores the low `size` bytes of `value` at `addr`. */
  store(addr: bigint, size: number, value: bigint): void {
    const off = Number(addr & PAGE_MASK);
    if (off + size > PAGE_SIZE) {
      this.page(addr, "write");
      this.page(addr + BigInt(size - 1), "write");
      for (let i = 0; i < size; i++) this.store(addr + BigInt(i), 1, value >> BigInt(8 * i));
      return;
    }
    const p = this.page(addr, "write");
    if (p.mmio) {
      p.mmio.write(p.mmioPageOffset! + BigInt(off), size, BigInt.asUintN(size * 8, value));
      return;
    }
    if (p.hasCode) this.codeWritten(pageNumber(addr));
    this.host.dirty.mark(p.frame);
    const dv = this.host.dv, h = p.frame + off;
    switch (size) {
      case 1:
        dv.setUint8(h, Number(value & 0xffn));
        break;
      case 2:
        dv.setUint16(h, Number(value & 0xffffn), true);
        break;
      case 4:
        dv.setUint32(h, Number(value & 0xffffffffn), true);
        break;
      default:
        dv.setBigUint64(h, BigInt.asUintN(64, value), true);
    }
  }

  /**
   * Copies `length` guest bytes out, checking `access` permission on each
   * page, into `out` (a reused buffer saves an allocation per call) or a new array.
   * With `devices` "zero", device (MMIO) bytes read as 0 and no device is
   * touched: a debugger's look must not pop a UART's receive FIFO; pages are
   * then found through {@linkcode GuestMemory.debugResolve}.
   */
  readBytes(
    addr: bigint,
    length: number,
    access: AccessType = "read",
    out: Uint8Array = new Uint8Array(length),
    devices: "read" | "zero" = "read",
  ): Uint8Array {
    let done = 0;
    while (done < length) {
      const a = addr + BigInt(done);
      const off = Number(a & PAGE_MASK);
      const n = Math.min(length - done, PAGE_SIZE - off);
      const p = devices === "zero" ? this.#debugPage(a, access) : this.page(a, access);
      if (p.mmio && devices === "zero") out.fill(0, done, done + n);
      else if (p.mmio) {
        for (let i = 0; i < n; i++) out[done + i] = Number(this.load(a + BigInt(i), 1, false));
      } else out.set(this.host.u8.subarray(p.frame + off, p.frame + off + n), done);
      done += n;
    }
    return out;
  }

  /**
   * Copies bytes into guest memory. With `force`, page permissions are ignored
   * (loaders, the kernel writing into read-only pages, debuggers); unmapped pages still fault.
   * A page not resolved yet (system mode resolves pages on first use) is resolved as readable.
   * With `devices` "skip", device (MMIO) bytes are dropped: no device sees a debugger's write.
   */
  writeBytes(
    addr: bigint,
    data: Uint8Array,
    force = false,
    devices: "write" | "skip" = "write",
  ): void {
    let done = 0;
    while (done < data.length) {
      const a = addr + BigInt(done);
      const off = Number(a & PAGE_MASK);
      const n = Math.min(data.length - done, PAGE_SIZE - off);
      const p = force
        ? this.pages.get(pageNumber(a)) ?? this.page(a, "read")
        : this.page(a, "write");
      if (p.mmio && devices === "write") {
        for (let i = 0; i < n; i++) this.store(a + BigInt(i), 1, BigInt(data[done + i]));
      } else if (!p.mmio) {
        if (p.hasCode) this.codeWritten(pageNumber(a));
        this.host.dirty.mark(p.frame);
        this.host.u8.set(data.subarray(done, done + n), p.frame + off);
      }
      done += n;
    }
  }

  /** Reads a NUL-terminated string of at most `max` bytes (faults past mapped memory). */
  readCString(addr: bigint, max = 4096): Uint8Array {
    const bytes: number[] = [];
    for (let i = 0; i < max; i++) {
      const b = Number(this.load(addr + BigInt(i), 1, false));
      if (b === 0) return new Uint8Array(bytes);
      bytes.push(b);
    }
    throw new GuestFault(addr + BigInt(max), "read", "unmapped");
  }
}

/** The page number of a guest address (exact: at most 2^52). */
export function pageNumber(addr: bigint): number {
  return Number(BigInt.asUintN(64, addr) >> PAGE_SHIFT);
}

function span(addr: bigint, length: bigint): [number, number] {
  const a = BigInt.asUintN(64, addr);
  const first = Number(a >> PAGE_SHIFT);
  const last = Number((a + length + PAGE_MASK) >> PAGE_SHIFT);
  return [first, last - first];
}

function extend(v: bigint, size: number, signed: boolean): bigint {
  return signed ? BigInt.asIntN(size * 8, v) : BigInt.asUintN(size * 8, v);
}

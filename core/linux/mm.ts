/**
 * The user-mode address space: brk, mmap/munmap/mprotect/mremap over the
 * guest page table, with a cap on total mapped memory.
 *
 * @module
 */

import { type GuestMemory, pageNumber } from "../guest_memory.ts";
import { PAGE_SIZE } from "../host_memory.ts";
import { E, SysError } from "./errno.ts";

/** Page rounding helpers. */
export const PAGE = BigInt(PAGE_SIZE);
/** Rounds `v` up to a page boundary. */
export function pageUp(v: bigint): bigint {
  return (v + PAGE - 1n) & ~(PAGE - 1n);
}
/** Rounds `v` down to a page boundary. */
export function pageDown(v: bigint): bigint {
  return v & ~(PAGE - 1n);
}

/** mmap flags. */
export const MAP = {
  SHARED: 0x01,
  PRIVATE: 0x02,
  FIXED: 0x10,
  ANONYMOUS: 0x20,
  NORESERVE: 0x4000,
  FIXED_NOREPLACE: 0x100000,
} as const;

/**
 * What `/proc/self/maps` shows of a file-backed page besides its
 * permissions: the file, its device and inode, and the page's offset in it.
 */
export interface PageSource {
  /** the guest path of the file */
  name: string;
  dev: bigint;
  ino: bigint;
  /** offset in the file of this page */
  offset: bigint;
  /** a MAP_SHARED mapping */
  shared: boolean;
}

/** Default cap on mapped guest memory (2 GiB; `emu user --max-memory` changes it). */
export const DEFAULT_MEMORY_LIMIT = 2n << 30n;

/**
 * The highest cap: guest pages live in one wasm32 memory (4 GiB) that also
 * holds the CPU state and JIT data, so 1 GiB stays free for those.
 */
export const MAX_MEMORY_LIMIT = 3n << 30n;

/**
 * Address-space bookkeeping for one process.
 *
 * @example
 * ```ts
 * import { GuestMemory, Perm } from "../guest_memory.ts";
 * import { AddressSpace } from "./mm.ts";
 * const as = new AddressSpace(new GuestMemory(), 0x4000000000n, 1n << 47n);
 * const a = as.mmap(0n, 8192n, Perm.R | Perm.W, 0x22);
 * console.log(a === 0x4000000000n); // true
 * ```
 */
export class AddressSpace {
  brkStart = 0n;
  brk = 0n;
  /** the main thread's stack `[lo, hi)` (named `[stack]` in /proc/self/maps) */
  stack = { lo: 0n, hi: 0n };
  /** the file behind each file-backed page, by page number */
  readonly sources = new Map<number, PageSource>();
  constructor(
    readonly mem: GuestMemory,
    /** where address searches for mmap start */
    public mmapBase: bigint,
    /** end of the usable address space */
    readonly limit: bigint,
    readonly memoryLimit = DEFAULT_MEMORY_LIMIT,
  ) {}

  /** Bytes currently mapped. */
  get mappedBytes(): bigint {
    return BigInt(this.mem.pages.size) * PAGE;
  }

  #checkBudget(extra: bigint): void {
    if (this.mappedBytes + extra > this.memoryLimit) throw new SysError(E.ENOMEM);
  }

  /** Maps fresh zero pages, failing with ENOMEM when the host runs out. */
  mapPages(addr: bigint, len: bigint, perms: number): void {
    this.#checkBudget(len);
    try {
      this.mem.map(addr, len, perms);
    } catch (e) {
      if (e instanceof RangeError) throw new SysError(E.ENOMEM);
      throw e;
    }
  }

  /** Says which file (from `source.offset` on) backs `[addr, addr+len)`; null: anonymous memory. */
  setSource(addr: bigint, len: bigint, source: PageSource | null): void {
    const first = pageNumber(addr), pages = Number(pageUp(len) / PAGE);
    for (let i = 0; i < pages; i++) {
      if (source) {
        this.sources.set(first + i, { ...source, offset: source.offset + BigInt(i) * PAGE });
      } else this.sources.delete(first + i);
    }
  }

  /** Unmaps `[addr, addr+len)` (page-aligned) and forgets its files. */
  #unmap(addr: bigint, len: bigint): void {
    this.mem.unmap(addr, len);
    this.setSource(addr, len, null);
  }

  /** Unmaps everything and forgets the break and the stack (execve). */
  clear(mmapBase: bigint): void {
    for (const pn of [...this.mem.pages.keys()]) this.mem.unmap(BigInt(pn) * PAGE, PAGE);
    this.sources.clear();
    this.brkStart = this.brk = 0n;
    this.stack = { lo: 0n, hi: 0n };
    this.mmapBase = mmapBase;
  }

  /** Whether no page of `[addr, addr+len)` is mapped. */
  isFree(addr: bigint, len: bigint): boolean {
    const first = pageNumber(addr), last = pageNumber(addr + len - 1n);
    for (let pn = first; pn <= last; pn++) if (this.mem.pages.has(pn)) return false;
    return true;
  }

  /** Finds a free range of `len` bytes at or above `from` (default: the mmap base). */
  findFree(len: bigint, from = this.mmapBase): bigint {
    const a = this.mem.findFree(len, from, this.limit);
    if (a < 0n) throw new SysError(E.ENOMEM);
    return a;
  }

  /**
   * mmap: returns the mapped address. `contents` (file-backed mappings)
   * fills the start of the mapping, and `source` names its file.
   */
  mmap(
    addr: bigint,
    length: bigint,
    prot: number,
    flags: number,
    contents?: Uint8Array,
    source: PageSource | null = null,
  ): bigint {
    if (length <= 0n) throw new SysError(E.EINVAL);
    addr = BigInt.asUintN(64, addr); // a hint or MAP_FIXED above the task size is not negative
    const len = pageUp(length);
    if (len > this.limit || len > this.memoryLimit) throw new SysError(E.ENOMEM);
    let at: bigint;
    if (flags & (MAP.FIXED | MAP.FIXED_NOREPLACE)) {
      if (addr & (PAGE - 1n)) throw new SysError(E.EINVAL);
      if (addr + len > this.limit) throw new SysError(E.ENOMEM);
      if ((flags & MAP.FIXED_NOREPLACE) && !(flags & MAP.FIXED) && !this.isFree(addr, len)) {
        throw new SysError(E.EEXIST);
      }
      at = addr;
    } else if (
      addr && !(addr & (PAGE - 1n)) && addr + len <= this.limit && this.isFree(addr, len)
    ) {
      at = addr;
    } else {
      at = this.findFree(len);
    }
    this.mapPages(at, len, prot & 7);
    this.setSource(at, len, source);
    if (contents?.length) this.mem.writeBytes(at, contents.subarray(0, Number(len)), true);
    return at;
  }

  /** munmap. */
  munmap(addr: bigint, length: bigint): void {
    if ((addr & (PAGE - 1n)) || length <= 0n) throw new SysError(E.EINVAL);
    if (BigInt.asUintN(64, addr) + length > this.limit) throw new SysError(E.EINVAL);
    this.#unmap(addr, pageUp(length));
  }

  /** mprotect. */
  mprotect(addr: bigint, length: bigint, prot: number): void {
    if (addr & (PAGE - 1n)) throw new SysError(E.EINVAL);
    if (length === 0n) return;
    if (!this.mem.protect(addr, pageUp(length), prot & 7)) throw new SysError(E.ENOMEM);
  }

  /** mremap (flags: 1 = MREMAP_MAYMOVE, 2 = MREMAP_FIXED). */
  mremap(old: bigint, oldLen: bigint, newLen: bigint, flags: number, newAddr: bigint): bigint {
    if ((old & (PAGE - 1n)) || newLen <= 0n || (flags & ~3)) throw new SysError(E.EINVAL);
    const ol = pageUp(oldLen), nl = pageUp(newLen);
    if (!this.mem.isMapped(old, ol || PAGE)) throw new SysError(E.EFAULT);
    const perms = this.mem.pages.get(pageNumber(old))!.perms;
    if (flags & 2) {
      if (!(flags & 1) || (newAddr & (PAGE - 1n))) throw new SysError(E.EINVAL);
      return this.#move(old, ol, nl, newAddr, perms);
    }
    if (nl <= ol) {
      if (nl < ol) this.#unmap(old + nl, ol - nl);
      return old;
    }
    if (old + nl <= this.limit && this.isFree(old + ol, nl - ol)) {
      this.mapPages(old + ol, nl - ol, perms);
      return old;
    }
    if (!(flags & 1)) throw new SysError(E.ENOMEM);
    return this.#move(old, ol, nl, this.findFree(nl), perms);
  }

  #move(old: bigint, ol: bigint, nl: bigint, to: bigint, perms: number): bigint {
    this.#checkBudget(nl);
    const keep = ol < nl ? ol : nl;
    const saved: { data: Uint8Array; perms: number; source?: PageSource }[] = [];
    for (let a = 0n; a < keep; a += PAGE) {
      const p = this.mem.pages.get(pageNumber(old + a));
      const data = p && p.frame >= 0
        ? this.mem.host.u8.slice(p.frame, p.frame + PAGE_SIZE)
        : new Uint8Array(PAGE_SIZE);
      saved.push({ data, perms: p?.perms ?? perms, source: this.sources.get(pageNumber(old + a)) });
    }
    this.#unmap(old, ol);
    this.mapPages(to, nl, perms);
    saved.forEach((s, i) => {
      const a = to + BigInt(i) * PAGE;
      const p = this.mem.pages.get(pageNumber(a))!;
      this.mem.host.u8.set(s.data, p.frame);
      this.mem.host.dirty.mark(p.frame);
      p.perms = s.perms;
      if (s.source) this.sources.set(pageNumber(a), s.source);
    });
    return to;
  }

  /** brk: moves the program break; returns the new (or unchanged) break. */
  setBrk(want: bigint): bigint {
    if (want < this.brkStart) return this.brk;
    const oldTop = pageUp(this.brk), newTop = pageUp(want);
    if (newTop > oldTop) {
      if (newTop > this.limit || !this.isFree(oldTop, newTop - oldTop)) return this.brk;
      try {
        this.mapPages(oldTop, newTop - oldTop, 3);
      } catch {
        return this.brk;
      }
    } else if (newTop < oldTop) {
      this.#unmap(newTop, oldTop - newTop);
    }
    this.brk = want;
    return want;
  }
}

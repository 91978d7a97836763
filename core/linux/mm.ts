/**
 * The user-mode address space: brk, mmap/munmap/mprotect/mremap over the
 * guest page table, with a cap on total mapped memory.
 *
 * @module
 */

import { type GuestMemory, pageNumber } from "../guest_memory.ts";
import { PAGE_SIZE } from "../host_memory.ts";
import { E, SysError } from "./errno.ts";
import type { SharedRegion } from "./shared_memory.ts";

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
  /** where a MAP_SHARED mapping's bytes are shared between processes */
  region?: SharedRegion;
  /**
   * Set on a page wholly past the end of the file: the permissions its
   * mapping gives it. The page itself has none, so a touch faults (SIGBUS).
   */
  beyondEof?: number;
}

/** Default cap on mapped guest memory (2 GiB; `emu user --max-memory` changes it). */
export const DEFAULT_MEMORY_LIMIT = 2n << 30n;

/**
 * The highest cap: guest pages live in one wasm32 memory (4 GiB) that also
 * holds the CPU state and JIT data, so 1 GiB stays free for those.
 */
export const MAX_MEMORY_LIMIT = 3n << 30n;

/** The lowest address a hint may give (Linux's vm.mmap_min_addr, 64 KiB). */
const MMAP_MIN_ADDR = 0x10000n;

/** The program break and where mmap places memory: what fork and snapshots carry over. */
export interface BreakLayout {
  /** the initial break, the lowest a brk may set */
  readonly start: bigint;
  readonly brk: bigint;
  /** the end of the pages the break has mapped (QEMU's brk_page: a lower break keeps them) */
  readonly top: bigint;
  readonly mmapBase: bigint;
  /** where the next mapping without a hint goes (QEMU's mmap_next_start) */
  readonly mmapNext: bigint;
  /** where each page mremap moved was first mapped: [page number, first page number] */
  readonly movedFrom: readonly (readonly [number, number])[];
}

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
  /** the end of the pages the break has mapped; a lower break keeps them, as qemu-user 7.2 */
  brkTop = 0n;
  /** where the next mapping without a hint goes (QEMU's mmap_next_start) */
  mmapNext: bigint;
  /** the main thread's stack `[lo, hi)` (named `[stack]` in /proc/self/maps) */
  stack = { lo: 0n, hi: 0n };
  /** the size of the stack each image gets (`-s`; QEMU's default, 8 MiB), kept across execve */
  stackSize = 8n << 20n;
  /**
   * `-R` (QEMU's reserved_va, then `limit`): address searches go down from the top of the space,
   * as qemu-user's do when it reserves one
   */
  topDown = false;
  /** `[lo, hi)` a top-down search skips: the loader holds the break's room while it places things */
  held = { lo: 0n, hi: 0n };
  /** the file behind each file-backed page, by page number */
  readonly sources = new Map<number, PageSource>();
  /**
   * Where each page mremap moved was first mapped, by page number: Linux keeps a moved
   * mapping's page offset, so /proc/self/maps does not join it with its new neighbours.
   */
  #movedFrom = new Map<number, number>();
  /** the pages of MAP_SHARED mappings (a subset of `sources`) */
  readonly #shared = new Map<number, PageSource>();
  /** how many pages of `sources` lie wholly past their file's end */
  #beyondEofPages = 0;
  constructor(
    readonly mem: GuestMemory,
    /** where address searches for mmap start */
    public mmapBase: bigint,
    /** end of the usable address space */
    readonly limit: bigint,
    readonly memoryLimit = DEFAULT_MEMORY_LIMIT,
  ) {
    this.mmapNext = mmapBase;
  }

  /** The break and the mmap search's state, and where moved pages were first mapped. */
  get layout(): BreakLayout {
    const { brkStart: start, brk, brkTop: top, mmapBase, mmapNext } = this;
    return { start, brk, top, mmapBase, mmapNext, movedFrom: [...this.#movedFrom] };
  }

  /** Sets the layout; a snapshot file written before qemu-user's placement lacks its fields. */
  set layout(l: BreakLayout) {
    this.brkStart = l.start;
    this.brk = l.brk;
    this.brkTop = l.top ?? pageUp(l.brk);
    this.mmapBase = l.mmapBase;
    this.mmapNext = l.mmapNext ?? l.mmapBase;
    this.#movedFrom = new Map(l.movedFrom ?? []);
  }

  /**
   * Puts the initial break at `at` (page-aligned) and mappings from `mmapBase` on, the next one
   * at `mmapNext` (a program's load).
   */
  startLayout(at: bigint, mmapBase: bigint, mmapNext = mmapBase): void {
    this.layout = { start: at, brk: at, top: at, mmapBase, mmapNext, movedFrom: [] };
  }

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
    this.#origins(addr, len, pageNumber(addr));
  }

  /** Where page `pn` was first mapped: itself, unless mremap moved it. */
  originOf(pn: number): number {
    return this.#movedFrom.get(pn) ?? pn;
  }

  /** Says the pages of `[addr, addr+len)` were first mapped from page `first` on. */
  #origins(addr: bigint, len: bigint, first: number): void {
    const pn = pageNumber(addr), count = Number(pageUp(len) / PAGE);
    for (let i = 0; i < count; i++) {
      if (first === pn) this.#movedFrom.delete(pn + i);
      else this.#movedFrom.set(pn + i, first + i);
    }
  }

  /** Says which file (from `source.offset` on) backs `[addr, addr+len)`; null: anonymous memory. */
  setSource(addr: bigint, len: bigint, source: PageSource | null): void {
    const first = pageNumber(addr), pages = Number(pageUp(len) / PAGE);
    for (let i = 0; i < pages; i++) {
      this.#setPage(
        first + i,
        source ? { ...source, offset: source.offset + BigInt(i) * PAGE } : null,
      );
    }
  }

  #setPage(pn: number, source: PageSource | null): void {
    const old = this.sources.get(pn);
    if (old?.beyondEof !== undefined) this.#beyondEofPages--;
    if (source?.beyondEof !== undefined) this.#beyondEofPages++;
    if (source) this.sources.set(pn, source);
    else this.sources.delete(pn);
    if (source?.region) {
      this.#shared.set(pn, source);
      source.region.addUser();
    } else this.#shared.delete(pn);
    old?.region?.removeUser();
  }

  /**
   * Makes the pages of `[addr, addr+len)`, file pages wholly past the end of
   * their file, fault when touched (SIGBUS) while they stay mapped.
   */
  hideBeyondEof(addr: bigint, len: bigint): void {
    const first = pageNumber(addr), pages = Number(pageUp(len) / PAGE);
    for (let pn = first; pn < first + pages; pn++) {
      const source = this.sources.get(pn), page = this.mem.pages.get(pn);
      if (!source || !page) continue;
      this.#setPage(pn, { ...source, beyondEof: source.beyondEof ?? page.perms });
    }
    this.mem.protect(addr, pageUp(len), 0);
  }

  /** Whether `addr` lies in a file page wholly past the end of its file (a touch is SIGBUS). */
  isBeyondEof(addr: bigint): boolean {
    return this.#beyondEofPages > 0 && this.sources.get(pageNumber(addr))?.beyondEof !== undefined;
  }

  /** The permissions of mapped page `pn` as its mapping gives them (/proc/self/maps). */
  permsOf(pn: number): number {
    return this.sources.get(pn)?.beyondEof ?? this.mem.pages.get(pn)!.perms;
  }

  /** The MAP_SHARED region behind `addr` and `addr`'s offset in it (null: not shared memory). */
  sharedAt(addr: bigint): { region: SharedRegion; offset: bigint } | null {
    const source = this.#shared.get(pageNumber(addr));
    if (!source?.region) return null;
    return { region: source.region, offset: source.offset - source.region.offset + addr % PAGE };
  }

  /**
   * Makes each page of `[at, at+len)` that maps a page of `region` this
   * process maps elsewhere already one host frame with it (mmap of a file
   * mapped shared before): stores through either are seen through both.
   */
  aliasShared(at: bigint, len: bigint, region: SharedRegion): void {
    const first = pageNumber(at), count = Number(len / PAGE);
    const byOffset = new Map<bigint, number>();
    for (const [pn, s] of this.#shared) {
      if (s.region === region && (pn < first || pn >= first + count)) byOffset.set(s.offset, pn);
    }
    for (let pn = first; pn < first + count; pn++) {
      const mine = this.#shared.get(pn); // an mremap'd range may span private pages too
      const other = mine?.region === region ? byOffset.get(mine.offset) : undefined;
      if (other !== undefined) this.mem.mapAlias(pn, other, this.mem.pages.get(pn)!.perms);
    }
  }

  /** Takes the files and shared regions of a parent's pages (fork; the pages are copied already). */
  inherit(parent: AddressSpace): void {
    for (const [pn, source] of parent.sources) this.#setPage(pn, source);
  }

  /**
   * Copies this process's MAP_SHARED pages out to their regions (`out`: it
   * stops running) or in from them (`in`: it runs next). Only the pages
   * `pns` when given.
   */
  syncShared(direction: "in" | "out", pns: Iterable<number> = this.#shared.keys()): void {
    for (const pn of pns) {
      const source = this.#shared.get(pn), page = this.mem.pages.get(pn);
      if (!source?.region || !page || page.frame < 0) continue;
      const region = source.region, index = Number((source.offset - region.offset) / PAGE);
      const frame = this.mem.host.u8.subarray(page.frame, page.frame + PAGE_SIZE);
      if (direction === "out") region.store(index, frame);
      else if (region.differs(index, frame)) {
        this.mem.writeBytes(BigInt(pn) * PAGE, region.page(index), true);
      }
    }
  }

  /** msync: writes the MAP_SHARED pages of `[addr, addr+len)` back to their files. */
  writeBack(addr: bigint, len: bigint): void {
    const first = pageNumber(addr), pages = Number(pageUp(len) / PAGE);
    const pns = Array.from({ length: pages }, (_, i) => first + i).filter((pn) =>
      this.#shared.has(pn)
    );
    this.syncShared("out", pns);
    for (const r of new Set(pns.map((pn) => this.#shared.get(pn)!.region!))) r.writeBack();
  }

  /**
   * madvise(MADV_DONTNEED): private anonymous pages of `[addr, addr+len)`
   * read as zeros again; shared pages keep their data. (Private file pages
   * keep theirs too, where Linux would read the file again.)
   */
  dropPages(addr: bigint, len: bigint): void {
    if (len === 0n) return;
    const first = pageNumber(addr), pages = Number(pageUp(len) / PAGE);
    if (!this.mem.isMapped(addr, pageUp(len) || PAGE)) throw new SysError(E.ENOMEM);
    const zeros = new Uint8Array(PAGE_SIZE);
    for (let pn = first; pn < first + pages; pn++) {
      if (!this.sources.has(pn)) this.mem.writeBytes(BigInt(pn) * PAGE, zeros, true);
    }
  }

  /** Writes every MAP_SHARED page back and lets go of its region (exit, exec). */
  releaseShared(): void {
    this.syncShared("out");
    for (const source of new Set([...this.#shared.values()].map((s) => s.region!))) {
      source.writeBack();
    }
    for (const pn of [...this.#shared.keys()]) this.#setPage(pn, null);
  }

  /** Unmaps `[addr, addr+len)` (page-aligned), writing shared pages back, and forgets its files. */
  #unmap(addr: bigint, len: bigint): void {
    this.writeBack(addr, len);
    this.mem.unmap(addr, len);
    this.setSource(addr, len, null);
    this.#origins(addr, len, pageNumber(addr));
  }

  /** Unmaps everything and forgets the break and the stack (execve). */
  clear(mmapBase: bigint): void {
    this.releaseShared();
    for (const pn of [...this.mem.pages.keys()]) this.mem.unmap(BigInt(pn) * PAGE, PAGE);
    this.sources.clear();
    this.startLayout(0n, mmapBase);
    this.stack = { lo: 0n, hi: 0n };
  }

  /** Whether no page of `[addr, addr+len)` is mapped. */
  isFree(addr: bigint, len: bigint): boolean {
    const lo = pageDown(addr), hi = pageUp(addr + len);
    return this.mem.findFree(hi - lo, lo, hi) === lo; // a search of runs, not of each page
  }

  /**
   * Where a mapping of `len` bytes that is not MAP_FIXED goes, as qemu-user 7.2's
   * mmap_find_vma places it: at `hint` (page-aligned down, 64 KiB at least), or
   * with none where the last such mapping ended (so ranges freed below are not
   * reused), when that range is free. Else the host kernel places it, top-down
   * below its mmap base, which moves from run to run with the host's ASLR: here
   * the highest free range, so that runs repeat. A mapping placed from the
   * next-start address moves that on to its end. With `-R` the search goes down
   * instead (`#findDown`).
   */
  findVma(len: bigint, hint = 0n): bigint {
    if (this.topDown) return this.#findDown(len, hint ? pageDown(hint) : this.mmapNext);
    let start = this.mmapNext;
    if (hint) start = pageDown(hint) < MMAP_MIN_ADDR ? MMAP_MIN_ADDR : pageDown(hint);
    const fits = start + len <= this.limit && this.isFree(start, len);
    const at = fits ? start : this.mem.findFreeBelow(len, this.limit, MMAP_MIN_ADDR);
    if (at < 0n) throw new SysError(E.ENOMEM);
    if (start === this.mmapNext && at >= this.mmapBase) this.mmapNext = at + len;
    return at;
  }

  /**
   * qemu-user 7.2's search with `-R` (mmap_find_vma_reserved): down from `from + len`, or from
   * the top when that is past it or nothing is free below; a search from the next-start address
   * moves it to what it found.
   */
  #findDown(len: bigint, from: bigint): bigint {
    const top = pageDown(this.limit);
    if (len > top) throw new SysError(E.ENOMEM);
    const fromTop = from > top - len;
    let a = this.#freeBelow(len, fromTop ? top : from + len);
    if (a < 0n && !fromTop) a = this.#freeBelow(len, top);
    if (a < 0n) throw new SysError(E.ENOMEM);
    if (from === this.mmapNext) this.mmapNext = a;
    return a;
  }

  #freeBelow(len: bigint, end: bigint): bigint {
    const { lo, hi } = this.held;
    for (;;) {
      const a = this.mem.findFreeBelow(len, end, PAGE);
      if (a < 0n || a >= hi || a + len <= lo) return a;
      end = lo;
    }
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
      if ((flags & MAP.FIXED_NOREPLACE) && !this.isFree(addr, len)) {
        throw new SysError(E.EEXIST);
      }
      at = addr;
    } else {
      at = this.findVma(len, addr);
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
    if (this.#beyondEofPages) this.#keepBeyondEofHidden(addr, pageUp(length), prot & 7);
  }

  /** mprotect of `[addr, addr+len)` to `prot` changed pages past a file's end: they stay untouchable. */
  #keepBeyondEofHidden(addr: bigint, len: bigint, prot: number): void {
    const first = pageNumber(addr), pages = Number(len / PAGE);
    for (let pn = first; pn < first + pages; pn++) {
      const source = this.sources.get(pn);
      if (source?.beyondEof === undefined) continue;
      this.#setPage(pn, { ...source, beyondEof: prot }); // a forked child may share `source`
      this.mem.protect(BigInt(pn) * PAGE, PAGE, 0);
    }
  }

  /**
   * mremap (flags: 1 = MREMAP_MAYMOVE, 2 = MREMAP_FIXED). A MAP_SHARED
   * mapping stays shared: moved pages keep their region, and the pages it
   * grows by are the region's next ones (of the file, or of the shared
   * memory the other processes map), as Linux maps the vma's next pages;
   * `oldLen` 0 maps the same shared pages a second time.
   */
  mremap(old: bigint, oldLen: bigint, newLen: bigint, flags: number, newAddr: bigint): bigint {
    if ((old & (PAGE - 1n)) || newLen <= 0n || (flags & ~3)) throw new SysError(E.EINVAL);
    const ol = pageUp(oldLen), nl = pageUp(newLen);
    if (!this.mem.isMapped(old, ol || PAGE)) throw new SysError(E.EFAULT);
    const perms = this.mem.pages.get(pageNumber(old))!.perms;
    const shared = this.#shared.get(pageNumber(old));
    if (ol === 0n && !shared) throw new SysError(E.EINVAL); // only shared pages map twice
    let to: bigint;
    if (flags & 2) {
      if (!(flags & 1) || (newAddr & (PAGE - 1n))) throw new SysError(E.EINVAL);
      if (newAddr < old + ol && old < newAddr + nl) throw new SysError(E.EINVAL);
      if (newAddr + nl > this.limit) throw new SysError(E.EINVAL);
      this.#unmap(newAddr, nl);
      to = this.#move(old, ol, nl, newAddr, perms, shared);
    } else if (flags & 1) {
      // qemu-user 7.2 moves a MREMAP_MAYMOVE mapping always, to where mmap would put it
      to = this.#move(old, ol, nl, this.findVma(nl), perms, shared);
    } else if (nl <= ol) {
      if (nl < ol) this.#unmap(old + nl, ol - nl);
      return old;
    } else if (old + nl <= this.limit && this.isFree(old + ol, nl - ol)) {
      this.mapPages(old + ol, nl - ol, perms);
      this.#origins(old + ol, nl - ol, this.originOf(pageNumber(old)) + Number(ol / PAGE));
      this.#extendShared(shared, ol, old + ol, nl - ol);
      to = old;
    } else {
      throw new SysError(E.ENOMEM);
    }
    if (shared?.region) this.aliasShared(to, nl, shared.region);
    return to;
  }

  #move(
    old: bigint,
    ol: bigint,
    nl: bigint,
    to: bigint,
    perms: number,
    shared: PageSource | undefined,
  ): bigint {
    this.#checkBudget(nl);
    this.mapPages(to, nl, perms);
    this.#origins(to, nl, this.originOf(pageNumber(old)));
    const keep = ol < nl ? ol : nl;
    for (let a = 0n; a < keep; a += PAGE) {
      const from = this.mem.pages.get(pageNumber(old + a));
      const p = this.mem.pages.get(pageNumber(to + a))!;
      if (from && from.frame >= 0) {
        this.mem.host.u8.copyWithin(p.frame, from.frame, from.frame + PAGE_SIZE);
        this.mem.host.dirty.mark(p.frame);
      }
      p.perms = from?.perms ?? perms;
      this.#setPage(pageNumber(to + a), this.sources.get(pageNumber(old + a)) ?? null);
    }
    if (nl > ol) this.#extendShared(shared, ol, to + ol, nl - ol);
    if (ol) this.#unmap(old, ol);
    return to;
  }

  /**
   * Makes `[at, at+len)`, the pages a shared mapping whose first page is
   * `first` grew by past its `ol` bytes, the next pages of its region, with
   * their bytes (private memory grows by zero pages: nothing to do).
   */
  #extendShared(first: PageSource | undefined, ol: bigint, at: bigint, len: bigint): void {
    const region = first?.region;
    if (!region) return;
    this.syncShared("out"); // the region has this process's latest stores
    const offset = first!.offset + ol;
    this.setSource(at, len, { ...first!, offset });
    for (let a = 0n; a < len; a += PAGE) {
      const index = Number((offset + a - region.offset) / PAGE);
      this.mem.writeBytes(at + a, region.load(index), true);
    }
  }

  /**
   * brk: moves the program break; returns the new (or unchanged) break. As
   * qemu-user 7.2, a lower break keeps its pages mapped, and the bytes a
   * higher one takes back read as zeros.
   */
  setBrk(want: bigint): bigint {
    if (want < this.brkStart) return this.brk;
    const oldTop = this.brkTop, newTop = pageUp(want);
    if (newTop > oldTop) {
      if (newTop > this.limit || !this.isFree(oldTop, newTop - oldTop)) return this.brk;
      try {
        this.mapPages(oldTop, newTop - oldTop, 3);
      } catch {
        return this.brk;
      }
      this.brkTop = newTop;
    }
    if (want > this.brk) this.#zero(this.brk, want < oldTop ? want : oldTop);
    this.brk = want;
    return want;
  }

  /** Zeros the mapped bytes of `[from, to)`. */
  #zero(from: bigint, to: bigint): void {
    for (let a = from; a < to; a = pageDown(a) + PAGE) {
      const end = pageDown(a) + PAGE < to ? pageDown(a) + PAGE : to;
      if (this.mem.pages.has(pageNumber(a))) {
        this.mem.writeBytes(a, new Uint8Array(Number(end - a)), true);
      }
    }
  }
}

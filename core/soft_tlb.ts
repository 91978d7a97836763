/**
 * The soft TLB: a direct-mapped cache in host memory from guest page to host
 * frame that JIT-compiled code reads inline (QEMU's softmmu fast path).
 *
 * Entry `i` (for guest page numbers `pn` with `pn % TLB_ENTRIES == i`) is four
 * i64 words: the page base address if the page may be read, else -1; the same
 * for writes (never set for MMIO pages, pages holding translated code or
 * frames not yet dirty, so those stores take the slow path); the same for fetches; and the addend that
 * turns a guest address into a host offset. The JIT compares the tag against
 * the page of the access's last byte, which also catches page-crossing accesses.
 *
 * @module
 */

import type { GuestMemory } from "./guest_memory.ts";
import { TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE, TLB_MODES } from "./host_memory.ts";

/** Byte offsets of the words of a TLB entry. */
export const TLB_READ = 0;
export const TLB_WRITE = 8;
export const TLB_FETCH = 16;
export const TLB_ADDEND = 24;

/** Bytes of one table. */
const TABLE_SIZE = TLB_ENTRIES * TLB_ENTRY_SIZE;

/**
 * Host offset of the table of MMU mode `mode` (below {@linkcode TLB_MODES}).
 *
 * @example
 * ```ts
 * import { tlbTable } from "./soft_tlb.ts";
 * console.log(tlbTable(1) - tlbTable(0)); // 131072
 * ```
 */
export function tlbTable(mode: number): number {
  return TLB_BASE + mode * TABLE_SIZE;
}

/**
 * Fills and flushes the soft TLB of one guest address space.
 *
 * @example
 * ```ts
 * import { GuestMemory, Perm } from "./guest_memory.ts";
 * import { SoftTlb } from "./soft_tlb.ts";
 * const mem = new GuestMemory();
 * const tlb = new SoftTlb(mem);
 * mem.map(0x1000n, 0x1000n, Perm.R);
 * tlb.fill(0x1234n);
 * ```
 */
export class SoftTlb {
  /** i64 indices of the write tags granted since the last clean point */
  #granted: number[] = [];
  /** more grants than entries: revoke by sweeping every entry instead */
  #grantsOverflowed = false;
  /** the MMU mode of the code running: the table {@linkcode fill} loads */
  #mode = 0;
  /** tables flushed while another was in use: emptied when next selected */
  readonly #stale: boolean[] = new Array(TLB_MODES).fill(false);

  constructor(readonly mem: GuestMemory) {
    this.flushAll();
    mem.observers.push({
      onMappingChange: (pn) => this.flushPage(pn),
      onTranslationFlush: () => this.flushAll(),
      onWritesRevoked: () => this.#revokeWrites(),
    });
    mem.host.dirty.observers.push({ onClean: () => this.#revokeWrites() });
  }

  #grant(slot: number): void {
    if (this.#granted.length < TLB_ENTRIES) this.#granted.push(slot);
    else this.#grantsOverflowed = true;
  }

  /**
   * Every write tag goes (each was granted since the last revocation): clean
   * frames must take the slow path again, which marks them dirty, and so must
   * pages that came to hold code.
   */
  #revokeWrites(): void {
    const i64 = this.mem.host.i64, granted = this.#granted;
    if (this.#grantsOverflowed) {
      const first = TLB_BASE >> 3, end = first + TLB_MODES * (TABLE_SIZE >> 3);
      for (let e = first + (TLB_WRITE >> 3); e < end; e += TLB_ENTRY_SIZE >> 3) i64[e] = -1n;
    } else for (let i = 0; i < granted.length; i++) i64[granted[i]] = -1n;
    granted.length = 0;
    this.#grantsOverflowed = false;
  }

  #entry(pn: number, mode: number): number {
    return tlbTable(mode) + (pn & (TLB_ENTRIES - 1)) * TLB_ENTRY_SIZE;
  }

  /** The MMU mode of the code about to run: its table is emptied first if stale. */
  select(mode: number): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    if (this.#stale[mode]) this.#flushTable(mode);
  }

  #flushTable(mode: number): void {
    this.#stale[mode] = false;
    this.mem.host.i64.fill(-1n, tlbTable(mode) >> 3, (tlbTable(mode) + TABLE_SIZE) >> 3);
  }

  /**
   * Invalidates every entry: the table in use now, the others before they are
   * next used. Write tags granted in them need no revoking until then.
   */
  flushAll(): void {
    this.#stale.fill(true);
    this.#flushTable(this.#mode);
    this.#granted.length = 0;
    this.#grantsOverflowed = false;
  }

  /** Invalidates the entries that may hold page `pn`. */
  flushPage(pn: number): void {
    const i64 = this.mem.host.i64;
    for (let mode = 0; mode < TLB_MODES; mode++) {
      const e = this.#entry(pn, mode) >> 3;
      i64[e] = i64[e + 1] = i64[e + 2] = -1n;
    }
  }

  /**
   * Loads the entry for the page of `addr` from the address space into the
   * selected mode's table (after a successful slow-path access to it). MMIO
   * pages are never cached.
   */
  fill(addr: bigint): void {
    const mem = this.mem;
    const pn = Number(BigInt.asUintN(64, addr) >> 12n);
    const look = mem.probe ?? mem.resolve;
    const r = look(pn, "read");
    if (typeof r !== "string" && r.frame < 0) return; // MMIO: the other lookups would not help
    const w = look(pn, "write"), x = look(pn, "fetch");
    const page = [r, w, x].find((p) => typeof p !== "string");
    if (!page || typeof page === "string" || page.frame < 0) return;
    const base = BigInt(pn) << 12n;
    const tag = BigInt.asIntN(64, base);
    const e = this.#entry(pn, this.#mode) >> 3;
    const i64 = mem.host.i64;
    i64[e] = r === page ? tag : -1n;
    // Writes go inline only to frames already dirty (see dirty_frames.ts).
    const writable = w === page && !page.hasCode && mem.host.dirty.isDirty(page.frame);
    i64[e + 1] = writable ? tag : -1n;
    if (writable) this.#grant(e + 1);
    i64[e + 2] = x === page ? tag : -1n;
    i64[e + 3] = BigInt.asIntN(64, BigInt(page.frame) - base);
  }
}

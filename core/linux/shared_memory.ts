/**
 * MAP_SHARED memory. Each guest process has its own host memory, so a
 * shared mapping keeps its bytes in a {@linkcode SharedRegion}: a process
 * copies its pages out to the region when it stops running and in when it
 * starts (`AddressSpace.syncShared`, at every turn of the world's
 * scheduler). Processes switch only there, so every process sees the writes
 * of the others as if the pages were one. Within one process, two mappings
 * of one file page are one host frame (`GuestMemory.mapAlias`), so each
 * sees the other's stores at once. A file-backed region writes its changed
 * pages back to the file on msync, munmap, exec and exit.
 *
 * @module
 */

import { PAGE_SIZE } from "../host_memory.ts";
import type { OpenFile } from "./fds.ts";

/** The file behind a shared region, kept open while the region is mapped. */
export interface SharedBacking {
  file: OpenFile;
  /** lets the file go (it closes with its last descriptor) */
  release(): void;
}

/**
 * The bytes of MAP_SHARED memory, seen by every process that maps it: one
 * anonymous mapping's, or a file's (every shared mapping of the file, in
 * every process, is this one region; pages indexed by file offset).
 *
 * @example
 * ```ts
 * import { SharedRegion } from "./shared_memory.ts";
 * const r = new SharedRegion(0n, null);
 * r.store(0, new Uint8Array(4096).fill(7));
 * console.log(r.page(0)[0], r.dirtyPages()); // 7 1
 * ```
 */
export class SharedRegion {
  readonly #pages = new Map<number, Uint8Array>();
  #users = 0;
  readonly #dirty = new Set<number>();

  constructor(
    /** file offset of page 0 */
    readonly offset: bigint,
    /** the file written back to (a later mapping may give a writable one instead) */
    public backing: SharedBacking | null,
    /** called when the last page mapping it goes (a file's region leaves the world's list) */
    readonly onIdle?: () => void,
  ) {}

  /** Whether page `index` has been mapped (its bytes are here, maybe newer than the file's). */
  has(index: number): boolean {
    return this.#pages.has(index);
  }

  /** Sets page `index` to the file's bytes (the first mapping of it), not marking it changed. */
  fill(index: number, bytes: Uint8Array): void {
    const page = this.page(index);
    page.fill(0);
    page.set(bytes.subarray(0, PAGE_SIZE));
  }

  /** Page `index` as a new mapping of it sees it: the region's, else the file's bytes (taken as the region's). */
  load(index: number): Uint8Array {
    if (!this.has(index)) {
      const bytes = new Uint8Array(PAGE_SIZE);
      this.backing?.file.pread?.(bytes, Number(this.offset) + index * PAGE_SIZE);
      this.fill(index, bytes);
    }
    return this.page(index);
  }

  /** Stores a process's copy of page `index`, noting it changed. */
  store(index: number, page: Uint8Array): void {
    const mine = this.page(index);
    if (equalBytes(mine, page)) return;
    mine.set(page);
    this.#dirty.add(index);
  }

  /** Whether a process's copy of page `index` differs from the region's. */
  differs(index: number, page: Uint8Array): boolean {
    return !equalBytes(this.page(index), page);
  }

  /** The region's page `index` (zeros until something is stored). */
  page(index: number): Uint8Array {
    let p = this.#pages.get(index);
    if (!p) this.#pages.set(index, p = new Uint8Array(PAGE_SIZE));
    return p;
  }

  /** Pages changed since the last write-back. */
  dirtyPages(): number {
    return this.#dirty.size;
  }

  /** Writes the changed pages to the file, within its current size (a mapping never grows it). */
  writeBack(): void {
    const f = this.backing?.file;
    if (!f?.pwrite || !this.#dirty.size) return;
    const size = f.stat().size;
    for (const index of [...this.#dirty].sort((a, b) => a - b)) {
      const pos = this.offset + BigInt(index * PAGE_SIZE);
      const n = size > pos ? Number(size - pos < PAGE_SIZE ? size - pos : BigInt(PAGE_SIZE)) : 0;
      if (n) f.pwrite(this.page(index).subarray(0, n), Number(pos));
    }
    this.#dirty.clear();
  }

  /** One more page of some process maps this region. */
  addUser(): void {
    this.#users++;
  }

  /** A page mapping this region went away; the last one writes back and lets the file go. */
  removeUser(): void {
    if (--this.#users === 0) this.#idle();
  }

  /** Lets the region go if no page maps it (a mapping that failed). */
  releaseIfUnused(): void {
    if (this.#users === 0) this.#idle();
  }

  #idle(): void {
    this.writeBack();
    this.backing?.release();
    this.onIdle?.();
  }
}

/** Whether two pages hold the same bytes (both start 8-byte aligned: pages of a frame or region). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length / 8);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length / 8);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

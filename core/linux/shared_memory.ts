/**
 * MAP_SHARED memory. Each guest process has its own host memory, so a
 * shared mapping keeps its bytes in a {@linkcode SharedRegion}: a process
 * copies its pages out to the region when it stops running and in when it
 * starts (`AddressSpace.syncShared`, at every turn of the world's
 * scheduler). Processes switch only there, so every process sees the writes
 * of the others as if the pages were one. A file-backed region writes its
 * changed pages back to the file on msync, munmap, exec and exit.
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
 * The bytes of one MAP_SHARED mapping, seen by every process that maps it.
 *
 * @example
 * ```ts
 * import { SharedRegion } from "./shared_memory.ts";
 * const r = new SharedRegion(4096, 0n, null);
 * r.store(0, new Uint8Array(4096).fill(7));
 * console.log(r.bytes[0], r.dirtyPages()); // 7 1
 * ```
 */
export class SharedRegion {
  readonly bytes: Uint8Array;
  #users = 0;
  readonly #dirty = new Set<number>();

  constructor(
    size: number,
    /** file offset of the region's first byte */
    readonly offset: bigint,
    readonly backing: SharedBacking | null,
  ) {
    this.bytes = new Uint8Array(size);
  }

  /** Stores a process's copy of page `index`, noting it changed. */
  store(index: number, page: Uint8Array): void {
    const at = index * PAGE_SIZE, mine = this.bytes.subarray(at, at + PAGE_SIZE);
    if (equalBytes(mine, page)) return;
    mine.set(page);
    this.#dirty.add(index);
  }

  /** Whether a process's copy of page `index` differs from the region's. */
  differs(index: number, page: Uint8Array): boolean {
    return !equalBytes(this.page(index), page);
  }

  /** The region's page `index`. */
  page(index: number): Uint8Array {
    return this.bytes.subarray(index * PAGE_SIZE, (index + 1) * PAGE_SIZE);
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
    if (--this.#users > 0) return;
    this.writeBack();
    this.backing?.release();
  }
}

/** Whether two pages hold the same bytes (both start 8-byte aligned: pages of a frame or region). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  const x = new BigUint64Array(a.buffer, a.byteOffset, a.length / 8);
  const y = new BigUint64Array(b.buffer, b.byteOffset, b.length / 8);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

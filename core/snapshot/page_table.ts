/**
 * Snapshots of a user-mode address space: the page table (mappings and
 * permissions) and the frames behind it. A restore right after a run that
 * kept the layout copies back only the dirty frames; one after mmap, munmap,
 * mprotect or brk also rebuilds the page table, reusing every frame the
 * snapshot still owns.
 *
 * @module
 */

import type { GuestMemory, MmioHandler } from "../guest_memory.ts";
import { Perm } from "../guest_memory.ts";
import { FrameImage } from "./frames.ts";

/** One page of a saved page table. */
export interface SavedPage {
  /** host offset of the frame (-1 for MMIO) */
  frame: number;
  /** Perm bits */
  perms: number;
  /** the device, for MMIO pages */
  mmio?: MmioHandler;
  /** offset of the page inside its MMIO region */
  mmioPageOffset?: bigint;
}

/** An address space at one moment. */
export interface PageTableSnapshot {
  /** page number -> page */
  readonly pages: ReadonlyMap<number, SavedPage>;
  /** the contents of the RAM frames */
  readonly image: FrameImage;
  /** frame -> page number, for the frames the image holds */
  readonly pageOfFrame: ReadonlyMap<number, number>;
  /** `GuestMemory.layoutGeneration` at this snapshot's last clean point */
  cleanLayout: number;
}

/**
 * Saves the page table and every RAM frame of `mem`, and makes this the clean
 * point dirty tracking counts from.
 *
 * @example
 * ```ts
 * import { GuestMemory, Perm } from "../guest_memory.ts";
 * import { capturePageTable, restorePageTable } from "./page_table.ts";
 * const mem = new GuestMemory();
 * mem.map(0x10000n, 0x1000n, Perm.R | Perm.W);
 * const s = capturePageTable(mem);
 * mem.store(0x10000n, 1, 5n);
 * restorePageTable(mem, s);
 * console.log(mem.load(0x10000n, 1, false)); // 0n
 * ```
 */
export function capturePageTable(mem: GuestMemory): PageTableSnapshot {
  const pages = new Map<number, SavedPage>();
  const pageOfFrame = new Map<number, number>();
  for (const [pn, p] of mem.pages) {
    pages.set(pn, {
      frame: p.frame,
      perms: p.perms,
      mmio: p.mmio,
      mmioPageOffset: p.mmioPageOffset,
    });
    if (p.frame >= 0) pageOfFrame.set(p.frame, pn);
  }
  const image = FrameImage.capture(mem.host, pageOfFrame.keys(), earlierImage(mem));
  const s: PageTableSnapshot = { pages, image, pageOfFrame, cleanLayout: 0 };
  markClean(mem, s);
  return s;
}

/** Puts `mem` back as it was at `s` (pages, permissions, contents). */
export function restorePageTable(mem: GuestMemory, s: PageTableSnapshot): void {
  const dirty = mem.host.dirty;
  const sameBase = dirty.base === s;
  if (!sameBase || mem.layoutGeneration !== s.cleanLayout) relayout(mem, s);
  // Outside the dirty frames, memory still equals the snapshot it was last cleaned at.
  for (const f of s.image.framesToRestore(mem.host, earlierImage(mem))) {
    const pn = s.pageOfFrame.get(f);
    if (pn === undefined) continue;
    const page = mem.pages.get(pn)!;
    const changed = s.image.copyBack(mem.host, f, page.hasCode);
    // Translated code survives unless the bytes it came from differ.
    if (changed) mem.contentsReplaced(pn);
  }
  markClean(mem, s);
}

/** The image memory equals outside the dirty frames, if the last clean point was a snapshot. */
function earlierImage(mem: GuestMemory): FrameImage | undefined {
  const base = mem.host.dirty.base as PageTableSnapshot | null;
  return base && "pageOfFrame" in base ? base.image : undefined;
}

function markClean(mem: GuestMemory, s: PageTableSnapshot): void {
  mem.host.dirty.clean();
  mem.host.dirty.base = s;
  s.cleanLayout = mem.layoutGeneration;
}

/** Rebuilds the page table of `s`, dropping translations of pages that changed. */
function relayout(mem: GuestMemory, s: PageTableSnapshot): void {
  const host = mem.host;
  const owned = new Set(s.pageOfFrame.keys()), freed = new Set<number>();
  for (const [pn, p] of [...mem.pages]) {
    const want = s.pages.get(pn);
    if (want && want.frame === p.frame && want.mmio === p.mmio) {
      if (!(want.perms & Perm.X)) mem.contentsReplaced(pn);
      p.perms = want.perms;
      continue;
    }
    mem.contentsReplaced(pn);
    mem.pages.delete(pn);
    if (p.frame >= 0 && !owned.has(p.frame) && !freed.has(p.frame)) {
      host.freeFrame(p.frame);
      freed.add(p.frame); // a frame two pages mapped (mapAlias) is freed once
    }
  }
  host.reclaimFrames(owned);
  for (const [pn, want] of s.pages) {
    if (!mem.pages.has(pn)) mem.pages.set(pn, { ...want, hasCode: false });
  }
  mem.reindexMapped();
  mem.layoutGeneration++;
  mem.flushTranslations();
}

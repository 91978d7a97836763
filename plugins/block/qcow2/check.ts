/**
 * `check` for qcow2: counts every reference to every host cluster (header,
 * L1 and L2 tables of the image and of its snapshots, data and compressed
 * clusters, the refcount structures themselves) and compares the counts with
 * the stored refcounts, as QEMU's qcow2_check_refcounts does, in its wording:
 * "Leaked cluster N refcount=R reference=F", "ERROR cluster N ...".
 *
 * Repairs set the stored refcount to the counted one. New refcount blocks a
 * repair needs go past the end of the file, where no data can be.
 *
 * @module
 */

import type { CheckResult } from "../../../plugin.ts";
import { be64, HeaderField, Incompat } from "./header.ts";
import type { Qcow2Image } from "./image.ts";
import { compressedClusters, decodeEntry } from "./l2.ts";
import { entryAt } from "./refcount.ts";
import { readSnapshots, snapshotTableEnd } from "./snapshot.ts";

/** Counted references, and what the walk found on the way. */
class Census {
  readonly refs = new Map<number, number>();
  readonly stats = { allocated: 0, fragmented: 0, compressed: 0, errors: 0 };
  #nextContiguous = 0;

  constructor(readonly img: Qcow2Image, readonly log: (line: string) => void) {}

  /** Counts one reference to each of `n` clusters from host offset `offset`. */
  add(offset: number, n: number, what: string, bytes = n * this.img.clusterSize): void {
    const cs = this.img.clusterSize;
    if (offset % cs && what !== "compressed") {
      this.log(
        `ERROR ${what} offset=${
          offset.toString(16)
        }: Cluster is not properly aligned; L2 entry corrupted.`,
      );
      this.stats.errors++;
      return;
    }
    // As QEMU: the last cluster may be partly past the end of the file, no more (a reference far
    // past it would also make the refcount comparison walk billions of clusters).
    if (offset + bytes - this.img.file.size >= cs) {
      this.log(
        `ERROR: counting reference for region exceeding the end of the file by one cluster or more: offset 0x${
          offset.toString(16)
        } size 0x${bytes.toString(16)}`,
      );
      this.stats.errors++;
      return;
    }
    for (let c = Math.floor(offset / cs); c < Math.floor(offset / cs) + n; c++) {
      this.refs.set(c, (this.refs.get(c) ?? 0) + 1);
    }
  }

  /** Walks one L1 table (the active one or a snapshot's). */
  l1(offset: number, size: number, active: boolean): void {
    const img = this.img, cs = img.clusterSize;
    this.add(offset, Math.ceil((size * 8) / cs), "L1 table", size * 8);
    const raw = img.file.read(offset, size * 8);
    for (let i = 0; i < size; i++) {
      const e = entryAt(raw, i * 8), l2 = e - (e % 512);
      if (!l2) continue;
      this.add(l2, 1, "L2 table");
      if (l2 >= img.file.size) {
        this.log(`ERROR l2_offset=${l2.toString(16)}: L2 table is past the end of the file`);
        this.stats.errors++;
        continue;
      }
      this.l2(img.file.read(l2, cs), active);
    }
  }

  l2(table: Uint8Array, active: boolean): void {
    const cs = this.img.clusterSize;
    this.#nextContiguous = 0; // QEMU counts fragmentation within each L2 table
    for (let at = 0; at < table.length; at += 8) {
      const m = decodeEntry(table, at, this.img.clusterBits);
      if (m.kind === "compressed") {
        const [first, n] = compressedClusters(m, cs);
        this.add(first, n, "compressed");
        if (!active) continue;
        this.stats.allocated++;
        this.stats.compressed++;
        this.stats.fragmented++;
      } else if (m.host) {
        this.add(m.host, 1, "L2 entry");
        if (!active || m.kind !== "data") continue;
        this.stats.allocated++;
        if (this.#nextContiguous && m.host !== this.#nextContiguous) this.stats.fragmented++;
        this.#nextContiguous = m.host + cs;
      }
    }
  }
}

/** Checks (and with `repair`, fixes) the refcounts of `img`. */
export function checkQcow2(
  img: Qcow2Image,
  repair: "leaks" | "all" | undefined,
  log: (line: string) => void,
): CheckResult {
  const census = countReferences(img, log);
  const rc = img.refcounts, cs = img.clusterSize;
  const fileClusters = Math.ceil(img.file.size / cs);
  const result: CheckResult = {
    corruptions: census.stats.errors,
    leaks: 0,
    checkErrors: 0,
    corruptionsFixed: 0,
    leaksFixed: 0,
    imageEndOffset: 0,
    totalClusters: Math.ceil(img.size / cs),
    allocatedClusters: census.stats.allocated,
    fragmentedClusters: census.stats.fragmented,
    compressedClusters: census.stats.compressed,
  };
  // As QEMU: stored refcounts past the end of the file are not looked at.
  let last = fileClusters - 1;
  for (const c of census.refs.keys()) last = Math.max(last, c);
  if (repair) rc.searchFrom(last + 1);
  let highest = -1;
  const fixes: [number, number][] = [];
  for (let c = 0; c <= last; c++) {
    const stored = c < rc.table.length * rc.perBlock ? rc.get(c) : 0,
      counted = census.refs.get(c) ?? 0;
    if (stored || counted) highest = c;
    if (stored === counted) continue;
    const fixable = stored > counted ? repair !== undefined : repair === "all";
    const word = fixable ? "Repairing" : stored < counted ? "ERROR" : "Leaked";
    log(`${word} cluster ${c} refcount=${stored} reference=${counted}`);
    if (fixable) fixes.push([c, counted]);
    const key = stored < counted
      ? (fixable ? "corruptionsFixed" : "corruptions")
      : (fixable ? "leaksFixed" : "leaks");
    result[key]++;
  }
  for (const [c, counted] of fixes) rc.set(c, counted);
  const flags = checkCopiedFlags(img, repair === "all", log);
  result[repair === "all" ? "corruptionsFixed" : "corruptions"] += flags;
  if (
    repair && img.header.incompatible & (Incompat.DIRTY | Incompat.CORRUPT) && !result.corruptions
  ) {
    img.header.incompatible &= ~(Incompat.DIRTY | Incompat.CORRUPT);
    img.file.write(HeaderField.INCOMPAT, be64(img.header.incompatible));
  }
  result.imageEndOffset = (highest + 1) * cs;
  return result;
}

/**
 * Compares the COPIED flag of each active L1 and L2 entry with its cluster's
 * refcount (set exactly when the refcount is 1); with `fix`, rewrites the
 * entries that disagree. Returns the number of mismatches.
 */
function checkCopiedFlags(img: Qcow2Image, fix: boolean, log: (line: string) => void): number {
  const rc = img.refcounts, cs = img.clusterSize, h = img.header;
  let mismatches = 0;
  const verdict = (at: number, what: string, entry: Uint8Array, clusterOffset: number) => {
    const refcount = rc.get(Math.floor(clusterOffset / cs)); // as QEMU: offset >> cluster_bits
    if ((refcount === 1) === ((entry[0] & 0x80) !== 0)) return false;
    const hex = new DataView(entry.buffer, entry.byteOffset).getBigUint64(0).toString(16);
    log(`${fix ? "Repairing" : "ERROR"} OFLAG_COPIED ${what}=${hex} refcount=${refcount}`);
    mismatches++;
    if (fix) {
      entry[0] = refcount === 1 ? entry[0] | 0x80 : entry[0] & 0x7f;
      img.file.write(at, entry);
    }
    return true;
  };
  const l1 = img.file.read(h.l1TableOffset, h.l1Size * 8);
  for (let i = 0; i < h.l1Size; i++) {
    const e = entryAt(l1, i * 8), l2 = e - (e % 512);
    if (!l2 || l2 + cs > img.file.size) continue;
    const entry = l1.slice(i * 8, i * 8 + 8);
    verdict(h.l1TableOffset + i * 8, `L2 cluster: l1_index=${i} l1_entry`, entry, l2);
    const table = img.file.read(l2, cs);
    for (let at = 0; at < cs; at += 8) {
      const m = decodeEntry(table, at, img.clusterBits);
      if (m.kind !== "data" && !(m.kind === "zero" && m.host)) continue;
      verdict(l2 + at, "data cluster: l2_entry", table.slice(at, at + 8), m.host);
    }
  }
  if (fix && mismatches) img.reload();
  return mismatches;
}

function countReferences(img: Qcow2Image, log: (line: string) => void): Census {
  const census = new Census(img, log);
  const h = img.header, rc = img.refcounts, cs = img.clusterSize;
  census.add(0, 1, "header");
  census.l1(h.l1TableOffset, h.l1Size, true);
  if (h.nbSnapshots) {
    const snaps = readSnapshots(img.file, h.snapshotsOffset, h.nbSnapshots);
    const end = snapshotTableEnd(img.file, h.snapshotsOffset, h.nbSnapshots);
    census.add(h.snapshotsOffset, Math.ceil((end - h.snapshotsOffset) / cs), "snapshot table");
    for (const s of snaps) census.l1(s.l1TableOffset, s.l1Size, false);
  }
  census.add(rc.tableOffset, rc.tableClusters, "refcount table");
  for (const b of rc.table) if (b) census.add(b, 1, "refcount block");
  return census;
}

/**
 * `check -r all` on broken refcount structures: a new refcount table and new
 * refcount blocks written from the counted references alone, as QEMU's
 * `rebuild_refcount_structure` does and in its layout, so that the double
 * check and `qemu-img check` see the same image. The old structures are
 * left behind as leaks, which the caller then repairs.
 *
 * Each refblock goes in the first free cluster (by the counts) of the range
 * it covers or later; the table goes in the first run of free clusters big
 * enough; when placing the table needs more refblocks, the table grows and is
 * placed again.
 *
 * @module
 */

import { CheckAborted, type Imrt, refuseOverlap } from "./check_walk.ts";
import { be64, HeaderField, serializeHeader } from "./header.ts";
import type { Qcow2Image } from "./image.ts";
import { writeRefcount } from "./refcount.ts";

/** The refblock offsets of the table being built (0: none). */
type Reftable = number[];

/** Marks `count` free clusters used, from cluster `from.at` on; their first index (alloc_clusters_imrt). */
function allocInImrt(imrt: Imrt, count: number, from: { at: number }): number {
  let cluster = from.at, free = 0, firstGap = true;
  for (; cluster < imrt.size && free < count; cluster++) {
    if (imrt.get(cluster)) {
      free = 0;
      continue;
    }
    free++;
    if (firstGap) [from.at, firstGap] = [cluster, false];
  }
  if (free < count) imrt.ensure(cluster + count - free);
  const first = cluster - free;
  for (let i = 0; i < count; i++) imrt.set(first + i, 1);
  return first;
}

/**
 * Writes the refblocks covering the counted clusters in [first, end); returns
 * true if the table had to grow (rebuild_refcounts_write_refblocks).
 */
function writeRefblocks(
  img: Qcow2Image,
  imrt: Imrt,
  table: Reftable,
  [first, end]: [number, number],
  bits: number,
  log: Log,
) {
  const cs = img.clusterSize, perBlock = (cs * 8) / bits;
  let grown = false;
  const free = { at: 0 };
  for (let cluster = first; cluster < end; cluster++) {
    if (!imrt.get(cluster)) continue;
    const bi = Math.floor(cluster / perBlock), blockStart = bi * perBlock;
    if (!table[bi]) {
      free.at = Math.max(free.at, blockStart);
      const at = allocInImrt(imrt, 1, free);
      end = Math.max(end, at + 1);
      if (table.length <= bi) {
        const entries = Math.ceil(((bi + 1) * 8) / cs) * (cs / 8);
        while (table.length < entries) table.push(0);
        grown = true;
      }
      table[bi] = at * cs;
    }
    const block = new Uint8Array(cs);
    for (let i = 0; i < perBlock; i++) {
      const n = imrt.get(blockStart + i);
      if (n) writeRefcount(block, i, bits, n);
    }
    writeChecked(img, table[bi], block, "refblock", log);
    cluster = blockStart + perBlock - 1;
  }
  return grown;
}

/**
 * Writes `data` at `offset` unless it would overwrite metadata the old
 * structures point to: then the check fails, as in QEMU.
 */
function writeChecked(img: Qcow2Image, offset: number, data: Uint8Array, what: string, log: Log) {
  if (refuseOverlap(img, offset, data.length, log)) {
    log(`qemu-img: ERROR writing ${what}: Input/output error`);
    throw new CheckAborted("Input/output error");
  }
  img.file.write(offset, data);
}

/** Where check messages go. */
type Log = (line: string) => void;

/**
 * Replaces the refcount structures of `img` with ones built from `imrt`,
 * of `2^order` bits a refcount (amend's refcount_bits; the image's own by
 * default). The header switches to them in one write.
 */
export function rebuildRefcounts(
  img: Qcow2Image,
  imrt: Imrt,
  log: Log,
  order = img.header.refcountOrder,
): void {
  const cs = img.clusterSize, table: Reftable = [], bits = 1 << order;
  writeRefblocks(img, imrt, table, [0, imrt.size], bits, log);
  let tableAt: number, tableClusters: number;
  do {
    tableClusters = Math.ceil((table.length * 8) / cs);
    tableAt = allocInImrt(imrt, tableClusters, { at: 0 });
  } while (writeRefblocks(img, imrt, table, [tableAt, tableAt + tableClusters], bits, log));
  const raw = new Uint8Array(table.length * 8);
  table.forEach((offset, i) => raw.set(be64(offset), i * 8));
  writeChecked(img, tableAt * cs, raw, "reftable", log);
  const h = img.header;
  [h.refcountTableOffset, h.refcountTableClusters, h.refcountOrder] = [
    tableAt * cs,
    tableClusters,
    order,
  ];
  // the table's offset and size, and in version 3 the refcount order, in one write
  const end = h.version === 3 ? HeaderField.REFCOUNT_ORDER + 4 : HeaderField.REFTABLE_OFFSET + 12;
  img.file.write(
    HeaderField.REFTABLE_OFFSET,
    serializeHeader({ ...h }).subarray(HeaderField.REFTABLE_OFFSET, end),
  );
  img.refcounts.replaceTable(tableAt * cs, tableClusters, order);
}

/**
 * Growing a qcow2 image with `preallocation=falloc` or `full`, in QEMU's
 * layout (qcow2_co_truncate): first a refcount area past the last cluster in
 * use (the refcount blocks the growth needs, then a new refcount table; the
 * old table is freed), then the guest's new clusters in one run after it
 * (reserved or written as zeros), and last their L2 tables, allocated as
 * usual: the first in the old table's place, the others past the data.
 *
 * @module
 */

import { EmuError } from "../../../plugin_block.ts";
import { be64, HeaderField } from "./header.ts";
import type { Qcow2Image } from "./image.ts";
import { writeRefcount } from "./refcount.ts";

/**
 * The refcount blocks needed to count `clusters` clusters and the refcount
 * structures themselves (QEMU's qcow2_refcount_metadata_size, exact).
 */
function refblocksFor(clusters: number, cs: number, perBlock: number): number {
  let table = 0, blocks = 0, n = 0, last;
  do {
    last = n;
    blocks = Math.ceil((clusters + table + blocks) / perBlock);
    table = Math.ceil(blocks / (cs / 8));
    n = clusters + blocks + table;
  } while (n !== last);
  return blocks;
}

/**
 * Writes a refcount area at cluster-aligned `start` that can count
 * `additional` more clusters past it (QEMU's qcow2_refcount_area with an
 * exact size): the new refcount blocks, then the new table, each counted
 * once; the header switches to the table and the old one is freed. Returns
 * where the area ends.
 */
function refcountArea(img: Qcow2Image, start: number, additional: number): number {
  const rc = img.refcounts, cs = img.clusterSize;
  const total = refblocksFor(start / cs + additional, cs, rc.perBlock);
  const first = Math.floor(start / cs / rc.perBlock);
  const tableClusters = Math.ceil(total / (cs / 8));
  const table = Array.from({ length: tableClusters * (cs / 8) }, (_, i) => rc.table[i] ?? 0);
  let fresh = 0;
  for (let i = first; i < total; i++) if (!table[i]) fresh++;
  const tableOffset = start + fresh * cs, end = tableOffset + tableClusters * cs;
  let blockOffset = start;
  for (let i = first; i < total; i++) {
    const block = table[i] ? img.file.read(table[i], cs) : new Uint8Array(cs);
    if (!table[i]) [table[i], blockOffset] = [blockOffset, blockOffset + cs];
    const covered = i * rc.perBlock * cs;
    const from = Math.max(0, (start - covered) / cs);
    const to = Math.min((end - covered) / cs, rc.perBlock);
    for (let j = from; j < to; j++) writeRefcount(block, j, rc.bits, 1);
    img.file.write(table[i], block);
  }
  const raw = new Uint8Array(tableClusters * cs);
  table.forEach((o, i) => raw.set(be64(o), i * 8));
  img.file.write(tableOffset, raw);
  const h = new Uint8Array(12);
  h.set(be64(tableOffset));
  new DataView(h.buffer).setUint32(8, tableClusters);
  img.file.write(HeaderField.REFTABLE_OFFSET, h);
  const [oldOffset, oldClusters] = [rc.tableOffset, rc.tableClusters];
  [img.header.refcountTableOffset, img.header.refcountTableClusters] = [tableOffset, tableClusters];
  rc.replaceTable(tableOffset, tableClusters, Math.log2(rc.bits));
  rc.update(oldOffset, oldClusters, -1);
  return end;
}

/** The first guest cluster a growth from `oldSize` allocates: the one holding its end if unmapped. */
function firstNewCluster(img: Qcow2Image, oldSize: number): number {
  const first = Math.floor(oldSize / img.clusterSize);
  return oldSize % img.clusterSize && img.lookup(first).host ? first + 1 : first;
}

/**
 * Maps new clusters [first, end) with `link`; what the guest reads in them
 * before `oldSize` and from `newSize` on (the backing file's bytes, else
 * zeros, past the disk's end too) is copied into them, as QEMU's
 * copy-on-write of an allocation's head and tail writes it.
 */
function keepingEdges(
  img: Qcow2Image,
  [oldSize, newSize]: [number, number],
  [first, end]: [number, number],
  link: () => void,
): void {
  const cs = img.clusterSize, start = first * cs, stop = end * cs;
  const head = start < oldSize ? img.readForCopy(start, oldSize - start) : undefined;
  const tail = newSize < stop ? img.readForCopy(newSize, stop - newSize) : undefined;
  link();
  if (head) img.file.write(img.lookup(first).host, head);
  if (tail) img.file.write(img.lookup(end - 1).host + newSize % cs, tail);
}

/**
 * Maps the guest clusters from `oldSize` (a cluster that holds its last
 * bytes is kept) to `newSize` to one run of new host clusters, reserved
 * (`falloc`) or written as zeros (`full`), as qemu-img's falloc and full.
 */
export function preallocateData(img: Qcow2Image, oldSize: number, newSize: number, full: boolean) {
  const cs = img.clusterSize, guest = firstNewCluster(img, oldSize);
  const clusters = Math.ceil(newSize / cs) - guest;
  if (clusters <= 0) return;
  const l2Tables = Math.ceil(clusters / img.l2Entries) + 1; // one more for an unaligned head
  const used = (img.refcounts.lastUsed() + 1) * cs;
  const dataStart = refcountArea(img, used, clusters + l2Tables);
  const dataEnd = dataStart + clusters * cs;
  try {
    if (full) img.file.fillZeros(img.file.size, dataEnd);
    else img.file.allocate(img.file.size, dataEnd);
  } catch (e) {
    if (!(e instanceof EmuError)) throw e;
    throw new EmuError(`Failed to resize underlying file: ${e.message}`, e.hint);
  }
  img.refcounts.setRun(dataStart / cs, clusters, 1);
  // the head only: QEMU's falloc and full leave what lies past the new end as they made it
  keepingEdges(
    img,
    [oldSize, (guest + clusters) * cs],
    [guest, guest + clusters],
    () =>
      eachTable(img, guest, guest + clusters, (index, n) => {
        img.linkRun(index, n, dataStart + (index - guest) * cs);
      }),
  );
}

/**
 * Maps the guest clusters from `oldSize` to `newSize` as `metadata` does:
 * for each L2 table, the table, then one run of host clusters after it
 * (the file grows over them, a hole).
 */
export function preallocateMetadata(img: Qcow2Image, oldSize: number, newSize: number): void {
  const first = firstNewCluster(img, oldSize), end = Math.ceil(newSize / img.clusterSize);
  keepingEdges(
    img,
    [oldSize, newSize],
    [first, end],
    () =>
      eachTable(img, first, end, (index, n) => {
        const runEnd = img.linkRun(index, n) + n * img.clusterSize;
        if (runEnd > img.file.size && !img.dataFile) img.file.truncate(runEnd);
      }),
  );
}

/** Calls `f` for each part of guest clusters [first, end) that one L2 table maps. */
function eachTable(
  img: Qcow2Image,
  first: number,
  end: number,
  f: (index: number, n: number) => void,
): void {
  for (let index = first; index < end;) {
    const n = Math.min(end, (Math.floor(index / img.l2Entries) + 1) * img.l2Entries) - index;
    f(index, n);
    index += n;
  }
}

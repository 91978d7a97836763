/**
 * Emptying a qcow2 image after `commit`, as QEMU's qcow2_make_empty: an
 * image without snapshots or extras is reset to a new image's layout (header,
 * refcount table, one refcount block, the zeroed L1 table, and the file cut
 * after it); any other has every cluster discarded.
 *
 * @module
 */

import { be64, HeaderField } from "./header.ts";
import type { Qcow2Image } from "./image.ts";

/** The clusters of `img`'s L1 table. */
function l1Clusters(img: Qcow2Image): number {
  return Math.ceil((img.header.l1Size * 8) / img.clusterSize);
}

/**
 * Whether `img` can be reset to a new image's layout (QEMU's condition for
 * make_completely_empty: version 3, no snapshots, no extensions that own
 * clusters, and the first clusters fit in one refcount block).
 */
export function canEmptyCompletely(img: Qcow2Image): boolean {
  const h = img.header;
  return h.version === 3 && !h.nbSnapshots && !h.otherExtensions.length &&
    3 + l1Clusters(img) <= img.refcounts.perBlock;
}

/**
 * Resets `img` to header, refcount table (cluster 1), refcount block
 * (cluster 2) and a zeroed L1 table (cluster 3 on), in QEMU's order.
 */
export function emptyCompletely(img: Qcow2Image): void {
  const cs = img.clusterSize;
  const n = l1Clusters(img);
  const end = (3 + n) * cs;
  if (img.header.l1TableOffset < end) {
    img.file.write(img.header.l1TableOffset, new Uint8Array(n * cs));
  }
  img.file.write(cs, new Uint8Array((2 + n) * cs));
  const fields = new Uint8Array(20); // the L1 offset, the refcount table's offset and clusters
  fields.set(be64(3 * cs), 0);
  fields.set(be64(cs), 8);
  new DataView(fields.buffer).setUint32(16, 1);
  img.file.write(HeaderField.L1_OFFSET, fields);
  img.file.write(cs, be64(2 * cs));
  Object.assign(img.header, {
    l1TableOffset: 3 * cs,
    refcountTableOffset: cs,
    refcountTableClusters: 1,
  });
  img.refcounts.replaceTable(cs, 1, img.header.refcountOrder);
  for (let c = 0; c < 3 + n; c++) img.refcounts.set(c, 1);
  img.file.truncate(end);
  img.reload();
}

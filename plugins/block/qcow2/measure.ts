/**
 * `emu img measure -O qcow2`: the file size a qcow2 image needs, computed as
 * QEMU's qcow2_measure does (header, L1 and L2 tables and refcount metadata
 * for the fully allocated image, then only the clusters the source holds).
 *
 * @module
 */

import { type BlockDriver, type BlockMeasure, keySecret } from "../../../plugin_block.ts";
import { qcow2Settings } from "./create.ts";
import { Qcow2Image } from "./image.ts";
import { luksCreateSpec, luksOptions, luksPayloadOffset } from "../luks/luks_create.ts";

const divUp = (a: number, b: number) => Math.ceil(a / b);
const roundUp = (a: number, b: number) => divUp(a, b) * b;

/**
 * Refcount table and block bytes needed to count `clusters` clusters and
 * themselves: the fixed point where no more refcount clusters are needed.
 */
export function refcountMetadataSize(clusters: number, cs: number, refcountOrder: number): number {
  const perBlock = (cs * 8) / 2 ** refcountOrder;
  let table = 0, blocks = 0, n = 0, last;
  do {
    last = n;
    blocks = divUp(clusters + table + blocks, perBlock);
    table = divUp(blocks, cs / 8);
    n = clusters + blocks + table;
  } while (n !== last);
  return (blocks + table) * cs;
}

/**
 * The size of a fully allocated image of `size` bytes: one header cluster,
 * every L2 table, the L1 table and the refcounts of all of them.
 */
export function fullyAllocatedSize(size: number, cs: number, refcountOrder: number): number {
  const aligned = roundUp(size, cs);
  const l2Entries = roundUp(aligned / cs, cs / 8);
  const l1Entries = roundUp((l2Entries * 8) / cs, cs / 8);
  const meta = cs + l2Entries * 8 + l1Entries * 8;
  return meta + refcountMetadataSize((meta + aligned) / cs, cs, refcountOrder) + aligned;
}

/** Bytes of whole clusters of `source` that hold data (zero runs are skipped). */
function dataClusterBytes(source: BlockDriver, cs: number): number {
  let required = 0;
  for (let pos = 0; pos < source.size;) {
    const ext = source.status(pos, source.size - pos);
    let n = Math.max(1, ext.length);
    if (!ext.zero && ext.data) {
      n = roundUp(pos + n, cs) - pos;
      required += (pos % cs) + n;
    }
    pos += n;
  }
  return required;
}

/**
 * Measures a qcow2 image for `-o` options `o` and virtual size `size`, or
 * for the contents of `source`.
 *
 * @example
 * ```ts
 * import { measureQcow2 } from "./measure.ts";
 * console.log(measureQcow2({}, 1 << 30)); // { required: 393216, fullyAllocated: 1074135040 }
 * ```
 */
export function measureQcow2(
  o: Record<string, string>,
  size: number,
  source?: BlockDriver,
): BlockMeasure {
  const s = qcow2Settings(o);
  const cs = 2 ** s.clusterBits;
  const virtualSize = roundUp(source?.size ?? size, cs);
  let required = 0;
  if (source) required = o.backing_file ? virtualSize : dataClusterBytes(source, cs);
  if (s.preallocation === "full" || s.preallocation === "falloc") required = virtualSize;
  // a LUKS header's clusters, as QEMU counts them (once it has the key)
  let luks = 0;
  if (o["encrypt.format"] === "luks") {
    keySecret(o["encrypt.key-secret"], "encrypt.key-secret");
    luks = roundUp(luksPayloadOffset(luksCreateSpec(luksOptions(o)).keyBytes), cs);
  }
  const fullyAllocated = fullyAllocatedSize(virtualSize, cs, s.refcountOrder) + luks;
  const result: BlockMeasure = {
    required: fullyAllocated - virtualSize + required,
    fullyAllocated,
  };
  if (s.version >= 3 && source instanceof Qcow2Image && source.header.version >= 3) {
    result.bitmaps = 0; // persistent dirty bitmaps are not kept
  }
  return result;
}

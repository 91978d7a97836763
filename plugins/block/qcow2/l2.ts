/**
 * qcow2 L1 and L2 entries: decoding the two-level map from guest clusters to
 * host clusters (standard, zero and compressed entries) and encoding new ones.
 *
 * @module
 */

/** What an L2 entry says about one guest cluster. */
export type ClusterKind = "unallocated" | "zero" | "data" | "compressed";

/** A decoded L2 entry. */
export interface ClusterMapping {
  kind: ClusterKind;
  /** host offset of the data (for compressed data: its first byte) */
  host: number;
  /** the cluster is referenced once, so it may be written in place (QCOW_OFLAG_COPIED) */
  copied: boolean;
  /** compressed bytes to read (compressed clusters only) */
  compressedSize: number;
}

const COPIED = 0x80000000, COMPRESSED = 0x40000000;

/** Decodes the standard entry at byte `at` of `table` (an L1 or L2 table). */
export function decodeEntry(table: Uint8Array, at: number, clusterBits: number): ClusterMapping {
  // bytes, not a DataView: a DataView per entry was most of a status walk's time
  const hi = ((table[at] << 24) | (table[at + 1] << 16) | (table[at + 2] << 8) | table[at + 3]) >>>
    0;
  const lo =
    ((table[at + 4] << 24) | (table[at + 5] << 16) | (table[at + 6] << 8) | table[at + 7]) >>> 0;
  if (hi & COMPRESSED) return decodeCompressed(hi, lo, clusterBits);
  const host = (hi & 0xffffff) * 0x100000000 + ((lo & 0xfffffe00) >>> 0);
  const copied = (hi & COPIED) !== 0;
  if (lo & 1) return { kind: "zero", host, copied, compressedSize: 0 };
  return { kind: host ? "data" : "unallocated", host, copied, compressedSize: 0 };
}

function decodeCompressed(hi: number, lo: number, clusterBits: number): ClusterMapping {
  const raw = (BigInt(hi & 0x3fffffff) << 32n) | BigInt(lo >>> 0);
  const x = BigInt(62 - (clusterBits - 8));
  const host = Number(raw & ((1n << x) - 1n));
  const sectors = Number(raw >> x) + 1;
  return { kind: "compressed", host, copied: false, compressedSize: sectors * 512 - (host & 511) };
}

/** Encodes a standard entry (data or zero) at byte `at` of `table`. */
export function encodeEntry(
  table: Uint8Array,
  at: number,
  host: number,
  flags: { copied: boolean; zero?: boolean },
): void {
  const v = new DataView(table.buffer, table.byteOffset);
  v.setUint32(at, (flags.copied ? COPIED : 0) | Math.floor(host / 0x100000000));
  v.setUint32(at + 4, ((host >>> 0) | (flags.zero ? 1 : 0)) >>> 0);
}

/** Encodes a compressed-cluster entry for `size` bytes at `host`. */
export function encodeCompressed(
  table: Uint8Array,
  at: number,
  host: number,
  size: number,
  clusterBits: number,
): void {
  const x = BigInt(62 - (clusterBits - 8));
  const extraSectors = BigInt(Math.floor((host + size - 1) / 512) - Math.floor(host / 512));
  const raw = (1n << 62n) | (extraSectors << x) | BigInt(host);
  new DataView(table.buffer, table.byteOffset).setBigUint64(at, raw);
}

/** Host clusters touched by a compressed cluster's bytes, as [first offset, count]. */
export function compressedClusters(m: ClusterMapping, clusterSize: number): [number, number] {
  const first = m.host - (m.host % clusterSize);
  const last = Math.floor((m.host + m.compressedSize - 1) / clusterSize) * clusterSize;
  return [first, (last - first) / clusterSize + 1];
}

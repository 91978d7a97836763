/**
 * The qcow2 header and its extensions (QEMU's docs/interop/qcow2.txt), and
 * writing them back; `open_header.ts` reads and checks them.
 *
 * All fields are big-endian. Versions 2 and 3 are read; version 3 adds the
 * feature bits, `refcount_order` and the header length.
 *
 * @module
 */

import { concatBytes, EmuError } from "../../../plugin_block.ts";

/** "QFI\xfb" */
export const QCOW2_MAGIC = 0x514649fb;
/** Incompatible feature bits. */
export const Incompat = { DIRTY: 1, CORRUPT: 2, DATA_FILE: 4, COMPRESSION: 8, EXTL2: 16 } as const;
/** Compatible feature bits. */
export const Compat = { LAZY_REFCOUNTS: 1 } as const;
/** Autoclear feature bits. */
export const Autoclear = { DATA_FILE_RAW: 2 } as const;
/** Header extension types. */
export const Ext = {
  END: 0,
  BACKING_FORMAT: 0xe2792aca,
  FEATURE_TABLE: 0x6803f857,
  BITMAPS: 0x23852875,
  ENCRYPTION: 0x0537be77,
  DATA_FILE: 0x44415441,
} as const;
/** Length of a version 3 header as QEMU writes it (with the compression type byte). */
export const V3_HEADER_LENGTH = 112;
/** The largest refcount table QEMU accepts (8 MiB). */
export const MAX_REFTABLE_BYTES = 8 << 20;

/** A parsed qcow2 header. */
export interface Qcow2Header {
  version: 2 | 3;
  backingFileOffset: number;
  backingFileSize: number;
  clusterBits: number;
  size: number;
  cryptMethod: number;
  l1Size: number;
  l1TableOffset: number;
  refcountTableOffset: number;
  refcountTableClusters: number;
  nbSnapshots: number;
  snapshotsOffset: number;
  incompatible: number;
  compatible: number;
  autoclear: number;
  refcountOrder: number;
  headerLength: number;
  compressionType: number;
  /** backing file name (from the header's backing file offset) */
  backingFile?: string;
  /** the backing format extension */
  backingFormat?: string;
  /** where the LUKS header of an encrypted image is (the encryption extension) */
  crypto?: { offset: number; length: number };
  /** the external data file's name (the data file extension) */
  dataFile?: string;
  /** extensions this code does not interpret, kept as they are */
  otherExtensions: { type: number; data: Uint8Array }[];
}

function setU64(v: DataView, at: number, n: number): void {
  v.setUint32(at, Math.floor(n / 0x100000000));
  v.setUint32(at + 4, n >>> 0);
}

/** The feature name table QEMU writes, so that other tools can name the bits. */
function featureTable(): Uint8Array {
  const rows: [number, number, string][] = [
    [0, 0, "dirty bit"],
    [0, 1, "corrupt bit"],
    [0, 2, "external data file"],
    [0, 3, "compression type"],
    [0, 4, "extended L2 entries"],
    [1, 0, "lazy refcounts"],
    [2, 0, "bitmaps"],
    [2, 1, "raw external data"],
  ];
  const out = new Uint8Array(rows.length * 48);
  rows.forEach(([type, bit, name], i) => {
    out[i * 48] = type;
    out[i * 48 + 1] = bit;
    out.set(new TextEncoder().encode(name), i * 48 + 2);
  });
  return out;
}

/**
 * Encodes `h` with its extensions and backing file name; the result must fit
 * in the first cluster. Sets `h.backingFileOffset`/`Size`.
 */
export function serializeHeader(h: Qcow2Header): Uint8Array {
  const cs = 2 ** h.clusterBits;
  const enc = new TextEncoder();
  const exts: { type: number; data: Uint8Array }[] = [];
  if (h.backingFormat) exts.push({ type: Ext.BACKING_FORMAT, data: enc.encode(h.backingFormat) });
  // in QEMU's order: the LUKS header's place, the data file's name, the feature names
  if (h.crypto) {
    exts.push({
      type: Ext.ENCRYPTION,
      data: concatBytes([be64(h.crypto.offset), be64(h.crypto.length)]),
    });
  }
  if (h.dataFile !== undefined) exts.push({ type: Ext.DATA_FILE, data: enc.encode(h.dataFile) });
  // as QEMU: no feature name table in clusters of 4 KiB or less (it would crowd out the rest)
  if (h.version === 3 && cs > 4096) exts.push({ type: Ext.FEATURE_TABLE, data: featureTable() });
  exts.push(...h.otherExtensions);
  const headerLength = h.version === 3 ? Math.max(h.headerLength, V3_HEADER_LENGTH) : 72;
  let extBytes = 8;
  for (const e of exts) extBytes += 8 + ((e.data.length + 7) & ~7);
  const name = h.backingFile ? enc.encode(h.backingFile) : new Uint8Array(0);
  const total = headerLength + extBytes + name.length;
  if (total > cs) {
    throw new EmuError("qcow2 header does not fit in one cluster", "use a larger cluster_size");
  }
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  h.backingFileOffset = name.length ? headerLength + extBytes : 0;
  h.backingFileSize = name.length;
  h.headerLength = headerLength;
  v.setUint32(0, QCOW2_MAGIC);
  v.setUint32(4, h.version);
  setU64(v, 8, h.backingFileOffset);
  v.setUint32(16, h.backingFileSize);
  v.setUint32(20, h.clusterBits);
  setU64(v, 24, h.size);
  v.setUint32(32, h.cryptMethod);
  v.setUint32(36, h.l1Size);
  setU64(v, 40, h.l1TableOffset);
  setU64(v, 48, h.refcountTableOffset);
  v.setUint32(56, h.refcountTableClusters);
  v.setUint32(60, h.nbSnapshots);
  setU64(v, 64, h.snapshotsOffset);
  if (h.version === 3) {
    setU64(v, 72, h.incompatible);
    setU64(v, 80, h.compatible);
    setU64(v, 88, h.autoclear);
    v.setUint32(96, h.refcountOrder);
    v.setUint32(100, headerLength);
    v.setUint8(104, h.compressionType);
  }
  let at = headerLength;
  for (const e of exts) {
    v.setUint32(at, e.type);
    v.setUint32(at + 4, e.data.length);
    out.set(e.data, at + 8);
    at += 8 + ((e.data.length + 7) & ~7);
  }
  out.set(name, at + 8);
  return out;
}

/** Byte offsets of header fields that are updated in place. */
export const HeaderField = {
  L1_SIZE: 36,
  L1_OFFSET: 40,
  REFTABLE_OFFSET: 48,
  SIZE: 24,
  SNAPSHOTS: 60,
  INCOMPAT: 72,
  REFCOUNT_ORDER: 96,
} as const;

/** Big-endian bytes of a 64-bit value (offsets up to 2^53). */
export function be64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  setU64(new DataView(out.buffer), 0, n);
  return out;
}

/**
 * `h` serialized in a whole cluster of `clusterSize` bytes, as QEMU's qcow2_update_header writes
 * it: what the old header had past it (extensions, the backing file name) becomes zeros.
 *
 * @example
 * ```ts ignore
 * file.write(0, headerCluster(image.header, 65536));
 * ```
 */
export function headerCluster(h: Qcow2Header, clusterSize: number): Uint8Array {
  const cluster = new Uint8Array(clusterSize);
  cluster.set(serializeHeader(h));
  return cluster;
}

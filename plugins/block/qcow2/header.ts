/**
 * The qcow2 header and its extensions (QEMU's docs/interop/qcow2.txt):
 * parsing with the checks that keep a hostile image from pointing anywhere
 * it likes, and writing back.
 *
 * All fields are big-endian. Versions 2 and 3 are read; version 3 adds the
 * feature bits, `refcount_order` and the header length.
 *
 * @module
 */

import { EmuError } from "../../../plugin_block.ts";

/** "QFI\xfb" */
export const QCOW2_MAGIC = 0x514649fb;
/** Incompatible feature bits. */
export const Incompat = { DIRTY: 1, CORRUPT: 2, DATA_FILE: 4, COMPRESSION: 8, EXTL2: 16 } as const;
/** Compatible feature bits. */
export const Compat = { LAZY_REFCOUNTS: 1 } as const;
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
const V2_HEADER_LENGTH = 72;
/** The largest L1 table QEMU accepts (32 MiB of entries). */
const MAX_L1_BYTES = 32 << 20;
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
  /** extensions this code does not interpret, kept as they are */
  otherExtensions: { type: number; data: Uint8Array }[];
}

function u64(v: DataView, at: number): number {
  const hi = v.getUint32(at), lo = v.getUint32(at + 4);
  if (hi >= 0x200000) throw new EmuError(`qcow2 header field at byte ${at} is too large`);
  return hi * 0x100000000 + lo;
}

/**
 * A table offset: past 2^53 too when a number holds it exactly (an aligned
 * offset far past the end of the file opens in QEMU, and `check` reports it).
 */
function offset64(v: DataView, at: number): number {
  const big = v.getBigUint64(at), n = Number(big);
  if (BigInt(n) !== big) throw new EmuError(`qcow2 header field at byte ${at} is too large`);
  return n;
}

function setU64(v: DataView, at: number, n: number): void {
  v.setUint32(at, Math.floor(n / 0x100000000));
  v.setUint32(at + 4, n >>> 0);
}

/**
 * Reads and checks the header at the start of `head` (the first cluster or
 * more of the file). Errors name the file and the field at fault in one
 * line. A table past the end of the file is no error here, as in QEMU: its
 * bytes read as zero and `check` reports it.
 */
export function parseHeader(head: Uint8Array, name: string): Qcow2Header {
  const bad = (what: string, hint?: string) => new EmuError(`${name}: ${what}`, hint);
  if (head.length < V2_HEADER_LENGTH) throw bad("truncated qcow2 header");
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  if (v.getUint32(0) !== QCOW2_MAGIC) throw bad("not a qcow2 image (bad magic)");
  const version = v.getUint32(4);
  if (version !== 2 && version !== 3) throw bad(`unsupported qcow2 version ${version}`);
  const h: Qcow2Header = {
    version,
    backingFileOffset: u64(v, 8),
    backingFileSize: v.getUint32(16),
    clusterBits: v.getUint32(20),
    size: u64(v, 24),
    cryptMethod: v.getUint32(32),
    l1Size: v.getUint32(36),
    l1TableOffset: offset64(v, 40),
    refcountTableOffset: offset64(v, 48),
    refcountTableClusters: v.getUint32(56),
    nbSnapshots: v.getUint32(60),
    // as QEMU, the offset of an empty snapshot table is not looked at
    snapshotsOffset: v.getUint32(60) ? offset64(v, 64) : 0,
    incompatible: 0,
    compatible: 0,
    autoclear: 0,
    refcountOrder: 4,
    headerLength: V2_HEADER_LENGTH,
    compressionType: 0,
    otherExtensions: [],
  };
  if (version === 3) {
    if (head.length < 104) throw bad("truncated qcow2 header");
    const highIncompatible = v.getUint32(72);
    if (highIncompatible) {
      throw bad(`unsupported qcow2 feature bits 0x${highIncompatible.toString(16)}00000000`);
    }
    // every feature bit defined so far is in the low word; unknown compatible and autoclear
    // bits are ignored, as QEMU ignores them
    h.incompatible = v.getUint32(76);
    h.compatible = v.getUint32(84);
    h.autoclear = v.getUint32(92);
    h.refcountOrder = v.getUint32(96);
    h.headerLength = v.getUint32(100);
    if (h.headerLength < 104 || h.headerLength > head.length) throw bad("bad header length");
    if (h.headerLength > 104) h.compressionType = v.getUint8(104);
  }
  checkHeader(h, bad);
  readExtensions(h, v, bad);
  if (h.backingFileOffset) {
    const end = h.backingFileOffset + h.backingFileSize;
    if (h.backingFileSize > 1023 || end > head.length) throw bad("backing file name too long");
    // a C string to QEMU: the name ends at the first NUL, and an empty name is no backing file
    const name = new TextDecoder().decode(head.subarray(h.backingFileOffset, end)).split("\0")[0];
    h.backingFile = name || undefined;
  }
  return h;
}

function checkHeader(h: Qcow2Header, bad: (w: string, h?: string) => Error) {
  if (h.clusterBits < 9 || h.clusterBits > 21) throw bad(`bad cluster size 2^${h.clusterBits}`);
  if (h.refcountOrder > 6) throw bad(`bad refcount order ${h.refcountOrder}`);
  if (h.cryptMethod) {
    throw bad("encrypted qcow2 images are not supported", "decrypt it with qemu-img convert");
  }
  if (h.incompatible & Incompat.DATA_FILE) {
    throw bad(
      "qcow2 images with an external data file are not supported",
      "convert it with qemu-img convert",
    );
  }
  if (h.incompatible & Incompat.EXTL2) throw bad("qcow2 extended L2 entries are not supported");
  if (h.compressionType !== 0) throw bad("only zlib compression is supported (compression type)");
  const known = Incompat.DIRTY | Incompat.CORRUPT | Incompat.COMPRESSION;
  if (h.incompatible & ~known) {
    throw bad(`unsupported qcow2 feature bits 0x${(h.incompatible & ~known).toString(16)}`);
  }
  const cs = 2 ** h.clusterBits;
  // as QEMU: a table must be cluster-aligned and end below 2^63; one past the end of the file
  // opens (its bytes read as zero) and `check` reports it
  const valid = (off: number, len: number) => off % cs === 0 && off + len < 2 ** 63;
  if (h.l1Size * 8 > MAX_L1_BYTES) throw bad("L1 table is too large");
  if (h.l1Size * 8 * (cs / 8) * cs < h.size) throw bad("L1 table is too small for the image size");
  if (h.l1Size && !valid(h.l1TableOffset, h.l1Size * 8)) {
    throw bad("Active L1 table offset invalid");
  }
  const rtBytes = h.refcountTableClusters * cs;
  if (rtBytes > MAX_REFTABLE_BYTES || rtBytes === 0) throw bad("bad refcount table size");
  if (!valid(h.refcountTableOffset, rtBytes)) throw bad("Reference count table offset invalid");
  if (h.nbSnapshots && !valid(h.snapshotsOffset, 0)) throw bad("Snapshot table offset invalid");
}

function readExtensions(h: Qcow2Header, v: DataView, bad: (w: string) => Error): void {
  let at = h.headerLength;
  // the backing file name may start past what was read (a short file): stop there
  const limit = Math.min(h.backingFileOffset || v.byteLength, v.byteLength);
  while (at + 8 <= limit) {
    const type = v.getUint32(at), len = v.getUint32(at + 4);
    at += 8;
    if (type === Ext.END) return;
    if (at + len > limit) throw bad("header extension runs past the header");
    const data = new Uint8Array(v.buffer, v.byteOffset + at, len).slice();
    if (type === Ext.BACKING_FORMAT) h.backingFormat = new TextDecoder().decode(data);
    else if (type === Ext.ENCRYPTION) throw bad("encrypted qcow2 images are not supported");
    else if (type !== Ext.FEATURE_TABLE) h.otherExtensions.push({ type, data });
    at += (len + 7) & ~7;
  }
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

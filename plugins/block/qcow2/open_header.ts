/**
 * Reading a qcow2 header to open the image: the checks of QEMU's
 * `qcow2_do_open` (block/qcow2.c), in its order and with its words, so that
 * a corrupt image gets the message qemu-img gives. What QEMU accepts and
 * Denemu does not implement (extended L2 entries, zstd) is refused last, in
 * Denemu's words.
 *
 * Bytes past the end of the file read as zero, as QEMU's reads do.
 *
 * @module
 */

import { EmuError } from "../../../plugin_block.ts";
import { Ext, Incompat, QCOW2_MAGIC, type Qcow2Header } from "./header.ts";

/** The largest L1 table QEMU accepts (QCOW_MAX_L1_SIZE, 32 MiB). */
const MAX_L1_BYTES = 32n << 20n;
/** The largest refcount table QEMU accepts (QCOW_MAX_REFTABLE_SIZE, 8 MiB). */
const MAX_REFTABLE_BYTES = 8n << 20n;
/** A snapshot table entry's fixed part, and the most entries QEMU opens (QCOW_MAX_SNAPSHOTS). */
const SNAPSHOT_ENTRY = 40n, MAX_SNAPSHOTS = 65536n;
/** The incompatible feature bits QEMU knows (QCOW2_INCOMPAT_MASK). */
const KNOWN_INCOMPAT = 0x1fn;
/** The autoclear bit of a raw external data file. */
const DATA_FILE_RAW = 2n;
const INT64_MAX = (1n << 63n) - 1n, INT_MAX = 2n ** 31n - 1n;
/** The furthest byte QEMU's block layer reads or writes (BDRV_MAX_LENGTH): past it, EIO. */
const MAX_LENGTH = INT64_MAX - (INT64_MAX % (1n << 30n));
const V3_MIN_LENGTH = 104;
/** The longest backing format name QEMU keeps (sizeof(bs->backing_format) - 1). */
const MAX_BACKING_FORMAT = 15;

/**
 * How the image is opened: a checker (BDRV_O_CHECK), a writer and a reader
 * of the header alone (BDRV_O_NO_IO) see a few checks differently.
 */
export interface HeaderOpenMode {
  check?: boolean;
  writable?: boolean;
  noIo?: boolean;
}

/** The header fields as they are in the file, before they are checked. */
interface RawHeader {
  v: DataView;
  version: number;
  clusterBits: number;
  headerLength: number;
  incompatible: bigint;
  backingFileOffset: bigint;
}

function fail(what: string): never {
  throw new EmuError(what);
}

/**
 * The header of the image whose first cluster (or first 112 bytes if the
 * cluster size is bad) is `head`, zeros past the end of the file. Throws
 * QEMU's message for the first check it fails.
 *
 * @example
 * ```ts ignore
 * const header = openHeader(file.read(0, 65536), { check: false, writable: true });
 * ```
 */
export function openHeader(head: Uint8Array, mode: HeaderOpenMode): Qcow2Header {
  const raw = checkLayout(head);
  const v = raw.v;
  checkFeatures(raw, head, mode);
  const refcountOrder = raw.version === 3 ? v.getUint32(96) : 4;
  if (refcountOrder > 6) {
    fail("Reference count entry width too large; may not exceed 64 bits");
  }
  checkTables(raw, mode);
  const cryptMethod = v.getUint32(32);
  if (cryptMethod > 2) fail(`Unsupported encryption method ${cryptMethod | 0}`);
  const rtClusters = v.getUint32(56), cs = 2 ** raw.clusterBits;
  if (rtClusters && v.getBigUint64(48) + BigInt(rtClusters * cs) > MAX_LENGTH) {
    fail("Could not initialize refcount handling: Input/output error");
  }
  const size = v.getBigUint64(24), nbSnapshots = v.getUint32(60);
  const h: Qcow2Header = {
    version: raw.version as 2 | 3,
    backingFileOffset: Number(raw.backingFileOffset),
    backingFileSize: v.getUint32(16),
    clusterBits: raw.clusterBits,
    size: Number(size),
    cryptMethod,
    l1Size: v.getUint32(36),
    l1TableOffset: Number(v.getBigUint64(40)),
    refcountTableOffset: Number(v.getBigUint64(48)),
    refcountTableClusters: rtClusters,
    nbSnapshots,
    snapshotsOffset: nbSnapshots ? Number(v.getBigUint64(64)) : 0,
    incompatible: Number(raw.incompatible),
    compatible: raw.version === 3 ? v.getUint32(84) : 0,
    autoclear: raw.version === 3 ? v.getUint32(92) : 0,
    refcountOrder,
    headerLength: raw.headerLength,
    compressionType: compressionType(raw),
    otherExtensions: [],
  };
  const crypto = readExtensions(h, head, extensionsEnd(raw, head), mode);
  if (h.cryptMethod === 2 && !crypto && !mode.noIo) {
    fail("Missing CRYPTO header for crypt method 2");
  }
  readBackingName(h, head);
  // the block layer's limit on the disk size, checked after the open
  if (size - size % 512n > MAX_LENGTH) fail("Could not refresh total sector count: File too large");
  refuseUnimplemented(h);
  exact(size, "the image size");
  exact(v.getBigUint64(40), "the L1 table offset");
  exact(v.getBigUint64(48), "the refcount table offset");
  if (nbSnapshots) exact(v.getBigUint64(64), "the snapshot table offset");
  return h;
}

/** The refcount table, the snapshot table, the L1 table and the size it maps, in QEMU's order. */
function checkTables(raw: RawHeader, mode: HeaderOpenMode): void {
  const v = raw.v, cs = 2n ** BigInt(raw.clusterBits);
  const rtClusters = BigInt(v.getUint32(56));
  if (rtClusters === 0n && !mode.check) fail("Image does not contain a reference count table");
  const rtOffset = v.getBigUint64(48);
  validateTable(rtOffset, rtClusters, cs, MAX_REFTABLE_BYTES, cs, "Reference count table");
  if (!mode.check) {
    const [offset, count] = [v.getBigUint64(64), BigInt(v.getUint32(60))];
    const max = SNAPSHOT_ENTRY * MAX_SNAPSHOTS;
    validateTable(offset, count, SNAPSHOT_ENTRY, max, cs, "Snapshot table");
  }
  const l1Size = BigInt(v.getUint32(36)), l1Offset = v.getBigUint64(40);
  validateTable(l1Offset, l1Size, 8n, MAX_L1_BYTES, cs, "Active L1 table");
  // size_to_l1, with its 64-bit wrap-around for a size near 2^64
  const perEntry = cs * cs / 8n;
  const l1Needed = BigInt.asUintN(64, v.getBigUint64(24) + perEntry - 1n) / perEntry;
  if (l1Needed > INT_MAX) fail("Image is too big");
  if (l1Size < l1Needed) fail("L1 table is too small");
  if (l1Size && l1Offset + l1Size * 8n > MAX_LENGTH) {
    fail("Could not read L1 table: Input/output error");
  }
}

/** The magic, version, cluster size, header length and backing file offset, in QEMU's order. */
function checkLayout(head: Uint8Array): RawHeader {
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  if (v.getUint32(0) !== QCOW2_MAGIC) fail("Image is not in qcow2 format");
  const version = v.getUint32(4);
  if (version < 2 || version > 3) fail(`Unsupported qcow2 version ${version}`);
  const clusterBits = v.getUint32(20);
  if (clusterBits < 9 || clusterBits > 21) fail(`Unsupported cluster size: 2^${clusterBits}`);
  const headerLength = version === 3 ? v.getUint32(100) : 72;
  if (headerLength < V3_MIN_LENGTH && version === 3) fail("qcow2 header too short");
  if (headerLength > 2 ** clusterBits) fail("qcow2 header exceeds cluster size");
  const backingFileOffset = v.getBigUint64(8);
  if (backingFileOffset > 2n ** BigInt(clusterBits)) fail("Invalid backing file offset");
  const incompatible = version === 3 ? v.getBigUint64(72) : 0n;
  return { v, version, clusterBits, headerLength, incompatible, backingFileOffset };
}

/** The compression type, and the feature bits QEMU refuses. */
function checkFeatures(raw: RawHeader, head: Uint8Array, mode: HeaderOpenMode): void {
  const type = compressionType(raw);
  if (type > 1) fail(`qcow2: unknown compression type: ${type}`);
  const flagged = (raw.incompatible & BigInt(Incompat.COMPRESSION)) !== 0n;
  if (flagged !== (type !== 0)) {
    fail(`qcow2: Compression type incompatible feature bit must ${type ? "" : "not "}be set`);
  }
  const unknown = raw.incompatible & ~KNOWN_INCOMPAT;
  if (unknown) fail(`Unsupported qcow2 feature(s): ${featureNames(raw, head, unknown)}`);
  if (raw.incompatible & BigInt(Incompat.CORRUPT) && mode.writable && !mode.check) {
    fail("qcow2: Image is corrupt; cannot be opened read/write");
  }
  const subcluster = 2 ** raw.clusterBits / 32;
  if (raw.incompatible & BigInt(Incompat.EXTL2) && subcluster < 512) {
    fail(`Unsupported subcluster size: ${subcluster}`);
  }
}

function compressionType(raw: RawHeader): number {
  return raw.headerLength > 104 ? raw.v.getUint8(104) : 0;
}

/**
 * The names of the `bits` set, from the image's feature name table where it
 * has them, as QEMU's report_unsupported_feature lists them.
 */
function featureNames(raw: RawHeader, head: Uint8Array, bits: bigint): string {
  const names: string[] = [];
  const table = extensions(raw.headerLength, head, extensionsEnd(raw, head), false)
    .find((e) => e.type === Ext.FEATURE_TABLE)?.data ?? new Uint8Array(0);
  for (let at = 0; at + 48 <= table.length && table[at + 2] !== 0; at += 48) {
    const bit = 1n << BigInt(table[at + 1] & 63);
    if (table[at] !== 0 || !(bits & bit)) continue;
    const name = table.subarray(at + 2, at + 48);
    const end = name.indexOf(0);
    names.push(new TextDecoder().decode(end < 0 ? name : name.subarray(0, end)));
    bits &= ~bit;
  }
  if (bits) names.push(`Unknown incompatible feature: ${bits.toString(16)}`);
  return names.join(", ");
}

/** QEMU's qcow2_validate_table: at most `max` bytes, cluster-aligned, ending below 2^63. */
function validateTable(
  offset: bigint,
  entries: bigint,
  entryBytes: bigint,
  max: bigint,
  cs: bigint,
  name: string,
): void {
  if (entries > max / entryBytes) fail(`${name} too large`);
  if (INT64_MAX - entries * entryBytes < offset || offset % cs) fail(`${name} offset invalid`);
}

/** Refuses a value QEMU accepts that a number cannot hold exactly. */
function exact(n: bigint, what: string): void {
  if (BigInt(Number(n)) !== n) {
    throw new EmuError(`${what} 0x${n.toString(16)} is past what Denemu can address (2^53)`);
  }
}

/** Where the header extensions end: at the backing file name, else at the end of the cluster. */
function extensionsEnd(raw: RawHeader, head: Uint8Array): number {
  return Math.min(Number(raw.backingFileOffset) || 2 ** raw.clusterBits, head.length);
}

/**
 * The header extensions between `start` and `end`, as QEMU walks them; one
 * that runs past `end` is an error if `strict`, else the end of the list.
 */
function extensions(start: number, head: Uint8Array, end: number, strict: boolean) {
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  const out: { type: number; data: Uint8Array }[] = [];
  for (let at = start; at < end;) {
    const type = at + 8 <= head.length ? v.getUint32(at) : 0;
    const len = at + 8 <= head.length ? v.getUint32(at + 4) : 0;
    at += 8;
    if (at > end || len > end - at) {
      if (strict) fail("Header extension too large");
      break;
    }
    if (type === Ext.END) break;
    out.push({ type, data: head.slice(at, at + len) });
    at += Math.ceil(len / 8) * 8;
  }
  return out;
}

/**
 * Reads the extensions into `h`, with QEMU's checks of each one; true if
 * there is an encryption header.
 */
function readExtensions(
  h: Qcow2Header,
  head: Uint8Array,
  end: number,
  mode: HeaderOpenMode,
): boolean {
  let dataFile = false, crypto = false;
  for (const { type, data } of extensions(h.headerLength, head, end, true)) {
    if (type === Ext.BACKING_FORMAT) {
      if (data.length > MAX_BACKING_FORMAT) {
        fail(`ERROR: ext_backing_format: len=${data.length} too large (>=16)`);
      }
      h.backingFormat = new TextDecoder().decode(data);
    } else if (type === Ext.ENCRYPTION) {
      if (h.cryptMethod !== 2) {
        fail("CRYPTO header extension only expected with LUKS encryption method");
      }
      crypto = true;
      const e = new DataView(data.buffer, data.byteOffset, data.length);
      if (data.length >= 16) {
        h.crypto = { offset: Number(e.getBigUint64(0)), length: Number(e.getBigUint64(8)) };
      }
    } else if (type === Ext.DATA_FILE) {
      dataFile = true;
      h.dataFile = new TextDecoder().decode(data);
    } else if (type !== Ext.FEATURE_TABLE) h.otherExtensions.push({ type, data });
  }
  if (mode.noIo) return crypto;
  if (h.incompatible & Incompat.DATA_FILE) {
    if (!dataFile) fail("'data-file' is required for this image");
  } else if (BigInt(h.autoclear) & DATA_FILE_RAW) fail("data-file-raw requires a data file");
  return crypto;
}

/** The backing file name, as QEMU reads it: a C string of at most 1023 bytes in the cluster. */
function readBackingName(h: Qcow2Header, head: Uint8Array): void {
  if (!h.backingFileOffset) return;
  const len = h.backingFileSize, room = 2 ** h.clusterBits - h.backingFileOffset;
  if (len > Math.min(1023, room)) fail("Backing file name too long");
  const bytes = head.subarray(h.backingFileOffset, h.backingFileOffset + len);
  const nul = bytes.indexOf(0);
  // an empty name is no backing file
  h.backingFile = new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul)) || undefined;
}

/**
 * What QEMU opens and Denemu does not implement.
 */
function refuseUnimplemented(h: Qcow2Header): void {
  if (h.incompatible & Incompat.EXTL2) {
    throw new EmuError("qcow2 extended L2 entries are not supported");
  }
  if (h.compressionType !== 0) {
    throw new EmuError("only zlib compression is supported (compression type)");
  }
}

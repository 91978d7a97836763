/**
 * The first half of qcow2 `check`: counting, in memory, every reference to
 * every host cluster (the header, L1 and L2 tables of the image and of its
 * snapshots, data and compressed clusters, the snapshot table and the
 * refcount structures), with the checks and repairs QEMU's
 * `calculate_refcounts` makes on the way, in its words and order. The
 * counts go to an {@linkcode Imrt}, QEMU's in-memory refcount table.
 *
 * Every array here is bounded by the file's size: a reference that ends a
 * cluster or more past the end of the file is an error, not a count.
 *
 * @module
 */

import type { CheckResult } from "../../../plugin_block.ts";
import type { Qcow2Image } from "./image.ts";
import { decodeEntry } from "./l2.ts";
import { readSnapshotTable, snapshotTableEnd } from "./snapshot.ts";

/** `check -r` modes, as QEMU's BdrvCheckMode bits. */
export interface FixMode {
  leaks: boolean;
  errors: boolean;
}

/** No repair. */
export const NO_FIX: FixMode = { leaks: false, errors: false };

/** A check that cannot go on (QEMU's negative return): the errno text qemu-img prints. */
export class CheckAborted extends Error {}

/**
 * QEMU's in-memory refcount table: counted references per host cluster. One
 * byte per cluster, counts from 255 up in a map: a hostile image can make the
 * file a sparse terabyte (2^28 clusters of 4 KiB), which took 2 GiB as a
 * Float64Array where qemu-img's table of refcount_bits entries takes 32 MiB.
 */
export class Imrt {
  #counts = new Uint8Array(64);
  readonly #large = new Map<number, number>();
  /** clusters covered (QEMU's nb_clusters) */
  size: number;

  constructor(size: number) {
    this.size = 0;
    this.ensure(size);
  }

  /** Grows the table to cover at least `n` clusters (new ones count 0). */
  ensure(n: number): void {
    if (n <= this.size) return;
    if (n > this.#counts.length) {
      const grown = new Uint8Array(Math.max(n, this.#counts.length * 2));
      grown.set(this.#counts);
      this.#counts = grown;
    }
    this.size = n;
  }

  get(c: number): number {
    if (c >= this.size) return 0;
    const v = this.#counts[c];
    return v === LARGE ? this.#large.get(c)! : v;
  }

  set(c: number, v: number): void {
    this.ensure(c + 1);
    if (v >= LARGE) this.#large.set(c, v);
    else if (this.#counts[c] === LARGE) this.#large.delete(c);
    this.#counts[c] = Math.min(v, LARGE);
  }

  /** Forgets every count, keeping the size. */
  clear(): void {
    this.#counts.fill(0);
    this.#large.clear();
  }
}

/** An {@linkcode Imrt} byte that means "the count is in the map". */
const LARGE = 255;

/** A DataView on `b`, to read big-endian table entries as two 32-bit halves. */
export function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** A u64 from its halves, in hex without a prefix (QEMU's PRIx64). */
export function hex64(hi: number, lo: number): string {
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString(16);
}

/** Bits 9..55 of an entry (L1E_OFFSET_MASK, L2E_OFFSET_MASK, REFT_OFFSET_MASK below 2^56). */
export function offsetOf(hi: number, lo: number): number {
  return (hi & 0xffffff) * 0x100000000 + ((lo & 0xfffffe00) >>> 0);
}

const COPIED = 0x80000000, COMPRESSED = 0x40000000, ZERO = 1;

/** An empty result; `totalClusters` is the virtual size in clusters. */
export function emptyResult(totalClusters = 0): CheckResult {
  return {
    corruptions: 0,
    leaks: 0,
    checkErrors: 0,
    corruptionsFixed: 0,
    leaksFixed: 0,
    imageEndOffset: 0,
    totalClusters,
    allocatedClusters: 0,
    fragmentedClusters: 0,
    compressedClusters: 0,
  };
}

/** One pass of QEMU's `calculate_refcounts` over `img`. */
export class RefcountWalk {
  /** a refcount structure is broken beyond per-cluster repair */
  rebuild = false;
  /** L2 tables walked without a word, by offset and kind: the clusters they counted */
  readonly #walked = new Map<string, L2Walk>();
  /** clusters kept in {@linkcode #walked} */
  #recorded = 0;
  /** the L2 table being walked (one buffer: fresh ones cost page faults) */
  readonly #table: Uint8Array;
  /** where the walk of an L2 table notes the clusters it counts */
  #recording: number[] | undefined;
  readonly #cs: number;

  constructor(
    readonly img: Qcow2Image,
    readonly res: CheckResult,
    readonly fix: FixMode,
    readonly imrt: Imrt,
    readonly log: (line: string) => void,
  ) {
    this.#cs = img.clusterSize;
    this.#table = new Uint8Array(this.#cs);
  }

  /** Counts everything, as calculate_refcounts does. */
  run(): void {
    const img = this.img, h = img.header, rc = img.refcounts;
    this.inc(0, this.#cs);
    this.l1(h.l1TableOffset, h.l1Size, true);
    let snapshotsSize = 0;
    if (h.nbSnapshots) {
      // check has read the table first, reporting what a repairing read cuts
      const table = readSnapshotTable(img.file, h.snapshotsOffset, h.nbSnapshots, () => {});
      for (const s of table.list) {
        const what = `ERROR snapshot ${s.id} (${s.name})`;
        const field = s.l1OffsetField ?? BigInt(s.l1TableOffset);
        if (field % BigInt(this.#cs)) {
          this.#corrupt(
            `${what} l1_offset=${alternate(field)}: ` +
              "L1 table is not cluster aligned; snapshot table entry corrupted",
          );
        } else if (s.l1Size > MAX_L1_ENTRIES) {
          this.#corrupt(
            `${what} l1_size=${alternate(s.l1Size)}: ` +
              "L1 table is too large; snapshot table entry corrupted",
          );
        } else this.l1(s.l1TableOffset, s.l1Size, false);
      }
      snapshotsSize = table.end - h.snapshotsOffset;
    }
    this.inc(h.snapshotsOffset, snapshotsSize);
    this.inc(rc.tableOffset, rc.tableClusters * this.#cs);
    if (h.crypto) this.inc(h.crypto.offset, h.crypto.length); // the LUKS header, as QEMU's
    this.refblocks();
  }

  #corrupt(line: string): void {
    this.log(line);
    this.res.corruptions++;
  }

  /** Counts one reference to each cluster of bytes [offset, offset+size) (qcow2_inc_refcounts_imrt). */
  inc(offset: number, size: number): void {
    if (size <= 0) return;
    const cs = this.#cs, end = offset + size;
    // the last cluster may be partly past the end of the file, no more; in QEMU's int64
    // arithmetic, where an offset from 2^63 is negative
    const past = end < 2 ** 53
      ? end - this.img.file.size
      : Number(BigInt.asIntN(64, BigInt(offset) + BigInt(size - this.img.file.size)));
    if (past >= cs) {
      this.#corrupt(
        "ERROR: counting reference for region exceeding the end of the file by one cluster or " +
          `more: offset 0x${offset.toString(16)} size 0x${size.toString(16)}`,
      );
      return;
    }
    if (past < 0 && end > 2 ** 63) {
      // QEMU's in-memory table would have to grow to 2^63 bytes: its allocation fails
      this.res.checkErrors++;
      throw new CheckAborted("Cannot allocate memory");
    }
    for (let c = Math.floor(offset / cs); c <= Math.floor((offset + size - 1) / cs); c++) {
      this.#count(c);
    }
  }

  /** One more reference to cluster `c`, unless its count would overflow the refcount width. */
  #count(c: number): void {
    const n = this.imrt.get(c);
    if (n === this.img.refcounts.max) {
      this.#corrupt(`ERROR: overflow cluster offset=0x${(c * this.#cs).toString(16)}`);
      this.log(
        "Use qemu-img amend to increase the refcount entry width or qemu-img convert to " +
          "create a clean copy if the image cannot be opened for writing",
      );
      return;
    }
    this.imrt.set(c, n + 1);
    this.#recording?.push(c);
  }

  /** An L1 table and the L2 tables it points to (check_refcounts_l1). */
  l1(offset: number, entries: number, active: boolean): void {
    if (!entries) return;
    this.inc(offset, entries * 8);
    if (offset + entries * 8 > MAX_LENGTH) {
      // past what QEMU's block layer reads (BDRV_MAX_LENGTH)
      this.log("ERROR: I/O error in check_refcounts_l1");
      this.res.checkErrors++;
      throw new CheckAborted("Input/output error");
    }
    // entries past the end of the file read as zero: only those before it are read and walked
    const inFile = Math.max(0, Math.min(entries, Math.ceil((this.img.file.size - offset) / 8)));
    const v = view(this.img.file.read(offset, inFile * 8));
    for (let i = 0; i < inFile; i++) {
      const hi = v.getUint32(i * 8), lo = v.getUint32(i * 8 + 4);
      if (!hi && !lo) continue;
      if (hi & 0x7f000000 || lo & 0x1ff) {
        this.#corrupt(`ERROR found L1 entry with reserved bits set: ${hex64(hi, lo)}`);
      }
      const l2 = offsetOf(hi, lo);
      this.inc(l2, this.#cs);
      if (l2 % this.#cs) {
        this.#corrupt(
          `ERROR l2_offset=${l2.toString(16)}: Table is not cluster aligned; L1 entry corrupted`,
        );
      }
      this.l2(l2, active);
    }
  }

  /**
   * One L2 table's entries (check_refcounts_l2); `active` counts
   * fragmentation. A table walked before without a word is counted again
   * from what it counted then, so an L1 table whose entries all point to one
   * L2 table costs its entries, not entries times the table's size in reads.
   */
  l2(offset: number, active: boolean): void {
    const key = `${offset}/${active}`, res = this.res, done = this.#walked.get(key);
    if (done) {
      for (const c of done.clusters) this.#count(c);
      res.allocatedClusters += done.allocated;
      res.fragmentedClusters += done.fragmented;
      res.compressedClusters += done.compressed;
      return;
    }
    const before = { ...res };
    const counted: number[] = this.#recording = [];
    try {
      this.#walkL2(offset, active);
    } finally {
      this.#recording = undefined;
    }
    if (
      res.corruptions !== before.corruptions || res.corruptionsFixed !== before.corruptionsFixed
    ) {
      return; // it said something: a second walk must say it again
    }
    if (this.#recorded + counted.length > MAX_RECORDED) return;
    this.#recorded += counted.length;
    this.#walked.set(key, {
      clusters: Float64Array.from(counted),
      allocated: res.allocatedClusters - before.allocatedClusters,
      fragmented: res.fragmentedClusters - before.fragmentedClusters,
      compressed: res.compressedClusters - before.compressedClusters,
    });
  }

  #walkL2(offset: number, active: boolean): void {
    const cs = this.#cs, table = readCluster(this.img, offset, this.#table), v = view(table);
    let nextContiguous = 0;
    const external = this.img.dataFile !== undefined;
    for (let at = 0; at < cs; at += 8) {
      const hi = v.getUint32(at), lo = v.getUint32(at + 4);
      if (!(hi & COMPRESSED) && (hi & 0x3f000000 || lo & 0x1fe)) {
        this.#corrupt(`ERROR found l2 entry with reserved bits set: ${hex64(hi, lo)}`);
      }
      if (hi & COMPRESSED) {
        this.#compressed(hi, table, at, active);
        continue;
      }
      const host = offsetOf(hi, lo);
      // unallocated, or zero without a preallocated cluster (a data file's first cluster is COPIED)
      if (!host && !(external && hi & COPIED)) continue;
      if (host % cs) {
        this.res.corruptions++;
        if (lo & ZERO) {
          if (this.#preallocatedMisaligned(offset, at, host, active)) continue;
        } else {
          this.log(
            `ERROR offset=${host.toString(16)}: Data cluster is not properly aligned; ` +
              "L2 entry corrupted.",
          );
        }
      }
      if (active) {
        this.res.allocatedClusters++;
        if (nextContiguous && host !== nextContiguous) this.res.fragmentedClusters++;
        nextContiguous = host + cs;
      }
      if (!external) this.inc(host, cs); // the data file's clusters have no refcounts
    }
  }

  #compressed(hi: number, table: Uint8Array, at: number, active: boolean): void {
    const m = decodeEntry(table, at, this.img.clusterBits);
    if (hi & COPIED) {
      this.#corrupt(
        `ERROR: coffset=0x${m.host.toString(16)}: copied flag must never be set for ` +
          "compressed clusters",
      );
    }
    this.inc(m.host, m.compressedSize);
    if (!active) return;
    this.res.allocatedClusters++;
    this.res.compressedClusters++;
    this.res.fragmentedClusters++; // compressed clusters are fragmented by nature, as in QEMU
  }

  /**
   * A zero entry with an unaligned preallocated cluster: with `-r all` it
   * becomes a plain zero entry (fix_l2_entry_by_zero). True if repaired.
   */
  #preallocatedMisaligned(l2Offset: number, at: number, host: number, active: boolean): boolean {
    const fix = this.fix.errors;
    this.log(
      `${fix ? "Repairing" : "ERROR"} offset=${host.toString(16)}: Preallocated cluster is not ` +
        "properly aligned; L2 entry corrupted.",
    );
    if (!fix) return false;
    const entry = new Uint8Array(8);
    entry[7] = ZERO;
    if (refuseOverlap(this.img, l2Offset + at, 8, this.log, { activeL2: active })) {
      this.log("ERROR: Overlap check failed");
      this.res.checkErrors++;
      throw new CheckAborted("Input/output error");
    }
    this.img.file.write(l2Offset + at, entry);
    this.res.corruptions--;
    this.res.corruptionsFixed++;
    return true;
  }

  /** The refcount blocks: each aligned, inside the file, and counted once (check_refblocks). */
  refblocks(): void {
    const cs = this.#cs, raw = reftable(this.img), table = refblockOffsets(raw);
    for (let i = 0; i < table.length; i++) {
      const offset = table[i], cluster = Math.floor(offset / cs);
      if (raw[i * 8 + 7] & 0xff || raw[i * 8 + 6] & 1) {
        this.#corrupt(`ERROR refcount table entry ${i} has reserved bits set`);
        this.rebuild = true;
      } else if (offset % cs) {
        this.#corrupt(
          `ERROR refcount block ${i} is not cluster aligned; refcount table entry corrupted`,
        );
        this.rebuild = true;
      } else if (cluster >= this.imrt.size) {
        this.#outside(i, offset);
      } else if (offset) {
        this.inc(offset, cs);
        const n = this.imrt.get(cluster);
        if (n !== 1) {
          this.#corrupt(`ERROR refcount block ${i} refcount=${n}`);
          this.rebuild = true;
        }
      }
    }
  }

  /** A refcount block past the end of the file: `-r all` grows the file to hold it. */
  #outside(i: number, offset: number): void {
    const fix = this.fix.errors, cs = this.#cs;
    this.#corrupt(`${fix ? "Repairing" : "ERROR"} refcount block ${i} is outside image`);
    if (!fix) return;
    const file = this.img.file, size = file.size;
    if (offset > 2 ** 63 - cs) {
      this.rebuild = true;
      this.log("ERROR could not resize image: Invalid argument");
      return;
    }
    try {
      file.truncate(offset + cs);
    } catch (e) {
      const why = (e as Error).message.replace(/ \(os error \d+\)$/, "");
      this.log(`qemu-img: Could not resize file: ${why}`);
      this.rebuild = true;
      this.log(`ERROR could not resize image: ${why}`);
      return;
    }
    // QEMU would then need memory for counts over the whole grown file; this much, no more
    if (offset + cs > size + MAX_GROWTH) {
      file.truncate(size);
      this.rebuild = true;
      this.log("ERROR could not resize image: Cannot allocate memory");
      return;
    }
    this.imrt.ensure(Math.ceil(this.img.file.size / cs));
    this.res.corruptions--;
    this.res.corruptionsFixed++;
    this.inc(offset, cs);
  }
}

/** Reads the cluster at `offset` into `into` (zeros past the end of the file); returns `into`. */
export function readCluster(img: Qcow2Image, offset: number, into: Uint8Array): Uint8Array {
  if (offset + into.length > img.file.size) into.fill(0);
  img.file.readInto(offset, into);
  return into;
}

/** The refcount table's bytes. */
export function reftable(img: Qcow2Image): Uint8Array {
  const rc = img.refcounts;
  return img.file.read(rc.tableOffset, rc.tableClusters * img.clusterSize);
}

/** The entries of refcount table `raw` as host offsets (REFT_OFFSET_MASK: all 64 bits). */
export function refblockOffsets(raw: Uint8Array): number[] {
  const out: number[] = [], v = view(raw);
  for (let at = 0; at < raw.length; at += 8) {
    const hi = v.getUint32(at), lo = v.getUint32(at + 4);
    out.push(hi * 0x100000000 + ((lo & 0xfffffe00) >>> 0));
  }
  return out;
}

/** What a walk of one L2 table counted. */
interface L2Walk {
  clusters: Float64Array;
  allocated: number;
  fragmented: number;
  compressed: number;
}

/** Clusters of L2 walks kept to count again (8 bytes each). */
const MAX_RECORDED = 1 << 22;

/** QCOW_MAX_L1_SIZE in entries. */
const MAX_L1_ENTRIES = (32 << 20) / 8;

/** `n` as C's `%#x` prints it: "0", else "0x..." */
function alternate(n: number | bigint): string {
  return n ? `0x${n.toString(16)}` : "0";
}

/** The furthest byte QEMU's block layer reads (BDRV_MAX_LENGTH, 2^63 - 2^30): past it, EIO. */
const MAX_LENGTH = 2 ** 63 - 2 ** 30;

/** How far a repair may grow the file to reach a refcount block past its end. */
const MAX_GROWTH = 1 << 30;

/**
 * QEMU's overlap check before a repair writes `length` bytes at `offset`:
 * true (the image now marked corrupt, in QEMU's words) if they would land on
 * metadata (`ignore.activeL2`: active L2 tables are the target, as when
 * repairing an entry).
 */
export function refuseOverlap(
  img: Qcow2Image,
  offset: number,
  length: number,
  log: (line: string) => void,
  ignore = { activeL2: false },
): boolean {
  const h = img.header;
  const snapshots = h.nbSnapshots
    ? snapshotTableEnd(img.file, h.snapshotsOffset, h.nbSnapshots) - h.snapshotsOffset
    : 0;
  for (let at = offset; at < offset + length; at += img.clusterSize) {
    const overlap = metadataAt(img, at, ignore.activeL2, snapshots);
    if (!overlap) continue;
    log(
      `qcow2: Marking image as corrupt: Preventing invalid write on metadata (overlaps with ` +
        `${overlap}); further corruption events will be suppressed`,
    );
    img.markCorrupt();
    return true;
  }
  return false;
}

/**
 * The metadata (other than inactive L2 tables) that byte `offset` of the
 * file belongs to, in QEMU's overlap-check names, or "" for none; the
 * snapshot table spans `snapshotBytes` (QEMU's snapshots_size).
 */
function metadataAt(
  img: Qcow2Image,
  offset: number,
  ignoreActiveL2: boolean,
  snapshotBytes: number,
): string {
  const cs = img.clusterSize, h = img.header, rc = img.refcounts;
  const cluster = offset - (offset % cs);
  const within = (start: number, bytes: number) =>
    bytes > 0 && cluster + cs > start && cluster < start + bytes;
  if (offset < cs) return "qcow2_header";
  if (within(h.l1TableOffset, h.l1Size * 8)) return "active L1 table";
  if (within(rc.tableOffset, rc.tableClusters * cs)) return "refcount table";
  if (!ignoreActiveL2 && img.l1.includes(cluster)) return "active L2 table";
  if (rc.table.includes(cluster)) return "refcount block";
  return within(h.snapshotsOffset, snapshotBytes) ? "snapshot table" : "";
}

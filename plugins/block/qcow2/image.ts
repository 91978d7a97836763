/**
 * An open qcow2 image: guest reads and writes through the L1/L2 map,
 * allocation of data clusters and L2 tables, copy-on-write of clusters that
 * are shared (with a snapshot or a backing file), and compressed clusters.
 *
 * Metadata is written in QEMU's order so that a crash between any two writes
 * leaves an image `qemu-img check` accepts, with leaks at worst: a new
 * cluster gets its refcount first, then its contents, then the L2 entry that
 * points to it; a new L2 table is filled before the L1 entry points to it;
 * old clusters are freed only after nothing points to them.
 *
 * @module
 */

import {
  type BlockDriver,
  type BlockExtent,
  type CheckResult,
  EmuError,
  type HostFile,
  type ImageDescription,
  type Preallocation,
  type VmState,
} from "../../../plugin_block.ts";
import { type AmendProgress, prepareAmend } from "./amend.ts";
import { describeQcow2 } from "./describe.ts";
import { applySnapshot, createSnapshot, deleteSnapshot, snapshotTable } from "./snapshot_ops.ts";
import { checkQcow2 } from "./check.ts";
import { growL1, vmStateOffset } from "./l1.ts";
import { preallocateData, preallocateMetadata } from "./prealloc.ts";
import { canEmptyCompletely, emptyCompletely } from "./empty.ts";
import { deflateCluster, inflateCluster } from "./deflate.ts";
import {
  Autoclear,
  be64,
  headerCluster,
  HeaderField,
  Incompat,
  type Qcow2Header,
} from "./header.ts";
import {
  type ClusterMapping,
  compressedClusters,
  decodeEntry,
  encodeCompressed,
  encodeEntry,
} from "./l2.ts";
import { Refcounts, tableOffsets } from "./refcount.ts";
import { Qcow2Status } from "./status.ts";
import { type Qcow2Crypt, sealed } from "./crypt.ts";
import { readDecrypted, wholeSectors } from "../luks/sector_cipher.ts";

/** L2 tables kept in memory at most (a table maps cluster_size/8 clusters). */
const L2_CACHE_TABLES = 512;

/**
 * A qcow2 image open for reading, or for reading and writing.
 *
 * @example
 * ```ts ignore
 * const img = await openImage("disk.qcow2", { format: "qcow2" });
 * img.write(0, new Uint8Array(65536).fill(1)); // allocates one cluster
 * img.close();
 * ```
 */
export class Qcow2Image implements BlockDriver {
  readonly format = "qcow2";
  readonly clusterSize: number;
  readonly clusterBits: number;
  readonly l2Entries: number;
  /** L1 entries (host offset of each L2 table, 0 if none) */
  l1: number[];
  /** the COPIED flag of each L1 entry */
  l1Copied: boolean[];
  readonly refcounts: Refcounts;
  /** the external data file the data clusters are in (each at its guest offset), if any */
  dataFile?: HostFile;
  /** the cipher of an encrypted image's data clusters */
  crypt?: Qcow2Crypt;
  readonly #l2Cache = new Map<number, Uint8Array>();
  #lastCompressed: { host: number; data: Uint8Array } | undefined;
  readonly #status = new Qcow2Status(this);

  constructor(
    readonly file: HostFile,
    readonly header: Qcow2Header,
    readonly backing: BlockDriver | undefined,
    readonly writable: boolean,
  ) {
    this.clusterBits = header.clusterBits;
    this.clusterSize = 2 ** header.clusterBits;
    this.l2Entries = this.clusterSize / 8;
    this.l1 = [];
    this.l1Copied = [];
    this.reload();
    this.refcounts = new Refcounts(
      file,
      header.clusterBits,
      header.refcountOrder,
      header.refcountTableOffset,
      header.refcountTableClusters,
    );
  }

  /** Rereads the L1 table and forgets cached L2 tables (after a repair rewrote them). */
  reload(): void {
    const h = this.header;
    const raw = this.file.read(h.l1TableOffset, h.l1Size * 8);
    this.l1 = tableOffsets(raw, h.l1Size);
    this.l1Copied = this.l1.map((_, i) => (raw[i * 8] & 0x80) !== 0);
    this.#l2Cache.clear();
  }

  /** Virtual size in bytes: whole sectors, as QEMU rounds the header's size down. */
  get size(): number {
    return this.header.size - (this.header.size % 512);
  }

  #bad(what: string): EmuError {
    return new EmuError(`${this.file.path}: ${what}`, "check it with emu img check");
  }

  /**
   * The L2 table at host offset `offset`, checked to be cluster-aligned; one
   * past the end of the file reads as zeros, as in QEMU.
   */
  l2Table(offset: number): Uint8Array {
    let t = this.#l2Cache.get(offset);
    if (t) return t;
    if (offset % this.clusterSize || offset === 0) {
      throw this.#bad(`L2 table offset 0x${offset.toString(16)} invalid (unaligned)`);
    }
    if (this.#l2Cache.size >= L2_CACHE_TABLES) this.#l2Cache.clear();
    t = this.file.read(offset, this.clusterSize);
    this.#l2Cache.set(offset, t);
    return t;
  }

  /** The mapping of guest cluster `index`. */
  lookup(index: number): ClusterMapping {
    const l2Offset = this.l1[Math.floor(index / this.l2Entries)] ?? 0;
    if (!l2Offset) return { kind: "unallocated", host: 0, copied: false, compressedSize: 0 };
    const m = decodeEntry(this.l2Table(l2Offset), (index % this.l2Entries) * 8, this.clusterBits);
    // in an external data file, offset 0 is a cluster like any other (as QEMU, when COPIED)
    if (m.kind === "unallocated" && m.copied && this.dataFile) m.kind = "data";
    if (m.kind === "zero" && this.header.version === 2) {
      throw this.#bad(`zero cluster flag in a version 2 image (guest cluster ${index})`);
    }
    const end = (this.dataFile ?? this.file).size;
    if (m.kind === "data" && (m.host % this.clusterSize || m.host >= end)) {
      throw this.#bad(`data cluster offset 0x${m.host.toString(16)} invalid (past the end)`);
    }
    return m;
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(offset, out);
    return out;
  }

  /** Fills `out` with the guest bytes at `offset`; data contiguous on the host is read at once. */
  readInto(offset: number, out: Uint8Array): void {
    this.#readRange(offset, out, this.size);
  }

  /**
   * The guest bytes at `offset` as a copy-on-write reads them, past the
   * disk's end too (the backing file's there, else zeros), as QEMU's COW
   * reads through the format driver.
   */
  readForCopy(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.#readRange(offset, out, offset + length);
    return out;
  }

  /** `readInto` of the bytes before `limit` (the disk's end, or the VM state area's). */
  #readRange(offset: number, out: Uint8Array, limit: number): void {
    const cs = this.clusterSize, end = Math.min(offset + out.length, limit);
    let pos = offset;
    while (pos < end) {
      const index = Math.floor(pos / cs), inCluster = pos % cs;
      let n = Math.min(cs - inCluster, end - pos);
      const m = this.lookup(index);
      if (m.kind === "data") n = this.#hostRun(index, m.host, pos + n, end) - pos;
      const dst = out.subarray(pos - offset, pos - offset + n);
      if (m.kind === "data") this.#readData(m.host + inCluster, pos, dst);
      else if (m.kind === "compressed") {
        dst.set(this.#decompress(m).subarray(inCluster, inCluster + n));
      } else if (m.kind === "unallocated" && this.backing && pos < this.backing.size) {
        const below = Math.min(n, this.backing.size - pos);
        dst.set(this.backing.read(pos, below));
        dst.fill(0, below);
      } else dst.fill(0);
      pos += n;
    }
    out.fill(0, Math.max(0, end - offset));
  }

  /** Data at host offset `host` (guest `guest`) into `dst`, decrypted if encrypted. */
  #readData(host: number, guest: number, dst: Uint8Array): void {
    const file = this.dataFile ?? this.file, c = this.crypt;
    if (!c) return file.readInto(host, dst);
    const read = (at: number, n: number) => file.read(at, n);
    dst.set(readDecrypted(c.cipher, read, host, dst.length, c.physical ? host : guest));
  }

  /**
   * The guest offset where the host-contiguous data run that starts at
   * cluster `index` (host `host`) ends, from `from` and at most to `end`.
   */
  #hostRun(index: number, host: number, from: number, end: number): number {
    const cs = this.clusterSize;
    for (let c = index + 1; from < end; c++) {
      const m = this.lookup(c);
      if (m.kind !== "data" || m.host !== host + (c - index) * cs) break;
      from = Math.min(from + cs, end);
    }
    return from;
  }

  #decompress(m: ClusterMapping): Uint8Array {
    if (this.#lastCompressed?.host === m.host) return this.#lastCompressed.data;
    const raw = this.file.read(m.host, m.compressedSize);
    let data: Uint8Array;
    try {
      data = inflateCluster(raw);
    } catch {
      throw this.#bad(`compressed cluster at 0x${m.host.toString(16)} does not inflate`);
    }
    if (data.length < this.clusterSize) {
      throw this.#bad(`compressed cluster at 0x${m.host.toString(16)} is short`);
    }
    data = data.subarray(0, this.clusterSize);
    this.#lastCompressed = { host: m.host, data };
    return data;
  }

  #checkWritable(): void {
    if (!this.writable) throw new EmuError(`${this.file.path}: the image is open read-only`);
  }

  /** Writes `value` into the L2 entry of guest cluster `index`, making its L2 table writable. */
  #setL2(index: number, fill: (table: Uint8Array, at: number) => void): void {
    const l1Index = Math.floor(index / this.l2Entries);
    const table = this.#writableL2(l1Index);
    const at = (index % this.l2Entries) * 8;
    fill(table, at);
    this.file.write(this.l1[l1Index] + at, table.subarray(at, at + 8));
  }

  /**
   * The L2 table of L1 entry `l1Index`, allocated (filled with zeros) or
   * copied (if shared with a snapshot) first when needed. A copy keeps the
   * data refcounts as they are: QEMU counts a data cluster once per L1 table
   * that reaches it, and the copy and the old table are each reached by one.
   */
  #writableL2(l1Index: number): Uint8Array {
    if (l1Index >= this.l1.length) throw this.#bad(`write past the L1 table (entry ${l1Index})`);
    const old = this.l1[l1Index];
    if (old && this.l1Copied[l1Index]) return this.l2Table(old);
    const contents = old ? this.l2Table(old).slice() : new Uint8Array(this.clusterSize);
    const offset = this.refcounts.alloc();
    this.file.write(offset, contents);
    this.#l2Cache.set(offset, contents);
    this.l1[l1Index] = offset;
    this.l1Copied[l1Index] = true;
    const entry = be64(offset);
    entry[0] |= 0x80;
    this.file.write(this.header.l1TableOffset + l1Index * 8, entry);
    if (old) this.refcounts.update(old, 1, -1);
    return contents;
  }

  /** Where guest clusters [index, index+n) go: new clusters, or their place in the data file. */
  #newData(index: number, n: number): number {
    return this.dataFile ? index * this.clusterSize : this.refcounts.alloc(n);
  }

  /** Guest bytes at `guest` stored at host offset `host` (of the data file if any), sealed. */
  #putData(host: number, guest: number, bytes: Uint8Array): void {
    (this.dataFile ?? this.file).write(host, sealed(this.crypt, host, guest, bytes));
  }

  /** Drops `m`'s references; with `discard`, the clusters freed read as zeros (QEMU's discard). */
  #release(m: ClusterMapping, discard = false): void {
    if (this.dataFile) return; // the data file's clusters are not counted
    const drop = (offset: number, n: number) =>
      discard ? this.refcounts.release(offset, n) : this.refcounts.update(offset, n, -1);
    if (m.kind === "compressed") drop(...compressedClusters(m, this.clusterSize));
    else if (m.host) drop(m.host, 1);
  }

  write(offset: number, data: Uint8Array): void {
    this.#checkWritable();
    if (offset < 0 || offset + data.length > this.size) {
      throw this.#bad("write past the end of the disk");
    }
    // an encrypted image takes whole sectors, as QEMU's
    if (this.crypt) this.#writeRange(...wholeSectors(offset, data, (at, n) => this.read(at, n)));
    else this.#writeRange(offset, data);
  }

  /** `write` without the bounds check (the VM state area is past the disk's end). */
  #writeRange(offset: number, data: Uint8Array): void {
    const cs = this.clusterSize;
    let pos = offset;
    while (pos < offset + data.length) {
      const index = Math.floor(pos / cs), inCluster = pos % cs;
      const run = inCluster
        ? 0
        : this.#freshRun(index, Math.floor((offset + data.length - pos) / cs));
      if (run > 1) {
        this.#writeFresh(index, data.subarray(pos - offset, pos - offset + run * cs));
        pos += run * cs;
        continue;
      }
      const n = Math.min(cs - inCluster, offset + data.length - pos);
      this.#writeCluster(index, inCluster, data.subarray(pos - offset, pos - offset + n));
      pos += n;
    }
  }

  /** How many of the `max` clusters from `index` (within one L2 table) have no host cluster. */
  #freshRun(index: number, max: number): number {
    const end = Math.min(index + max, (Math.floor(index / this.l2Entries) + 1) * this.l2Entries);
    let i = index;
    while (i < end && this.lookup(i).host === 0 && this.lookup(i).kind !== "compressed") i++;
    return i - index;
  }

  /**
   * Writes whole clusters that have no host cluster yet in one go: one
   * contiguous allocation (after the L2 table, as QEMU lays it out), one
   * data write, then the L2 entries in one write.
   */
  #writeFresh(index: number, data: Uint8Array): void {
    this.linkRun(index, data.length / this.clusterSize, undefined, data);
  }

  #writeCluster(index: number, inCluster: number, part: Uint8Array): void {
    const m = this.lookup(index);
    if (m.kind === "data" && m.copied) {
      if (!this.dataFile) this.#checkNotMetadata(m.host);
      return this.#putData(m.host + inCluster, index * this.clusterSize + inCluster, part);
    }
    let contents = part;
    if (part.length < this.clusterSize) {
      contents = this.readForCopy(index * this.clusterSize, this.clusterSize);
      contents.set(part, inCluster);
    }
    this.#writableL2(Math.floor(index / this.l2Entries)); // the L2 table first, as QEMU
    const host = this.#newData(index, 1);
    this.#putData(host, index * this.clusterSize, contents);
    this.#setL2(index, (t, at) => encodeEntry(t, at, host, { copied: true }));
    this.#release(m);
  }

  /** Refuses to write data over the header, the L1 table or the refcount table. */
  #checkNotMetadata(host: number): void {
    const cs = this.clusterSize, h = this.header;
    const within = (start: number, bytes: number) =>
      host >= start - (start % cs) && host < start + Math.max(bytes, 1);
    if (
      host < cs || within(h.l1TableOffset, h.l1Size * 8) ||
      within(this.refcounts.tableOffset, this.refcounts.tableClusters * cs) ||
      this.refcounts.table.includes(host) || this.l1.includes(host)
    ) {
      this.markCorrupt();
      throw this.#bad(
        `data cluster at 0x${host.toString(16)} overlaps metadata; the image is now marked corrupt`,
      );
    }
  }

  /** Sets the corrupt bit (version 3), so QEMU opens the image read-only until it is repaired. */
  markCorrupt(): void {
    if (this.header.version !== 3) return;
    this.header.incompatible |= Incompat.CORRUPT;
    this.file.write(HeaderField.INCOMPAT, be64(this.header.incompatible));
  }

  /**
   * Maps guest clusters [index, index+n), all in one L2 table, to a run of
   * host clusters: from `host` (already counted), or else allocated after
   * the table and given `data` if any (before the entries that reach it),
   * as QEMU lays them out. One write of the table. Returns the run's offset.
   */
  linkRun(index: number, n: number, host?: number, data?: Uint8Array): number {
    const l1Index = Math.floor(index / this.l2Entries), from = index % this.l2Entries;
    const table = this.#writableL2(l1Index);
    const at = host ?? this.#newData(index, n);
    if (data) this.#putData(at, index * this.clusterSize, data);
    for (let k = 0; k < n; k++) {
      encodeEntry(table, (from + k) * 8, at + k * this.clusterSize, { copied: true });
    }
    this.file.write(this.l1[l1Index] + from * 8, table.subarray(from * 8, (from + n) * 8));
    return at;
  }

  /** Stores one whole guest cluster compressed (uncompressed if it does not shrink). */
  writeCompressed(offset: number, cluster: Uint8Array): void {
    this.#checkWritable();
    if (this.dataFile) {
      throw new EmuError(`error while writing at byte ${offset}: Operation not supported`);
    }
    const index = offset / this.clusterSize;
    const packed = deflateCluster(cluster);
    if (packed.length >= this.clusterSize - 512) {
      return this.write(index * this.clusterSize, cluster);
    }
    const old = this.lookup(index);
    this.#writableL2(Math.floor(index / this.l2Entries)); // the L2 table first, as QEMU
    const host = this.refcounts.allocBytes(packed.length);
    this.file.write(host, packed);
    // the file ends on a sector boundary, as qemu-img convert -c leaves it
    if (this.file.size % 512) this.file.truncate(Math.ceil(this.file.size / 512) * 512);
    this.#setL2(index, (t, at) => encodeCompressed(t, at, host, packed.length, this.clusterBits));
    this.#release(old);
  }

  writeZeroes(offset: number, length: number): void {
    this.#checkWritable();
    const cs = this.clusterSize;
    let pos = offset;
    while (pos < offset + length) {
      const index = Math.floor(pos / cs), inCluster = pos % cs;
      const n = Math.min(cs - inCluster, offset + length - pos);
      const m = this.lookup(index);
      const whole = n === cs || (inCluster === 0 && pos + n >= this.size);
      if (whole && this.header.version === 3 && !this.dataFile) {
        if (m.kind !== "zero") {
          this.#setL2(index, (t, at) => encodeEntry(t, at, 0, { copied: false, zero: true }));
          this.#release(m);
        }
      } else if (m.kind !== "unallocated" || this.backing) this.write(pos, new Uint8Array(n));
      pos += n;
    }
  }

  status(offset: number, length: number): BlockExtent {
    return this.#status.status(offset, length);
  }

  resize(size: number, preallocation: Preallocation = "off"): void {
    this.#checkWritable();
    // a raw data file is mapped whole, as QEMU's
    if (this.header.autoclear & Autoclear.DATA_FILE_RAW && preallocation === "off") {
      preallocation = "metadata";
    }
    if (size % 512) throw new EmuError("The new size must be a multiple of 512");
    if (this.header.version === 2 && this.header.nbSnapshots) {
      throw new EmuError("Can't resize a v2 image which has snapshots");
    }
    const needL1 = Math.ceil(size / (this.clusterSize * this.l2Entries));
    const [old, shrinks] = [this.size, size < this.size];
    // as QEMU's truncate over a longer backing file (BDRV_REQ_ZERO_WRITE): the growth reads as
    // zeros, not as the backing file's data; version 2 has no zero clusters to say so
    const zeroStart = Math.ceil(old / this.clusterSize) * this.clusterSize;
    const zeroGrowth = !!this.backing && this.backing.size > old && size > old &&
      preallocation !== "falloc" && preallocation !== "full"; // their new clusters are zeros
    if (zeroGrowth && this.header.version === 2 && size > zeroStart) {
      throw new EmuError("Failed to zero out new clusters: Operation not supported");
    }
    if (shrinks) this.#discardFrom(Math.ceil(size / this.clusterSize), true); // as QEMU's discard
    if (needL1 > this.l1.length) growL1(this, needL1);
    this.header.size = size;
    this.file.write(HeaderField.SIZE, be64(size));
    if (shrinks) this.#truncateTail();
    if (this.dataFile && size > this.dataFile.size) this.dataFile.truncate(size); // as QEMU
    if (preallocation === "falloc" || preallocation === "full") {
      preallocateData(this, old, size, preallocation === "full");
    } else if (preallocation === "metadata") preallocateMetadata(this, old, size);
    if (zeroGrowth) this.#zeroGrowth(old, zeroStart, size);
  }

  /**
   * Makes guest bytes [old, size) read as zeros over the backing file, as
   * QEMU's truncate does: zero clusters from `zeroStart` (preallocated ones
   * keep their host cluster), zeros written before it.
   */
  #zeroGrowth(old: number, zeroStart: number, size: number): void {
    const cs = this.clusterSize;
    for (let index = zeroStart / cs; index < Math.ceil(size / cs); index++) {
      const m = this.lookup(index);
      const host = m.kind === "data" ? m.host : 0;
      this.#setL2(index, (t, at) => encodeEntry(t, at, host, { copied: !!host, zero: true }));
    }
    if (zeroStart > old) this.write(old, new Uint8Array(Math.min(zeroStart, size) - old));
  }

  /** Cuts the file after its last cluster in use, as QEMU does after a shrink. */
  #truncateTail(): void {
    const end = (this.refcounts.lastUsed() + 1) * this.clusterSize;
    if (end > 0 && end < this.file.size) this.file.truncate(end);
  }

  /** Unmaps guest clusters from `first` on (visiting L2 tables that exist); `discard`: as zeros. */
  #discardFrom(first: number, discard = false): void {
    for (let l1i = Math.floor(first / this.l2Entries); l1i < this.l1.length; l1i++) {
      if (!this.l1[l1i]) continue;
      const from = Math.max(first, l1i * this.l2Entries);
      for (let index = from; index < (l1i + 1) * this.l2Entries; index++) {
        const m = this.lookup(index);
        if (m.kind === "unallocated") continue;
        this.#setL2(index, (t, at) => encodeEntry(t, at, 0, { copied: false }));
        this.#release(m, discard);
      }
    }
  }

  describe(): ImageDescription {
    return describeQcow2(this.header, this.file);
  }

  check(repair: "leaks" | "all" | undefined, log: (line: string) => void): CheckResult {
    return checkQcow2(this, repair, log);
  }

  createSnapshot(name: string, date: Date, vm?: VmState): void {
    this.#checkWritable();
    if (this.dataFile) {
      throw new EmuError(`Could not create snapshot '${name}': -95 (Operation not supported)`);
    }
    if (vm) {
      const end = this.vmStateOffset + vm.data.length;
      const needL1 = Math.ceil(end / (this.clusterSize * this.l2Entries));
      if (needL1 > this.l1.length) growL1(this, needL1);
      this.#writeRange(this.vmStateOffset, vm.data);
    }
    createSnapshot(this, name, date, vm);
    // the active table needs the state no more (QEMU discards it, sparing the next copy)
    if (vm) this.#discardFrom(this.vmStateOffset / this.clusterSize);
  }

  /** Where the VM state area starts: the first L1 entry past the disk (qcow2_vm_state_offset). */
  get vmStateOffset(): number {
    return vmStateOffset(this, this.size);
  }

  readVmState(id: string, length: number): Uint8Array<ArrayBuffer> {
    const table = snapshotTable(this, id);
    if (!table) throw new EmuError(`${this.file.path}: no snapshot with id ${id}`);
    const out = new Uint8Array(length), at = vmStateOffset(this, table.diskSize);
    // the snapshot's table maps the reads for a moment; the disk stays as it is
    const active = this.l1;
    this.l1 = table.l1;
    try {
      this.#readRange(at, out, at + length);
    } finally {
      this.l1 = active;
    }
    return out;
  }

  applySnapshot(idOrName: string): boolean {
    this.#checkWritable();
    return applySnapshot(this, idOrName);
  }

  deleteSnapshot(name: string): boolean {
    this.#checkWritable();
    return deleteSnapshot(this, name);
  }

  /** Unmaps every guest cluster (what `commit` leaves in the top image). */
  makeEmpty(): void {
    this.#checkWritable();
    if (canEmptyCompletely(this)) emptyCompletely(this);
    else this.#discardFrom(0, true); // QEMU's fallback discards every cluster
  }

  prepareAmend(options: Record<string, string>): (progress: AmendProgress) => void {
    this.#checkWritable();
    return prepareAmend(this, options);
  }

  /** Stores backing file name `name` and format `format` in the header ("" for none). */
  setBacking(name: string, format: string | undefined): void {
    this.#checkWritable();
    const backing = name ? { backingFile: name, backingFormat: format } : {};
    this.rewriteHeader({ backingFile: undefined, backingFormat: undefined, ...backing });
  }

  /** Writes the header with `changes` as its whole cluster (`amend`, `rebase`): see headerCluster. */
  rewriteHeader(changes: Partial<Qcow2Header>): void {
    const h = { ...this.header, ...changes };
    this.file.write(0, headerCluster(h, this.clusterSize));
    Object.assign(this.header, h);
  }

  flush(): void {
    this.file.sync();
  }

  close(): void {
    if (this.writable) this.flush();
    this.#status.close();
    this.file.close();
    this.dataFile?.close();
    this.backing?.close();
  }
}

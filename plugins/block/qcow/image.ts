/**
 * An open qcow (version 1) image: the L1 table in memory, L2 tables read as needed. A guest
 * cluster is unallocated (read from the backing file, else zero), stored plainly, or stored
 * compressed (raw deflate, its size in the L2 entry). As QEMU's driver, a write allocates
 * clusters and L2 tables at the end of the file, cluster-aligned; the sectors of a new
 * cluster a write does not reach read as zero (QEMU's qcow copies nothing from the backing
 * file, its block layer only completes partial sectors); a
 * compressed cluster written in part is stored again plainly; a compressed write goes at the
 * very end of the file.
 *
 * @module
 */

import {
  type BlockDriver,
  type BlockExtent,
  EmuError,
  type HostFile,
  type ImageDescription,
} from "../../../plugin_block.ts";
import { deflateCluster, inflateCluster } from "../qcow2/deflate.ts";
import { readDecrypted, SECTOR, type SectorCipher, wholeSectors } from "../luks/sector_cipher.ts";
import { COMPRESSED, type QcowHeader } from "./header.ts";

/** The furthest byte QEMU's block layer reads (BDRV_MAX_LENGTH, 2^63 - 2^30): past it, EIO. */
const MAX_LENGTH = 2 ** 63 - 2 ** 30;

/** Where a guest cluster's bytes are. */
type Cluster =
  | { kind: "none" }
  | { kind: "data"; host: number }
  | { kind: "compressed"; host: number; bytes: number };

/** A qcow image. */
export class QcowImage implements BlockDriver {
  readonly format = "qcow";
  readonly size: number;
  readonly clusterSize: number;
  /** the L1 table's nonzero entries (a table past the end of the file reads as zeros) */
  readonly #l1 = new Map<number, bigint>();
  readonly #l2Entries: number;

  constructor(
    readonly file: HostFile,
    readonly header: QcowHeader,
    readonly backing: BlockDriver | undefined,
    readonly cipher?: SectorCipher,
  ) {
    this.size = header.size;
    this.clusterSize = 2 ** header.clusterBits;
    this.#l2Entries = 2 ** header.l2Bits;
    const stored = Math.max(0, Math.min(header.l1Size * 8, file.size - header.l1Offset));
    const entries = Math.ceil(stored / 8);
    const l1 = file.read(header.l1Offset, entries * 8); // zeros past the end of the file
    const v = new DataView(l1.buffer, l1.byteOffset, l1.length);
    for (let i = 0; i < entries; i++) {
      const entry = v.getBigUint64(i * 8);
      if (entry) this.#l1.set(i, entry);
    }
  }

  /** Where guest cluster `index` is. */
  #lookup(index: number): Cluster {
    const l2 = this.#l1.get(Math.floor(index / this.#l2Entries));
    if (!l2) return { kind: "none" };
    // QEMU reads the whole table: one past what its block layer reads (or "negative") is EIO
    this.#within(Number(l2), this.#l2Entries * 8, `the L2 table of cluster ${index}`);
    const at = Number(l2) + (index % this.#l2Entries) * 8;
    const entry = new DataView(this.file.read(at, 8).buffer).getBigUint64(0);
    if (!entry) return { kind: "none" };
    if (!(entry & COMPRESSED)) return { kind: "data", host: Number(entry) };
    const shift = BigInt(63 - this.header.clusterBits);
    const bytes = Number((entry >> shift) & BigInt(this.clusterSize - 1));
    return { kind: "compressed", host: Number(entry & ((1n << shift) - 1n)), bytes };
  }

  /** Refuses, as QEMU's EIO, bytes `[at, at+length)` of the file past what QEMU reads. */
  #within(at: number, length: number, what: string): void {
    if (at + length > MAX_LENGTH) {
      throw new EmuError(`${this.file.path}: ${what} at 0x${at.toString(16)}: Input/output error`);
    }
  }

  /** The host offset of data cluster `index` at `host`; QEMU's EIO when not sector-aligned. */
  #dataAt(index: number, host: number): number {
    if (host % SECTOR) {
      const at = `0x${host.toString(16)}`;
      throw new EmuError(
        `${this.file.path}: cluster ${index} at ${at} is not sector-aligned: Input/output error`,
      );
    }
    return host;
  }

  /** The guest bytes of cluster `index`, from `from` on, `length` of them. */
  #readCluster(index: number, from: number, length: number): Uint8Array {
    const c = this.#lookup(index);
    const pos = index * this.clusterSize + from;
    if (c.kind === "data") {
      const host = this.#dataAt(index, c.host) + from;
      this.#within(host, length, `cluster ${index}`);
      if (!this.cipher) return this.file.read(host, length);
      return readDecrypted(this.cipher, (at, n) => this.file.read(at, n), host, length, pos);
    }
    if (c.kind === "compressed") return this.#inflate(c).slice(from, from + length);
    if (!this.backing || pos >= this.backing.size) return new Uint8Array(length);
    const out = new Uint8Array(length);
    out.set(this.backing.read(pos, Math.min(length, this.backing.size - pos)));
    return out;
  }

  /** A compressed cluster's bytes: QEMU's EIO unless they inflate to a whole cluster at least. */
  #inflate(c: { host: number; bytes: number }): Uint8Array {
    this.#within(c.host, c.bytes, "a compressed cluster");
    let out: Uint8Array | undefined;
    try {
      out = inflateCluster(this.file.read(c.host, c.bytes));
    } catch {
      // garbage: the same error as a short stream
    }
    if (!out || out.length < this.clusterSize) {
      throw new EmuError(`${this.file.path}: a compressed cluster does not inflate`);
    }
    return out.subarray(0, this.clusterSize);
  }

  /** Calls `each` with the clusters of `[offset, offset+length)`, one piece each. */
  #pieces(
    offset: number,
    length: number,
    each: (i: number, from: number, n: number, done: number) => void,
  ) {
    for (let done = 0; done < length;) {
      const pos = offset + done, from = pos % this.clusterSize;
      const n = Math.min(length - done, this.clusterSize - from);
      each(Math.floor(pos / this.clusterSize), from, n, done);
      done += n;
    }
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const end = Math.min(length, Math.max(0, this.size - offset));
    this.#pieces(offset, end, (i, from, n, done) => out.set(this.#readCluster(i, from, n), done));
    return out;
  }

  /**
   * Writes whole 512-byte sectors, as QEMU's block layer hands them to its qcow driver: a
   * partial sector is completed with what it reads now (the backing file's bytes too).
   */
  write(offset: number, data: Uint8Array): void {
    if (offset + data.length > this.size) {
      throw new EmuError(`${this.file.path}: write past the end of the disk`);
    }
    this.#writeSectors(...wholeSectors(offset, data, (at, n) => this.read(at, n)));
  }

  #writeSectors(offset: number, data: Uint8Array): void {
    this.#pieces(offset, data.length, (i, from, n, done) => {
      const c = this.#lookup(i);
      let host = c.kind === "data" ? this.#dataAt(i, c.host) : 0;
      if (!host) {
        const keep = c.kind === "compressed" && n < this.clusterSize ? this.#inflate(c) : null;
        host = this.#allocate(i, () => BigInt(this.#endOfFile(true)));
        const fill = keep ?? new Uint8Array(this.clusterSize);
        this.file.write(host, this.#sealed(i * this.clusterSize, fill));
      }
      const pos = i * this.clusterSize + from;
      this.file.write(host + from, this.#sealed(pos, data.subarray(done, done + n)));
    });
  }

  /** Whole sectors `data` at guest `offset` as stored: encrypted if the image is. */
  #sealed(offset: number, data: Uint8Array): Uint8Array {
    if (!this.cipher) return data;
    const out = data.slice();
    this.cipher.encrypt(offset / SECTOR, out);
    return out;
  }

  /** Stores whole cluster `data` at `offset` compressed, or plainly when that is not smaller. */
  writeCompressed(offset: number, data: Uint8Array): void {
    const packed = deflateCluster(data);
    if (packed.length >= this.clusterSize) return this.write(offset, data);
    const shift = BigInt(63 - this.header.clusterBits);
    const host = this.#allocate(
      offset / this.clusterSize,
      () => COMPRESSED | (BigInt(packed.length) << shift) | BigInt(this.#endOfFile(false)),
    );
    this.file.write(host, packed);
  }

  /** The end of the file, rounded up to a cluster when `aligned`. */
  #endOfFile(aligned: boolean): number {
    const end = this.file.size;
    return Math.ceil(end / (aligned ? this.clusterSize : 512)) * (aligned ? this.clusterSize : 512);
  }

  /**
   * Sets the L2 entry of cluster `index` to what `entry` gives once its L2 table is there (made
   * at the end of the file first if needed, as QEMU's), and returns the host offset it names.
   */
  #allocate(index: number, makeEntry: () => bigint): number {
    const l1i = Math.floor(index / this.#l2Entries);
    if (!this.#l1.get(l1i)) {
      const table = this.#endOfFile(true);
      this.file.write(table, new Uint8Array(this.#l2Entries * 8));
      this.#l1.set(l1i, BigInt(table));
      this.#putU64(this.header.l1Offset + l1i * 8, BigInt(table));
    }
    const entry = makeEntry();
    this.#putU64(Number(this.#l1.get(l1i)) + (index % this.#l2Entries) * 8, entry);
    return Number(entry & ((1n << BigInt(63 - this.header.clusterBits)) - 1n));
  }

  #putU64(at: number, value: bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, value);
    this.file.write(at, b);
  }

  writeZeroes(offset: number, length: number): void {
    this.write(offset, new Uint8Array(length));
  }

  status(offset: number, length: number): BlockExtent {
    const end = Math.min(offset + length, this.size);
    const first = this.#clusterStatus(offset, end);
    let pos = offset + first.length;
    const holes = !first.present && !this.backing;
    while (pos < end) {
      // nothing mapped and nothing below: an L2 table's whole span at once where there is none
      const span = this.clusterSize * this.#l2Entries;
      if (holes && !this.#l1.get(Math.floor(pos / span))) {
        pos = Math.min(end, (Math.floor(pos / span) + 1) * span);
        continue;
      }
      const next = this.#clusterStatus(pos, end);
      const host = first.hostOffset === undefined
        ? next.hostOffset === undefined
        : next.hostOffset === first.hostOffset + (pos - offset);
      const same = next.present === first.present && next.data === first.data &&
        next.zero === first.zero && next.depth === first.depth && !!next.compressed ===
          !!first.compressed;
      if (!same || !host) break;
      pos += next.length;
    }
    return { ...first, start: offset, length: pos - offset };
  }

  /** The status of the bytes from `pos` to the end of its cluster or `end`. */
  #clusterStatus(pos: number, end: number): BlockExtent {
    const c = this.#lookup(Math.floor(pos / this.clusterSize));
    const from = pos % this.clusterSize;
    const length = Math.max(1, Math.min(this.clusterSize - from, end - pos));
    const base = { start: pos, length, depth: 0, present: true, zero: false, data: true };
    // an encrypted image's host offsets are not told, as QEMU's
    if (c.kind === "data") return { ...base, hostOffset: this.cipher ? undefined : c.host + from };
    if (c.kind === "compressed") return { ...base, compressed: true };
    if (!this.backing || pos >= this.backing.size) {
      return { ...base, present: false, data: false, zero: true };
    }
    const below = this.backing.status(pos, Math.min(length, this.backing.size - pos));
    return { ...below, start: pos, length: Math.max(1, below.length), depth: below.depth + 1 };
  }

  /** Unmaps every cluster, the file cut after the L1 table, as QEMU's qcow_make_empty (`commit`). */
  makeEmpty(): void {
    this.#l1.clear();
    const bytes = this.header.l1Size * 8;
    this.file.write(this.header.l1Offset, new Uint8Array(bytes));
    this.file.truncate(this.header.l1Offset + bytes);
  }

  resize(): void {
    throw new EmuError("Image format driver does not support resize");
  }

  describe(): ImageDescription {
    return {
      backingFile: this.header.backingFile,
      dirty: false,
      encrypted: !!this.header.cryptMethod,
    };
  }

  flush(): void {
    this.file.sync();
  }

  close(): void {
    this.flush();
    this.file.close();
    this.backing?.close();
  }
}

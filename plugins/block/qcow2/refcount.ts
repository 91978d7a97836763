/**
 * qcow2 refcounts: the two-level table (refcount table -> refcount blocks)
 * that counts the references to each host cluster, with any `refcount_bits`
 * from 1 to 64, and cluster allocation on top of it.
 *
 * Every change is written through to the file at once, and in QEMU's order:
 * a new refcount block is written before the table entry that points to it,
 * and a cluster's refcount is set before anything points to the cluster, so a
 * crash leaves leaks at worst, never a cluster in use with refcount 0.
 *
 * @module
 */

import { EmuError, type HostFile } from "../../../plugin_block.ts";
import { be64, HeaderField, MAX_REFTABLE_BYTES } from "./header.ts";

/** Reads a big-endian u64 table entry (offsets below 2^53) from `b` at byte `at`. */
export function entryAt(b: Uint8Array, at: number): number {
  const v = new DataView(b.buffer, b.byteOffset);
  return (v.getUint32(at) & 0x1fffff) * 0x100000000 + v.getUint32(at + 4);
}

/**
 * The index of the first (`last`: the last) non-zero 8-byte entry of `raw`
 * in [from, to), or -1. The engine's builtin searches (`findIndex(Boolean)`
 * over 32-bit words): tables are read once per open, and a JavaScript loop
 * over a table's 8192 entries ran cold, 2 to 3 ms a table.
 */
export function nonZeroEntry(raw: Uint8Array, from: number, to: number, last = false): number {
  const aligned = raw.byteOffset % 4 === 0, perEntry = aligned ? 2 : 8;
  const view = aligned
    ? new Uint32Array(raw.buffer, raw.byteOffset + from * 8, (to - from) * 2)
    : raw.subarray(from * 8, to * 8);
  const hit = last ? view.findLastIndex(Boolean) : view.findIndex(Boolean);
  return hit < 0 ? -1 : from + Math.floor(hit / perEntry);
}

/**
 * The offsets (bits 9 to 55) of the first `count` 8-byte entries of `raw`,
 * an L1 or refcount table; entries after the last non-zero one are not
 * decoded (most of a new image's table).
 */
export function tableOffsets(raw: Uint8Array, count = raw.length / 8): number[] {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Array<number>(count).fill(0);
  const end = nonZeroEntry(raw, 0, count, true) + 1;
  for (let i = 0; i < end; i++) {
    out[i] = (v.getUint32(i * 8) & 0xffffff) * 0x100000000 +
      ((v.getUint32(i * 8 + 4) & 0xfffffe00) >>> 0);
  }
  return out;
}

/** Refcounts of one image, and allocation of its clusters. */
export class Refcounts {
  /** host offsets of the refcount blocks (0: none yet) */
  table: number[];
  tableOffset: number;
  tableClusters: number;
  readonly #blocks = new Map<number, Uint8Array>();
  /** refcount width and the entries per block: set by the refcount order */
  bits = 16;
  perBlock = 0;
  max = 0;
  /** the lowest cluster index that may be free */
  #freeHint = 0;

  constructor(
    readonly file: HostFile,
    readonly clusterBits: number,
    refcountOrder: number,
    tableOffset: number,
    tableClusters: number,
  ) {
    [this.table, this.tableOffset, this.tableClusters] = [[], tableOffset, tableClusters];
    this.replaceTable(tableOffset, tableClusters, refcountOrder);
  }

  /**
   * Switches to the refcount table at `offset`, `clusters` long, of entries
   * `2^order` bits wide, and reads it (after a rebuild).
   */
  replaceTable(offset: number, clusters: number, order: number): void {
    this.bits = 1 << order;
    this.perBlock = (2 ** this.clusterBits * 8) / this.bits;
    this.max = this.bits >= 53 ? Number.MAX_SAFE_INTEGER : 2 ** this.bits - 1;
    [this.tableOffset, this.tableClusters] = [offset, clusters];
    this.table = tableOffsets(this.file.read(offset, clusters * this.clusterSize));
    this.#blocks.clear();
    this.#freeHint = 0;
  }

  /** Bytes per cluster. */
  get clusterSize(): number {
    return 2 ** this.clusterBits;
  }

  #block(offset: number): Uint8Array {
    let b = this.#blocks.get(offset);
    if (!b) {
      // a block that starts in the file reads as zero past its end, as in QEMU
      if (offset >= this.file.size || offset % this.clusterSize) {
        throw new EmuError(
          `${this.file.path}: refcount block offset 0x${
            offset.toString(16)
          } invalid (past the end of the file or unaligned)`,
          "repair it with emu img check -r all",
        );
      }
      b = this.file.read(offset, this.clusterSize);
      this.#blocks.set(offset, b);
    }
    return b;
  }

  /** The refcount of host cluster `index`. */
  get(index: number): number {
    const blockOffset = this.table[Math.floor(index / this.perBlock)] ?? 0;
    if (!blockOffset) return 0;
    return readRefcount(this.#block(blockOffset), index % this.perBlock, this.bits);
  }

  /** Sets the refcount of cluster `index`, creating its refcount block if needed. */
  set(index: number, value: number): void {
    if (value > this.max || value < 0) {
      throw new EmuError(
        `${this.file.path}: refcount overflow at cluster ${index} (refcount_bits=${this.bits})`,
        "convert the image to one with more refcount_bits",
      );
    }
    const bi = Math.floor(index / this.perBlock);
    if (!this.table[bi]) this.#newBlock(bi);
    const offset = this.table[bi];
    const block = this.#block(offset);
    const byte = writeRefcount(block, index % this.perBlock, this.bits, value);
    this.file.write(offset + byte.at, block.subarray(byte.at, byte.at + byte.length));
    if (value === 0 && index < this.#freeHint) this.#freeHint = index;
  }

  /** Sets the refcounts of clusters [first, first+n) to `value`: one write per refcount block. */
  setRun(first: number, n: number, value: number): void {
    for (let i = first; i < first + n;) {
      const bi = Math.floor(i / this.perBlock);
      const end = Math.min(first + n, (bi + 1) * this.perBlock);
      if (!this.table[bi]) this.#newBlock(bi);
      const offset = this.table[bi], block = this.#block(offset);
      let from = Infinity, to = 0;
      for (let c = i; c < end; c++) {
        const r = writeRefcount(block, c % this.perBlock, this.bits, value);
        [from, to] = [Math.min(from, r.at), Math.max(to, r.at + r.length)];
      }
      this.file.write(offset + from, block.subarray(from, to));
      i = end;
    }
  }

  /** Adds `delta` to the refcounts of `n` clusters from host offset `offset`. */
  update(offset: number, n: number, delta: number): void {
    const first = offset / this.clusterSize;
    for (let i = first; i < first + n; i++) this.set(i, this.get(i) + delta);
  }

  /**
   * Drops one reference to each of `n` clusters from host offset `offset`;
   * those left unused read as zeros afterwards, as QEMU discards clusters
   * that snapshot operations free (its pass-discard-snapshot default).
   */
  release(offset: number, n: number): void {
    const first = offset / this.clusterSize;
    for (let i = first; i < first + n; i++) {
      const left = this.get(i) - 1;
      this.set(i, left);
      const at = i * this.clusterSize;
      if (left || at >= this.file.size) continue;
      this.file.write(at, new Uint8Array(Math.min(this.clusterSize, this.file.size - at)));
    }
  }

  /**
   * Creates the refcount block for block index `bi`: placed in the lowest
   * free cluster if that one is already counted, else in the range it covers
   * (counting itself). The table entry is written last.
   */
  #newBlock(bi: number): void {
    if (bi >= this.table.length) this.#growTable(bi + 1);
    if (this.table[bi]) return;
    let at = this.#findFree(1);
    const atBlock = Math.floor(at / this.perBlock);
    if (atBlock !== bi && !this.table[atBlock]) at = this.#freeIn(bi);
    const block = new Uint8Array(this.clusterSize);
    const offset = at * this.clusterSize;
    if (Math.floor(at / this.perBlock) === bi) {
      writeRefcount(block, at % this.perBlock, this.bits, 1);
    } else this.set(at, 1);
    this.file.write(offset, block);
    this.#blocks.set(offset, block);
    this.table[bi] = offset;
    this.file.write(this.tableOffset + bi * 8, be64(offset));
  }

  /** A cluster of the not yet counted block `bi` that is not being allocated. */
  #freeIn(bi: number): number {
    const [from, to] = this.#pending;
    for (let c = bi * this.perBlock; c < (bi + 1) * this.perBlock; c++) {
      if (c < from || c >= to) return c;
    }
    throw new EmuError(`${this.file.path}: allocation too large for one refcount block`);
  }

  /**
   * Moves the refcount table to a bigger place past everything counted so
   * far, with refcount blocks for its own clusters there too; the header
   * switches to it in one write, then the old table is freed.
   */
  #growTable(minEntries: number): void {
    const cs = this.clusterSize, perTableCluster = cs / 8;
    const start = Math.max(
      this.table.length * this.perBlock,
      Math.ceil(this.file.size / cs),
      this.#pending[1],
    );
    let entries = Math.max(minEntries, this.table.length * 2);
    let tableClusters = 0, blocks = 0;
    for (;;) {
      const end = start + tableClusters + blocks;
      const lastBlock = Math.floor((end - 1) / this.perBlock);
      entries = Math.max(entries, lastBlock + 1);
      const need = Math.ceil(entries / perTableCluster);
      const needBlocks = lastBlock - Math.floor(start / this.perBlock) + 1;
      if (need === tableClusters && needBlocks === blocks) break;
      [tableClusters, blocks] = [need, needBlocks];
    }
    if (tableClusters * cs > MAX_REFTABLE_BYTES) {
      // QEMU's qcow2_grow_refcount_table fails with EFBIG there (a cluster far past the end)
      throw new EmuError(
        `${this.file.path}: the refcount table would grow past ${MAX_REFTABLE_BYTES >> 20} MiB ` +
          `(a reference to host cluster ${
            minEntries * this.perBlock - 1
          } or below): File too large`,
        "the image is corrupt; emu img check shows where",
      );
    }
    const firstBlock = Math.floor(start / this.perBlock);
    const newTable = [...this.table];
    while (newTable.length < tableClusters * perTableCluster) newTable.push(0);
    const blockBase = start + tableClusters;
    for (let i = 0; i < blocks; i++) {
      const block = new Uint8Array(cs);
      for (let c = start; c < blockBase + blocks; c++) {
        if (Math.floor(c / this.perBlock) === firstBlock + i) {
          writeRefcount(block, c % this.perBlock, this.bits, 1);
        }
      }
      const offset = (blockBase + i) * cs;
      this.file.write(offset, block);
      this.#blocks.set(offset, block);
      newTable[firstBlock + i] = offset;
    }
    const raw = new Uint8Array(tableClusters * cs);
    newTable.forEach((o, i) => raw.set(be64(o), i * 8));
    this.file.write(start * cs, raw);
    const header = new Uint8Array(12);
    header.set(be64(start * cs), 0);
    new DataView(header.buffer).setUint32(8, tableClusters);
    this.file.write(HeaderField.REFTABLE_OFFSET, header);
    const [oldOffset, oldClusters] = [this.tableOffset, this.tableClusters];
    [this.table, this.tableOffset, this.tableClusters] = [newTable, start * cs, tableClusters];
    this.update(oldOffset, oldClusters, -1);
  }

  /**
   * The first run of `n` free clusters not being allocated, from the free
   * hint on. The hint first moves past the clusters in use it points at:
   * when the image's first free cluster came after its metadata, the hint
   * stayed before it and each allocation scanned all clusters allocated so
   * far (133,445 refcount reads to write 256 MiB, 32 per cluster; now 1).
   */
  #findFree(n: number): number {
    const [from, to] = this.#pending;
    while (this.get(this.#freeHint) !== 0) this.#freeHint++; // all below the hint are in use
    let start = this.#freeHint;
    for (let i = start; i < start + n; i++) {
      if (this.get(i) !== 0 || (i >= from && i < to)) start = i + 1;
    }
    return start;
  }

  /**
   * The last cluster with a non-zero refcount, or -1 (QEMU's
   * qcow2_get_last_cluster, walking the refcount table from its end).
   */
  lastUsed(): number {
    for (let bi = this.table.length - 1; bi >= 0; bi--) {
      if (!this.table[bi]) continue;
      const block = this.#block(this.table[bi]);
      for (let i = this.perBlock - 1; i >= 0; i--) {
        if (readRefcount(block, i, this.bits)) return bi * this.perBlock + i;
      }
    }
    return -1;
  }

  /** Makes allocation search from cluster `index` on (repairs allocate past the end). */
  searchFrom(index: number): void {
    this.#freeHint = index;
  }

  /** clusters being allocated: [first, end) */
  #pending: [number, number] = [0, 0];

  /**
   * Allocates `n` contiguous clusters (refcount 1) and returns the host offset
   * of the first; the caller writes them. Refcount blocks the run needs are
   * placed right after it.
   */
  alloc(n = 1): number {
    const first = this.#findFree(n);
    const blocks = this.#coverRun(first, n);
    this.setRun(first, n, 1);
    for (const b of blocks) this.set(b, 1);
    this.#pending = [0, 0];
    if (first === this.#freeHint) this.#freeHint = first + n;
    return first * this.clusterSize; // the caller writes the clusters, which grows the file
  }

  /**
   * Creates the missing refcount blocks for clusters [first, first+n), each
   * in a cluster after the run (and so possibly needing one more block).
   * Blocks are written before their table entries; their own refcounts are
   * set by the caller. Returns the clusters used.
   */
  #coverRun(first: number, n: number): number[] {
    let end = first + n;
    const placed: number[] = [];
    this.#pending = [first, end];
    for (
      let b = Math.floor(first / this.perBlock);
      b <= Math.floor((end - 1) / this.perBlock);
      b++
    ) {
      if (b >= this.table.length) this.#growTable(b + 1);
      if (this.table[b]) continue;
      let at = end;
      while (this.get(at) !== 0) at++;
      end = at + 1;
      this.#pending = [first, end];
      const offset = at * this.clusterSize;
      const block = new Uint8Array(this.clusterSize);
      this.file.write(offset, block);
      this.#blocks.set(offset, block);
      this.table[b] = offset;
      this.file.write(this.tableOffset + b * 8, be64(offset));
      placed.push(at);
    }
    return placed;
  }

  #bytesAt = 0;
  /**
   * Allocates `size` bytes (at most a cluster) for compressed data, packed
   * after the previous allocation while they fit in its cluster; each
   * cluster holding compressed data counts one reference per piece; a piece
   * whose reference would overflow the refcount starts a new cluster, as
   * QEMU's qcow2_alloc_bytes does.
   */
  allocBytes(size: number): number {
    const cs = this.clusterSize;
    let at = this.#bytesAt;
    const refs = this.get(Math.floor(at / cs));
    if (at % cs !== 0 && (at % cs) + size <= cs && refs > 0 && refs < this.max) {
      this.update(at - (at % cs), 1, 1);
    } else at = this.alloc(1);
    this.#bytesAt = at + size;
    return at;
  }
}

/** Reads entry `i` of refcount block `b` with `bits`-wide entries. */
export function readRefcount(b: Uint8Array, i: number, bits: number): number {
  if (bits < 8) {
    const per = 8 / bits;
    return (b[Math.floor(i / per)] >> ((i % per) * bits)) & ((1 << bits) - 1);
  }
  const v = new DataView(b.buffer, b.byteOffset);
  const at = i * (bits / 8);
  if (bits === 8) return v.getUint8(at);
  if (bits === 16) return v.getUint16(at);
  if (bits === 32) return v.getUint32(at);
  return v.getUint32(at) >= 0x200000 ? Number.MAX_SAFE_INTEGER : entryAt(b, at);
}

/** Writes entry `i`; returns the changed byte range. */
export function writeRefcount(
  b: Uint8Array,
  i: number,
  bits: number,
  value: number,
): { at: number; length: number } {
  if (bits < 8) {
    const per = 8 / bits, at = Math.floor(i / per), shift = (i % per) * bits;
    const mask = ((1 << bits) - 1) << shift;
    b[at] = (b[at] & ~mask) | ((value << shift) & mask);
    return { at, length: 1 };
  }
  const v = new DataView(b.buffer, b.byteOffset);
  const at = i * (bits / 8);
  if (bits === 8) v.setUint8(at, value);
  else if (bits === 16) v.setUint16(at, value);
  else if (bits === 32) v.setUint32(at, value);
  else b.set(be64(value), at);
  return { at, length: Math.max(1, bits / 8) };
}

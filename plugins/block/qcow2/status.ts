/**
 * Block status of a qcow2 image, as QEMU's qcow2_co_block_status and
 * bdrv_co_block_status report it: a data cluster whose host bytes are a
 * hole in the file maps as zero, an unallocated one as its backing file's
 * status one level down.
 *
 * @module
 */

import { type BlockExtent, SparseMap } from "../../../plugin_block.ts";
import type { Qcow2Image } from "./image.ts";
import { nonZeroEntry } from "./refcount.ts";

/** The status of the guest bytes of one image. */
export class Qcow2Status {
  /** The host file's holes (found on the first status asked, as raw's): data over one is zero. */
  #holes: SparseMap | null | undefined;

  constructor(private readonly img: Qcow2Image) {}

  /** Closes the hole map. */
  close(): void {
    this.#holes?.close();
  }

  /** The run from `offset` (at most `length` bytes) that has one status. */
  status(offset: number, length: number): BlockExtent {
    const end = Math.min(offset + length, this.img.size);
    const first = this.#clusterStatus(offset, end);
    let pos = offset + first.length;
    // unallocated with nothing below: skip what reads the same without decoding it
    const holes = !first.present && !this.img.backing;
    while (pos < end) {
      if (holes && (pos += this.#unmappedBytes(pos, end)) >= end) break;
      const next = this.#clusterStatus(pos, end);
      const contiguous = first.hostOffset === undefined
        ? next.hostOffset === undefined
        : next.hostOffset === first.hostOffset + (pos - offset);
      if (
        next.data !== first.data || next.zero !== first.zero || next.depth !== first.depth ||
        next.present !== first.present || !contiguous || !!next.compressed !== !!first.compressed
      ) break;
      pos += next.length;
    }
    return { ...first, start: offset, length: pos - offset };
  }

  /**
   * The bytes from `pos` (a cluster boundary) before `end` that no L2 table
   * maps, or whose L2 entries are all zero: a whole L2 table's span at once
   * where the L1 entry is 0. A 4 GiB sparse image's status walk went from
   * 65536 decoded entries to 8 L1 entries and the 4 tables' entries, which
   * the engine's builtin search scans (14 -> 3 ms cold).
   */
  #unmappedBytes(pos: number, end: number): number {
    const cs = this.img.clusterSize, last = Math.ceil(end / cs);
    let index = pos / cs;
    while (index < last) {
      const l1i = Math.floor(index / this.img.l2Entries), l2 = this.img.l1[l1i] ?? 0;
      if (!l2) {
        index = (l1i + 1) * this.img.l2Entries;
        continue;
      }
      const base = l1i * this.img.l2Entries, stop = Math.min(last, base + this.img.l2Entries);
      const hit = nonZeroEntry(this.img.l2Table(l2), index - base, stop - base);
      if (hit >= 0) return Math.min((base + hit) * cs, end) - pos;
      index = stop;
    }
    return Math.min(index * cs, end) - pos;
  }

  /**
   * The status of the bytes from `pos` to the end of its cluster or `end`;
   * shorter where a backing file with smaller clusters changes status.
   */
  #clusterStatus(pos: number, end: number): BlockExtent {
    const m = this.img.lookup(Math.floor(pos / this.img.clusterSize));
    const inCluster = pos % this.img.clusterSize;
    const length = Math.max(1, Math.min(this.img.clusterSize - inCluster, end - pos));
    const base = { start: pos, length, depth: 0, present: true };
    // an encrypted image's host offsets are not told, as QEMU's (its data is not the guest's)
    const told = (host: number) => this.img.header.cryptMethod ? undefined : host;
    if (m.kind === "data") {
      const host = m.host + inCluster;
      return { ...base, ...this.#hostStatus(host, length), data: true, hostOffset: told(host) };
    }
    if (m.kind === "compressed") return { ...base, data: true, zero: false, compressed: true };
    if (m.kind === "zero") {
      const hostOffset = m.host ? told(m.host + inCluster) : undefined; // an allocated zero cluster
      return { ...base, data: false, zero: true, hostOffset };
    }
    if (!this.img.backing || pos >= this.img.backing.size) {
      return { ...base, present: false, data: false, zero: true };
    }
    const below = this.img.backing.status(pos, Math.min(length, this.img.backing.size - pos));
    return { ...below, start: pos, length: Math.max(1, below.length), depth: below.depth + 1 };
  }

  /**
   * Whether the host bytes of a data run are a hole (past the end of the
   * file too), and how far that holds: QEMU asks the file the same, so
   * clusters preallocated as metadata only map as zero.
   */
  #hostStatus(host: number, length: number): { zero: boolean; length: number } {
    // QEMU does not ask an external data file for its holes
    if (this.img.dataFile) return { zero: false, length };
    const file = this.img.file;
    this.#holes ??= file.hasOverlay ? null : SparseMap.open(file.path) ?? null;
    const run = this.#holes?.segment(host, host + length);
    // data that reaches the end of the file holds for the whole run, as QEMU rounds it up
    if (!run || (run.data && run.end >= file.size)) return { zero: false, length };
    return { zero: !run.data, length: run.end - host };
  }
}

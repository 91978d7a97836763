/**
 * The qcow2 internal snapshot table: each snapshot is a copy of the L1 table
 * (sharing the L2 tables and clusters by refcount) with an id, a name and
 * the time it was taken.
 *
 * @module
 */

import { concatBytes, EmuError, type HostFile } from "../../../plugin_block.ts";
import { be64 } from "./header.ts";
import { entryAt } from "./refcount.ts";

/** One internal snapshot. */
export interface Qcow2Snapshot {
  l1TableOffset: number;
  l1Size: number;
  id: string;
  name: string;
  dateSec: number;
  dateNsec: number;
  vmClockNsec: number;
  vmStateSize: number;
  /** the virtual disk size when taken (extra data; else the image size) */
  diskSize?: number;
  icount?: number;
}

/** The fixed part of a snapshot table entry. */
const FIXED = 40;

/** Reads `count` snapshot entries at `offset`; errors name the file. */
export function readSnapshots(file: HostFile, offset: number, count: number): Qcow2Snapshot[] {
  const out: Qcow2Snapshot[] = [];
  let at = offset;
  const dec = new TextDecoder();
  for (let i = 0; i < count; i++) {
    const fixed = file.read(at, FIXED);
    const v = new DataView(fixed.buffer);
    const idLen = v.getUint16(12), nameLen = v.getUint16(14), extraLen = v.getUint32(36);
    if (at + FIXED + extraLen + idLen + nameLen > file.size || extraLen > 1024) {
      throw new EmuError(`${file.path}: snapshot table runs past the end of the file`);
    }
    const rest = file.read(at + FIXED, extraLen + idLen + nameLen);
    const ev = new DataView(rest.buffer);
    out.push({
      l1TableOffset: entryAt(fixed, 0),
      l1Size: v.getUint32(8),
      dateSec: v.getUint32(16),
      dateNsec: v.getUint32(20),
      vmClockNsec: entryAt(fixed, 24),
      vmStateSize: v.getUint32(32),
      diskSize: extraLen >= 16 ? entryAt(rest, 8) : undefined,
      icount: extraLen >= 24 && ev.getInt32(16) !== -1 ? entryAt(rest, 16) : undefined,
      id: dec.decode(rest.subarray(extraLen, extraLen + idLen)),
      name: dec.decode(rest.subarray(extraLen + idLen)),
    });
    at += (FIXED + extraLen + idLen + nameLen + 7) & ~7;
  }
  return out;
}

/**
 * Encodes the snapshot table (with QEMU's 24 bytes of extra data per entry).
 * Entries start 8-aligned; the table ends right after the last name, as
 * QEMU sizes it.
 */
export function encodeSnapshots(list: Qcow2Snapshot[], imageSize: number): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [i, s] of list.entries()) {
    const id = enc.encode(s.id), name = enc.encode(s.name);
    const used = FIXED + 24 + id.length + name.length;
    const b = new Uint8Array(i === list.length - 1 ? used : (used + 7) & ~7);
    const v = new DataView(b.buffer);
    b.set(be64(s.l1TableOffset), 0);
    v.setUint32(8, s.l1Size);
    v.setUint16(12, id.length);
    v.setUint16(14, name.length);
    v.setUint32(16, s.dateSec);
    v.setUint32(20, s.dateNsec);
    b.set(be64(s.vmClockNsec), 24);
    v.setUint32(32, s.vmStateSize);
    v.setUint32(36, 24);
    b.set(be64(s.diskSize ?? imageSize), FIXED + 8);
    if (s.icount === undefined) v.setBigInt64(FIXED + 16, -1n);
    else b.set(be64(s.icount), FIXED + 16);
    b.set(id, FIXED + 24);
    b.set(name, FIXED + 24 + id.length);
    parts.push(b);
  }
  return concatBytes(parts);
}

/** The first byte after the `count` entries of the snapshot table at `offset` (no final padding). */
export function snapshotTableEnd(file: HostFile, offset: number, count: number): number {
  let at = offset, end = offset;
  for (let i = 0; i < count; i++) {
    const v = new DataView(file.read(at, FIXED).buffer);
    end = at + FIXED + v.getUint32(36) + v.getUint16(12) + v.getUint16(14);
    at = (end + 7) & ~7;
  }
  return end;
}

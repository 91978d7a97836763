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
  /** the L1 table's offset (the number nearest the field when it is past 2^53) */
  l1TableOffset: number;
  /** the L1 offset field as read, all 64 bits (check prints a corrupt one) */
  l1OffsetField?: bigint;
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
  /** the extra data's size in the table (QEMU writes 24 bytes) */
  extraDataSize?: number;
  /** extra data past the 24 bytes QEMU knows, kept when the table is rewritten */
  unknownExtra?: Uint8Array;
}

/** The fixed part of a snapshot table entry. */
const FIXED = 40;
/** The extra data QEMU knows and writes: vm_state_size_large, disk_size, icount. */
const KNOWN_EXTRA = 24;
/** QCOW_MAX_SNAPSHOTS */
export const MAX_SNAPSHOTS = 65536;
/** QCOW_MAX_SNAPSHOT_EXTRA_DATA */
const MAX_EXTRA = 1024;
/** QCOW_MAX_SNAPSHOTS_SIZE: 1024 bytes for each of 65536 snapshots */
const MAX_TABLE_SIZE = 1024 * 65536;
/** INT_MAX, QEMU's other bound on the bytes a table spans */
const INT_MAX = 2 ** 31 - 1;

/**
 * A snapshot table QEMU would not read without `check -r all`: `reason`
 * is qemu-img's wording, `hint` its second line.
 */
export class SnapshotTableError extends EmuError {
  constructor(readonly reason: string, hint: string) {
    super(reason, hint);
  }
}

/** The snapshot table as read, and what a repairing read dropped from it. */
export interface SnapshotTable {
  list: Qcow2Snapshot[];
  /** the first byte after the last entry read (QEMU's snapshots_offset + snapshots_size) */
  end: number;
  /** entries whose extra data was cut to 1024 bytes */
  extraDropped: number;
  /** entries dropped because the table grew past 64 MiB */
  discarded: number;
}

/**
 * Reads `count` snapshot entries at `offset` as QEMU's
 * qcow2_do_read_snapshots: bytes past the end of the file read as zero, and
 * an entry with more than 1 KiB of extra data, or a table past 64 MiB, is a
 * {@linkcode SnapshotTableError} unless `repair` is given; then it is cut
 * and `repair` gets QEMU's line saying so.
 */
export function readSnapshotTable(
  file: HostFile,
  offset: number,
  count: number,
  repair?: (line: string) => void,
): SnapshotTable {
  const table: SnapshotTable = { list: [], end: offset, extraDropped: 0, discarded: 0 };
  const dec = new TextDecoder();
  let at = offset, length = 0;
  for (let i = 0; i < count; i++) {
    at = align8(at);
    length = align8(length);
    const fixed = file.read(at, FIXED), v = new DataView(fixed.buffer);
    const idLen = v.getUint16(12), nameLen = v.getUint16(14);
    let extraLen = v.getUint32(36);
    if (extraLen > MAX_EXTRA) {
      if (!repair) {
        throw new SnapshotTableError(
          `Too much extra metadata in snapshot table entry ${i}`,
          "You can force-remove this extra metadata with qemu-img check -r all",
        );
      }
      repair(
        `Discarding too much extra metadata in snapshot table entry ${i} (${extraLen} > ${MAX_EXTRA})`,
      );
      table.extraDropped++;
    }
    const extraEnd = at + FIXED + extraLen;
    extraLen = Math.min(extraLen, MAX_EXTRA);
    const extra = file.read(at + FIXED, extraLen), ev = new DataView(extra.buffer);
    const names = file.read(extraEnd, idLen + nameLen);
    length += FIXED + extraLen + idLen + nameLen;
    if (length > MAX_TABLE_SIZE || extraEnd + idLen + nameLen - offset > INT_MAX) {
      const left = count - i;
      if (!repair) {
        throw new SnapshotTableError(
          "Snapshot table is too big",
          `You can force-remove all ${left} overhanging snapshots with qemu-img check -r all`,
        );
      }
      repair(`Discarding ${left} overhanging snapshots (snapshot table is too big)`);
      table.discarded = left;
      break;
    }
    table.list.push({
      l1TableOffset: Number(v.getBigUint64(0)),
      l1OffsetField: v.getBigUint64(0),
      l1Size: v.getUint32(8),
      dateSec: v.getUint32(16),
      dateNsec: v.getUint32(20),
      vmClockNsec: entryAt(fixed, 24),
      vmStateSize: extraLen >= 8 ? entryAt(extra, 0) : v.getUint32(32),
      diskSize: extraLen >= 16 ? entryAt(extra, 8) : undefined,
      icount: extraLen >= 24 && ev.getInt32(16) !== -1 ? entryAt(extra, 16) : undefined,
      extraDataSize: extraLen,
      unknownExtra: extraLen > KNOWN_EXTRA ? extra.slice(KNOWN_EXTRA) : undefined,
      id: cString(dec, names.subarray(0, idLen)),
      name: cString(dec, names.subarray(idLen)),
    });
    at = table.end = extraEnd + idLen + nameLen;
  }
  return table;
}

/** The text of `bytes` up to the first NUL, as QEMU's C strings end there. */
function cString(dec: TextDecoder, bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return dec.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/**
 * Reads `count` snapshot entries at `offset`; errors name the file. More
 * than {@linkcode MAX_SNAPSHOTS} is refused unread, as QEMU refuses to open
 * the image (only `check` reads such a table).
 */
export function readSnapshots(file: HostFile, offset: number, count: number): Qcow2Snapshot[] {
  if (count > MAX_SNAPSHOTS) throw new EmuError("Snapshot table too large");
  return readSnapshotTable(file, offset, count).list;
}

/**
 * Encodes the snapshot table (with QEMU's 24 bytes of extra data per entry,
 * and any unknown extra data read with it).
 * Entries start 8-aligned; the table ends right after the last name, as
 * QEMU sizes it.
 */
export function encodeSnapshots(list: Qcow2Snapshot[], imageSize: number): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [i, s] of list.entries()) {
    const id = enc.encode(s.id), name = enc.encode(s.name);
    const unknown = s.unknownExtra ?? new Uint8Array(0);
    const extra = KNOWN_EXTRA + unknown.length;
    const used = FIXED + extra + id.length + name.length;
    const b = new Uint8Array(i === list.length - 1 ? used : align8(used));
    const v = new DataView(b.buffer);
    b.set(be64(s.l1TableOffset), 0);
    v.setUint32(8, s.l1Size);
    v.setUint16(12, id.length);
    v.setUint16(14, name.length);
    v.setUint32(16, s.dateSec);
    v.setUint32(20, s.dateNsec);
    b.set(be64(s.vmClockNsec), 24);
    v.setUint32(32, s.vmStateSize);
    v.setUint32(36, extra);
    b.set(be64(s.vmStateSize), FIXED); // vm_state_size_large (the field above keeps 32 bits)
    b.set(be64(s.diskSize ?? imageSize), FIXED + 8);
    if (s.icount === undefined) v.setBigInt64(FIXED + 16, -1n);
    else b.set(be64(s.icount), FIXED + 16);
    b.set(unknown, FIXED + KNOWN_EXTRA);
    b.set(id, FIXED + extra);
    b.set(name, FIXED + extra + id.length);
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
    at = align8(end);
  }
  return end;
}

/** `n` rounded up to a multiple of 8 (table offsets pass 2^31: no 32-bit bit operations). */
function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

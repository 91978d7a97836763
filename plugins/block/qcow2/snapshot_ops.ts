/**
 * Creating, applying and deleting qcow2 internal snapshots (`emu img
 * snapshot -c/-a/-d`), step for step as QEMU's block/qcow2-snapshot.c does.
 *
 * A snapshot is a copy of the active L1 table. QEMU counts a cluster once per
 * L1 table that reaches it, so taking a snapshot adds one to the refcount of
 * every L2 table and data cluster the active table reaches; writes afterwards
 * copy shared clusters first (their COPIED flag is clear). Each step is
 * ordered so that a crash leaves leaks at worst: refcounts go up before
 * anything new points to a cluster, and down only after nothing does.
 *
 * @module
 */

import { EmuError, type VmState } from "../../../plugin_block.ts";
import { be64, HeaderField } from "./header.ts";
import type { Qcow2Image } from "./image.ts";
import { growL1 } from "./l1.ts";
import { compressedClusters, decodeEntry } from "./l2.ts";
import { entryAt, type Refcounts, tableOffsets } from "./refcount.ts";
import {
  encodeSnapshots,
  MAX_SNAPSHOTS,
  type Qcow2Snapshot,
  readSnapshots,
  snapshotTableEnd,
} from "./snapshot.ts";

/** QEMU's limit on the snapshot table's size (QCOW_MAX_SNAPSHOTS_SIZE). */
const MAX_TABLE_BYTES = 64 << 20;
/** The COPIED flag in the first byte of an L1 or L2 entry. */
const COPIED = 0x80;

/** The snapshots of `img`, as stored. */
export function listSnapshots(img: Qcow2Image): Qcow2Snapshot[] {
  return readSnapshots(img.file, img.header.snapshotsOffset, img.header.nbSnapshots);
}

/**
 * Adds `addend` to the refcount of every L2 table and data cluster the L1
 * table at `l1Offset` reaches, then sets each entry's COPIED flag exactly
 * where the refcount is 1 (QEMU's qcow2_update_snapshot_refcount). The
 * active table is used from memory; an L1 table is written back only when
 * `addend` is not -1 (it is about to be dropped then).
 */
export function updateSnapshotRefcounts(
  img: Qcow2Image,
  l1Offset: number,
  l1Size: number,
  addend: -1 | 0 | 1,
): void {
  const active = l1Offset === img.header.l1TableOffset;
  const raw = active ? undefined : img.file.read(l1Offset, l1Size * 8);
  const l2s = active ? img.l1 : [...Array(l1Size).keys()].map((i) => l2Offset(raw!, i));
  const copied = active ? img.l1Copied : l2s.map((_, i) => (raw![i * 8] & COPIED) !== 0);
  let modified = false;
  for (let i = 0; i < l1Size; i++) {
    const l2 = l2s[i];
    if (!l2) continue;
    const table = img.l2Table(l2);
    if (updateL2(img, table, addend)) img.file.write(l2, table);
    change(img.refcounts, l2, 1, addend);
    const one = img.refcounts.get(l2 / img.clusterSize) === 1;
    if (one !== copied[i]) [copied[i], modified] = [one, true];
  }
  if (addend === -1 || !modified) return;
  const out = new Uint8Array(l1Size * 8);
  l2s.forEach((o, i) => {
    out.set(be64(o), i * 8);
    if (copied[i]) out[i * 8] |= COPIED;
  });
  img.file.write(l1Offset, out);
}

function l2Offset(l1: Uint8Array, i: number): number {
  const e = entryAt(l1, i * 8);
  return e - (e % 512);
}

/** The refcount and COPIED step for one L2 table; true if an entry's flag changed. */
function updateL2(img: Qcow2Image, table: Uint8Array, addend: -1 | 0 | 1): boolean {
  const rc = img.refcounts, cs = img.clusterSize;
  let modified = false;
  for (let at = 0; at < table.length; at += 8) {
    const m = decodeEntry(table, at, img.clusterBits);
    let refcount = 0;
    if (m.kind === "compressed") {
      const [first, n] = compressedClusters(m, cs);
      change(rc, first, n, addend);
      refcount = 2; // compressed clusters are never written in place
    } else if (m.host) {
      change(rc, m.host, 1, addend);
      refcount = rc.get(m.host / cs);
    }
    const flag = refcount === 1 ? COPIED : 0;
    if ((table[at] & COPIED) === flag) continue;
    table[at] = (table[at] & ~COPIED) | flag;
    modified = true;
  }
  return modified;
}

/**
 * Writes `list` as the new snapshot table in newly allocated clusters,
 * switches the header to it in one write, then frees the old table (QEMU's
 * qcow2_write_snapshots).
 */
export function writeSnapshotTable(img: Qcow2Image, list: Qcow2Snapshot[]): void {
  const h = img.header, cs = img.clusterSize;
  const bytes = list.length ? encodeSnapshots(list, img.size) : new Uint8Array(0);
  if (bytes.length > MAX_TABLE_BYTES) {
    throw new EmuError(`${img.file.path}: the snapshot table would be too large`);
  }
  const offset = bytes.length ? img.refcounts.alloc(Math.ceil(bytes.length / cs)) : 0;
  if (bytes.length) img.file.write(offset, bytes);
  const field = new Uint8Array(12);
  new DataView(field.buffer).setUint32(0, list.length);
  field.set(be64(offset), 4);
  const oldEnd = snapshotTableEnd(img.file, h.snapshotsOffset, h.nbSnapshots);
  const [oldOffset, oldCount] = [h.snapshotsOffset, h.nbSnapshots];
  img.file.write(HeaderField.SNAPSHOTS, field);
  [h.nbSnapshots, h.snapshotsOffset] = [list.length, offset];
  if (oldCount) freeBytes(img, oldOffset, oldEnd - oldOffset);
}

/** Drops one reference to each cluster the byte range touches (qcow2_free_clusters). */
function freeBytes(img: Qcow2Image, offset: number, bytes: number): void {
  if (bytes <= 0) return;
  const cs = img.clusterSize, first = offset - (offset % cs);
  img.refcounts.release(first, Math.ceil((offset + bytes - first) / cs));
}

/** Adds `addend` to `n` refcounts from `offset`; clusters a -1 frees are discarded. */
function change(rc: Refcounts, offset: number, n: number, addend: -1 | 0 | 1): void {
  if (addend && offset % rc.clusterSize) {
    // QEMU marks the image corrupt and fails with EIO (qcow2_update_snapshot_refcount)
    throw new EmuError(
      `${rc.file.path}: cluster allocation offset 0x${offset.toString(16)} unaligned`,
      "the image is corrupt; emu img check shows where",
    );
  }
  if (addend === -1) rc.release(offset, n);
  else if (addend) rc.update(offset, n, addend);
}

/**
 * Takes an internal snapshot named `name` at `date` (qcow2_snapshot_create):
 * the next free numeric id, the L1 table copied, every cluster it reaches
 * counted once more, then the snapshot table rewritten. With `vm`, its state
 * is already in the active table's VM state area and the entry records its
 * size and clock.
 */
export function createSnapshot(img: Qcow2Image, name: string, date: Date, vm?: VmState): void {
  const h = img.header, cs = img.clusterSize;
  const list = listSnapshots(img);
  if (list.length >= MAX_SNAPSHOTS) {
    throw new EmuError(`${img.file.path}: too many snapshots (the limit is ${MAX_SNAPSHOTS})`);
  }
  const id = list.reduce((max, s) => Math.max(max, parseInt(s.id, 10) || 0), 0) + 1;
  const l1Bytes = h.l1Size * 8;
  const l1Offset = l1Bytes ? img.refcounts.alloc(Math.ceil(l1Bytes / cs)) : 0;
  if (l1Bytes) img.file.write(l1Offset, img.file.read(h.l1TableOffset, l1Bytes));
  updateSnapshotRefcounts(img, h.l1TableOffset, h.l1Size, 1);
  const ms = date.getTime();
  list.push({
    l1TableOffset: l1Offset,
    l1Size: h.l1Size,
    id: String(id),
    name,
    dateSec: Math.floor(ms / 1000),
    dateNsec: (ms % 1000) * 1e6,
    vmClockNsec: vm?.clockNs ?? 0,
    vmStateSize: vm?.data.length ?? 0,
    diskSize: img.size,
    // QEMU's savevm records no instruction count without -icount record/replay
    icount: vm ? undefined : 0,
  });
  writeSnapshotTable(img, list);
}

/** Refuses a snapshot whose L1 table is larger than QEMU allows (QCOW_MAX_L1_SIZE, 32 MiB). */
function checkL1Size(img: Qcow2Image, sn: Qcow2Snapshot): void {
  if (sn.l1Size * 8 > 32 << 20) {
    throw new EmuError(
      `${img.file.path}: snapshot ${sn.id} (${sn.name}): L1 table is too large`,
      "inspect it with emu img check",
    );
  }
}

/**
 * Makes the disk read as it did when snapshot `idOrName` (an id first, else
 * a name) was taken (qcow2_snapshot_goto): the size is set back, the
 * snapshot's clusters counted once more, its L1 table copied over the active
 * one, and the clusters the old active table reached counted once less.
 * Returns false if there is no such snapshot.
 */
export function applySnapshot(img: Qcow2Image, idOrName: string): boolean {
  const list = listSnapshots(img);
  const sn = list.find((s) => s.id === idOrName) ?? list.find((s) => s.name === idOrName);
  if (!sn) return false;
  checkL1Size(img, sn);
  if (sn.diskSize !== undefined && sn.diskSize !== img.size) img.resize(sn.diskSize);
  if (sn.l1Size > img.l1.length) growL1(img, sn.l1Size);
  const h = img.header;
  const table = new Uint8Array(h.l1Size * 8);
  table.set(img.file.read(sn.l1TableOffset, sn.l1Size * 8));
  updateSnapshotRefcounts(img, sn.l1TableOffset, sn.l1Size, 1);
  img.file.write(h.l1TableOffset, table);
  updateSnapshotRefcounts(img, h.l1TableOffset, h.l1Size, -1);
  img.reload();
  updateSnapshotRefcounts(img, h.l1TableOffset, h.l1Size, 0);
  return true;
}

/**
 * The L1 table and disk size of snapshot `id`, to read its VM state area
 * without reverting the disk; undefined if there is no such snapshot.
 */
export function snapshotTable(
  img: Qcow2Image,
  id: string,
): { l1: number[]; diskSize: number } | undefined {
  const sn = listSnapshots(img).find((s) => s.id === id);
  if (!sn) return undefined;
  checkL1Size(img, sn);
  const l1 = tableOffsets(img.file.read(sn.l1TableOffset, sn.l1Size * 8), sn.l1Size);
  return { l1, diskSize: sn.diskSize ?? img.size };
}

/**
 * Deletes the first snapshot named `name` (qemu-img snapshot -d looks up
 * names only): the table is rewritten without it first, then the clusters it
 * reached are counted once less and its L1 table freed. Returns false if
 * there is no such snapshot.
 */
export function deleteSnapshot(img: Qcow2Image, name: string): boolean {
  const list = listSnapshots(img);
  const at = list.findIndex((s) => s.name === name);
  if (at < 0) return false;
  const [sn] = list.splice(at, 1);
  checkL1Size(img, sn);
  writeSnapshotTable(img, list);
  updateSnapshotRefcounts(img, sn.l1TableOffset, sn.l1Size, -1);
  freeBytes(img, sn.l1TableOffset, sn.l1Size * 8);
  updateSnapshotRefcounts(img, img.header.l1TableOffset, img.header.l1Size, 0);
  return true;
}

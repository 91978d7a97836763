/**
 * `check` for qcow2, as QEMU's `qcow2_check_refcounts` does it and in its
 * words: count every reference in memory ({@linkcode RefcountWalk}), compare
 * the counts with the stored refcounts ("Leaked cluster N refcount=R
 * reference=F", "ERROR cluster N ..."), then check the COPIED flags.
 *
 * Repairs follow QEMU's order too: the comparison runs once without
 * repairing, and again with `-r` ("Repairing cluster N ..."). A cluster in
 * use whose stored refcount is 0 means the refcount structures cannot be
 * trusted: `-r all` rebuilds them ("Rebuilding refcount structure"), `-r
 * leaks` gives up with an I/O error, as qemu-img does.
 *
 * Everything is linear in the file's size: the in-memory counts cover the
 * clusters of the file and no more.
 *
 * @module
 */

import type { CheckResult } from "../../../plugin_block.ts";
import { be64, HeaderField, Incompat } from "./header.ts";
import type { Qcow2Image } from "./image.ts";
import { rebuildRefcounts } from "./check_rebuild.ts";
import {
  MAX_SNAPSHOTS,
  type Qcow2Snapshot,
  readSnapshotTable,
  SnapshotTableError,
} from "./snapshot.ts";
import { writeSnapshotTable } from "./snapshot_ops.ts";
import {
  CheckAborted,
  emptyResult,
  type FixMode,
  hex64,
  Imrt,
  NO_FIX,
  offsetOf,
  readCluster,
  refblockOffsets,
  RefcountWalk,
  reftable,
  view,
} from "./check_walk.ts";

/** Checks (and with `repair`, fixes) the refcounts of `img`. */
export function checkQcow2(
  img: Qcow2Image,
  repair: "leaks" | "all" | undefined,
  log: (line: string) => void,
): CheckResult {
  const fix = { leaks: repair !== undefined, errors: repair === "all" };
  const res = emptyResult(Math.ceil(img.size / img.clusterSize));
  // the snapshot table's findings are counted apart, as in QEMU's qcow2_co_check_locked:
  // a refcount rebuild resets the refcount check's counts, not these
  const snap = emptyResult();
  try {
    const snapshots = readSnapshotTableForCheck(img, snap, fix, log);
    new RefcountCheck(img, res, fix, log).run();
    if (snap.corruptions && fix.errors) {
      img.reload();
      writeSnapshotTable(img, snapshots); // qcow2_check_fix_snapshot_table
      snap.corruptionsFixed += snap.corruptions;
      snap.corruptions = 0;
    }
  } catch (e) {
    if (e instanceof CheckAborted) return { ...addCounts(res, snap), failure: e.message };
    throw e;
  } finally {
    if (fix.leaks) img.reload();
  }
  addCounts(res, snap);
  if (fix.leaks && !res.checkErrors && !res.corruptions) {
    const h = img.header;
    if (h.incompatible & (Incompat.DIRTY | Incompat.CORRUPT)) {
      h.incompatible &= ~(Incompat.DIRTY | Incompat.CORRUPT);
      img.file.write(HeaderField.INCOMPAT, be64(h.incompatible));
    }
  }
  return res;
}

/** Adds the counts of `more` to `res` (qcow2_add_check_result); returns `res`. */
function addCounts(res: CheckResult, more: CheckResult): CheckResult {
  res.corruptions += more.corruptions;
  res.leaks += more.leaks;
  res.checkErrors += more.checkErrors;
  res.corruptionsFixed += more.corruptionsFixed;
  res.leaksFixed += more.leaksFixed;
  return res;
}

/**
 * QEMU's qcow2_check_read_snapshot_table: validates the table pointer
 * (which check rereads), reads the table (cutting what `-r all` repairs:
 * overhanging snapshots, too much extra data) and reports version 3 entries
 * with less than 16 bytes of extra data.
 */
function readSnapshotTableForCheck(
  img: Qcow2Image,
  res: CheckResult,
  fix: FixMode,
  log: (line: string) => void,
): Qcow2Snapshot[] {
  const v = new DataView(img.file.read(HeaderField.SNAPSHOTS, 12).buffer);
  let count = v.getUint32(0);
  const offset = Number(v.getBigUint64(4));
  let reduced = 0;
  if (count > MAX_SNAPSHOTS && fix.errors) {
    log(`Discarding ${count - MAX_SNAPSHOTS} overhanging snapshots`);
    reduced = count - MAX_SNAPSHOTS;
    count = MAX_SNAPSHOTS;
  }
  if (count > MAX_SNAPSHOTS) {
    res.checkErrors++;
    log("qemu-img: ERROR snapshot table too large");
    log(
      `You can force-remove all ${count - MAX_SNAPSHOTS} overhanging snapshots with ` +
        "qemu-img check -r all",
    );
    throw new CheckAborted("File too large");
  }
  if (offset % img.clusterSize || offset > 2 ** 63 - count * 40) {
    res.checkErrors++;
    log("qemu-img: ERROR snapshot table offset invalid");
    throw new CheckAborted("Invalid argument");
  }
  let table;
  try {
    table = readSnapshotTable(img.file, offset, count, fix.errors ? log : undefined);
  } catch (e) {
    if (!(e instanceof SnapshotTableError)) throw e;
    res.checkErrors++;
    log(`qemu-img: ERROR failed to read the snapshot table: ${e.reason}`);
    log(e.hint!);
    throw new CheckAborted("File too large");
  }
  reduced += table.discarded;
  res.corruptions += table.extraDropped;
  if (reduced) {
    const n = new Uint8Array(4);
    new DataView(n.buffer).setUint32(0, table.list.length);
    img.file.write(HeaderField.SNAPSHOTS, n);
    img.header.nbSnapshots = table.list.length;
    res.corruptionsFixed += reduced;
  }
  if (img.header.version >= 3) {
    for (const [i, s] of table.list.entries()) {
      if ((s.extraDataSize ?? 0) >= 16) continue;
      res.corruptions++;
      log(`${fix.errors ? "Repairing" : "ERROR"} snapshot table entry ${i} is incomplete`);
    }
  }
  return table.list;
}

/** One check of one image: the walk, the comparison, repairs and the COPIED flags. */
class RefcountCheck {
  readonly #cs: number;
  #signalled = false;
  /** the L2 table being looked at (one buffer: fresh ones cost page faults) */
  #table: Uint8Array | undefined;
  /** the refcount blocks' offsets, read when first needed and again after a rebuild */
  #refblocks: number[] | undefined;

  constructor(
    readonly img: Qcow2Image,
    readonly res: CheckResult,
    readonly fix: FixMode,
    readonly log: (line: string) => void,
  ) {
    this.#cs = img.clusterSize;
  }

  run(): void {
    const { img, res, fix, log } = this;
    const imrt = new Imrt(Math.ceil(img.file.size / this.#cs));
    const walk = new RefcountWalk(img, res, fix, imrt, log);
    walk.run();
    const before = { ...res };
    let compared = this.compare(imrt, res, NO_FIX);
    if ((walk.rebuild || compared.rebuild) && fix.errors) {
      compared = this.rebuild(imrt);
    } else if (fix.leaks) {
      if (walk.rebuild || compared.rebuild) {
        log("ERROR need to rebuild refcount structures");
        res.checkErrors++;
        throw new CheckAborted("Input/output error");
      }
      if (res.leaks || res.corruptions) {
        Object.assign(res, before);
        compared = this.compare(imrt, res, fix);
      }
    }
    this.copiedFlags();
    res.imageEndOffset = (compared.highest + 1) * this.#cs;
  }

  /** Rebuilds the refcount structures, then repairs the leaks that leaves behind. */
  rebuild(imrt: Imrt): { highest: number; rebuild: boolean } {
    const { img, res, log } = this;
    const old = { ...res };
    log("Rebuilding refcount structure");
    rebuildRefcounts(img, imrt, log);
    this.#refblocks = undefined;
    res.corruptions = res.leaks = 0;
    imrt.clear();
    new RefcountWalk(img, res, NO_FIX, imrt, log).run();
    const leftover = emptyResult();
    const compared = this.compare(imrt, leftover, { leaks: true, errors: false });
    if (compared.rebuild) log("ERROR rebuilt refcount structure is still broken");
    if (res.corruptions < old.corruptions) {
      res.corruptionsFixed += old.corruptions - res.corruptions;
    }
    if (res.leaks < old.leaks) res.leaksFixed += old.leaks - res.leaks;
    res.leaks += leftover.leaks; // made by the rebuild and not repaired
    return compared;
  }

  /** The stored refcount of cluster `c`, or null when its refcount block is unaligned. */
  stored(c: number): number | null {
    const rc = this.img.refcounts, bi = Math.floor(c / rc.perBlock);
    this.#refblocks ??= refblockOffsets(reftable(this.img));
    const block = this.#refblocks[bi] ?? 0;
    if (!block || block >= this.img.file.size) return 0; // past the end of the file reads as zero
    if (block % this.#cs === 0) return rc.get(c);
    if (!this.#signalled) {
      this.#signalled = true;
      const what = `Refblock offset 0x${block.toString(16)} unaligned (reftable index: 0x${
        bi.toString(16)
      })`;
      this.log(
        this.img.writable
          ? `qcow2: Marking image as corrupt: ${what}; further corruption events will be suppressed`
          : `qcow2: Image is corrupt: ${what}; further non-fatal corruption events will be suppressed`,
      );
      if (this.img.writable) this.img.markCorrupt();
    }
    return null;
  }

  /** Compares stored and counted refcounts, repairing as `fix` allows (compare_refcounts). */
  compare(imrt: Imrt, res: CheckResult, fix: FixMode): { highest: number; rebuild: boolean } {
    let highest = 0, rebuild = false;
    for (let c = 0; c < imrt.size; c++) {
      const stored = this.stored(c), counted = imrt.get(c);
      if (stored === null) {
        this.log(`Can't get refcount for cluster ${c}: Input/output error`);
        res.checkErrors++;
        continue;
      }
      if (stored || counted) highest = c;
      if (stored === counted) continue;
      let fixed: "leaksFixed" | "corruptionsFixed" | undefined;
      if (stored === 0) rebuild = true;
      else if (stored > counted && fix.leaks) fixed = "leaksFixed";
      else if (stored < counted && fix.errors) fixed = "corruptionsFixed";
      const word = fixed ? "Repairing" : stored < counted ? "ERROR" : "Leaked";
      this.log(`${word} cluster ${c} refcount=${stored} reference=${counted}`);
      if (fixed) {
        this.img.refcounts.set(c, counted);
        if (!counted) this.#discard(c);
        res[fixed]++;
      } else res[stored < counted ? "corruptions" : "leaks"]++;
    }
    return { highest, rebuild };
  }

  /** A cluster freed by a repair reads as zeros after it, as QEMU discards it. */
  #discard(c: number): void {
    const file = this.img.file, at = c * this.#cs;
    if (at < file.size) file.write(at, new Uint8Array(Math.min(this.#cs, file.size - at)));
  }

  /**
   * The COPIED flag of each active L1 and L2 entry must be set exactly when
   * its cluster's refcount is 1 (check_oflag_copied); repaired with `-r
   * all`, or with `-r leaks` when nothing else is wrong.
   */
  copiedFlags(): void {
    const { img, res, fix } = this, h = img.header, cs = this.#cs;
    const repair = fix.errors ||
      (fix.leaks && !res.checkErrors && !res.corruptions && !res.leaks);
    const l1View = view(img.file.read(h.l1TableOffset, h.l1Size * 8));
    for (let i = 0; i < h.l1Size; i++) {
      const hi = l1View.getUint32(i * 8), lo = l1View.getUint32(i * 8 + 4);
      const l2 = offsetOf(hi, lo);
      if (!l2) continue;
      const refcount = this.stored(Math.floor(l2 / cs));
      if (refcount === null) continue;
      if (this.#flagWrong(hi, refcount)) {
        res.corruptions++;
        this.log(
          `${repair ? "Repairing" : "ERROR"} OFLAG_COPIED L2 cluster: l1_index=${i} ` +
            `l1_entry=${hex64(hi, lo)} refcount=${refcount}`,
        );
        if (repair) {
          img.file.write(h.l1TableOffset + i * 8, this.#withFlag(hi, lo, refcount));
          res.corruptions--;
          res.corruptionsFixed++;
        }
      }
      this.#copiedInL2(l2, repair);
    }
  }

  #copiedInL2(l2: number, repair: boolean): void {
    const { img, res } = this, cs = this.#cs;
    this.#table ??= new Uint8Array(cs);
    const table = readCluster(img, l2, this.#table), v = view(table);
    let dirty = 0;
    for (let at = 0; at < cs; at += 8) {
      const hi = v.getUint32(at), lo = v.getUint32(at + 4), host = offsetOf(hi, lo);
      if (hi & 0x40000000 || !host) continue; // compressed, unallocated or plain zero
      // a cluster of an external data file has no refcount: 1, as QEMU takes it
      const refcount = img.dataFile ? 1 : this.stored(Math.floor(host / cs));
      if (refcount === null || !this.#flagWrong(hi, refcount)) continue;
      res.corruptions++;
      this.log(
        `${repair ? "Repairing" : "ERROR"} OFLAG_COPIED data cluster: ` +
          `l2_entry=${hex64(hi, lo)} refcount=${refcount}`,
      );
      if (repair) {
        table.set(this.#withFlag(hi, lo, refcount), at);
        dirty++;
      }
    }
    if (!dirty) return;
    img.file.write(l2, table);
    res.corruptions -= dirty;
    res.corruptionsFixed += dirty;
  }

  #flagWrong(hi: number, refcount: number): boolean {
    return (refcount === 1) !== ((hi & 0x80000000) !== 0);
  }

  #withFlag(hi: number, lo: number, refcount: number): Uint8Array {
    const entry = new Uint8Array(8), v = new DataView(entry.buffer);
    v.setUint32(0, refcount === 1 ? (hi | 0x80000000) >>> 0 : hi & 0x7fffffff);
    v.setUint32(4, lo);
    return entry;
  }
}

/**
 * `amend` for qcow2, as QEMU's qcow2_amend_options does it and in its
 * words: the options are checked first (names and value types, as
 * qemu-img's option parser does), then applied in QEMU's order: upgrade to
 * version 3, refcount width, backing file (which amend only accepts
 * unchanged), lazy refcounts, size, and last the downgrade to version 2,
 * which turns zero clusters into plain ones.
 *
 * Progress goes through QEMU's amend helper: each operation (a version
 * change, a refcount width change) reports its own work, and the total is
 * projected from the operations done so far (qcow2_amend_helper_cb).
 *
 * @module
 */

import {
  badOptionValue,
  type BlockOptionDesc,
  EmuError,
  HOST_FILE_CREATE_OPTIONS,
  parseOptionValue,
} from "../../../plugin_block.ts";
import { emptyResult, Imrt, NO_FIX, RefcountWalk } from "./check_walk.ts";
import { rebuildRefcounts } from "./check_rebuild.ts";
import { Compat, Incompat, V3_HEADER_LENGTH } from "./header.ts";
import type { Qcow2Image } from "./image.ts";
import { decodeEntry, encodeEntry } from "./l2.ts";
import { readSnapshots } from "./snapshot.ts";
import { listSnapshots, writeSnapshotTable } from "./snapshot_ops.ts";
import { QCOW2_AMEND_OPTIONS, QCOW2_CREATE_OPTIONS } from "./options.ts";

/** How an option's value is parsed. */
type OptionType = BlockOptionDesc["type"];

const typesOf = (list: readonly BlockOptionDesc[]) =>
  new Map(list.map((o): [string, OptionType] => [o.name, o.type]));

/** qcow2's amend options. */
const AMEND_OPTIONS = typesOf(QCOW2_AMEND_OPTIONS);

/** The options qcow2 and the host file take at creation (some only then). */
const CREATE_OPTIONS = typesOf([...QCOW2_CREATE_OPTIONS, ...HOST_FILE_CREATE_OPTIONS]);

/** Amend's progress: `done` of `total` units of work. */
export type AmendProgress = (done: number, total: number) => void;

/** Whether every option of `options` is a valid creation or amend option. */
function creationParses(options: Record<string, string>): boolean {
  return Object.entries(options).every(([name, text]) => {
    const type = AMEND_OPTIONS.get(name) ?? CREATE_OPTIONS.get(name);
    return type !== undefined && parseOptionValue(type, text) !== undefined;
  });
}

/** The amend options of `options`, parsed; errors as qemu-img's option parser's. */
function parseAmendOptions(options: Record<string, string>): Map<string, unknown> {
  const parsed = new Map<string, unknown>();
  for (const [name, text] of Object.entries(options)) {
    const type = AMEND_OPTIONS.get(name);
    if (type === undefined) {
      throw new EmuError(
        `Invalid parameter '${name}'`,
        creationParses(options) ? "This option is only supported for image creation" : undefined,
      );
    }
    const value = parseOptionValue(type, text);
    if (value === undefined) throw badOptionValue(name, type);
    parsed.set(name, value);
  }
  return parsed;
}

/** The amend settings QEMU checks before changing anything, in its order. */
interface Settings {
  version: 2 | 3;
  size: number;
  backing: boolean;
  backingFile?: string;
  backingFormat?: string;
  lazy: boolean;
  refcountBits: number;
}

/** The settings `parsed` asks for, over the image's own; refuses what QEMU refuses. */
function settings(img: Qcow2Image, parsed: Map<string, unknown>): Settings {
  const h = img.header;
  const s: Settings = {
    version: h.version,
    size: (parsed.get("size") as number | undefined) ?? 0,
    backing: parsed.has("backing_file") || parsed.has("backing_fmt"),
    backingFile: parsed.get("backing_file") as string | undefined,
    backingFormat: parsed.get("backing_fmt") as string | undefined,
    lazy: (parsed.get("lazy_refcounts") as boolean | undefined) ??
      (h.compatible & Compat.LAZY_REFCOUNTS) !== 0,
    refcountBits: (parsed.get("refcount_bits") as number | undefined) ?? 2 ** h.refcountOrder,
  };
  const compat = parsed.get("compat") as string | undefined;
  if (compat !== undefined) {
    if (compat === "0.10" || compat === "v2") s.version = 2;
    else if (compat === "1.1" || compat === "v3") s.version = 3;
    else throw new EmuError(`Unknown compatibility level ${compat}`);
  }
  if (parsed.get("data_file") !== undefined) {
    throw new EmuError("data-file can only be set for images that use an external data file");
  }
  if (parsed.get("data_file_raw")) {
    throw new EmuError("data-file-raw cannot be set on existing images");
  }
  const bits = s.refcountBits;
  if (parsed.has("refcount_bits") && (bits <= 0 || bits > 64 || (bits & (bits - 1)) !== 0)) {
    throw new EmuError("Refcount width must be a power of two and may not exceed 64 bits");
  }
  if ([...parsed.keys()].some((k) => k.startsWith("encrypt."))) {
    throw new EmuError("Can't amend encryption options - encryption not present");
  }
  return s;
}

/**
 * QEMU's qcow2_amend_helper_cb: reports each operation's progress as part of
 * all the operations, projecting the work of those not started yet.
 */
class OperationProgress {
  #done = 0;
  #completed = 0;
  #current = "";
  #last = "";
  #lastWork = 0;

  constructor(readonly operations: number, readonly report: AmendProgress) {}

  /** Starts operation `name`. */
  start(name: string): void {
    this.#current = name;
  }

  /** The current operation did `offset` of its `work`. */
  step(offset: number, work: number): void {
    if (this.#current !== this.#last) {
      if (this.#last) {
        this.#done += this.#lastWork;
        this.#completed++;
      }
      this.#last = this.#current;
    }
    this.#lastWork = work;
    const current = this.#done + work;
    const projected = Math.floor(
      (current * (this.operations - this.#completed - 1)) / (this.#completed + 1),
    );
    this.report(this.#done + offset, current + projected);
  }
}

/**
 * Checks `options` (`-o` of `emu img amend`) for `img` and returns the
 * change to run: it reports its progress and throws QEMU's errors for what
 * it refuses.
 */
export function prepareAmend(
  img: Qcow2Image,
  options: Record<string, string>,
): (progress: AmendProgress) => void {
  const parsed = parseAmendOptions(options);
  return (progress) => amend(img, settings(img, parsed), progress);
}

function amend(img: Qcow2Image, s: Settings, progress: AmendProgress): void {
  const h = img.header;
  const oldVersion = h.version;
  const oldBits = 2 ** h.refcountOrder;
  const ops = new OperationProgress(
    Number(s.version !== oldVersion) + Number(s.refcountBits !== oldBits),
    progress,
  );
  if (s.version > oldVersion) upgrade(img, ops);
  if (s.refcountBits !== oldBits) {
    if (s.version < 3 && s.refcountBits !== 16) {
      throw new EmuError(
        "Refcount widths other than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)",
      );
    }
    ops.start("refcount order");
    changeRefcountOrder(img, Math.log2(s.refcountBits), (done, total) => ops.step(done, total));
  }
  if (s.backing && (s.backingFile !== h.backingFile || s.backingFormat !== h.backingFormat)) {
    throw new EmuError("Cannot amend the backing file", "You can use 'qemu-img rebase' instead.");
  }
  if (s.lazy !== ((h.compatible & Compat.LAZY_REFCOUNTS) !== 0)) {
    if (s.lazy && s.version < 3) {
      throw new EmuError(
        "Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)",
      );
    }
    // the image is clean: opening it for writing repaired a dirty one
    img.rewriteHeader({ compatible: h.compatible ^ Compat.LAZY_REFCOUNTS });
  }
  if (s.size) img.resize(s.size);
  if (s.version < oldVersion) downgrade(img, ops);
}

/** Version 2 to 3 (qcow2_upgrade): snapshot entries get the extra data version 3 requires. */
function upgrade(img: Qcow2Image, ops: OperationProgress): void {
  ops.start("upgrade");
  ops.step(0, 2);
  const list = listSnapshots(img);
  if (list.some((sn) => (sn.extraDataSize ?? 0) < 16)) writeSnapshotTable(img, list);
  ops.step(1, 2);
  img.rewriteHeader({
    version: 3,
    headerLength: V3_HEADER_LENGTH,
    incompatible: 0,
    compatible: 0,
    autoclear: 0,
    refcountOrder: 4,
  });
  ops.step(2, 2);
}

/** Version 3 to 2 (qcow2_downgrade), refusing what version 2 cannot hold. */
function downgrade(img: Qcow2Image, ops: OperationProgress): void {
  const h = img.header;
  if (h.refcountOrder !== 4) throw new EmuError("compat=0.10 requires refcount_bits=16");
  const snapshots = listSnapshots(img);
  if (
    snapshots.some((sn) => sn.vmStateSize > 0xffffffff || (sn.diskSize ?? img.size) !== img.size)
  ) {
    throw new EmuError("Internal snapshots prevent downgrade of image");
  }
  const left = h.incompatible & ~Incompat.COMPRESSION;
  if (left) {
    throw new EmuError(
      `Cannot downgrade an image with incompatible features 0x${left.toString(16)} set`,
    );
  }
  ops.start("downgrade");
  expandZeroClusters(img, (done, total) => ops.step(done, total));
  img.rewriteHeader({ version: 2, incompatible: 0, compatible: 0, autoclear: 0 });
}

/**
 * Turns the zero clusters of the image and its snapshots into what version
 * 2 has (qcow2_expand_zero_clusters): without a backing file, unallocated
 * ones become unallocated; else they get a cluster of zeros; preallocated
 * ones keep theirs, zeroed. Reports each L1 entry visited.
 */
function expandZeroClusters(img: Qcow2Image, report: AmendProgress): void {
  const h = img.header, cs = img.clusterSize;
  const tables = [
    { offset: h.l1TableOffset, size: h.l1Size },
    ...readSnapshots(img.file, h.snapshotsOffset, h.nbSnapshots).map((sn) => ({
      offset: sn.l1TableOffset,
      size: sn.l1Size,
    })),
  ];
  const total = tables.reduce((n, t) => n + t.size, 0);
  const seen = new Set<number>();
  let visited = 0;
  for (const t of tables) {
    const l1 = img.file.read(t.offset, t.size * 8);
    for (let i = 0; i < t.size; i++) {
      const l2 = decodeEntry(l1, i * 8, img.clusterBits).host;
      if (l2 && !seen.has(l2)) {
        seen.add(l2);
        expandL2(img, l2, img.refcounts.get(l2 / cs));
      }
      report(++visited, total);
    }
  }
  img.reload();
}

/** Expands the zero entries of the L2 table at `offset` (whose refcount is `shared`). */
function expandL2(img: Qcow2Image, offset: number, shared: number): void {
  const cs = img.clusterSize, table = img.file.read(offset, cs);
  let changed = false;
  for (let at = 0; at < cs; at += 8) {
    const m = decodeEntry(table, at, img.clusterBits);
    if (m.kind !== "zero") continue;
    changed = true;
    if (!m.host && !img.header.backingFile) {
      encodeEntry(table, at, 0, { copied: false });
      continue;
    }
    let host = m.host;
    if (!host) {
      host = img.refcounts.alloc();
      if (shared > 1) img.refcounts.update(host, 1, shared - 1);
    }
    img.file.write(host, new Uint8Array(cs));
    encodeEntry(table, at, host, { copied: m.host ? m.copied : shared === 1 });
  }
  if (changed) img.file.write(offset, table);
}

/**
 * Rewrites the refcount structures with `2^order`-bit refcounts: every
 * reference counted as `check` counts them, new structures written from the
 * counts (the old ones are counted too, so nothing lands on them), the
 * header switched in one write, then the old structures freed as leaks.
 * Progress is reported as QEMU's qcow2_change_refcount_order reports it:
 * each entry of the refcount table, in each of its three walks (it walks
 * more when the first walk's allocations need refcount blocks of their
 * own; Denemu's line then ends sooner than qemu-img's).
 */
function changeRefcountOrder(img: Qcow2Image, order: number, report: AmendProgress): void {
  const imrt = new Imrt(Math.ceil(img.file.size / img.clusterSize));
  const quiet = () => {};
  new RefcountWalk(img, emptyResult(), NO_FIX, imrt, quiet).run();
  const bits = 2 ** order, max = 2 ** bits - 1;
  for (let c = 0; c < imrt.size; c++) {
    if (imrt.get(c) <= max) continue;
    throw new EmuError(
      `Cannot decrease refcount entry width to ${bits} bits: Cluster at offset 0x${
        (c * img.clusterSize).toString(16)
      } has a refcount of ${imrt.get(c)}`,
    );
  }
  const entries = img.refcounts.tableClusters * (img.clusterSize / 8), walks = 3;
  for (let walk = 0; walk < walks; walk++) {
    for (let i = 0; i < entries; i++) report(walk * entries + i, walks * entries);
    report((walk + 1) * entries, walks * entries);
  }
  rebuildRefcounts(img, imrt, quiet, order);
  const result = img.check("leaks", quiet);
  if (result.corruptions || result.checkErrors || result.failure !== undefined) {
    throw new EmuError(
      `${img.file.path}: the refcounts could not be rewritten`,
      "inspect the image with emu img check",
    );
  }
}

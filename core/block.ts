/**
 * Block drivers: the interface between disk image formats (raw, qcow2...) and
 * their users (the virtio-blk device, `emu img`).
 *
 * A format is a plugin whose default export is a {@linkcode BlockFormatPlugin};
 * bare names load from `plugins/block/<name>.ts`, so a new format needs no
 * change here. A driver reads and writes the guest-visible bytes of an image
 * through a {@linkcode HostFile}, which with `snapshot` keeps every write in
 * memory (the file is opened read-only and never changes).
 *
 * The interface is synchronous, as disk requests are served inside a device
 * access; opening is asynchronous because it may load plugins.
 *
 * @module
 */

import { EmuError } from "./errors.ts";
import type { PluginApiRange } from "./plugin.ts";
import type { BlockOptionDesc } from "./block_options.ts";
import type { HostFile } from "./host_file.ts";

export { type BlockOptionDesc, HOST_FILE_CREATE_OPTIONS } from "./block_options.ts";
export { HostFile } from "./host_file.ts";
export * from "./block_open.ts";

/**
 * Where a run of guest bytes lives (qemu-img map's vocabulary).
 *
 * @example
 * ```ts
 * import { createImage, openImage } from "./block.ts";
 * const path = Deno.makeTempFileSync({ suffix: ".qcow2" });
 * await createImage(path, "qcow2", { size: 1 << 20, options: {} });
 * const disk = await openImage(path);
 * disk.write(0, new Uint8Array(512).fill(1));
 * const { data, length } = disk.status(0, 1 << 20);
 * console.log(data, length); // true 65536
 * disk.close();
 * Deno.removeSync(path);
 * ```
 */
export interface BlockExtent {
  /** guest offset of the run */
  start: number;
  /** bytes in the run */
  length: number;
  /** the run is allocated in some image of the chain (data or a zero flag) */
  present: boolean;
  /** the bytes are stored in this image or a backing file (else they read from below or as 0) */
  data: boolean;
  /** the bytes are known to read as zero */
  zero: boolean;
  /** how many backing levels down the bytes come from (0: this image) */
  depth: number;
  /** where the bytes are in the host file of that level, if plainly stored there */
  hostOffset?: number;
  /** true if the run is stored as compressed clusters */
  compressed?: boolean;
}

/** How a growth is allocated: qemu's preallocation modes. */
export type Preallocation = "off" | "metadata" | "falloc" | "full";

/**
 * An open disk image: guest-visible reads and writes of bytes.
 *
 * @example
 * ```ts ignore
 * const disk = await openImage("disk.qcow2", { readOnly: true });
 * console.log(disk.format, disk.size, disk.read(0, 512));
 * disk.close();
 * ```
 */
export interface BlockDriver {
  /** the format name ("raw", "qcow2") */
  readonly format: string;
  /** the host file holding this image */
  readonly file: HostFile;
  /** the host file holding the guest's data when it is not `file` (qcow2's external data file) */
  readonly dataFile?: HostFile;
  /** the image below this one, if any */
  readonly backing?: BlockDriver;
  /** virtual size in bytes */
  readonly size: number;
  /** cluster size for formats that have one */
  readonly clusterSize?: number;
  /** Reads `length` guest bytes at `offset` (past the end reads as zero). */
  read(offset: number, length: number): Uint8Array;
  /**
   * Fills `out` with the guest bytes at `offset`, as `read` does but into a
   * buffer the caller reuses (bulk copies: fresh buffers cost page faults)
   */
  readInto?(offset: number, out: Uint8Array): void;
  /** Writes guest bytes at `offset`. */
  write(offset: number, data: Uint8Array): void;
  /** Makes the range read as zero, keeping it sparse where the format can. */
  writeZeroes(offset: number, length: number): void;
  /** The run of bytes starting at `offset` that share one status (at most `length` bytes). */
  status(offset: number, length: number): BlockExtent;
  /**
   * Changes the virtual size; a growth is `preallocation` (qemu-img resize's
   * `--preallocation`: `metadata`, `falloc` or `full`) where the format has it.
   */
  resize(size: number, preallocation?: Preallocation): void;
  /**
   * Stores one whole cluster compressed (formats that can: `convert -c`);
   * `offset` is cluster-aligned and `data` one cluster long.
   */
  writeCompressed?(offset: number, data: Uint8Array): void;
  /** Writes cached metadata and makes written data durable. */
  flush(): void;
  /** What `info` shows beyond size and format. */
  describe?(): ImageDescription;
  /**
   * Checks the image's metadata (formats that have any), printing one line
   * per problem with `log`; `repair` fixes leaks, or leaks and errors.
   */
  check?(repair: "leaks" | "all" | undefined, log: (line: string) => void): CheckResult;
  /**
   * Takes an internal snapshot named `name` at `date` (formats that have
   * them: `snapshot -c`), with the machine's state `vm` in the image's VM
   * state area when given (QEMU's `savevm TAG`).
   */
  createSnapshot?(name: string, date: Date, vm?: VmState): void;
  /**
   * Reads `length` bytes of the VM state area of internal snapshot `id`,
   * leaving the disk as it is (`loadvm TAG` checks the machine's state before
   * it reverts any disk).
   */
  readVmState?(id: string, length: number): Uint8Array<ArrayBuffer>;
  /** Reverts the disk to internal snapshot `idOrName` (an id, else a name); false if none. */
  applySnapshot?(idOrName: string): boolean;
  /** Deletes the first internal snapshot named `name`; false if there is none. */
  deleteSnapshot?(name: string): boolean;
  /** Unmaps every cluster, so that all reads fall through to the backing file (`commit`). */
  makeEmpty?(): void;
  /**
   * Checks `amend` options (`-o`) and returns the change to run, which
   * reports its progress as `done` of `total` units (formats that can
   * change their options in place: `amend`).
   */
  prepareAmend?(
    options: Record<string, string>,
  ): (progress: (done: number, total: number) => void) => void;
  /** Stores backing file `name` and its `format` in the image; "" removes it (`rebase`). */
  setBacking?(name: string, format: string | undefined): void;
  /** Flushes and closes the image and its backing chain. */
  close(): void;
}

/** The machine state a snapshot holds besides the disk (QEMU's vmstate). */
export interface VmState {
  /** the state's bytes, stored past the end of the virtual disk */
  data: Uint8Array;
  /** the guest's virtual clock, in nanoseconds */
  clockNs: number;
}

/**
 * What `info` shows about an image beyond its size (qemu-img's ImageInfo).
 *
 * @example
 * ```ts
 * import { createImage, openImage } from "./block.ts";
 * const path = Deno.makeTempFileSync({ suffix: ".qcow2" });
 * await createImage(path, "qcow2", { size: 1 << 20, options: {} });
 * const disk = await openImage(path, { readOnly: true });
 * console.log(disk.describe?.().dirty); // false
 * disk.close();
 * Deno.removeSync(path);
 * ```
 */
export interface ImageDescription {
  /** the backing file name as stored in the image */
  backingFile?: string;
  /** the backing format as stored in the image */
  backingFormat?: string;
  /** the image was not closed cleanly (lazy refcounts) */
  dirty: boolean;
  /** the guest data is encrypted (qemu-img info's "encrypted: yes") */
  encrypted?: boolean;
  /** qemu-img's "format-specific" object */
  formatSpecific?: { type: string; data: Record<string, unknown> };
  /** internal snapshots, as qemu-img lists them */
  snapshots?: SnapshotInfo[];
}

/**
 * One internal snapshot, with qemu-img's JSON field names.
 *
 * @example
 * ```ts
 * import { createImage, openImage } from "./block.ts";
 * const path = Deno.makeTempFileSync({ suffix: ".qcow2" });
 * await createImage(path, "qcow2", { size: 1 << 20, options: {} });
 * const disk = await openImage(path);
 * disk.createSnapshot?.("before", new Date());
 * console.log(disk.describe?.().snapshots?.map((s) => [s.id, s.name])); // [ [ "1", "before" ] ]
 * disk.close();
 * Deno.removeSync(path);
 * ```
 */
export interface SnapshotInfo {
  /** instructions retired when it was taken (absent when the image does not record it) */
  "icount"?: number;
  /** the nanoseconds part of the guest's virtual clock when it was taken */
  "vm-clock-nsec": number;
  /** its name (the tag `snapshot -c NAME` gave it) */
  "name": string;
  /** host time it was taken, seconds since the epoch */
  "date-sec": number;
  /** the nanoseconds part of the host time it was taken */
  "date-nsec": number;
  /** the seconds part of the guest's virtual clock when it was taken */
  "vm-clock-sec": number;
  /** its unique id in the image ("1", "2", ...) */
  "id": string;
  /** bytes of machine state saved with it (0 for a disk-only snapshot) */
  "vm-state-size": number;
}

/**
 * What `check` found (qemu-img check's numbers).
 *
 * @example
 * ```ts
 * import { createImage, openImage } from "./block.ts";
 * const path = Deno.makeTempFileSync({ suffix: ".qcow2" });
 * await createImage(path, "qcow2", { size: 1 << 20, options: {} });
 * const disk = await openImage(path, { readOnly: true });
 * const r = disk.check?.(undefined, console.log);
 * console.log(r?.corruptions, r?.leaks, r?.totalClusters); // 0 0 16
 * disk.close();
 * Deno.removeSync(path);
 * ```
 */
export interface CheckResult {
  /** metadata errors found (qemu-img: "errors were found on the image"); `-r all` repairs them */
  corruptions: number;
  /** clusters allocated but referenced by nothing (qemu-img: "Leaked cluster") */
  leaks: number;
  /** errors that kept the check from looking somewhere (qemu-img: "internal errors") */
  checkErrors: number;
  /** corruptions repaired by `-r all` */
  corruptionsFixed: number;
  /** leaks repaired by `-r leaks` or `-r all` */
  leaksFixed: number;
  /** byte offset just past the last cluster in use (qemu-img: "Image end offset") */
  imageEndOffset: number;
  /** clusters of the virtual disk (virtual size / cluster size) */
  totalClusters: number;
  /** of those, the clusters with data in this image */
  allocatedClusters: number;
  /** of those, the ones not right after the previous one in the file */
  fragmentedClusters: number;
  /** of those, the compressed ones */
  compressedClusters: number;
  /**
   * set when the check could not finish (qemu-img: "Check failed: <this>"):
   * the errno text, e.g. "Input/output error"; the numbers are then not shown
   */
  failure?: string;
}

/**
 * How to open an image.
 *
 * @example
 * ```ts
 * import { createImage, openImage } from "./block.ts";
 * const path = Deno.makeTempFileSync({ suffix: ".qcow2" });
 * await createImage(path, "qcow2", { size: 1 << 20, options: {} });
 * const disk = await openImage(path, { format: "qcow2", readOnly: true });
 * console.log(disk.format, disk.size); // qcow2 1048576
 * disk.close();
 * Deno.removeSync(path);
 * ```
 */
export interface BlockOpenOptions {
  /** never write to the file */
  readOnly?: boolean;
  /** keep writes in memory (QEMU's `snapshot=on`) */
  snapshot?: boolean;
  /** the format, else probed from the first bytes */
  format?: string;
  /** opened by a checker (QEMU's BDRV_O_CHECK): a dirty image is not repaired on open */
  check?: boolean;
  /** do not open the backing file (qemu-img's `-U`-free `info` of a broken chain) */
  noBacking?: boolean;
  /**
   * opened only to describe it (QEMU's BDRV_O_NO_IO, qemu-img info): what
   * reading the guest's data needs (a data file, a key) is not asked for
   */
  noIo?: boolean;
  /** paths already open below this image, to refuse a backing chain loop */
  chain?: string[];
  /**
   * QEMU's cache mode: `unsafe` ignores flushes (qemu-img convert's default
   * for its output), the others make `flush` and `close` write to disk.
   */
  cache?: "writeback" | "writethrough" | "none" | "directsync" | "unsafe";
  /**
   * the format's own open options, QEMU's names (`encrypt.key-secret` of
   * an encrypted qcow2 image, `key-secret` of a LUKS one), from `--image-opts`
   */
  driverOptions?: Record<string, string>;
  /** opened for a system emulator's drive (QEMU's block driver whitelist: no old AES there) */
  system?: boolean;
  /** the name opened is qemu-img's `--image-opts` (`driver=qcow2,file.filename=PATH,...`) */
  imageOpts?: boolean;
}

/** What a format gets to open an image. */
export interface BlockOpenContext {
  /** the image's host file */
  file: HostFile;
  /** the open options */
  options: BlockOpenOptions;
  /** Opens a backing file named by the image (relative names resolve against it). */
  openBacking(name: string, format: string | undefined): Promise<BlockDriver>;
  /**
   * Set when the format was guessed (no `format` given): the format the first
   * {@linkcode PROBE_BYTES} bytes of an image would be guessed as. A driver
   * refuses a write that would change the guess, as QEMU's raw driver does,
   * so that a guest cannot turn its raw disk into another format (a qcow2
   * header naming a host file as its backing file) for the next run.
   */
  guessFormat?: (head: Uint8Array) => string;
}

/**
 * Options of `create` shared by all formats (the rest are format-specific `-o` options).
 *
 * @example
 * ```ts
 * import { createImage, openImage } from "./block.ts";
 * const path = Deno.makeTempFileSync({ suffix: ".qcow2" });
 * await createImage(path, "qcow2", { size: 1 << 20, options: { cluster_size: "4096" } });
 * const disk = await openImage(path, { readOnly: true });
 * console.log(disk.describe?.().formatSpecific?.type, disk.size); // qcow2 1048576
 * disk.close();
 * Deno.removeSync(path);
 * ```
 */
export interface BlockCreateOptions {
  /** virtual size in bytes */
  size: number;
  /** `-o name=value` options */
  options: Record<string, string>;
  /** backing file name as stored in the image */
  backingFile?: string;
  /** backing file format */
  backingFormat?: string;
  /** the cache mode to write with (`unsafe`: no flush when done, as qemu-img convert) */
  cache?: BlockOpenOptions["cache"];
}

/**
 * A block format plugin: probes, opens and creates images of one format.
 *
 * @example
 * ```ts ignore
 * const plugin: BlockFormatPlugin = {
 *   kind: "block", name: "raw", apiVersion: { min: 2, cur: 2 }, description: "raw disk image",
 *   probe: () => 1, open: (ctx) => new RawImage(ctx.file), create: createRaw,
 *   createOptions: [{ name: "size", type: "size", help: "Virtual disk size" }],
 * };
 * export default plugin;
 * ```
 */
export interface BlockFormatPlugin {
  /** always "block": what the loader checks first */
  kind: "block";
  /** the format's name: what `-f`/`-O` select, `img info` shows and `img --help` lists */
  name: string;
  /** the plugin API versions it works with */
  apiVersion: PluginApiRange;
  /** one line for `emu img --help` */
  description: string;
  /** How sure the format is that `head` (the first bytes of a file) is its image: 0 never, 100 certain. */
  probe(head: Uint8Array): number;
  /** Opens an image. */
  open(ctx: BlockOpenContext): Promise<BlockDriver>;
  /** Creates an image at `path` (the file is created or truncated). */
  create(path: string, options: BlockCreateOptions): Promise<void>;
  /** The `-o` options of `create` and `convert`, in the format's order (`-o help`). */
  createOptions: readonly BlockOptionDesc[];
  /** The `-o` options of `amend`, for formats whose drivers have `prepareAmend`. */
  amendOptions?: readonly BlockOptionDesc[];
  /**
   * The file size an image of this format needs (`emu img measure`): for
   * `-o` options `options` and either a virtual `size` or the contents of
   * `source`.
   */
  measure?(options: Record<string, string>, size: number, source?: BlockDriver): BlockMeasure;
}

/** What `emu img measure` reports, in bytes (qemu-img's BlockMeasureInfo). */
export interface BlockMeasure {
  /** the file size for the data the source holds */
  required: number;
  /** the file size with every cluster allocated */
  fullyAllocated: number;
  /** room for persistent dirty bitmaps, for formats that store them */
  bitmaps?: number;
}

/**
 * Parses a qemu-img size: a number with an optional k, M, G, T, P, E suffix
 * (powers of 1024; `b`/`B` or none for bytes).
 *
 * @example
 * ```ts
 * import { parseImageSize } from "./block.ts";
 * console.log(parseImageSize("64M")); // 67108864
 * ```
 */
export function parseImageSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([bBkKmMgGtTpPeE]?)$/.exec(text.trim());
  if (!m) {
    throw new EmuError(
      `Invalid image size specified. You may use k, M, G, T, P or E suffixes for`,
      "kilobytes, megabytes, gigabytes, terabytes, petabytes and exabytes",
    );
  }
  const shift = " bkmgtpe".indexOf(m[2].toLowerCase() || " ");
  const size = Number(m[1]) * 1024 ** Math.max(0, shift - 1);
  if (!Number.isSafeInteger(size)) throw new EmuError(`image size ${text} is too large`);
  return size;
}

/**
 * True if every byte of `b` is zero (word at a time where aligned).
 *
 * @example
 * ```ts
 * import { isZero } from "./block.ts";
 * console.log(isZero(new Uint8Array(4096))); // true
 * ```
 */
export function isZero(b: Uint8Array): boolean {
  // a Float64Array view must start at a multiple of 8, even an empty one
  const words = b.byteOffset % 8 === 0 ? Math.floor(b.length / 8) : 0;
  if (words) {
    const w = new Float64Array(b.buffer, b.byteOffset, words);
    for (let i = 0; i < words; i++) if (w[i] !== 0 || Object.is(w[i], -0)) return false;
  }
  for (let i = words * 8; i < b.length; i++) if (b[i]) return false;
  return true;
}

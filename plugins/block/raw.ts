/**
 * The raw block format: the file is the disk, byte for byte. Zero runs are
 * left as holes, and block status reports holes as zero (`SEEK_DATA` is not
 * available, so a hole is a run of zero bytes read back).
 *
 * @module
 */

import {
  type BlockCreateOptions,
  type BlockDriver,
  type BlockExtent,
  type BlockFormatPlugin,
  type BlockMeasure,
  EmuError,
  HostFile,
  isZero,
  type Preallocation,
  PROBE_BYTES,
  SparseMap,
} from "../../plugin_block.ts";

/** Granularity of raw block status where holes cannot be asked for. */
const STATUS_GRAIN = 65536;

/**
 * A raw image.
 *
 * @example
 * ```ts ignore
 * const disk = await openImage("disk.img", { format: "raw" });
 * ```
 */
export class RawImage implements BlockDriver {
  readonly format = "raw";

  /**
   * The file's holes, found on the first status asked (a copy's target is
   * never asked: it does not load libc by FFI, 2 ms of `convert -O raw`);
   * null where they cannot be found
   */
  #holeMap: SparseMap | null | undefined;

  /**
   * @param guessFormat set when the format was guessed: a write that would make
   * the first sector guessed as another format fails (QEMU's probed raw image)
   */
  constructor(
    readonly file: HostFile,
    private readonly guessFormat?: (head: Uint8Array) => string,
  ) {}

  get #holes(): SparseMap | null {
    this.#holeMap ??= this.file.hasOverlay ? null : SparseMap.open(this.file.path) ?? null;
    return this.#holeMap;
  }

  /** Whole sectors, as QEMU counts a raw file: a partial last sector reads as zeros past the end. */
  get size(): number {
    return Math.ceil(this.file.size / 512) * 512;
  }

  read(offset: number, length: number): Uint8Array {
    return this.file.read(offset, length);
  }

  readInto(offset: number, out: Uint8Array): void {
    this.file.readInto(offset, out);
    out.fill(0, Math.max(0, this.size - offset));
  }

  write(offset: number, data: Uint8Array): void {
    if (offset + data.length > this.size) {
      throw new EmuError(`${this.file.path}: write past the end of the disk`);
    }
    if (this.guessFormat && offset < PROBE_BYTES) this.#keepGuess(offset, data);
    this.file.write(offset, data);
  }

  /** Refuses a write that would make the image's first bytes look like another format. */
  #keepGuess(offset: number, data: Uint8Array): void {
    const head = this.read(0, PROBE_BYTES);
    head.set(data.subarray(0, PROBE_BYTES - offset), offset);
    const guess = this.guessFormat!(head);
    if (guess !== "raw") {
      throw new EmuError(
        `${this.file.path}: a write to block 0 would make the image look like ${guess}: refused`,
        "give format=raw to allow it (the format was guessed)",
      );
    }
  }

  writeZeroes(offset: number, length: number): void {
    const zeros = new Uint8Array(Math.min(length, 1 << 20));
    for (let at = offset; at < offset + length; at += zeros.length) {
      this.write(at, zeros.subarray(0, Math.min(zeros.length, offset + length - at)));
    }
  }

  status(offset: number, length: number): BlockExtent {
    const end = Math.min(offset + length, this.size);
    const hole = this.#holes?.segment(offset, end);
    const zero = hole
      ? !hole.data
      : isZero(this.file.read(offset, Math.min(STATUS_GRAIN, end - offset)));
    const stop = hole ? hole.end : Math.min(offset + STATUS_GRAIN, end);
    return {
      start: offset,
      length: Math.max(0, stop - offset),
      present: true,
      data: !zero,
      zero,
      depth: 0,
      hostOffset: offset,
    };
  }

  resize(size: number, preallocation: Preallocation = "off"): void {
    if (preallocation === "metadata") {
      throw new EmuError("Unsupported preallocation mode: metadata");
    }
    growRaw(this.file, size, preallocation);
  }

  flush(): void {
    this.file.sync();
  }

  close(): void {
    this.#holeMap?.close();
    this.file.close();
  }
}

/**
 * Sets the length of the raw `file` as QEMU's file-posix does: `full` writes
 * zeros over the growth, `falloc` reserves its blocks; growing an empty file
 * with `off` or `falloc` writes its first block (4 KiB, or a sector for a
 * smaller size), which QEMU does to speed up probing the alignment later.
 */
function growRaw(file: HostFile, size: number, preallocation: Preallocation): void {
  const old = file.size;
  if (preallocation === "full") return file.fillZeros(old, size);
  if (preallocation === "falloc") file.allocate(old, size);
  else file.truncate(size);
  if (old === 0 && size > 0) file.write(0, new Uint8Array(size < 4096 ? 512 : 4096));
}

function create(path: string, options: BlockCreateOptions): Promise<void> {
  for (const k of Object.keys(options.options)) {
    if (!["preallocation", "nocow", "extent_size_hint"].includes(k)) {
      throw new EmuError(`Invalid parameter '${k}'`);
    }
  }
  if (options.backingFile) throw new EmuError("raw images have no backing file (-b)");
  const file = HostFile.create(path, options.cache);
  const size = Math.ceil(options.size / 512) * 512; // QEMU counts whole sectors
  const pre = options.options.preallocation ?? "off";
  if (pre === "metadata") throw new EmuError("Unsupported preallocation mode: metadata");
  if (!["off", "falloc", "full"].includes(pre)) {
    throw new EmuError(`invalid parameter value: ${pre}`);
  }
  growRaw(file, size, pre as Preallocation);
  file.close();
  return Promise.resolve();
}

/** A raw image's size is its virtual size (whole sectors when given as a number). */
function measure(_o: Record<string, string>, size: number, source?: BlockDriver): BlockMeasure {
  const required = source ? source.size : Math.ceil(size / 512) * 512;
  return { required, fullyAllocated: required };
}

/** The raw format plugin. */
const plugin: BlockFormatPlugin = {
  kind: "block",
  name: "raw",
  apiVersion: { min: 2, cur: 2 },
  description: "raw disk image (the file is the disk)",
  probe: () => 1,
  open: (ctx) => Promise.resolve(new RawImage(ctx.file, ctx.guessFormat)),
  create,
  createOptions: [{ name: "size", type: "size", help: "Virtual disk size" }],
  measure,
};
export default plugin;

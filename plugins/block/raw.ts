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
  EmuError,
  HostFile,
  PLUGIN_API_VERSION,
} from "../../mod.ts";

/** Granularity of raw block status (qemu-img reports holes in 4 KiB blocks). */
const STATUS_GRAIN = 4096;

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

  constructor(readonly file: HostFile) {}

  get size(): number {
    return this.file.size;
  }

  read(offset: number, length: number): Uint8Array {
    return this.file.read(offset, length);
  }

  write(offset: number, data: Uint8Array): void {
    if (offset + data.length > this.size) {
      throw new EmuError(`${this.file.path}: write past the end of the disk`);
    }
    this.file.write(offset, data);
  }

  writeZeroes(offset: number, length: number): void {
    const zeros = new Uint8Array(Math.min(length, 1 << 20));
    for (let at = offset; at < offset + length; at += zeros.length) {
      this.write(at, zeros.subarray(0, Math.min(zeros.length, offset + length - at)));
    }
  }

  status(offset: number, length: number): BlockExtent {
    const end = Math.min(offset + length, this.size);
    let pos = offset, zero: boolean | undefined;
    while (pos < end) {
      const n = Math.min(STATUS_GRAIN - (pos % STATUS_GRAIN), end - pos);
      const z = this.file.read(pos, n).every((b) => b === 0);
      if (zero !== undefined && z !== zero) break;
      zero = z;
      pos += n;
    }
    return {
      start: offset,
      length: pos - offset,
      present: true,
      data: !zero,
      zero: !!zero,
      depth: 0,
      hostOffset: offset,
    };
  }

  resize(size: number): void {
    this.file.truncate(size);
  }

  flush(): void {
    this.file.sync();
  }

  close(): void {
    this.file.close();
  }
}

function create(path: string, options: BlockCreateOptions): Promise<void> {
  for (const k of Object.keys(options.options)) {
    if (k !== "preallocation") throw new EmuError(`Invalid parameter '${k}'`);
  }
  if (options.backingFile) throw new EmuError("raw images have no backing file (-b)");
  const file = HostFile.create(path);
  const pre = options.options.preallocation ?? "off";
  if (pre === "full") {
    const zeros = new Uint8Array(Math.min(options.size, 16 << 20));
    for (let at = 0; at < options.size; at += zeros.length) {
      file.write(at, zeros.subarray(0, Math.min(zeros.length, options.size - at)));
    }
  } else if (pre === "off" || pre === "falloc") file.truncate(options.size);
  else throw new EmuError(`Invalid preallocation mode: '${pre}'`);
  file.close();
  return Promise.resolve();
}

/** The raw format plugin. */
const plugin: BlockFormatPlugin = {
  kind: "block",
  name: "raw",
  apiVersion: PLUGIN_API_VERSION,
  description: "raw disk image (the file is the disk)",
  probe: () => 1,
  open: (ctx) => Promise.resolve(new RawImage(ctx.file)),
  create,
};
export default plugin;

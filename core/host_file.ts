/**
 * A disk image's host file, read and written at offsets, with an optional
 * in-memory overlay that keeps every write (QEMU's `snapshot=on`).
 *
 * @module
 */

import { EmuError } from "./errors.ts";
import type { BlockOpenOptions } from "./block.ts";
import { fallocateHost } from "./host_seek.ts";

const PAGE = 4096;

/** The host's words for the errors posix_fallocate returns (glibc's strerror). */
const HOST_ERRORS: Record<number, string> = {
  5: "Input/output error",
  27: "File too large",
  28: "No space left on device",
  122: "Disk quota exceeded",
};

/** The host's words for why a file operation failed (Deno's message without "(os error N)"). */
function hostReason(e: Error): string {
  return e.message.split("\n")[0].replace(/ \(os error \d+\).*/, "");
}

/**
 * A host file read and written at offsets. With `overlay`, writes stay in an
 * in-memory page map and the file is opened read-only.
 *
 * @example
 * ```ts ignore
 * const f = HostFile.open("disk.img", { readOnly: false, overlay: true });
 * f.write(0, new Uint8Array([1])); // the file is unchanged
 * ```
 */
export class HostFile {
  /**
   * Called before each change of the file, in order: a write with its bytes,
   * or a truncation (`data` undefined, `offset` the new length). Tests replay
   * prefixes of this list to simulate a crash at every point.
   */
  readonly writeObservers: ((offset: number, data?: Uint8Array) => void)[] = [];
  #size: number;
  /** the host file's size when opened (with an overlay it never changes) */
  readonly #fileSize: number;
  readonly #pages: Map<number, Uint8Array> | undefined;

  private constructor(
    readonly path: string,
    readonly handle: Deno.FsFile,
    readonly readOnly: boolean,
    overlay: boolean,
    readonly ignoreFlushes = false,
  ) {
    this.#size = this.#fileSize = handle.statSync().size;
    this.#pages = overlay ? new Map() : undefined;
  }

  /**
   * Opens `path`; errors are QEMU's file protocol's ("Could not open 'F': No
   * such file or directory"), which qemu-img prints after its own prefix.
   */
  static open(
    path: string,
    mode: { readOnly: boolean; overlay?: boolean; ignoreFlushes?: boolean },
  ): HostFile {
    const write = !mode.readOnly && !mode.overlay;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(path, { read: true, write });
    } catch (e) {
      throw new EmuError(`Could not open '${path}': ${hostReason(e as Error)}`);
    }
    if (file.statSync().isDirectory) {
      file.close();
      throw new EmuError(`'file' driver requires '${path}' to be a regular file`);
    }
    return new HostFile(path, file, mode.readOnly, !!mode.overlay, mode.ignoreFlushes);
  }

  /** Creates (or truncates) `path` for writing; `cache` as {@linkcode BlockOpenOptions}. */
  static create(path: string, cache?: BlockOpenOptions["cache"]): HostFile {
    try {
      const h = Deno.openSync(path, { read: true, write: true, create: true, truncate: true });
      return new HostFile(path, h, false, false, cache === "unsafe");
    } catch (e) {
      throw new EmuError(`Could not create '${path}': ${hostReason(e as Error)}`);
    }
  }

  /** True if writes stay in memory (`snapshot`). */
  get hasOverlay(): boolean {
    return this.#pages !== undefined;
  }

  /** The file's length in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Bytes the file occupies on the host disk (qemu-img's "disk size"). */
  allocatedBytes(): number {
    const st = this.handle.statSync();
    return st.blocks === null ? st.size : st.blocks * 512;
  }

  /** Reads `length` bytes at `offset`; bytes past the end read as zero. */
  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(offset, out);
    return out;
  }

  /** Fills `out` with the bytes at `offset` (zeros past the end of the file). */
  readInto(offset: number, out: Uint8Array): void {
    // with an overlay, what lies past the host file is in its pages: no seek there (a bad
    // table's offset may be past what the host file system allows)
    const hostSize = this.#pages ? Math.min(this.#size, this.#fileSize) : this.#size;
    const end = Math.min(offset + out.length, hostSize);
    let done = 0;
    if (end > offset) {
      this.handle.seekSync(offset, Deno.SeekMode.Start);
      while (done < end - offset) {
        const n = this.handle.readSync(out.subarray(done, end - offset));
        if (n === null || n === 0) break;
        done += n;
      }
    }
    out.fill(0, done); // a reused buffer must not keep the last read's bytes there
    if (this.#pages) this.#readPages(offset, out);
  }

  #readPages(offset: number, out: Uint8Array): void {
    for (let p = Math.floor(offset / PAGE); p * PAGE < offset + out.length; p++) {
      const page = this.#pages!.get(p);
      if (!page) continue;
      const from = Math.max(offset, p * PAGE), to = Math.min(offset + out.length, (p + 1) * PAGE);
      out.set(page.subarray(from - p * PAGE, to - p * PAGE), from - offset);
    }
  }

  /** Writes `data` at `offset`, growing the file if needed. */
  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new EmuError(`${this.path}: the image is open read-only`);
    for (const o of this.writeObservers) o(offset, data);
    if (this.#pages) {
      this.#size = Math.max(this.#size, offset + data.length);
      return this.#writePages(offset, data);
    }
    try {
      this.handle.seekSync(offset, Deno.SeekMode.Start);
      let done = 0;
      while (done < data.length) done += this.handle.writeSync(data.subarray(done));
    } catch (e) {
      // e.g. an offset from a bad table past what the host file system allows
      throw new EmuError(
        `${this.path}: cannot write at offset 0x${offset.toString(16)}: ${
          (e as Error).message.replace(/ \(os error \d+\)$/, "")
        }`,
        "check the image with emu img check",
      );
    }
    this.#size = Math.max(this.#size, offset + data.length);
  }

  #writePages(offset: number, data: Uint8Array): void {
    for (let p = Math.floor(offset / PAGE); p * PAGE < offset + data.length; p++) {
      let page = this.#pages!.get(p);
      if (!page) {
        page = new Uint8Array(PAGE);
        // past the end of the file a page is zeros: no seek there (a bad table's offset may be
        // past what the host file system allows)
        if (p * PAGE < this.#fileSize) {
          this.handle.seekSync(p * PAGE, Deno.SeekMode.Start);
          this.handle.readSync(page);
        }
        this.#pages!.set(p, page);
      }
      const from = Math.max(offset, p * PAGE), to = Math.min(offset + data.length, (p + 1) * PAGE);
      page.set(data.subarray(from - offset, to - offset), from - p * PAGE);
    }
  }

  /** Sets the file's length. */
  truncate(size: number): void {
    if (this.readOnly) throw new EmuError(`${this.path}: the image is open read-only`);
    for (const o of this.writeObservers) o(size);
    if (!this.#pages) this.handle.truncateSync(size);
    else {
      for (const p of this.#pages.keys()) if (p * PAGE >= size) this.#pages.delete(p);
    }
    this.#size = size;
  }

  /** Writes zeros over bytes [from, to), in pieces of at most 16 MiB (`full` preallocation). */
  fillZeros(from: number, to: number): void {
    const zeros = new Uint8Array(Math.min(Math.max(0, to - from), 16 << 20));
    for (let at = from; at < to; at += zeros.length) {
      this.write(at, zeros.subarray(0, Math.min(zeros.length, to - at)));
    }
  }

  /**
   * Grows the file to `to` bytes (if shorter) with bytes [from, to) given
   * host blocks that read as zeros (qemu-img's `falloc`); a hole where the
   * host cannot (no FFI, another OS) or with an overlay. A host that has
   * no room fails in qemu-img's words, the file's length unchanged.
   */
  allocate(from: number, to: number): void {
    if (this.readOnly) throw new EmuError(`${this.path}: the image is open read-only`);
    const err = this.#pages || to <= from ? -1 : fallocateHost(this.path, from, to - from);
    if (err > 0) {
      this.handle.truncateSync(this.#size); // what was reserved before the host gave up is freed
      const why = HOST_ERRORS[err] ?? `error ${err}`;
      throw new EmuError(`Could not preallocate new data: ${why}`, "free space on the host");
    }
    if (to > this.#size) this.truncate(to);
  }

  /** Makes written data durable (unless opened with QEMU's `cache=unsafe`). */
  sync(): void {
    if (!this.readOnly && !this.#pages && !this.ignoreFlushes) this.handle.syncDataSync();
  }

  /** Closes the file. */
  close(): void {
    this.handle.close();
  }
}

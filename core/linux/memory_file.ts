/**
 * A read-only regular file whose contents live in memory: the fuzzer's `@@`
 * input, a host file served from a record/replay log.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, type StatInfo } from "./fds.ts";

/**
 * A read-only regular file over bytes.
 *
 * @example
 * ```ts
 * import { MemoryFile } from "./memory_file.ts";
 * const f = new MemoryFile(new TextEncoder().encode("hi"), "/x");
 * console.log(f.read(new Uint8Array(8)), f.stat().size); // 2 2n
 * ```
 */
export class MemoryFile implements OpenFile {
  statusFlags = O.RDONLY;
  isTty = false;
  #pos = 0;
  constructor(
    readonly data: Uint8Array,
    readonly guestPath: string,
    /** what fstat reports (default: a regular file of the data's size, mode 0600) */
    readonly info?: StatInfo,
  ) {}
  read(buf: Uint8Array): number {
    const n = this.pread(buf, this.#pos);
    this.#pos += n;
    return n;
  }
  pread(buf: Uint8Array, pos: number): number {
    const n = Math.max(0, Math.min(buf.length, this.data.length - pos));
    buf.set(this.data.subarray(pos, pos + n));
    return n;
  }
  write(): number {
    throw new SysError(E.EBADF);
  }
  seek(offset: number, whence: number): number {
    const base = whence === 0 ? 0 : whence === 1 ? this.#pos : whence === 2 ? this.data.length : -1;
    if (base < 0 || base + offset < 0) throw new SysError(E.EINVAL);
    return this.#pos = base + offset;
  }
  stat(): StatInfo {
    if (this.info) return this.info;
    const size = BigInt(this.data.length);
    return {
      dev: 0n,
      ino: 1n,
      mode: S_IF.REG | 0o600,
      nlink: 1,
      uid: 0,
      gid: 0,
      rdev: 0n,
      size,
      blksize: 4096,
      blocks: (size + 511n) / 512n,
      atimeNs: 0n,
      mtimeNs: 0n,
      ctimeNs: 0n,
    };
  }
  close(): void {}
}

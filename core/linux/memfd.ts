/**
 * memfd_create: an anonymous regular file whose bytes live in memory, read, written, truncated
 * and mapped (MAP_SHARED too) like any other, gone with its last descriptor.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, type StatInfo, syntheticStat } from "./fds.ts";
import type { LinuxProcess } from "./process.ts";
import { int, readString, type SyscallTable } from "./syscall.ts";

const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
/** The longest name memfd_create takes (NAME_MAX less the "memfd:" prefix). */
const MFD_NAME_MAX = 249;
/** The device memfd files report (shared mappings tell files apart by device and inode). */
const MEMFD_DEV = 0x1fn;
/** The largest memfd file: its bytes are host memory (Linux's, sparse, may be far larger). */
const MEMFD_MAX = 2 ** 31;
let lastIno = 0n;

/**
 * A growable in-memory regular file.
 *
 * @example
 * ```ts
 * import { MemFd } from "./memfd.ts";
 * const f = new MemFd("/memfd:x (deleted)");
 * f.write(new TextEncoder().encode("hello"));
 * console.log(f.seek(0, 1), f.stat().size); // 5 5n
 * ```
 */
export class MemFd implements OpenFile {
  isTty = false;
  statusFlags = O.RDWR;
  #bytes = new Uint8Array(0);
  #size = 0;
  #pos = 0;
  readonly #ino = ++lastIno;
  constructor(readonly guestPath: string) {}
  read(buf: Uint8Array): number {
    const n = this.pread(buf, this.#pos);
    this.#pos += n;
    return n;
  }
  write(buf: Uint8Array): number {
    if (this.statusFlags & O.APPEND) this.#pos = this.#size;
    const n = this.pwrite(buf, this.#pos);
    this.#pos += n;
    return n;
  }
  pread(buf: Uint8Array, pos: number): number {
    const n = Math.max(0, Math.min(buf.length, this.#size - pos));
    buf.fill(0, 0, n); // past the bytes written lie zeros
    buf.set(this.#bytes.subarray(pos, pos + n));
    return n;
  }
  pwrite(buf: Uint8Array, pos: number): number {
    const end = pos + buf.length;
    if (end > MEMFD_MAX) throw new SysError(E.EFBIG);
    if (end > this.#bytes.length) {
      const bigger = new Uint8Array(Math.min(Math.max(end, this.#bytes.length * 2), MEMFD_MAX));
      bigger.set(this.#bytes);
      this.#bytes = bigger;
    }
    this.#bytes.set(buf, pos);
    this.#size = Math.max(this.#size, end);
    return buf.length;
  }
  seek(offset: number, whence: number): number {
    const base = [0, this.#pos, this.#size][whence];
    if (whence === 3 || whence === 4) {
      if (offset < 0 || offset >= this.#size) throw new SysError(E.ENXIO);
      return this.#pos = whence === 3 ? offset : this.#size;
    }
    if (base === undefined || base + offset < 0) throw new SysError(E.EINVAL);
    return this.#pos = base + offset;
  }
  stat(): StatInfo {
    const size = BigInt(this.#size);
    const blocks = (size + 4095n) / 4096n * 8n;
    const info = { ...syntheticStat(S_IF.REG | 0o777), dev: MEMFD_DEV, ino: this.#ino, size };
    return { ...info, nlink: 0, blocks }; // no name links to it
  }
  /** Sets the size; only written bytes take memory, so a large size costs nothing. */
  truncate(len: number): void {
    if (len > MEMFD_MAX) throw new SysError(E.EFBIG);
    this.#bytes.fill(0, len, this.#size); // a later growth reads zeros there
    this.#size = len;
  }
  capture(): () => void {
    const bytes = this.#bytes.slice(0, this.#size), size = this.#size;
    const pos = this.#pos, flags = this.statusFlags;
    return () => {
      this.#bytes = bytes.slice();
      this.#size = size;
      this.#pos = pos;
      this.statusFlags = flags;
    };
  }
  close(): void {}
}

/**
 * memfd_create(name, flags): EINVAL for a name too long or another flag (MFD_HUGETLB: no huge
 * pages); MFD_ALLOW_SEALING is taken, though F_ADD_SEALS is not.
 */
function memfdCreate(p: LinuxProcess, a: bigint[]): number {
  const flags = int(a[1]), name = readString(p, a[0]);
  if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING)) throw new SysError(E.EINVAL);
  if (new TextEncoder().encode(name).length > MFD_NAME_MAX) throw new SysError(E.EINVAL);
  return p.fds.install(new MemFd(`/memfd:${name} (deleted)`), (flags & MFD_CLOEXEC) !== 0);
}

/**
 * memfd_create by name.
 *
 * @example
 * ```ts
 * import { memfdSyscalls } from "./memfd.ts";
 * console.log(Object.keys(memfdSyscalls)); // [ "memfd_create" ]
 * ```
 */
export const memfdSyscalls: SyscallTable = { memfd_create: memfdCreate };

/**
 * The fuzzer's input as a guest file that lives in memory (AFL's `@@`): the
 * guest opens a path, and `openat` of exactly that path gets a read-only,
 * seekable regular file over the current input. No host file is written per
 * execution.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, type StatInfo } from "./fds.ts";
import type { LinuxProcess } from "./process.ts";
import { readString } from "./syscall.ts";

/** A read-only regular file over bytes. */
export class MemoryFile implements OpenFile {
  statusFlags = O.RDONLY;
  isTty = false;
  #pos = 0;
  constructor(readonly data: Uint8Array, readonly guestPath: string) {}
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

/**
 * Serves `input()` at absolute guest path `guestPath` in process `p`: an
 * `openat` of that path opens a {@linkcode MemoryFile}; `onOpen` is told.
 *
 * @example
 * ```ts ignore
 * serveInputFile(p, "/tmp/.cur_input", () => bytes, () => opened = true);
 * ```
 */
export function serveInputFile(
  p: LinuxProcess,
  guestPath: string,
  input: () => Uint8Array,
  onOpen: () => void,
): void {
  const openat = p.syscalls.openat;
  p.syscalls.openat = (proc, a) => {
    const path = readString(proc, a[1]);
    if (proc.paths.absolute(path, proc.paths.cwd) !== guestPath) return openat(proc, a);
    onOpen();
    const cloexec = (Number(a[2]) & O.CLOEXEC) !== 0;
    return proc.fds.install(new MemoryFile(input(), guestPath), cloexec);
  };
}

/**
 * An `O_PATH` descriptor: it names a file (or a symlink, with `O_NOFOLLOW`)
 * for `*at()` calls, `fstat` and `/proc/self/fd`, but reads and writes fail
 * with EBADF, as on Linux.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, type StatInfo } from "./fds.ts";

/**
 * An open file description made by `open(path, O_PATH)`.
 *
 * @example
 * ```ts
 * import { PathFile } from "./path_file.ts";
 * import { statFromDeno } from "./fds.ts";
 * const f = new PathFile("/", statFromDeno(Deno.statSync("/")));
 * try { f.read(); } catch (e) { console.log(e); } // SysError EBADF
 * ```
 */
export class PathFile implements OpenFile {
  isTty = false;
  statusFlags: number = O.PATH;
  constructor(readonly guestPath: string, readonly info: StatInfo) {}
  /** whether it names a directory (then it can be a dirfd) */
  get isDirectory(): boolean {
    return (this.info.mode & 0o170000) === S_IF.DIR;
  }
  read(): number {
    throw new SysError(E.EBADF);
  }
  write(): number {
    throw new SysError(E.EBADF);
  }
  seek(): number {
    throw new SysError(E.EBADF);
  }
  stat(): StatInfo {
    return this.info;
  }
  close(): void {}
}

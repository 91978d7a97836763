/**
 * An `O_PATH` descriptor: it names a file (or a symlink, with `O_NOFOLLOW`)
 * for `*at()` calls, `fstat` and `/proc/self/fd`, but reads and writes fail
 * with EBADF, as on Linux.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { O, type OpenFile, S_IF, statFromDeno, type StatInfo } from "./fds.ts";

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
  /** `hostPath`, when given, is where {@linkcode stat} looks for the file as it is now */
  constructor(
    readonly guestPath: string,
    readonly info: StatInfo,
    private readonly hostPath?: string,
  ) {}
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
  /** The file's stat now (its size and times change); as opened if its name went to another file. */
  stat(): StatInfo {
    if (!this.hostPath) return this.info;
    try {
      const now = statFromDeno(Deno.lstatSync(this.hostPath), this.hostPath, false);
      return now.ino === this.info.ino ? now : this.info;
    } catch {
      return this.info;
    }
  }
  close(): void {}
}

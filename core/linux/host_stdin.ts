/**
 * The host's standard input when it is a regular file (`prog < file`):
 * seekable, as the host descriptor qemu-user hands its guest is.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { InputStream, S_IF, S_IFMT, spipe, type StatInfo } from "./fds.ts";
import type { StdStreamInfo } from "./recorded_inputs.ts";

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2;

/**
 * Where the host's descriptor 0 stands (Deno has no seek on stdin), from
 * `/proc/self/fdinfo/0`; undefined when that cannot be read.
 */
function hostStdinOffset(): number | undefined {
  try {
    const pos = /^pos:\s*(\d+)/m.exec(Deno.readTextFileSync("/proc/self/fdinfo/0"));
    return pos ? Number(pos[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The host's stdin opened again by path: a file of its own offset, for positioned reads. */
const STDIN_PATH = "/proc/self/fd/0";

/** The size of the file on the host's stdin (ESPIPE when it cannot be read). */
function stdinSize(): number {
  try {
    return Deno.statSync(STDIN_PATH).size;
  } catch {
    return spipe();
  }
}

/**
 * Host stdin on a regular file. Reads go through the host's descriptor, and
 * so move its offset, until the guest seeks; from then on the offset is the
 * guest's own and reads are positioned there, through the file opened again
 * (no `node:fs`: loading Node's layer would cost every run's start-up).
 *
 * @example
 * ```ts ignore
 * const stdin = new HostFileStdin(hostStat("/dev/stdin")!);
 * stdin.seek(10, 0); // 10
 * ```
 */
export class HostFileStdin extends InputStream {
  /** the guest's offset once it has seeked */
  #pos: number | undefined;
  #reopened: Deno.FsFile | undefined;
  constructor(info: StatInfo) {
    super((buf) => Deno.stdin.readSync(buf) ?? 0, false, info);
  }
  override read(buf: Uint8Array): number {
    if (this.#pos === undefined) return super.read(buf);
    const n = this.pread(buf, this.#pos);
    this.#pos += n;
    return n;
  }
  pread(buf: Uint8Array, pos: number): number {
    try {
      const f = this.#reopened ??= Deno.openSync(STDIN_PATH);
      f.seekSync(pos, Deno.SeekMode.Start);
      return f.readSync(buf) ?? 0;
    } catch {
      return spipe();
    }
  }
  override seek(offset: number, whence: number): number {
    const here = this.#pos ?? hostStdinOffset();
    if (here === undefined) return spipe();
    const base = whence === SEEK_SET
      ? 0
      : whence === SEEK_CUR
      ? here
      : whence === SEEK_END
      ? stdinSize()
      : NaN;
    const to = base + offset;
    if (!(to >= 0)) throw new SysError(E.EINVAL);
    this.#pos = to;
    return to;
  }
  override capture(): () => void {
    const pos = this.#pos;
    return () => this.#pos = pos;
  }
}

/**
 * The guest's stdin over the host's: seekable when it is a regular file,
 * unless `recorded` (a recorded run's log replays the reads in order).
 */
export function hostStdin(host: StdStreamInfo, recorded: boolean): InputStream {
  if (!recorded && host.info && (host.info.mode & S_IFMT) === S_IF.REG) {
    return new HostFileStdin(host.info);
  }
  return new InputStream((buf) => Deno.stdin.readSync(buf) ?? 0, host.isTty, host.info);
}

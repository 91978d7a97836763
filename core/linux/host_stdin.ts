/**
 * The host's standard streams when they are files: stdin or stdout on a
 * regular file (`prog < in > out`) is seekable, as the host descriptor
 * qemu-user hands its guest is, and stdin on a device such as /dev/null
 * seeks to 0, as Linux's null_lseek does.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import {
  InputStream,
  type OutputSink,
  OutputStream,
  S_IF,
  S_IFMT,
  spipe,
  type StatInfo,
} from "./fds.ts";
import { hostOutput } from "./host_io.ts";
import { seekHostFd } from "../host_seek.ts";
import type { StdStreamInfo } from "./recorded_inputs.ts";

const SEEK_SET = 0, SEEK_CUR = 1, SEEK_END = 2, O_APPEND = 0o2000;

/** A line of `/proc/self/fdinfo/<fd>` (`pos`, `flags`) as a number; undefined when unreadable. */
function hostFdInfo(fd: number, field: "pos" | "flags"): number | undefined {
  try {
    const text = Deno.readTextFileSync(`/proc/self/fdinfo/${fd}`);
    const value = new RegExp(`^${field}:\\s*(\\d+)`, "m").exec(text)?.[1];
    if (value === undefined) return undefined;
    return field === "flags" ? parseInt(value, 8) : Number(value);
  } catch {
    return undefined;
  }
}

/**
 * Where the guest stands in a host standard stream on a regular file. I/O
 * goes through the host's descriptor, and so moves its offset, which the
 * guest's seeks move too (by libc's lseek: Deno cannot seek the standard
 * streams), as the offset of an open file the shell shares with Denemu must.
 * Where libc cannot be reached, the offset becomes the guest's own once it
 * seeks and I/O is positioned there, through the file opened again by
 * `/proc/self/fd/N` (no `node:fs`: loading Node's layer would cost every
 * run's start-up).
 */
class HostFilePosition {
  /** the guest's offset once it has seeked */
  pos: number | undefined;
  #reopened: Deno.FsFile | undefined;
  constructor(readonly fd: 0 | 1 | 2) {}

  #file(): Deno.FsFile {
    const path = `/proc/self/fd/${this.fd}`;
    return this.#reopened ??= Deno.openSync(path, { read: this.fd === 0, write: this.fd !== 0 });
  }

  /** `op` on the file opened again, at `pos` (ESPIPE when it cannot be). */
  at<T>(pos: number, op: (f: Deno.FsFile) => T): T {
    try {
      const f = this.#file();
      f.seekSync(pos, Deno.SeekMode.Start);
      return op(f);
    } catch {
      return spipe();
    }
  }

  seek(offset: number, whence: number): number {
    const here = this.pos ?? hostFdInfo(this.fd, "pos");
    if (here === undefined) return spipe();
    const base = whence === SEEK_SET
      ? 0
      : whence === SEEK_CUR
      ? here
      : whence === SEEK_END
      ? this.size()
      : NaN;
    const to = base + offset;
    if (!(to >= 0)) throw new SysError(E.EINVAL);
    // the host descriptor's offset, when it can move, stays the guest's (and the shell's)
    if (this.pos === undefined && seekHostFd(this.fd, to)) return to;
    this.pos = to;
    return to;
  }

  /** Writes all of `b` at `pos` through the file opened again (ESPIPE when it cannot be). */
  writeAt(pos: number, b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += this.at(pos + done, (f) => f.writeSync(b.subarray(done)));
  }

  /** The file's size (ESPIPE when it cannot be read). */
  size(): number {
    try {
      return Deno.statSync(`/proc/self/fd/${this.fd}`).size;
    } catch {
      return spipe();
    }
  }

  capture(): () => void {
    const pos = this.pos;
    return () => this.pos = pos;
  }
}

/**
 * Host stdin on a regular file: seekable, with positioned reads.
 *
 * @example
 * ```ts ignore
 * const stdin = new HostFileStdin(hostStat("/dev/stdin")!);
 * stdin.seek(10, 0); // 10
 * ```
 */
export class HostFileStdin extends InputStream {
  readonly #at = new HostFilePosition(0);
  constructor(info: StatInfo) {
    super((buf) => Deno.stdin.readSync(buf) ?? 0, false, info);
  }
  override read(buf: Uint8Array): number {
    if (this.#at.pos === undefined) return super.read(buf);
    const n = this.pread(buf, this.#at.pos);
    this.#at.pos += n;
    return n;
  }
  pread(buf: Uint8Array, pos: number): number {
    return this.#at.at(pos, (f) => f.readSync(buf) ?? 0);
  }
  override seek(offset: number, whence: number): number {
    return this.#at.seek(offset, whence);
  }
  override capture(): () => void {
    return this.#at.capture();
  }
}

/** Host stdin on a device that is no terminal (/dev/null, /dev/zero): lseek gives 0, as on Linux. */
class HostDeviceStdin extends InputStream {
  override seek(): number {
    return 0;
  }
}

/**
 * The guest's stdin over the host's: seekable when it is a regular file,
 * unless `recorded` (a recorded run's log replays the reads in order).
 */
export function hostStdin(host: StdStreamInfo, recorded: boolean): InputStream {
  const read = (buf: Uint8Array) => Deno.stdin.readSync(buf) ?? 0;
  const type = host.info ? host.info.mode & S_IFMT : undefined;
  if (!recorded && type === S_IF.REG) return new HostFileStdin(host.info!);
  if (type === S_IF.CHR && !host.isTty) return new HostDeviceStdin(read, false, host.info);
  return new InputStream(read, host.isTty, host.info);
}

/**
 * Host stdout or stderr on a regular file: seekable, with positioned writes
 * (an O_APPEND descriptor, `prog >> out`, writes at the end whatever the
 * offset, pwrite too, as Linux does). Every write goes through `wrap`.
 */
class HostFileOutput extends OutputStream {
  readonly #at: HostFilePosition;
  readonly #wrap: (sink: OutputSink) => OutputSink;
  readonly #append: boolean;
  constructor(fd: 1 | 2, info: StatInfo, wrap: (sink: OutputSink) => OutputSink) {
    const at = new HostFilePosition(fd), write = hostOutput(fd);
    const append = ((hostFdInfo(fd, "flags") ?? 0) & O_APPEND) !== 0;
    super(
      wrap((b) => {
        if (at.pos === undefined || append) {
          write(b);
          at.pos = undefined; // the host's offset is the guest's again (the end, appending)
          return;
        }
        at.writeAt(at.pos, b);
        at.pos += b.length;
      }),
      false,
      info,
      true,
    );
    this.#at = at;
    this.#wrap = wrap;
    this.#append = append;
  }
  override seek(offset: number, whence: number): number {
    return this.#at.seek(offset, whence);
  }
  /** pwrite: at `pos`, the offset unchanged (appending: at the end). */
  pwrite(buf: Uint8Array, pos: number): number {
    const at = this.#at;
    this.#wrap((b) => at.writeAt(this.#append ? at.size() : pos, b))(buf);
    return buf.length;
  }
  capture(): () => void {
    return this.#at.capture();
  }
}

/**
 * The guest's stdout or stderr (`fd`) over the host's, its writes through
 * `wrap` (which may drop them): seekable when it is a regular file, unless
 * `recorded` (a replay may have another file there, or none).
 */
export function hostOutputStream(
  fd: 1 | 2,
  host: StdStreamInfo,
  recorded: boolean,
  wrap: (sink: OutputSink) => OutputSink,
): OutputStream {
  if (recorded || !host.info || (host.info.mode & S_IFMT) !== S_IF.REG) {
    return new OutputStream(wrap(hostOutput(fd)), host.isTty, host.info, true);
  }
  return new HostFileOutput(fd, host.info, wrap);
}

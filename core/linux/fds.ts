/**
 * Open files and the file descriptor table of a Linux process: host files
 * through Deno's sync APIs, directories (snapshotted for getdents64) and the
 * standard streams (host or captured); pipes are in `pipe.ts`.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { hostTimesNs } from "./host_times.ts";

/** open(2) flag bits (asm-generic values). */
export const O = {
  ACCMODE: 3,
  RDONLY: 0,
  WRONLY: 1,
  RDWR: 2,
  CREAT: 0x40,
  EXCL: 0x80,
  NOCTTY: 0x100,
  TRUNC: 0x200,
  APPEND: 0x400,
  NONBLOCK: 0x800,
  DIRECTORY: 0x10000,
  NOFOLLOW: 0x20000,
  CLOEXEC: 0x80000,
  PATH: 0x200000,
} as const;

/** asm-generic's values of the open flags some machines number otherwise (`LinuxAbi.openFlagBits`). */
const GENERIC_MOVABLE_O = {
  DIRECTORY: 0x10000,
  NOFOLLOW: 0x20000,
  DIRECT: 0x4000,
  LARGEFILE: 0x8000,
};

/**
 * A machine's open(2) flags as asm-generic numbers them (the ones `O` holds);
 * `bits` is the machine's own numbering of the flags that differ.
 *
 * @example
 * ```ts
 * import { genericOpenFlags } from "./fds.ts";
 * const arm64 = { DIRECTORY: 0x4000, NOFOLLOW: 0x8000, DIRECT: 0x10000, LARGEFILE: 0x20000 };
 * console.log(genericOpenFlags(0x4000, arm64).toString(16)); // "10000" (O_DIRECTORY)
 * ```
 */
export function genericOpenFlags(
  flags: number,
  bits?: Readonly<Record<keyof typeof GENERIC_MOVABLE_O, number>>,
): number {
  if (!bits) return flags;
  let out = flags;
  for (const name of Object.keys(GENERIC_MOVABLE_O) as (keyof typeof GENERIC_MOVABLE_O)[]) {
    out &= ~bits[name];
  }
  for (const name of Object.keys(GENERIC_MOVABLE_O) as (keyof typeof GENERIC_MOVABLE_O)[]) {
    if (flags & bits[name]) out |= GENERIC_MOVABLE_O[name];
  }
  return out;
}

/** File type bits of st_mode. */
export const S_IF = {
  FIFO: 0o010000,
  CHR: 0o020000,
  DIR: 0o040000,
  BLK: 0o060000,
  REG: 0o100000,
  LNK: 0o120000,
  SOCK: 0o140000,
} as const;

/** lseek's whences that find data and holes in a file. */
const SEEK_DATA = 3, SEEK_HOLE = 4;

/** The file-type bits of a mode (`S_IF` values). */
export const S_IFMT = 0o170000;

/** A normalized `struct stat`. Times are nanoseconds since the epoch. */
export interface StatInfo {
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: number;
  blocks: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

const ms = (d: Date | null) => d ? BigInt(d.getTime()) * 1_000_000n : 0n;

/**
 * Converts a Deno FileInfo into a {@linkcode StatInfo}; given the host path
 * it was read from (and whether its symlink was followed), with the times to
 * the nanosecond where the host gives them (./host_times.ts).
 *
 * @example
 * ```ts
 * import { statFromDeno } from "./fds.ts";
 * console.log(statFromDeno(Deno.statSync(".")).mode.toString(8)); // "40755" or so
 * ```
 */
export function statFromDeno(i: Deno.FileInfo, host?: string, follow = true): StatInfo {
  const type = i.isFile
    ? S_IF.REG
    : i.isDirectory
    ? S_IF.DIR
    : i.isSymlink
    ? S_IF.LNK
    : i.isFifo
    ? S_IF.FIFO
    : i.isCharDevice
    ? S_IF.CHR
    : i.isBlockDevice
    ? S_IF.BLK
    : i.isSocket
    ? S_IF.SOCK
    : 0;
  const ino = BigInt(i.ino ?? 0);
  // Deno's times are milliseconds (ctime seconds): the host's own, when it is still this file
  const ns = host === undefined ? null : hostTimesNs(host, follow);
  const exact = ns?.ino === ino ? ns : null;
  return {
    dev: BigInt(i.dev ?? 0),
    ino,
    mode: type | ((i.mode ?? 0o644) & 0o7777),
    nlink: i.nlink ?? 1,
    uid: i.uid ?? 0,
    gid: i.gid ?? 0,
    rdev: BigInt(i.rdev ?? 0),
    size: BigInt(i.size),
    blksize: i.blksize ?? 4096,
    blocks: BigInt(i.blocks ?? 0),
    atimeNs: exact?.atimeNs ?? ms(i.atime),
    mtimeNs: exact?.mtimeNs ?? ms(i.mtime),
    ctimeNs: exact?.ctimeNs ?? ms(i.ctime ?? i.mtime),
  };
}

/** A directory entry for getdents64. */
export interface DirEntry {
  name: string;
  ino: bigint;
  /** DT_* type */
  type: number;
}

/** An open file description (shared by dup'ed descriptors). */
export interface OpenFile {
  /** O_ACCMODE, O_APPEND and O_NONBLOCK bits */
  statusFlags: number;
  /** the guest path it was opened by, for *at() and /proc/self/fd */
  guestPath?: string;
  /** whether TCGETS succeeds */
  isTty: boolean;
  read(buf: Uint8Array): number;
  write(buf: Uint8Array): number;
  pread?(buf: Uint8Array, pos: number): number;
  pwrite?(buf: Uint8Array, pos: number): number;
  /** lseek; throws ESPIPE when not seekable */
  seek(offset: number, whence: number): number;
  stat(): StatInfo;
  truncate?(len: number): void;
  /** directory entries (directories only) */
  entries?: DirEntry[];
  /** getdents64 position (directories only) */
  dirPos?: number;
  /** lists the directory again (getdents64 from position 0 reads it as it is now, as Linux) */
  relist?(): void;
  close(): void;
  /**
   * Saves what a snapshot needs (offsets, buffered bytes) and returns the
   * function that puts it back. Files without it have no such state.
   */
  capture?(): () => void;
  /** poll's POLLIN/POLLOUT/POLLHUP/POLLERR bits now (default: readable and writable) */
  readiness?(): number;
  /** the virtual monotonic time at which it becomes readable by itself (an armed timer) */
  nextEventNs?(): bigint | undefined;
  /** true: the outside world (the host network) may make it ready at any time */
  readonly outside?: boolean;
}

/** poll(2) event bits. */
export const POLL = { IN: 1, PRI: 2, OUT: 4, ERR: 8, HUP: 16, NVAL: 32 } as const;

/** Fails with ESPIPE: the file has no position (a pipe, a socket, a stream). */
export function spipe(): never {
  throw new SysError(E.ESPIPE);
}

/** A `struct stat` for a file with no host file behind it (pipes, sockets, event files). */
export function syntheticStat(mode: number): StatInfo {
  return {
    dev: 0n,
    ino: 0n,
    mode,
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev: 0n,
    size: 0n,
    blksize: 4096,
    blocks: 0n,
    atimeNs: 0n,
    mtimeNs: 0n,
    ctimeNs: 0n,
  };
}

/**
 * A host file opened through Deno.
 *
 * @example
 * ```ts ignore
 * const f = new HostFile(Deno.openSync("/etc/hostname"), O.RDONLY, "/etc/hostname");
 * ```
 */
export class HostFile implements OpenFile {
  isTty = false;
  /** a snapshot holds it: a guest close keeps the host file open for a restore */
  #pinned = false;
  /** `hostPath`, when given, is where {@linkcode stat} reads the times to the nanosecond */
  constructor(
    readonly file: Deno.FsFile,
    public statusFlags: number,
    readonly guestPath: string,
    readonly hostPath?: string,
  ) {}
  read(buf: Uint8Array): number {
    return this.file.readSync(buf) ?? 0;
  }
  write(buf: Uint8Array): number {
    if (this.statusFlags & O.APPEND) this.file.seekSync(0, Deno.SeekMode.End);
    return this.file.writeSync(buf);
  }
  pread(buf: Uint8Array, pos: number): number {
    const here = this.file.seekSync(0, Deno.SeekMode.Current);
    try {
      this.file.seekSync(pos, Deno.SeekMode.Start);
      let done = 0;
      while (done < buf.length) {
        const n = this.file.readSync(buf.subarray(done));
        if (!n) break;
        done += n;
      }
      return done;
    } finally {
      this.file.seekSync(here, Deno.SeekMode.Start);
    }
  }
  pwrite(buf: Uint8Array, pos: number): number {
    const here = this.file.seekSync(0, Deno.SeekMode.Current);
    try {
      this.file.seekSync(pos, Deno.SeekMode.Start);
      return this.file.writeSync(buf);
    } finally {
      this.file.seekSync(here, Deno.SeekMode.Start);
    }
  }
  seek(offset: number, whence: number): number {
    if (whence === SEEK_DATA || whence === SEEK_HOLE) {
      // no holes: data from 0 to the end, the one hole at the end (as on a file system without)
      const size = Number(this.file.statSync().size);
      if (offset < 0 || offset >= size) throw new SysError(E.ENXIO);
      return this.file.seekSync(whence === SEEK_DATA ? offset : size, Deno.SeekMode.Start);
    }
    if (whence > 2) throw new SysError(E.EINVAL);
    return this.file.seekSync(offset, whence as Deno.SeekMode);
  }
  stat(): StatInfo {
    return statFromDeno(this.file.statSync(), this.hostPath);
  }
  truncate(len: number): void {
    this.file.truncateSync(len);
  }
  capture(): () => void {
    this.#pinned = true;
    const offset = this.file.seekSync(0, Deno.SeekMode.Current), flags = this.statusFlags;
    return () => {
      this.file.seekSync(offset, Deno.SeekMode.Start);
      this.statusFlags = flags;
    };
  }
  close(): void {
    if (this.#pinned) return;
    try {
      this.file.close();
    } catch {
      // already closed
    }
  }
}

/** An open directory: entries are read once at open time. */
export class DirFile implements OpenFile {
  isTty = false;
  statusFlags = O.RDONLY;
  dirPos = 0;
  constructor(
    readonly guestPath: string,
    readonly hostPath: string,
    public entries: DirEntry[],
    readonly info: StatInfo,
    private readonly list: () => DirEntry[] = () => entries,
  ) {}
  relist(): void {
    this.entries = this.list();
  }
  read(): number {
    throw new SysError(E.EISDIR);
  }
  write(): number {
    throw new SysError(E.EBADF);
  }
  seek(offset: number, whence: number): number {
    if (whence !== 0 || offset < 0) throw new SysError(E.EINVAL);
    this.dirPos = offset;
    return offset;
  }
  /** The directory's stat now (its links and times change); as opened if it is gone or swapped. */
  stat(): StatInfo {
    try {
      const now = Deno.lstatSync(this.hostPath);
      return now.isDirectory ? statFromDeno(now, this.hostPath, false) : this.info;
    } catch {
      return this.info;
    }
  }
  capture(): () => void {
    const pos = this.dirPos;
    return () => this.dirPos = pos;
  }
  close(): void {}
}

/** Where guest output goes: a function taking the bytes (must consume all of them). */
export type OutputSink = (bytes: Uint8Array) => void;

/** A standard input stream: a fixed byte buffer, or a host reader. */
export class InputStream implements OpenFile {
  statusFlags = O.RDONLY;
  #pos = 0;
  constructor(
    readonly source: Uint8Array | ((buf: Uint8Array) => number),
    readonly isTty = false,
    readonly info = syntheticStat(S_IF.FIFO | 0o600),
  ) {}
  read(buf: Uint8Array): number {
    if (typeof this.source === "function") return this.source(buf);
    const n = Math.min(buf.length, this.source.length - this.#pos);
    buf.set(this.source.subarray(this.#pos, this.#pos + n));
    this.#pos += n;
    return n;
  }
  capture(): () => void {
    const pos = this.#pos;
    return () => this.#pos = pos;
  }
  write(): number {
    throw new SysError(E.EBADF);
  }
  seek(_offset: number, _whence: number): number {
    return spipe();
  }
  stat(): StatInfo {
    return this.info;
  }
  close(): void {}
}

/** An output stream (stdout/stderr) feeding a sink. */
export class OutputStream implements OpenFile {
  statusFlags = O.WRONLY;
  constructor(
    readonly sink: OutputSink,
    readonly isTty = false,
    readonly info = syntheticStat(S_IF.FIFO | 0o600),
    /** whether the sink is done with the bytes when it returns (then they are not copied) */
    readonly sinkBorrows = false,
  ) {}
  read(): number {
    throw new SysError(E.EBADF);
  }
  write(buf: Uint8Array): number {
    this.sink(this.sinkBorrows ? buf : buf.slice());
    return buf.length;
  }
  seek(_offset: number, _whence: number): number {
    return spipe();
  }
  stat(): StatInfo {
    return this.info;
  }
  close(): void {}
}

interface FdEntry {
  file: OpenFile;
  cloexec: boolean;
}

/** Most descriptors a process may hold (RLIMIT_NOFILE). */
export const MAX_FDS = 1024;

/**
 * The descriptor table: fd number -> open file description.
 *
 * @example
 * ```ts
 * import { FdTable, OutputStream } from "./fds.ts";
 * const t = new FdTable();
 * const fd = t.install(new OutputStream(() => {}), false);
 * console.log(fd, t.get(fd) !== undefined); // 0 true
 * ```
 */
export class FdTable {
  readonly #fds: (FdEntry | undefined)[] = [];
  readonly #refs: Map<OpenFile, number>;

  /**
   * `refs` counts the descriptors of each open file description in every
   * table that shares them (tables copied by fork share one count).
   */
  constructor(refs: Map<OpenFile, number> = new Map()) {
    this.#refs = refs;
  }

  /** A copy of the table for a child process: the same descriptions, counted once more. */
  fork(): FdTable {
    const t = new FdTable(this.#refs);
    this.#fds.forEach((e, fd) => e && t.#set(fd, e.file, e.cloexec));
    return t;
  }

  /** The open file of `fd`, or throws EBADF. */
  get(fd: number): OpenFile {
    const e = fd >= 0 ? this.#fds[fd] : undefined;
    if (!e) throw new SysError(E.EBADF);
    return e.file;
  }

  /** Whether `fd` is open. */
  has(fd: number): boolean {
    return fd >= 0 && this.#fds[fd] !== undefined;
  }

  /** Installs `file` at the lowest free fd `>= min`. */
  install(file: OpenFile, cloexec: boolean, min = 0): number {
    let fd = Math.max(0, min);
    while (this.#fds[fd]) fd++;
    if (fd >= MAX_FDS) throw new SysError(E.EMFILE);
    this.#set(fd, file, cloexec);
    return fd;
  }

  #set(fd: number, file: OpenFile, cloexec: boolean): void {
    this.#fds[fd] = { file, cloexec };
    this.#refs.set(file, (this.#refs.get(file) ?? 0) + 1);
  }

  /** Installs `file` exactly at `fd`, closing what was there (dup2/dup3). */
  installAt(fd: number, file: OpenFile, cloexec: boolean): void {
    if (fd < 0 || fd >= MAX_FDS) throw new SysError(E.EBADF);
    if (this.#fds[fd]) this.close(fd);
    this.#set(fd, file, cloexec);
  }

  /** Closes `fd`; the description closes with its last descriptor. */
  close(fd: number): void {
    const e = this.#fds[fd];
    if (!e || fd < 0) throw new SysError(E.EBADF);
    this.#fds[fd] = undefined;
    this.#unref(e.file);
  }

  /**
   * Keeps `file` open as one more descriptor would (a MAP_SHARED mapping of
   * it); returns what lets it go, closing it if no descriptor is left.
   */
  hold(file: OpenFile): () => void {
    this.#refs.set(file, (this.#refs.get(file) ?? 0) + 1);
    return () => this.#unref(file);
  }

  #unref(file: OpenFile): void {
    const n = (this.#refs.get(file) ?? 1) - 1;
    if (n > 0) this.#refs.set(file, n);
    else {
      this.#refs.delete(file);
      file.close();
    }
  }

  /** FD_CLOEXEC of `fd`. */
  getCloexec(fd: number): boolean {
    this.get(fd);
    return this.#fds[fd]!.cloexec;
  }

  /** Sets FD_CLOEXEC of `fd`. */
  setCloexec(fd: number, on: boolean): void {
    this.get(fd);
    this.#fds[fd]!.cloexec = on;
  }

  /**
   * Saves the table and the state of its open files; returns the function
   * that puts them back (files closed since are reinstated, not reopened:
   * a captured host file stays open).
   */
  capture(): () => void {
    const entries = this.#fds.map((e) => e && { ...e });
    const refs = new Map(this.#refs);
    const files = [...refs.keys()].flatMap((f) => f.capture ? [f.capture()] : []);
    return () => {
      this.#fds.length = 0;
      entries.forEach((e, fd) => this.#fds[fd] = e && { ...e });
      this.#refs.clear();
      for (const [f, n] of refs) this.#refs.set(f, n);
      for (const restore of files) restore();
    };
  }

  /** The open descriptors in fd order. */
  list(): { fd: number; file: OpenFile; cloexec: boolean }[] {
    return this.#fds.flatMap((e, fd) => e ? [{ fd, file: e.file, cloexec: e.cloexec }] : []);
  }

  /** Closes every descriptor (process exit). */
  closeAll(): void {
    this.#fds.forEach((e, fd) => e && this.close(fd));
  }
}

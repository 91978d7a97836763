/**
 * Path syscalls: openat, stat family, readlinkat, unlink/mkdir/rename,
 * access, links, chmod, truncate, cwd.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import {
  type DirEntry,
  DirFile,
  genericOpenFlags,
  HostFile,
  O,
  type OpenFile,
  S_IF,
  statFromDeno,
  type StatInfo,
  syntheticStat,
} from "./fds.ts";
import { PathFile } from "./path_file.ts";
import { encodeStat, encodeStatx } from "./stat.ts";
import { get, int, len, put, readPath, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { hostIds } from "./program_load.ts";
import {
  recordedListing,
  recordedListingHere,
  recordedOpen,
  recordedOpenHere,
  recordedStat,
} from "./recorded_inputs.ts";
import { embeddedFile } from "../host_files.ts";
import { MemoryFile } from "./memory_file.ts";
import { clockNs } from "./sys_time.ts";
import { openProc, procAlias, procLink } from "./proc_files.ts";
import { hostTimesNs, setHostTimesNs, UTIME_OMIT } from "./host_times.ts";
import { openFifo } from "./fifo.ts";
import type { Blocking } from "./threads.ts";
import { openPty, statPty } from "./pty_files.ts";

/** The `dirfd` value meaning "the current directory". */
export const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100, AT_EACCESS = 0x200, AT_EMPTY_PATH = 0x1000;

/**
 * Host path of `path` relative to directory fd `dirfd`. A path ending in `/`
 * names a directory: an existing non-directory there is ENOTDIR.
 */
export function resolveAt(p: LinuxProcess, dirfd: number, path: string, follow = true): string {
  const guest = guestAt(p, dirfd, path, follow), base = baseOf(p, dirfd, path);
  // unaliased, the path resolves as given (a relative one is not looked up in the -L sysroot)
  const host = p.paths.toHost(guest === p.paths.absolute(path, base) ? path : guest, base, follow);
  if (path.endsWith("/")) {
    const info = lstatOrNull(host);
    if (info && !info.isDirectory) throw new SysError(E.ENOTDIR);
  }
  return host;
}

/** The absolute guest path of `path` relative to `dirfd`, through /proc/self's magic links. */
function guestAt(p: LinuxProcess, dirfd: number, path: string, follow = true): string {
  if (path === "") throw new SysError(E.ENOENT); // before dirfd, as Linux
  return procAlias(p, p.paths.absolute(path, baseOf(p, dirfd, path)), follow);
}

/** The guest directory a relative `path` at `dirfd` starts from (EBADF, ENOTDIR). */
export function baseOf(p: LinuxProcess, dirfd: number, path: string): string {
  if (path.startsWith("/") || dirfd === AT_FDCWD) return p.paths.cwd;
  const f = p.fds.get(dirfd);
  if (!isDirectoryFd(f) || !f.guestPath) throw new SysError(E.ENOTDIR);
  return f.guestPath;
}

/** An fd on a directory: opened for reading, or with O_PATH. */
function isDirectoryFd(f: OpenFile): boolean {
  return f.entries !== undefined || (f instanceof PathFile && f.isDirectory);
}

/** DT_* values of getdents64, by what the host's lstat says a file is. */
const DT = [
  ["isFifo", 1],
  ["isCharDevice", 2],
  ["isDirectory", 4],
  ["isBlockDevice", 6],
  ["isFile", 8],
  ["isSymlink", 10],
  ["isSocket", 12],
] as const;

/** The DT_* type of a file: DT_UNKNOWN (0) when it is gone or the host does not say. */
function dtype(info: Deno.FileInfo | null): number {
  return DT.find(([is]) => info?.[is] === true)?.[1] ?? 0;
}

/** The entries of directory `host`; `parent` is the host path of its `..` (the root's is itself). */
function listDir(host: string, parent: string, info: StatInfo): DirEntry[] {
  const out: DirEntry[] = [{ name: ".", ino: info.ino, type: 4 }, { name: "..", ino: 0n, type: 4 }];
  try {
    out[1].ino = BigInt(Deno.statSync(parent).ino ?? 0);
  } catch {
    out[1].ino = info.ino;
  }
  for (const e of Deno.readDirSync(host)) {
    let info: Deno.FileInfo | null = null;
    try {
      info = Deno.lstatSync(`${host}/${e.name}`);
    } catch {
      // vanished meanwhile
    }
    out.push({ name: e.name, ino: BigInt(info?.ino ?? 1), type: dtype(info) });
  }
  return out;
}

/** lstat of `host` (a path ending in `/` follows a last symlink), or null when it does not exist; other failures (EACCES...) propagate. */
export function lstatOrNull(host: string): Deno.FileInfo | null {
  try {
    return Deno.lstatSync(host);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * What `host` is, for an open: its own lstat when the last component must
 * not be followed (or, under `--root`, was already resolved by Denemu, so a
 * symlink there now is one swapped in since: refused), else its stat.
 */
function openTarget(p: LinuxProcess, host: string, flags: number): Deno.FileInfo | null {
  const own = lstatOrNull(host);
  if (!own?.isSymlink) return own;
  if (flags & O.NOFOLLOW) {
    if (flags & O.PATH) return own;
    throw new SysError(flags & O.DIRECTORY ? E.ENOTDIR : E.ELOOP);
  }
  if (p.paths.root) throw new SysError(E.ELOOP);
  try {
    return Deno.statSync(host);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** `__O_TMPFILE`: with O_DIRECTORY, an unnamed file in that directory. */
const O_TMPFILE = 0x400000;

/** The open flags Linux acts on (build_open_flags): EINVAL for a combination it refuses. */
function openFlags(flags: number): number {
  if (flags & O.PATH) return flags & (O.PATH | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC);
  if ((flags & O.DIRECTORY) && (flags & O.CREAT)) throw new SysError(E.EINVAL);
  if ((flags & O_TMPFILE) && (!(flags & O.DIRECTORY) || (flags & O.ACCMODE) === O.RDONLY)) {
    throw new SysError(E.EINVAL);
  }
  return flags;
}

/** O_TMPFILE: a file made in directory `host` and unlinked at once, so it has no name. */
function openTmpfile(
  p: LinuxProcess,
  host: string,
  info: Deno.FileInfo | null,
  flags: number,
  mode: number,
) {
  if (!info) throw new SysError(E.ENOENT);
  if (!info.isDirectory) throw new SysError(E.ENOTDIR);
  const name = `${host}/.denemu-tmpfile-${crypto.randomUUID()}`;
  const file = Deno.openSync(name, { read: true, write: true, createNew: true, mode });
  try {
    Deno.chmodSync(name, mode & ~p.umask);
  } finally {
    Deno.removeSync(name);
  }
  return new HostFile(
    file,
    flags & (O.ACCMODE | O.APPEND | O.NONBLOCK),
    `${host}/#tmpfile (deleted)`,
  );
}

function openat(p: LinuxProcess, a: bigint[]): number | Blocking {
  const flags = openFlags(genericOpenFlags(int(a[2]), p.abi.openFlagBits));
  const dirfd = int(a[0]), path = readPath(p, a[1]);
  const trimmed = path.replace(/\/+$/, ""), last = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  if ((flags & O.CREAT) && path.endsWith("/") && ![".", "..", ""].includes(last)) {
    // O_CREAT with a trailing slash after a name: EISDIR once the parents are walked (after
    // "." or ".." or at "/", Linux opens the directory: O_EXCL is EEXIST, as below)
    p.paths.toHost(trimmed, baseOf(p, dirfd, path), false);
    throw new SysError(E.EISDIR);
  }
  const guest = guestAt(p, dirfd, path, !(flags & O.NOFOLLOW));
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const proc = openProc(p, guest, flags); // the guest's /proc is no host path
  if (proc) return p.fds.install(proc, cloexec);
  const pty = openPty(p, guest, flags); // nor are /dev/ptmx and /dev/pts
  if (pty) return p.fds.install(pty, cloexec);
  const host = resolveAt(p, dirfd, path, !(flags & O.NOFOLLOW));
  const log = p.inputLog, icount = p.clock.instructions();
  const open = (info: Deno.FileInfo | null) =>
    openHostFile(p, host, guest, info, flags, Number(a[3] & 0o7777n));
  const reading = (flags & (O.ACCMODE | O.PATH | O.DIRECTORY | O.CREAT | O.TRUNC)) === O.RDONLY;
  const embedded = embeddedFile(host);
  if (embedded) {
    // a file of an experiment bundle: read-only, served from memory
    if (!reading) throw new SysError(E.EROFS);
    return p.fds.install(new MemoryFile(embedded, guest), cloexec);
  }
  if (recordedListingHere(log, icount)) return p.fds.install(openDir(p, guest, host), cloexec);
  if (log && reading && recordedOpenHere(log, icount)) {
    // the log has this open (a replay, a re-execution): the file may be served from it
    const f = recordedOpen(log, icount, guest, host, () => open(openTarget(p, host, flags)));
    return p.fds.install(f, cloexec);
  }
  const info = openTarget(p, host, flags);
  if (flags & O_TMPFILE) {
    return p.fds.install(openTmpfile(p, host, info, flags, Number(a[3] & 0o7777n)), cloexec);
  }
  if (flags & O.PATH) {
    if (!info) throw new SysError(E.ENOENT);
    if ((flags & O.DIRECTORY) && !info.isDirectory) throw new SysError(E.ENOTDIR);
    return p.fds.install(
      new PathFile(guest, statFromDeno(info, host, !info.isSymlink), host),
      cloexec,
    );
  }
  if (info && (flags & O.CREAT) && (flags & O.EXCL)) throw new SysError(E.EEXIST);
  if (info?.isDirectory) {
    if ((flags & O.ACCMODE) !== O.RDONLY || (flags & (O.CREAT | O.TRUNC))) {
      throw new SysError(E.EISDIR);
    }
    return p.fds.install(openDir(p, guest, host, info), cloexec);
  }
  if (flags & O.DIRECTORY) throw new SysError(info ? E.ENOTDIR : E.ENOENT);
  if (!info && !(flags & O.CREAT)) throw new SysError(E.ENOENT);
  if (info?.isFifo) return openFifo(p, host, guest, info, flags, cloexec);
  if (log && reading && info?.isFile) {
    return p.fds.install(recordedOpen(log, icount, guest, host, () => open(info)), cloexec);
  }
  return p.fds.install(open(info), cloexec);
}

/**
 * Directory `guest` (host path `host`, whose stat is `info`) opened for
 * listing, through the input log: a replay lists what the recording did.
 */
function openDir(p: LinuxProcess, guest: string, host: string, info?: Deno.FileInfo): DirFile {
  // each listing (at open, and again when getdents starts over) is an input the log keeps
  const listing = (at?: Deno.FileInfo) =>
    recordedListing(p.inputLog, () => {
      const st = statFromDeno(at ?? Deno.statSync(host), host);
      return { stat: st, entries: listDir(host, p.paths.toHost(`${guest}/..`), st) };
    });
  const { stat, entries } = listing(info);
  return new DirFile(guest, host, entries, stat, () => listing().entries);
}

/** Opens a regular file (or device) `host` that {@linkcode openTarget} checked. */
function openHostFile(
  p: LinuxProcess,
  host: string,
  guest: string,
  info: Deno.FileInfo | null,
  flags: number,
  mode: number,
): HostFile {
  const acc = flags & O.ACCMODE;
  if (acc === 3) throw new SysError(E.EINVAL);
  const creating = !info && (flags & O.CREAT) !== 0;
  const file = Deno.openSync(host, {
    read: acc !== O.WRONLY,
    write: acc !== O.RDONLY || creating || (flags & O.TRUNC) !== 0,
    create: creating,
    // Under --root nothing was there when checked: a symlink planted since is refused.
    createNew: creating && (p.paths.root !== null || (flags & O.EXCL) !== 0),
    truncate: (flags & O.TRUNC) !== 0, // even read-only, as Linux
    mode: mode & ~p.umask,
  });
  if (creating) {
    try {
      Deno.chmodSync(host, mode & ~p.umask);
    } catch {
      // best effort
    }
  }
  const status = acc | (flags & (O.APPEND | O.NONBLOCK));
  const f = new HostFile(file, status, guest, host);
  f.isTty = info?.isCharDevice === true && host.startsWith("/dev/tty");
  return f;
}

/** stat of `path` at `dirfd` honoring AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
function statAt(p: LinuxProcess, dirfd: number, pathAddr: bigint, flags: number): StatInfo {
  const path = readPath(p, pathAddr);
  if (path === "" && (flags & AT_EMPTY_PATH)) {
    const cwd = p.paths.toHost(".");
    if (dirfd === AT_FDCWD) return statFromDeno(Deno.statSync(cwd), cwd);
    return p.fds.get(dirfd).stat();
  }
  const guest = guestAt(p, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
  if ((flags & AT_SYMLINK_NOFOLLOW) && procLink(p, guest) !== null) {
    return syntheticStat(S_IF.LNK | 0o777); // /proc/self, exe, fd/N... are symlinks
  }
  const proc = openProc(p, guest, 0);
  if (proc) return proc.stat();
  const pty = statPty(p, guest);
  if (pty) return pty;
  // what the guest sees of the host by path: as recorded when replaying
  return recordedStat(p.inputLog, () => {
    const host = resolveAt(p, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
    const follow = !(flags & AT_SYMLINK_NOFOLLOW);
    return statFromDeno(follow ? Deno.statSync(host) : Deno.lstatSync(host), host, follow);
  });
}

/** readlinkat with an empty path: the symlink an `O_PATH|O_NOFOLLOW` fd names, else ENOENT. */
function fdSymlink(p: LinuxProcess, dirfd: number): string {
  const f = dirfd === AT_FDCWD ? null : p.fds.get(dirfd);
  if (!(f instanceof PathFile) || (f.info.mode & 0o170000) !== S_IF.LNK) {
    throw new SysError(E.ENOENT);
  }
  return Deno.readLinkSync(p.paths.toHost(f.guestPath, "/", false));
}

function readlinkat(p: LinuxProcess, a: bigint[]): number {
  const dirfd = int(a[0]), path = readPath(p, a[1]), size = len(a[3]);
  if (size <= 0) throw new SysError(E.EINVAL);
  const text = path === "" ? fdSymlink(p, dirfd) : procLink(p, guestAt(p, dirfd, path, false)) ??
    Deno.readLinkSync(resolveAt(p, dirfd, path, false));
  const bytes = new TextEncoder().encode(text).subarray(0, size);
  put(p, a[2], bytes);
  return bytes.length;
}

function access(p: LinuxProcess, dirfd: number, pathAddr: bigint, mode: number, flags: number) {
  if (mode & ~7 || flags & ~(AT_SYMLINK_NOFOLLOW | AT_EACCESS | AT_EMPTY_PATH)) {
    throw new SysError(E.EINVAL);
  }
  const path = readPath(p, pathAddr);
  const follow = !(flags & AT_SYMLINK_NOFOLLOW);
  const host = resolveAt(p, dirfd, path, follow);
  const st = follow ? Deno.statSync(host) : Deno.lstatSync(host);
  if (mode === 0) return 0;
  const { uid, gid } = hostIds();
  if (uid === 0) {
    if ((mode & 1) && !st.isDirectory && !((st.mode ?? 0) & 0o111)) throw new SysError(E.EACCES);
    return 0;
  }
  const bits = st.uid === uid
    ? ((st.mode ?? 0) >> 6) & 7
    : st.gid === gid
    ? ((st.mode ?? 0) >> 3) & 7
    : (st.mode ?? 0) & 7;
  if ((bits & mode) !== mode) throw new SysError(E.EACCES);
  return 0;
}

const UTIME_NOW = 0x3fffffff;

/** One of utimensat's two times, in nanoseconds: `times` null is now; UTIME_OMIT is null. */
function timeOf(p: LinuxProcess, times: bigint, k: number): bigint | null {
  const now = clockNs(p, 0); // CLOCK_REALTIME, virtual by default
  if (times === 0n) return now;
  const t = get(p, times + BigInt(16 * k), 16), v = new DataView(t.buffer, t.byteOffset);
  const sec = v.getBigInt64(0, true), nsec = v.getBigInt64(8, true);
  if (nsec === BigInt(UTIME_NOW)) return now;
  if (nsec === BigInt(UTIME_OMIT)) return null;
  if (nsec < 0n || nsec > 999_999_999n) throw new SysError(E.EINVAL);
  return sec * 1_000_000_000n + nsec;
}

/** A time for Deno.utimeSync (seconds, to the microsecond): `ns`, or `old` when null. */
const seconds = (ns: bigint | null, old: Date | null) =>
  ns === null ? (old?.getTime() ?? 0) / 1000 : Number(ns / 1000n) / 1e6;

/**
 * utimensat: sets the times of a file, or of the fd's file when the path is
 * null or empty with AT_EMPTY_PATH, to the nanosecond where the host's C
 * library is reached (./host_times.ts). Without it, through Deno: to the
 * microsecond, and a symlink's own times are left as they are (Deno can
 * only set a symlink's target's, which may be outside the root).
 */
function utimensat(p: LinuxProcess, a: bigint[]): number {
  const flags = int(a[3]);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new SysError(E.EINVAL);
  const path = a[1] ? readPath(p, a[1]) : "";
  let host: string | null = null, file: HostFile | null = null;
  if (path === "" && (a[1] === 0n || flags & AT_EMPTY_PATH)) {
    const f = int(a[0]) === AT_FDCWD ? null : p.fds.get(int(a[0]));
    if (f instanceof HostFile) file = f;
    else host = p.paths.toHost(f?.guestPath ?? ".");
  } else host = resolveAt(p, int(a[0]), path, !(flags & AT_SYMLINK_NOFOLLOW));
  const info = file ? file.file.statSync() : Deno.lstatSync(host!);
  const atime = timeOf(p, a[2], 0), mtime = timeOf(p, a[2], 1);
  // the fd's file by its name, while the name is still that file's
  const named = file?.hostPath && hostTimesNs(file.hostPath, true)?.ino === BigInt(info.ino ?? 0)
    ? file.hostPath
    : host;
  const follow = file !== null || !(flags & AT_SYMLINK_NOFOLLOW);
  if (named && setHostTimesNs(named, atime, mtime, follow)) return 0;
  const at = seconds(atime, info.atime), mt = seconds(mtime, info.mtime);
  if (file) file.file.utimeSync(at, mt);
  else if (!info.isSymlink) Deno.utimeSync(host!, at, mt);
  return 0;
}

function getcwd(p: LinuxProcess, a: bigint[]): number {
  const bytes = new TextEncoder().encode(p.paths.cwd + "\0");
  if (len(a[1]) < bytes.length) throw new SysError(E.ERANGE);
  put(p, a[0], bytes);
  return bytes.length;
}

function chdirTo(p: LinuxProcess, guestPath: string): number {
  const dir = p.paths.canonicalDir(guestPath);
  const host = p.paths.toHost(dir);
  if (!Deno.statSync(host).isDirectory) throw new SysError(E.ENOTDIR);
  p.paths.cwd = dir;
  return 0;
}

function statfs(p: LinuxProcess, addr: bigint): number {
  // struct statfs (asm-generic 64-bit): an ext4-like file system.
  const w = new StructWriter(120);
  w.u64(0, 0xef53n).u64(8, 4096n).u64(16, 1n << 24n).u64(24, 1n << 23n).u64(32, 1n << 23n);
  w.u64(40, 1n << 20n).u64(48, 1n << 19n).u64(64, 255n).u64(72, 4096n);
  put(p, addr, w.bytes);
  return 0;
}

/**
 * Path syscalls by name.
 *
 * @example
 * ```ts
 * import { fsSyscalls } from "./sys_fs.ts";
 * console.log("openat" in fsSyscalls); // true
 * ```
 */
/** statx: AT_STATX_FORCE_SYNC|AT_STATX_DONT_SYNC, STATX__RESERVED, and the flags it takes. */
const STATX_SYNC_TYPE = 0x6000, STATX_RESERVED = 0x80000000;
const STATX_VALID_FLAGS = 0x100 | 0x800 | 0x1000 | STATX_SYNC_TYPE;

export const fsSyscalls: SyscallTable = {
  openat,
  newfstatat: (p, a) => {
    const st = statAt(p, int(a[0]), a[1], int(a[3]));
    put(p, a[2], encodeStat(st));
    return 0;
  },
  statx: (p, a) => {
    // Linux's do_statx and vfs_statx: both sync types at once, a reserved mask bit, an
    // unknown flag are EINVAL, before the path is looked at.
    const flags = int(a[2]), mask = Number(BigInt.asUintN(32, a[3]));
    if ((flags & STATX_SYNC_TYPE) === STATX_SYNC_TYPE || mask & STATX_RESERVED) {
      throw new SysError(E.EINVAL);
    }
    if (flags & ~STATX_VALID_FLAGS) throw new SysError(E.EINVAL);
    const st = statAt(p, int(a[0]), a[1], flags);
    put(p, a[4], encodeStatx(st));
    return 0;
  },
  readlinkat,
  faccessat: (p, a) => access(p, int(a[0]), a[1], int(a[2]), 0),
  faccessat2: (p, a) => access(p, int(a[0]), a[1], int(a[2]), int(a[3])),
  fchmodat: (p, a) => {
    Deno.chmodSync(resolveAt(p, int(a[0]), readPath(p, a[1])), Number(a[2] & 0o7777n));
    return 0;
  },
  fchmod: (p, a) => {
    const f = p.fds.get(int(a[0]));
    if (!f.guestPath) throw new SysError(E.EINVAL);
    Deno.chmodSync(p.paths.toHost(f.guestPath), Number(a[1] & 0o7777n));
    return 0;
  },
  fchownat: (p, a) => (Deno.lstatSync(resolveAt(p, int(a[0]), readPath(p, a[1]))), 0),
  fchown: (p, a) => (p.fds.get(int(a[0])), 0),
  truncate: (p, a) => {
    const n = Number(BigInt.asIntN(64, a[1]));
    if (n < 0) throw new SysError(E.EINVAL);
    Deno.truncateSync(resolveAt(p, AT_FDCWD, readPath(p, a[0])), n);
    return 0;
  },
  utimensat,
  umask: (p, a) => {
    const old = p.umask;
    p.umask = Number(a[0] & 0o777n);
    return old;
  },
  getcwd,
  chdir: (p, a) => chdirTo(p, guestAt(p, AT_FDCWD, readPath(p, a[0]))),
  fchdir: (p, a) => {
    const f = p.fds.get(int(a[0]));
    if (!isDirectoryFd(f) || !f.guestPath) throw new SysError(E.ENOTDIR);
    return chdirTo(p, f.guestPath);
  },
  statfs: (p, a) => (Deno.statSync(resolveAt(p, AT_FDCWD, readPath(p, a[0]))), statfs(p, a[1])),
  fstatfs: (p, a) => (p.fds.get(int(a[0])), statfs(p, a[1])),
};

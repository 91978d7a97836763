/**
 * Path syscalls: openat, stat family, readlinkat, unlink/mkdir/rename,
 * access, links, chmod, truncate, cwd.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { type DirEntry, DirFile, HostFile, O, statFromDeno, type StatInfo } from "./fds.ts";
import { PathFile } from "./path_file.ts";
import { encodeStat, encodeStatx } from "./stat.ts";
import { get, int, len, put, readString, StructWriter, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { hostIds } from "./program_load.ts";
import { recordedOpen, recordedOpenHere } from "./recorded_inputs.ts";
import { embeddedFile } from "../host_files.ts";
import { MemoryFile } from "./memory_file.ts";
import { openProc, procAlias, procLink } from "./proc_files.ts";

/** The `dirfd` value meaning "the current directory". */
export const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100, AT_REMOVEDIR = 0x200, AT_EMPTY_PATH = 0x1000;

/** Host path of `path` relative to directory fd `dirfd`. */
export function resolveAt(p: LinuxProcess, dirfd: number, path: string, follow = true): string {
  const guest = guestAt(p, dirfd, path, follow), base = baseOf(p, dirfd, path);
  // unaliased, the path resolves as given (a relative one is not looked up in the -L sysroot)
  return p.paths.toHost(guest === p.paths.absolute(path, base) ? path : guest, base, follow);
}

/** The absolute guest path of `path` relative to `dirfd`, through /proc/self's magic links. */
function guestAt(p: LinuxProcess, dirfd: number, path: string, follow = true): string {
  if (path === "") throw new SysError(E.ENOENT); // before dirfd, as Linux
  return procAlias(p, p.paths.absolute(path, baseOf(p, dirfd, path)), follow);
}

function baseOf(p: LinuxProcess, dirfd: number, path: string): string {
  if (path.startsWith("/") || dirfd === AT_FDCWD) return p.paths.cwd;
  const f = p.fds.get(dirfd);
  const isDir = f.entries !== undefined || (f instanceof PathFile && f.isDirectory);
  if (!isDir || !f.guestPath) throw new SysError(E.ENOTDIR);
  return f.guestPath;
}

function dtype(e: { isFile: boolean; isDirectory: boolean; isSymlink: boolean }): number {
  return e.isDirectory ? 4 : e.isFile ? 8 : e.isSymlink ? 10 : 0;
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
    let ino = 1n;
    try {
      ino = BigInt(Deno.lstatSync(`${host}/${e.name}`).ino ?? 1);
    } catch {
      // vanished meanwhile
    }
    out.push({ name: e.name, ino, type: dtype(e) });
  }
  return out;
}

/** lstat of `host`, or null when it does not exist; other failures (EACCES...) propagate. */
function lstatOrNull(host: string): Deno.FileInfo | null {
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

function openat(p: LinuxProcess, a: bigint[]): number {
  const dirfd = int(a[0]), path = readString(p, a[1]), flags = int(a[2]);
  const host = resolveAt(p, dirfd, path, !(flags & O.NOFOLLOW));
  const guest = guestAt(p, dirfd, path, !(flags & O.NOFOLLOW));
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const proc = openProc(p, guest, flags);
  if (proc) return p.fds.install(proc, cloexec);
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
  if (log && reading && recordedOpenHere(log, icount)) {
    // replay: the recording read a file here; it may be served from the log
    const f = recordedOpen(log, icount, guest, host, () => open(openTarget(p, host, flags)));
    return p.fds.install(f, cloexec);
  }
  const info = openTarget(p, host, flags);
  if (flags & O.PATH) {
    if (!info) throw new SysError(E.ENOENT);
    if ((flags & O.DIRECTORY) && !info.isDirectory) throw new SysError(E.ENOTDIR);
    return p.fds.install(new PathFile(guest, statFromDeno(info)), cloexec);
  }
  if (info && (flags & O.CREAT) && (flags & O.EXCL)) throw new SysError(E.EEXIST);
  if (info?.isDirectory) {
    if ((flags & O.ACCMODE) !== O.RDONLY || (flags & O.CREAT)) throw new SysError(E.EISDIR);
    const st = statFromDeno(info);
    const entries = listDir(host, p.paths.toHost(`${guest}/..`), st);
    return p.fds.install(new DirFile(guest, host, entries, st), cloexec);
  }
  if (flags & O.DIRECTORY) throw new SysError(info ? E.ENOTDIR : E.ENOENT);
  if (!info && !(flags & O.CREAT)) throw new SysError(E.ENOENT);
  if (log && reading && info?.isFile) {
    return p.fds.install(recordedOpen(log, icount, guest, host, () => open(info)), cloexec);
  }
  return p.fds.install(open(info), cloexec);
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
    create: (flags & O.CREAT) !== 0,
    // Under --root nothing was there when checked: a symlink planted since is refused.
    createNew: creating && (p.paths.root !== null || (flags & O.EXCL) !== 0),
    truncate: (flags & O.TRUNC) !== 0 && acc !== O.RDONLY,
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
  const f = new HostFile(file, status, guest);
  f.isTty = info?.isCharDevice === true && host.startsWith("/dev/tty");
  return f;
}

/** stat of `path` at `dirfd` honoring AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
function statAt(p: LinuxProcess, dirfd: number, pathAddr: bigint, flags: number): StatInfo {
  const path = readString(p, pathAddr);
  if (path === "" && (flags & AT_EMPTY_PATH)) {
    if (dirfd === AT_FDCWD) return statFromDeno(Deno.statSync(p.paths.toHost(".")));
    return p.fds.get(dirfd).stat();
  }
  const proc = openProc(p, guestAt(p, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW)), 0);
  if (proc) return proc.stat();
  const host = resolveAt(p, dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
  const info = flags & AT_SYMLINK_NOFOLLOW ? Deno.lstatSync(host) : Deno.statSync(host);
  return statFromDeno(info);
}

function readlinkat(p: LinuxProcess, a: bigint[]): number {
  const dirfd = int(a[0]), path = readString(p, a[1]), size = len(a[3]);
  if (size <= 0) throw new SysError(E.EINVAL);
  const text = procLink(p, guestAt(p, dirfd, path, false)) ??
    Deno.readLinkSync(resolveAt(p, dirfd, path, false));
  const bytes = new TextEncoder().encode(text).subarray(0, size);
  put(p, a[2], bytes);
  return bytes.length;
}

function access(p: LinuxProcess, dirfd: number, pathAddr: bigint, mode: number, flags: number) {
  if (mode & ~7) throw new SysError(E.EINVAL);
  const path = readString(p, pathAddr);
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

function unlinkat(p: LinuxProcess, a: bigint[]): number {
  const flags = int(a[2]);
  if (flags & ~AT_REMOVEDIR) throw new SysError(E.EINVAL);
  const host = resolveAt(p, int(a[0]), readString(p, a[1]), false);
  const st = Deno.lstatSync(host);
  if (flags & AT_REMOVEDIR) {
    if (!st.isDirectory) throw new SysError(E.ENOTDIR);
  } else if (st.isDirectory) throw new SysError(E.EISDIR);
  Deno.removeSync(host);
  return 0;
}

function rename(p: LinuxProcess, a: bigint[], flags: number): number {
  if (flags & ~1) throw new SysError(E.EINVAL);
  const from = resolveAt(p, int(a[0]), readString(p, a[1]), false);
  const to = resolveAt(p, int(a[2]), readString(p, a[3]), false);
  Deno.lstatSync(from);
  if ((flags & 1) && lstatOrNull(to)) throw new SysError(E.EEXIST);
  Deno.renameSync(from, to);
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
export const fsSyscalls: SyscallTable = {
  openat,
  newfstatat: (p, a) => {
    const st = statAt(p, int(a[0]), a[1], int(a[3]));
    put(p, a[2], encodeStat(st));
    return 0;
  },
  statx: (p, a) => {
    const st = statAt(p, int(a[0]), a[1], int(a[2]));
    put(p, a[4], encodeStatx(st));
    return 0;
  },
  readlinkat,
  faccessat: (p, a) => access(p, int(a[0]), a[1], int(a[2]), 0),
  faccessat2: (p, a) => access(p, int(a[0]), a[1], int(a[2]), int(a[3])),
  unlinkat,
  mkdirat: (p, a) => {
    const host = resolveAt(p, int(a[0]), readString(p, a[1]), false);
    const mode = Number(a[2] & 0o7777n) & ~p.umask;
    Deno.mkdirSync(host, { mode });
    Deno.chmodSync(host, mode);
    return 0;
  },
  renameat: (p, a) => rename(p, a, 0),
  renameat2: (p, a) => rename(p, a, int(a[4])),
  symlinkat: (p, a) => {
    const target = readString(p, a[0]);
    Deno.symlinkSync(target, resolveAt(p, int(a[1]), readString(p, a[2]), false));
    return 0;
  },
  linkat: (p, a) => {
    const from = resolveAt(p, int(a[0]), readString(p, a[1]), (int(a[4]) & 0x400) !== 0);
    Deno.linkSync(from, resolveAt(p, int(a[2]), readString(p, a[3]), false));
    return 0;
  },
  fchmodat: (p, a) => {
    Deno.chmodSync(resolveAt(p, int(a[0]), readString(p, a[1])), Number(a[2] & 0o7777n));
    return 0;
  },
  fchmod: (p, a) => {
    const f = p.fds.get(int(a[0]));
    if (!f.guestPath) throw new SysError(E.EINVAL);
    Deno.chmodSync(p.paths.toHost(f.guestPath), Number(a[1] & 0o7777n));
    return 0;
  },
  fchownat: (p, a) => (Deno.lstatSync(resolveAt(p, int(a[0]), readString(p, a[1]))), 0),
  fchown: (p, a) => (p.fds.get(int(a[0])), 0),
  truncate: (p, a) => {
    const n = Number(BigInt.asIntN(64, a[1]));
    if (n < 0) throw new SysError(E.EINVAL);
    Deno.truncateSync(resolveAt(p, AT_FDCWD, readString(p, a[0])), n);
    return 0;
  },
  utimensat: (p, a) => {
    const follow = !(int(a[3]) & AT_SYMLINK_NOFOLLOW), path = a[1] ? readString(p, a[1]) : "";
    if (path === "" && (a[1] === 0n || int(a[3]) & AT_EMPTY_PATH)) {
      if (int(a[0]) !== AT_FDCWD) p.fds.get(int(a[0]));
    } else Deno.lstatSync(resolveAt(p, int(a[0]), path, follow));
    if (a[2] !== 0n) get(p, a[2], 32);
    return 0;
  },
  umask: (p, a) => {
    const old = p.umask;
    p.umask = Number(a[0] & 0o777n);
    return old;
  },
  getcwd,
  chdir: (p, a) => chdirTo(p, readString(p, a[0])),
  fchdir: (p, a) => {
    const f = p.fds.get(int(a[0]));
    if (!f.entries || !f.guestPath) throw new SysError(E.ENOTDIR);
    return chdirTo(p, f.guestPath);
  },
  statfs: (p, a) => (Deno.statSync(resolveAt(p, AT_FDCWD, readString(p, a[0]))), statfs(p, a[1])),
  fstatfs: (p, a) => (p.fds.get(int(a[0])), statfs(p, a[1])),
};

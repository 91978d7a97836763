/**
 * Syscalls that make, change or remove names: mkdirat, mknodat, symlinkat, linkat,
 * renameat2, unlinkat. Each checks in Linux's order (flags, then the parents of the
 * old name and of the new one, then the names themselves), so a guest sees
 * the errno Linux gives.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import { S_IF } from "./fds.ts";
import { int, readPath, type SyscallTable } from "./syscall.ts";
import type { LinuxProcess } from "./process.ts";
import { baseOf, lstatOrNull, resolveAt } from "./sys_fs.ts";

const AT_REMOVEDIR = 0x200, AT_SYMLINK_FOLLOW = 0x400, AT_EMPTY_PATH = 0x1000;
const RENAME_NOREPLACE = 1, RENAME_EXCHANGE = 2, RENAME_WHITEOUT = 4;

/** A path's last component as Linux's parent lookup sees it. */
interface NameAt {
  /** host path of the last component, not followed */
  host: string;
  /** the last component: `.`, `..` and `""` (the root) are not names that can be made or moved */
  last: string;
  special: boolean;
  /** the path ends in `/` */
  slash: boolean;
}

/** Walks the parents of `path` (errors of missing or non-directory parents) and names its last component. */
function nameAt(p: LinuxProcess, dirfd: number, path: string): NameAt {
  if (path === "") throw new SysError(E.ENOENT);
  const trimmed = path.replace(/\/+$/, "");
  const last = trimmed.slice(trimmed.lastIndexOf("/") + 1);
  const host = p.paths.toHost(trimmed || "/", baseOf(p, dirfd, path), false);
  return {
    host,
    last,
    special: last === "" || last === "." || last === "..",
    slash: trimmed !== path,
  };
}

/** The host path where a new name is made (filename_create): EEXIST if it is taken. */
function creationAt(p: LinuxProcess, dirfd: number, path: string, directory: boolean): string {
  const at = nameAt(p, dirfd, path);
  if (at.special || lstatOrNull(at.host)) throw new SysError(E.EEXIST);
  if (at.slash && !directory) throw new SysError(E.ENOENT);
  return at.host;
}

/** `path` lies strictly inside directory `dir` (both canonical host paths). */
const inside = (path: string, dir: string) => path.startsWith(dir === "/" ? "/" : `${dir}/`);

function checkRenameFlags(flags: number): void {
  const known = RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT;
  if (flags & ~known) throw new SysError(E.EINVAL);
  if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT))) {
    throw new SysError(E.EINVAL);
  }
}

/** The checks of do_renameat2 and vfs_rename; false when there is nothing to do (the same file). */
function checkRename(from: NameAt, to: NameAt, flags: number): boolean {
  const exchange = (flags & RENAME_EXCHANGE) !== 0;
  if (from.special) throw new SysError(E.EBUSY);
  if (to.special) throw new SysError(flags & RENAME_NOREPLACE ? E.EEXIST : E.EBUSY);
  const src = lstatOrNull(from.host), dst = lstatOrNull(to.host);
  if (!src) throw new SysError(E.ENOENT);
  if ((flags & RENAME_NOREPLACE) && dst) throw new SysError(E.EEXIST);
  if (exchange && !dst) throw new SysError(E.ENOENT);
  if (exchange && !dst!.isDirectory && to.slash) throw new SysError(E.ENOTDIR);
  if (!src.isDirectory && (from.slash || (!exchange && to.slash))) throw new SysError(E.ENOTDIR);
  if (inside(to.host, from.host)) throw new SysError(E.EINVAL);
  if (inside(from.host, to.host)) throw new SysError(exchange ? E.EINVAL : E.ENOTEMPTY);
  if (dst && dst.ino === src.ino && dst.dev === src.dev) return false;
  if (dst && !exchange && src.isDirectory !== dst.isDirectory) {
    throw new SysError(src.isDirectory ? E.ENOTDIR : E.EISDIR);
  }
  // Deno cannot make the whiteout (a 0:0 character device): refused as a file system without them does.
  if (flags & RENAME_WHITEOUT) throw new SysError(E.EINVAL);
  return true;
}

function rename(p: LinuxProcess, a: bigint[], flags: number): number {
  const oldPath = readPath(p, a[1]), newPath = readPath(p, a[3]);
  checkRenameFlags(flags);
  const from = nameAt(p, int(a[0]), oldPath), to = nameAt(p, int(a[2]), newPath);
  if (!checkRename(from, to, flags)) return 0;
  if (flags & RENAME_EXCHANGE) {
    // Not atomic as Linux's: a third name in the old one's directory, taken for an instant.
    const spare = `${from.host}.denemu-exchange-${crypto.randomUUID()}`;
    Deno.renameSync(from.host, spare);
    Deno.renameSync(to.host, from.host);
    Deno.renameSync(spare, to.host);
  } else Deno.renameSync(from.host, to.host);
  return 0;
}

function linkat(p: LinuxProcess, a: bigint[]): number {
  const flags = int(a[4]), oldPath = readPath(p, a[1]), newPath = readPath(p, a[3]);
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw new SysError(E.EINVAL);
  let from: string;
  if (oldPath === "" && (flags & AT_EMPTY_PATH)) {
    const dirfd = int(a[0]);
    const guest = dirfd === -100 ? p.paths.cwd : p.fds.get(dirfd).guestPath;
    if (!guest) throw new SysError(E.ENOENT);
    from = p.paths.toHost(guest, "/", false);
  } else from = resolveAt(p, int(a[0]), oldPath, (flags & AT_SYMLINK_FOLLOW) !== 0);
  const info = lstatOrNull(from);
  if (!info) throw new SysError(E.ENOENT);
  const to = creationAt(p, int(a[2]), newPath, false);
  if (info.isDirectory) throw new SysError(E.EPERM);
  Deno.linkSync(from, to);
  return 0;
}

/** unlinkat: a file, or a directory with AT_REMOVEDIR, in do_unlinkat's and do_rmdir's order. */
function unlinkat(p: LinuxProcess, a: bigint[]): number {
  const flags = int(a[2]), path = readPath(p, a[1]);
  if (flags & ~AT_REMOVEDIR) throw new SysError(E.EINVAL);
  const at = nameAt(p, int(a[0]), path), rmdir = (flags & AT_REMOVEDIR) !== 0;
  if (at.special && !rmdir) throw new SysError(E.EISDIR);
  if (at.special) {
    throw new SysError(at.last === ".." ? E.ENOTEMPTY : at.last === "." ? E.EINVAL : E.EBUSY);
  }
  const st = lstatOrNull(at.host);
  if (!st) throw new SysError(E.ENOENT);
  if (rmdir ? !st.isDirectory : at.slash && !st.isDirectory) throw new SysError(E.ENOTDIR);
  if (!rmdir && st.isDirectory) throw new SysError(E.EISDIR);
  Deno.removeSync(at.host);
  return 0;
}

/**
 * mknodat: a regular file or a FIFO (made by the host's mkfifo: Deno has no call for it).
 * Device nodes and sockets are EPERM: Denemu makes no special files on the host.
 */
function mknodat(p: LinuxProcess, dirfd: number, path: string, mode: number): number {
  const type = mode & 0o170000;
  if (![0, S_IF.REG, S_IF.FIFO, S_IF.CHR, S_IF.BLK, S_IF.SOCK].includes(type)) {
    throw new SysError(E.EINVAL);
  }
  const host = creationAt(p, dirfd, path, false);
  const perm = mode & 0o7777 & ~p.umask;
  if (type === 0 || type === S_IF.REG) {
    Deno.openSync(host, { write: true, createNew: true, mode: perm }).close();
  } else if (type === S_IF.FIFO) {
    const made = new Deno.Command("mkfifo", { args: ["--", host], stderr: "null" }).outputSync();
    if (!made.success) throw new SysError(E.EPERM);
  } else {
    throw new SysError(E.EPERM);
  }
  Deno.chmodSync(host, perm);
  return 0;
}

/**
 * Name syscalls by name.
 *
 * @example
 * ```ts
 * import { nameSyscalls } from "./sys_names.ts";
 * console.log("renameat2" in nameSyscalls); // true
 * ```
 */
export const nameSyscalls: SyscallTable = {
  mkdirat: (p, a) => {
    const host = creationAt(p, int(a[0]), readPath(p, a[1]), true);
    // setuid and setgid are not given by mkdir; setgid is inherited from the parent
    const mode = Number(a[2] & 0o1777n) & ~p.umask;
    Deno.mkdirSync(host, { mode });
    Deno.chmodSync(host, mode | ((Deno.lstatSync(host).mode ?? 0) & 0o2000));
    return 0;
  },
  mknodat: (p, a) => mknodat(p, int(a[0]), readPath(p, a[1]), Number(a[2] & 0xffffffffn)),
  renameat: (p, a) => rename(p, a, 0),
  renameat2: (p, a) => rename(p, a, int(a[4])),
  symlinkat: (p, a) => {
    const target = readPath(p, a[0]);
    if (target === "") throw new SysError(E.ENOENT);
    Deno.symlinkSync(target, creationAt(p, int(a[1]), readPath(p, a[2]), false));
    return 0;
  },
  linkat,
  unlinkat,
};

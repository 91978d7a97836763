/**
 * Extended attributes (getxattr, listxattr, setxattr, removexattr and their `l` and `f`
 * forms). Deno cannot read or write a host file's attributes, so Denemu's files have none, as
 * on a filesystem that keeps no attributes: getxattr finds none (ENODATA, what coreutils' `ls -l`
 * takes for "no ACL"), listxattr lists none, removexattr has nothing to remove (ENODATA) and
 * setxattr cannot store one (EOPNOTSUPP). Each checks its file (ENOENT, EBADF) and its name
 * (ERANGE when empty or longer than 255 bytes) first, as Linux does.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";
import type { LinuxProcess } from "./process.ts";
import { int, readPath, readString, type SyscallTable } from "./syscall.ts";
import { AT_FDCWD, resolveAt } from "./sys_fs.ts";

/** Longest attribute name (Linux's XATTR_NAME_MAX). */
const XATTR_NAME_MAX = 255;

/** The file of a path (following its last link when `follow`) or of a descriptor: it exists. */
function checkFile(p: LinuxProcess, target: bigint, how: "path" | "lpath" | "fd"): void {
  if (how === "fd") {
    p.fds.get(int(target));
    return;
  }
  const host = resolveAt(p, AT_FDCWD, readPath(p, target), how === "path");
  if (how === "path") Deno.statSync(host);
  else Deno.lstatSync(host);
}

/** Checks the attribute name at `addr` as Linux copies it: empty or too long is ERANGE. */
function checkName(p: LinuxProcess, addr: bigint): void {
  let name: string;
  try {
    name = readString(p, addr, XATTR_NAME_MAX + 1);
  } catch (e) {
    if (e instanceof SysError && e.errno === E.ENAMETOOLONG) throw new SysError(E.ERANGE);
    throw e;
  }
  if (name === "") throw new SysError(E.ERANGE);
}

/** The three forms of one call, by the way each names its file. */
function forms(
  base: string,
  call: (p: LinuxProcess, a: bigint[]) => number,
  needsName: boolean,
): SyscallTable {
  const form = (how: "path" | "lpath" | "fd") => (p: LinuxProcess, a: bigint[]) => {
    checkFile(p, a[0], how);
    if (needsName) checkName(p, a[1]);
    return call(p, a);
  };
  return { [base]: form("path"), [`l${base}`]: form("lpath"), [`f${base}`]: form("fd") };
}

const noAttribute = () => {
  throw new SysError(E.ENODATA);
};

/**
 * The extended-attribute syscalls by name.
 *
 * @example
 * ```ts
 * import { xattrSyscalls } from "./sys_xattr.ts";
 * console.log("lgetxattr" in xattrSyscalls); // true
 * ```
 */
export const xattrSyscalls: SyscallTable = {
  ...forms("getxattr", noAttribute, true),
  ...forms("listxattr", () => 0, false),
  ...forms("removexattr", noAttribute, true),
  ...forms("setxattr", () => {
    throw new SysError(E.EOPNOTSUPP);
  }, true),
};

/**
 * Guest path resolution.
 *
 * Without `--root`, guest paths are host paths, except that an absolute path
 * that exists under the `-L` sysroot resolves there first (QEMU's rule, which
 * lets the dynamic loader find the guest's libraries).
 *
 * With `--root DIR`, the guest sees DIR as `/`: every component is resolved
 * here, symlinks included (absolute targets restart at DIR, `..` stops at
 * DIR, at most 40 links), so no path can name anything outside DIR.
 *
 * @module
 */

import { E, SysError } from "./errno.ts";

const MAX_LINKS = 40;
const MAX_PATH = 4096;

/**
 * Maps guest paths to host paths.
 *
 * @example
 * ```ts
 * import { PathResolver } from "./paths.ts";
 * const r = new PathResolver({ cwd: "/tmp" });
 * console.log(r.toHost("x.txt")); // "/tmp/x.txt"
 * ```
 */
export class PathResolver {
  /** host path of the guest root directory, or null */
  readonly root: string | null;
  readonly sysroot: string | null;
  /** the guest's current directory (a guest path) */
  cwd: string;

  constructor(opts: { root?: string | null; sysroot?: string | null; cwd: string }) {
    this.root = opts.root ? trimSlash(opts.root) : null;
    this.sysroot = opts.sysroot && !this.root ? trimSlash(opts.sysroot) : null;
    this.cwd = opts.cwd;
  }

  /** Joins a (possibly relative) guest path onto guest directory `base` (the cwd by default). */
  absolute(path: string, base = this.cwd): string {
    if (path.length > MAX_PATH) throw new SysError(E.ENAMETOOLONG);
    if (path.startsWith("/")) return path;
    return base.endsWith("/") ? base + path : `${base}/${path}`;
  }

  /**
   * The host path for a guest path. `followLast` says whether a final
   * symlink is followed (it is resolved here only under `--root`).
   */
  toHost(path: string, base = this.cwd, followLast = true): string {
    if (path === "") throw new SysError(E.ENOENT);
    const abs = this.absolute(path, base);
    if (this.root) return this.root + this.walk(abs, followLast);
    if (this.sysroot && path.startsWith("/") && path !== "/") {
      const alt = this.sysroot + path;
      try {
        Deno.lstatSync(alt);
        return alt;
      } catch {
        // not in the sysroot: the host path
      }
    }
    return abs;
  }

  /**
   * Resolves an absolute guest path inside the root: returns the guest path
   * with every symlink (but maybe the last) replaced by its target.
   */
  walk(abs: string, followLast = true): string {
    const root = this.root!;
    const todo = abs.split("/");
    const stack: string[] = [];
    let links = 0;
    while (todo.length) {
      const c = todo.shift()!;
      if (c === "" || c === ".") continue;
      if (c === "..") {
        stack.pop();
        continue;
      }
      const last = !todo.some((t) => t !== "");
      const trailingSlash = last && todo.length > 0;
      const host = `${root}/${[...stack, c].join("/")}`;
      let target: string | null = null;
      if (!last) target = intermediate(host);
      else if (followLast || trailingSlash) target = symlinkTarget(host);
      if (target === null) {
        stack.push(c);
        continue;
      }
      if (++links > MAX_LINKS) throw new SysError(E.ELOOP);
      if (target.startsWith("/")) stack.length = 0;
      todo.unshift(...target.split("/"));
    }
    return "/" + stack.join("/");
  }

  /**
   * The guest path of a host path (for `/proc/self/exe`). Under `--root`, a
   * host file outside the root is never named: it shows as `/` + its base
   * name, as if it were in the root.
   */
  toGuest(host: string): string {
    if (!this.root) return host;
    if (host === this.root) return "/";
    if (host.startsWith(this.root + "/")) return host.slice(this.root.length);
    return "/" + host.slice(host.lastIndexOf("/") + 1);
  }

  /** Resolves `path` to a canonical guest directory (for chdir). */
  canonicalDir(path: string, base = this.cwd): string {
    if (path === "") throw new SysError(E.ENOENT);
    if (this.root) return this.walk(this.absolute(path, base));
    return Deno.realPathSync(this.toHost(path, base));
  }
}

/** The target of `host` if it is a symlink, else null (also when it is missing: the operation reports it). */
function symlinkTarget(host: string): string | null {
  try {
    return Deno.lstatSync(host).isSymlink ? Deno.readLinkSync(host) : null;
  } catch {
    return null;
  }
}

/**
 * A component with more after it (`.` and `..` included), as Linux walks it:
 * missing is ENOENT, not a directory ENOTDIR; a symlink's target is returned.
 */
function intermediate(host: string): string | null {
  let info: Deno.FileInfo;
  try {
    info = Deno.lstatSync(host);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new SysError(E.ENOENT);
    if (e instanceof Deno.errors.NotADirectory) throw new SysError(E.ENOTDIR);
    throw e;
  }
  if (info.isSymlink) return Deno.readLinkSync(host);
  if (!info.isDirectory) throw new SysError(E.ENOTDIR);
  return null;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

/**
 * The guest's first working directory: the host's, as qemu-user keeps it; under `--root`, the
 * host's as the guest names it when it is inside the root, else the root itself.
 *
 * @example
 * ```ts
 * import { startDirectory } from "./paths.ts";
 * console.log(startDirectory(null, "/tmp")); // "/tmp"
 * ```
 */
export function startDirectory(root: string | null, hostCwd: string): string {
  if (!root) return hostCwd;
  let real = hostCwd;
  try {
    real = Deno.realPathSync(hostCwd);
  } catch {
    return "/";
  }
  return real.startsWith(root + "/") ? real.slice(root.length) : "/";
}

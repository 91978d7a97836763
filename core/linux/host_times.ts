/**
 * Nanosecond file times. Deno's `FileInfo` (and its `node:fs`, even with
 * `bigint: true`) gives `mtime`/`atime` in milliseconds and `ctime` in
 * seconds, and `Deno.utimeSync` sets microseconds; Linux keeps nanoseconds,
 * which `make`, `rsync`, `cp -p` and Python's `os.utime(ns=...)` compare.
 * When Deno grants FFI (`-A` or `--allow-ffi`: it reaches the whole host
 * anyway), the host C library's `statx` and `utimensat` read and set them;
 * without it the times keep Deno's precision.
 *
 * @module
 */

import { SysError } from "./errno.ts";

const AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
/** STATX_ATIME | STATX_MTIME | STATX_CTIME | STATX_INO */
const STATX_TIMES = 0x20 | 0x40 | 0x80 | 0x100;

const SYMBOLS = {
  statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
  utimensat: { parameters: ["i32", "buffer", "buffer", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

let libc: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] | null | undefined;

/** The C library's calls, or null when FFI is not granted or there is no glibc. */
function hostLibc() {
  if (libc !== undefined) return libc;
  libc = null;
  try {
    if (
      Deno.build.os === "linux" && Deno.permissions.querySync({ name: "ffi" }).state === "granted"
    ) {
      libc = Deno.dlopen("libc.so.6", SYMBOLS).symbols;
    }
  } catch {
    // no glibc (musl, another OS): Deno's precision
  }
  return libc;
}

const BILLION = 1_000_000_000n;
const cString = (s: string) => new TextEncoder().encode(s + "\0");

/** A file's three times in nanoseconds since the epoch. */
export interface FileTimesNs {
  ino: bigint;
  atimeNs: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
}

/**
 * The times of host file `host` (its own, when `follow` is false) to the
 * nanosecond, or null when they cannot be had so.
 *
 * @example
 * ```ts
 * import { hostTimesNs } from "./host_times.ts";
 * console.log(typeof (hostTimesNs("/", true)?.mtimeNs ?? 0n)); // "bigint"
 * ```
 */
export function hostTimesNs(host: string, follow: boolean): FileTimesNs | null {
  const c = hostLibc();
  if (!c) return null;
  const buf = new Uint8Array(256), v = new DataView(buf.buffer);
  if (c.statx(AT_FDCWD, cString(host), follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_TIMES, buf)) {
    return null;
  }
  const t = (off: number) =>
    v.getBigInt64(off, true) * BILLION + BigInt(v.getUint32(off + 8, true));
  return { ino: v.getBigUint64(32, true), atimeNs: t(64), ctimeNs: t(96), mtimeNs: t(112) };
}

/** Linux's "leave this time as it is" in a timespec's nanoseconds (utimensat). */
export const UTIME_OMIT = 0x3ffffffe;

/**
 * Sets the access and modification times of host file `host` to the
 * nanosecond (a time of `null` is left as it is); false when it cannot be
 * done so (no FFI, or Deno would not let it write there), and the caller
 * sets them through Deno.
 *
 * @example
 * ```ts ignore
 * setHostTimesNs("/tmp/f", 1_500_000_000_123_456_789n, null, true);
 * ```
 */
export function setHostTimesNs(
  host: string,
  atimeNs: bigint | null,
  mtimeNs: bigint | null,
  follow: boolean,
): boolean {
  const c = hostLibc();
  // FFI passes by Deno's permissions: without leave to write there, Deno's call refuses it
  if (!c || Deno.permissions.querySync({ name: "write", path: host }).state !== "granted") {
    return false;
  }
  const ts = new BigInt64Array(4);
  [atimeNs, mtimeNs].forEach((ns, i) => {
    const nsec = ns === null ? BigInt(UTIME_OMIT) : ((ns % BILLION) + BILLION) % BILLION;
    ts[2 * i] = ns === null ? 0n : (ns - nsec) / BILLION;
    ts[2 * i + 1] = nsec;
  });
  const r = c.utimensat(
    AT_FDCWD,
    cString(host),
    new Uint8Array(ts.buffer),
    follow ? 0 : AT_SYMLINK_NOFOLLOW,
  );
  if (r !== 0) throw new SysError(new Deno.UnsafePointerView(c.__errno_location()!).getInt32());
  return true;
}

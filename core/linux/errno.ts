/**
 * Linux errno values (the generic numbering every Linux target shares) and
 * the mapping from host (Deno) errors to them.
 *
 * @module
 */

/**
 * Errno numbers by name.
 *
 * @example
 * ```ts
 * import { E } from "./errno.ts";
 * console.log(-E.ENOENT); // -2: a syscall's "no such file" return value
 * ```
 */
export const E = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EOVERFLOW: 75,
  EILSEQ: 84,
  ENOTSOCK: 88,
  EDESTADDRREQ: 89,
  EMSGSIZE: 90,
  EPROTOTYPE: 91,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  ESOCKTNOSUPPORT: 94,
  EOPNOTSUPP: 95,
  EAFNOSUPPORT: 97,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
} as const;

const MESSAGES: Record<number, string> = {
  1: "Operation not permitted",
  2: "No such file or directory",
  3: "No such process",
  4: "Interrupted system call",
  5: "Input/output error",
  6: "No such device or address",
  7: "Argument list too long",
  8: "Exec format error",
  9: "Bad file descriptor",
  10: "No child processes",
  11: "Resource temporarily unavailable",
  12: "Cannot allocate memory",
  13: "Permission denied",
  14: "Bad address",
  16: "Device or resource busy",
  17: "File exists",
  18: "Invalid cross-device link",
  19: "No such device",
  20: "Not a directory",
  21: "Is a directory",
  22: "Invalid argument",
  23: "Too many open files in system",
  24: "Too many open files",
  25: "Inappropriate ioctl for device",
  27: "File too large",
  28: "No space left on device",
  29: "Illegal seek",
  30: "Read-only file system",
  31: "Too many links",
  32: "Broken pipe",
  33: "Numerical argument out of domain",
  34: "Numerical result out of range",
  35: "Resource deadlock avoided",
  36: "File name too long",
  38: "Function not implemented",
  39: "Directory not empty",
  40: "Too many levels of symbolic links",
  61: "No data available",
  75: "Value too large for defined data type",
  84: "Invalid or incomplete multibyte or wide character",
  88: "Socket operation on non-socket",
  89: "Destination address required",
  90: "Message too long",
  91: "Protocol wrong type for socket",
  92: "Protocol not available",
  93: "Protocol not supported",
  94: "Socket type not supported",
  95: "Operation not supported",
  97: "Address family not supported by protocol",
  98: "Address already in use",
  99: "Cannot assign requested address",
  101: "Network is unreachable",
  103: "Software caused connection abort",
  104: "Connection reset by peer",
  105: "No buffer space available",
  106: "Transport endpoint is already connected",
  107: "Transport endpoint is not connected",
  110: "Connection timed out",
  111: "Connection refused",
  113: "No route to host",
  114: "Operation already in progress",
  115: "Operation now in progress",
};

/**
 * The strerror() text of an errno, as QEMU's strace prints it.
 *
 * @example
 * ```ts
 * import { errnoMessage } from "./errno.ts";
 * console.log(errnoMessage(2)); // "No such file or directory"
 * ```
 */
export function errnoMessage(errno: number): string {
  return MESSAGES[errno] ?? `Unknown error ${errno}`;
}

/**
 * A syscall failure: handlers throw it and the dispatcher returns `-errno`.
 *
 * @example
 * ```ts
 * import { E, SysError } from "./errno.ts";
 * function check(fd: number) {
 *   if (fd < 0) throw new SysError(E.EBADF);
 * }
 * ```
 */
export class SysError extends Error {
  override name = "SysError";
  constructor(readonly errno: number) {
    super(`errno ${errno}`);
  }
}

const BY_CLASS: [unknown, number][] = [
  [Deno.errors.NotFound, E.ENOENT],
  [Deno.errors.PermissionDenied, E.EACCES],
  // Deno's own permission check (no --allow-read/--allow-write for the path).
  [Deno.errors.NotCapable, E.EACCES],
  [Deno.errors.AlreadyExists, E.EEXIST],
  [Deno.errors.NotADirectory, E.ENOTDIR],
  [Deno.errors.IsADirectory, E.EISDIR],
  [Deno.errors.InvalidData, E.EINVAL],
  [Deno.errors.FilesystemLoop, E.ELOOP],
  [Deno.errors.Busy, E.EBUSY],
  [Deno.errors.BrokenPipe, E.EPIPE],
  [Deno.errors.NotSupported, E.EOPNOTSUPP],
  [Deno.errors.ConnectionRefused, E.ECONNREFUSED],
  [Deno.errors.ConnectionReset, E.ECONNRESET],
  [Deno.errors.ConnectionAborted, E.ECONNABORTED],
  [Deno.errors.NotConnected, E.ENOTCONN],
  [Deno.errors.AddrInUse, E.EADDRINUSE],
  [Deno.errors.AddrNotAvailable, E.EADDRNOTAVAIL],
  [Deno.errors.TimedOut, E.ETIMEDOUT],
];

/**
 * Maps a host error thrown by a Deno API to a Linux errno (EIO when unknown).
 *
 * @example
 * ```ts
 * import { errnoOf } from "./errno.ts";
 * try { Deno.statSync("/nonexistent"); } catch (e) { console.log(errnoOf(e)); } // 2
 * ```
 */
export function errnoOf(e: unknown): number {
  if (e instanceof SysError) return e.errno;
  const code = (e as { code?: string })?.code;
  if (typeof code === "string" && code in E) return E[code as keyof typeof E];
  for (const [cls, n] of BY_CLASS) if (e instanceof (cls as typeof Error)) return n;
  // Deno's other errors say only "(os error N)"; a Linux host's numbers are the guest's
  const raw = /\(os error (\d+)\)/.exec(e instanceof Error ? e.message : "");
  if (raw && Deno.build.os === "linux") return Number(raw[1]);
  return E.EIO;
}

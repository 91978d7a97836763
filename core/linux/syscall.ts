/**
 * What syscall handlers share: their type, the "no return value" marker and
 * helpers to read and write guest memory in syscall arguments.
 *
 * @module
 */

import type { LinuxProcess } from "./process.ts";
import { E, SysError } from "./errno.ts";
import { GuestFault } from "../errors.ts";
import type { Blocking } from "./threads.ts";

/** Returned by handlers that set the registers themselves (rt_sigreturn, exit). */
export const NO_RETURN: unique symbol = Symbol("no return");

/**
 * A syscall implementation: gets the process and the six raw argument
 * registers; returns the result (negative errno on failure), throws
 * {@linkcode SysError} (and GuestFault for bad pointers, turned into EFAULT),
 * or returns a {@linkcode Blocking} when the calling thread must wait.
 *
 * @example
 * ```ts
 * import type { SyscallHandler } from "./syscall.ts";
 * const getpid: SyscallHandler = (p) => p.pid;
 * ```
 */
export type SyscallHandler = (
  p: LinuxProcess,
  a: bigint[],
) => bigint | number | typeof NO_RETURN | Blocking;

/** A table of handlers by generic syscall name. */
export type SyscallTable = Record<string, SyscallHandler>;

const dec = new TextDecoder(), strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads a NUL-terminated guest string (paths: at most 4096 bytes).
 *
 * @example
 * ```ts ignore
 * const path = readString(p, a[1]);
 * ```
 */
export function readString(p: LinuxProcess, addr: bigint, max = 4096): string {
  if (addr === 0n) throw new SysError(E.EFAULT);
  try {
    return dec.decode(p.mem.readCString(addr, max));
  } catch (e) {
    if (e instanceof SysError) throw e;
    // Readable up to `max` without a NUL: too long, as strncpy_from_user says.
    const tooLong = e instanceof GuestFault && e.address === addr + BigInt(max);
    throw new SysError(tooLong ? E.ENAMETOOLONG : E.EFAULT);
  }
}

/**
 * Reads a NUL-terminated guest path (at most 4096 bytes). A path that is not
 * UTF-8 fails with EILSEQ (as on a file system that keeps names UTF-8): Deno
 * names host files by strings, so a byte such as 0xff would become U+FFFD on
 * the host, another name than the guest gave.
 *
 * @example
 * ```ts ignore
 * const path = readPath(p, a[1]);
 * ```
 */
export function readPath(p: LinuxProcess, addr: bigint): string {
  const path = readString(p, addr);
  if (!path.includes("\ufffd")) return path;
  try {
    return strict.decode(p.mem.readCString(addr, 4096));
  } catch (e) {
    if (e instanceof TypeError) throw new SysError(E.EILSEQ);
    throw e;
  }
}

/** Signed 32-bit view of an argument (fds, flags, dirfds). */
export function int(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/** A length argument: rejects negative and absurd values with EINVAL (or `errno`). */
export function len(v: bigint, errno: number = E.EINVAL): number {
  const n = BigInt.asIntN(64, v);
  if (n < 0n || n > 0x7fffffffn) throw new SysError(errno);
  return Number(n);
}

/**
 * A little-endian struct writer for syscall results.
 *
 * @example
 * ```ts
 * import { StructWriter } from "./syscall.ts";
 * const w = new StructWriter(16);
 * w.u64(0, 42n).u32(8, 7);
 * console.log(w.bytes.length); // 16
 * ```
 */
export class StructWriter {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }
  u64(off: number, v: bigint | number): this {
    this.dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  u32(off: number, v: number): this {
    this.dv.setUint32(off, v >>> 0, true);
    return this;
  }
  u16(off: number, v: number): this {
    this.dv.setUint16(off, v, true);
    return this;
  }
}

/** Writes `bytes` to guest memory at `addr` (EFAULT when unmapped or read-only). */
export function put(p: LinuxProcess, addr: bigint, bytes: Uint8Array): void {
  if (addr === 0n && bytes.length > 0) throw new SysError(E.EFAULT);
  p.mem.writeBytes(addr, bytes);
}

/** Reads `n` bytes of guest memory (EFAULT when unmapped). */
export function get(p: LinuxProcess, addr: bigint, n: number): Uint8Array {
  if (addr === 0n && n > 0) throw new SysError(E.EFAULT);
  return p.mem.readBytes(addr, n);
}

/** Reads a 64-bit little-endian value from guest memory. */
export function getU64(p: LinuxProcess, addr: bigint): bigint {
  const b = get(p, addr, 8);
  return new DataView(b.buffer).getBigUint64(0, true);
}

/** Writes a 64-bit little-endian value to guest memory. */
export function putU64(p: LinuxProcess, addr: bigint, v: bigint): void {
  put(p, addr, new StructWriter(8).u64(0, v).bytes);
}

/** Writes a 32-bit little-endian value to guest memory. */
export function putU32(p: LinuxProcess, addr: bigint, v: number): void {
  put(p, addr, new StructWriter(4).u32(0, v).bytes);
}

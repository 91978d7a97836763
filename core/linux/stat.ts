/**
 * Encoders for `struct stat` (asm-generic, 128 bytes) and `struct statx`.
 *
 * @module
 */

import type { StatInfo } from "./fds.ts";
import { StructWriter } from "./syscall.ts";

const BILLION = 1_000_000_000n;

/**
 * Encodes the asm-generic 64-bit `struct stat` used by fstat/newfstatat.
 *
 * @example
 * ```ts
 * import { encodeStat } from "./stat.ts";
 * import { statFromDeno } from "./fds.ts";
 * console.log(encodeStat(statFromDeno(Deno.statSync("."))).length); // 128
 * ```
 */
export function encodeStat(s: StatInfo): Uint8Array {
  const w = new StructWriter(128);
  w.u64(0, s.dev).u64(8, s.ino).u32(16, s.mode).u32(20, s.nlink).u32(24, s.uid).u32(28, s.gid);
  w.u64(32, s.rdev).u64(48, s.size).u32(56, s.blksize).u64(64, s.blocks);
  const t = (off: number, ns: bigint) => w.u64(off, ns / BILLION).u64(off + 8, ns % BILLION);
  t(72, s.atimeNs);
  t(88, s.mtimeNs);
  t(104, s.ctimeNs);
  return w.bytes;
}

/** STATX_BASIC_STATS: the fields {@linkcode encodeStatx} fills. */
export const STATX_BASIC_STATS = 0x7ff;

/**
 * Encodes `struct statx` (256 bytes).
 *
 * @example
 * ```ts
 * import { encodeStatx } from "./stat.ts";
 * import { statFromDeno } from "./fds.ts";
 * console.log(encodeStatx(statFromDeno(Deno.statSync("."))).length); // 256
 * ```
 */
export function encodeStatx(s: StatInfo): Uint8Array {
  const w = new StructWriter(256);
  w.u32(0, STATX_BASIC_STATS).u32(4, s.blksize).u32(16, s.nlink).u32(20, s.uid).u32(24, s.gid);
  w.u16(28, s.mode).u64(32, s.ino).u64(40, s.size).u64(48, s.blocks);
  const t = (off: number, ns: bigint) =>
    w.u64(off, ns / BILLION).u32(off + 8, Number(ns % BILLION));
  t(64, s.atimeNs);
  t(80, s.ctimeNs);
  t(96, s.ctimeNs);
  t(112, s.mtimeNs);
  const major = (d: bigint) => Number((d >> 8n) & 0xfffn), minor = (d: bigint) => Number(d & 0xffn);
  w.u32(128, major(s.rdev)).u32(132, minor(s.rdev)).u32(136, major(s.dev)).u32(140, minor(s.dev));
  return w.bytes;
}

/**
 * qemu-user's address-space options, read as qemu-riscv64 7.2 reads them: `-B address`
 * (guest_base: where guest memory lies in the host's, unseen by the guest), `-R size`
 * (reserved_va: the guest's address space) and `-p pagesize` (the host page size).
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";

const ULONG = 1n << 64n;

/**
 * C's `strtol(s, &end, 0)` (`strtoul` with `unsigned`): the number `s` starts with (0x hex, 0
 * octal, else decimal; none: 0), saturated as C does, as a 64-bit pattern, and the rest of `s`.
 *
 * @example
 * ```ts
 * import { cNumber } from "./user_memory_options.ts";
 * console.log(cNumber("0x10M", true), cNumber("abc", true)); // [ 16n, "M" ] [ 0n, "abc" ]
 * ```
 */
export function cNumber(s: string, unsigned: boolean): [bigint, string] {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?/.exec(s)!;
  if (!m[2]) return [0n, s];
  const octal = /^0[0-7]+$/.test(m[2]);
  const magnitude = BigInt(octal ? "0o" + m[2].slice(1) : m[2]);
  const max = unsigned ? ULONG - 1n : m[1] === "-" ? ULONG / 2n : ULONG / 2n - 1n;
  const v = magnitude > max ? max : magnitude;
  return [BigInt.asUintN(64, m[1] === "-" ? -v : v), s.slice(m[0].length)];
}

/** `-B address`: any text (strtol's; none is 0), checked against the page size once known. */
export function qemuGuestBase(v: string): bigint {
  return cNumber(v, false)[0];
}

/** `-R size`: bytes, or KiB, MiB, GiB with k/K, M, G; errors as qemu-riscv64's. */
export function qemuReservedVa(v: string): bigint {
  const [n, rest] = cNumber(v, true);
  const shift = ({ k: 10n, K: 10n, M: 20n, G: 30n } as Record<string, bigint>)[rest[0]] ?? 0n;
  const suffix = shift ? rest.slice(1) : rest;
  if (BigInt.asUintN(64, n << shift) >> shift !== n) {
    throw new EmuError("Reserved virtual address too big");
  }
  if (suffix) throw new EmuError(`Unrecognised -R size suffix '${suffix}'`);
  return n << shift;
}

/**
 * `-p pagesize`: C's atoi; a power of two, else qemu-riscv64's error. Denemu's user mode has
 * 4 KiB host pages, so a larger one (which changes where qemu-user's mmap puts things) is refused.
 */
export function qemuPageSize(v: string): number {
  const digits = /^\s*[+-]?\d+/.exec(v);
  const n = digits ? Number(BigInt.asIntN(32, BigInt(digits[0].trim()))) : 0;
  if (n <= 0 || (n & (n - 1)) !== 0) throw new EmuError("page size must be a power of two");
  if (n > 4096) {
    throw new EmuError(`-p ${v}: host pages above 4096 bytes are not emulated`, "omit -p");
  }
  return n;
}

/**
 * QEMU's check of `-B`: the base must be a multiple of the host page (4096, or `-p`'s if larger)
 * and leave room for the guest in the host's 47 bits.
 */
export function checkGuestBase(base: bigint, pageSize: number, program: string): void {
  const page = BigInt(Math.max(pageSize, 4096));
  if (base % page) {
    throw new EmuError(
      `Requested guest base 0x${base.toString(16)} does not satisfy host minimum alignment ` +
        `(0x${page.toString(16)})`,
    );
  }
  if (base >= 1n << 47n) {
    throw new EmuError(
      `${program}: requires virtual address space that is in use ` +
        "(omit the -B option or choose a different value)",
    );
  }
}

/**
 * Typed errors. Every error a user can see says what went wrong, where in the
 * guest (when there is a guest pc), and what the user can do about it.
 *
 * @module
 */

/**
 * What kind of memory access faulted.
 *
 * @example
 * ```ts
 * import type { AccessType } from "./errors.ts";
 * const access: AccessType = "fetch";
 * ```
 */
export type AccessType = "read" | "write" | "fetch";

/**
 * A guest memory access that the address space refused: unmapped, or not
 * allowed by the page's permissions. Backends turn it into a precise guest trap.
 *
 * @example
 * ```ts
 * import { GuestFault } from "./errors.ts";
 * const f = new GuestFault(0x10n, "write", "unmapped");
 * console.log(f.message); // "write fault at 0x10: unmapped"
 * ```
 */
export class GuestFault extends Error {
  /** "GuestFault" */
  override name = "GuestFault";
  /** A fault of `access` at `address`. */
  constructor(
    /** the guest virtual address that faulted */
    readonly address: bigint,
    /** the access that faulted */
    readonly access: AccessType,
    /** why: "unmapped", "protection", "misaligned" */
    readonly reason: "unmapped" | "protection" | "misaligned",
  ) {
    super(`${access} fault at 0x${address.toString(16)}: ${reason}`);
  }
}

/**
 * An error the user must act on (bad flag, missing file, malformed ELF, ...).
 * The CLI prints its message on one line and exits with status 1.
 *
 * @example
 * ```ts
 * import { EmuError } from "./errors.ts";
 * throw new EmuError("prog: not an ELF file (bad magic)", "pass a riscv64 Linux executable");
 * ```
 */
export class EmuError extends Error {
  /** "EmuError" */
  override name = "EmuError";
  /** An error with a one-line `message` and what the user can do about it (`hint`). */
  constructor(message: string, /** what the user can do */ readonly hint?: string) {
    super(message);
  }
}

/**
 * The CLI's one line for `e`: `emu: MESSAGE (HINT)`.
 *
 * @example
 * ```ts
 * import { EmuError, errorLine } from "./errors.ts";
 * console.error(errorLine(new EmuError("disk.img: no such file", "check the path")));
 * ```
 */
export function errorLine(e: EmuError): string {
  return `emu: ${e.message}${e.hint ? ` (${e.hint})` : ""}`;
}

/**
 * An internal inconsistency detected while running guest code at `pc`
 * (a bug in Denemu, not in the guest). Reported with the guest pc.
 */
export class InternalError extends Error {
  override name = "InternalError";
  constructor(message: string, readonly pc?: bigint) {
    super(pc === undefined ? message : `${message} (guest pc 0x${pc.toString(16)})`);
  }
}

/**
 * Formats a bigint address as `0x...`.
 *
 * @example
 * ```ts
 * import { hex } from "./errors.ts";
 * console.log(hex(0x80000000n), hex(-1)); // 0x80000000 0xffffffffffffffff
 * ```
 */
export function hex(v: bigint | number): string {
  return "0x" + BigInt.asUintN(64, BigInt(v)).toString(16);
}

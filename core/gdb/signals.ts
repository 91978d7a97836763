/**
 * Signal numbers in the GDB remote protocol (GDB's own numbering, which
 * differs from Linux's above 6).
 *
 * @module
 */

/** GDB signal numbers the stub reports itself. */
export const GdbSignal = {
  INT: 2,
  ILL: 4,
  TRAP: 5,
  KILL: 9,
  BUS: 10,
  SEGV: 11,
} as const;

/** Linux (asm-generic) signal n at index n -> GDB's number. */
const LINUX_TO_GDB = [
  0,
  1,
  2,
  3,
  4,
  5,
  6,
  10,
  8,
  9,
  30,
  11,
  31,
  13,
  14,
  15,
  143,
  20,
  19,
  17,
  18,
  21,
  22,
  16,
  24,
  25,
  26,
  27,
  28,
  23,
  32,
  12,
];
/** GDB's number for Linux real-time signals 34..63 starts at 46 (GDB_SIGNAL_REALTIME_34). */
const GDB_REALTIME_34 = 46;
/** GDB_SIGNAL_UNKNOWN */
const GDB_UNKNOWN = 143;

/**
 * GDB's number for Linux signal `sig` (asm-generic numbering, as riscv uses).
 *
 * @example
 * ```ts
 * import { linuxToGdbSignal } from "./signals.ts";
 * console.log(linuxToGdbSignal(7), linuxToGdbSignal(11)); // 10 11 (SIGBUS, SIGSEGV)
 * ```
 */
export function linuxToGdbSignal(sig: number): number {
  if (sig >= 0 && sig < LINUX_TO_GDB.length) return LINUX_TO_GDB[sig];
  if (sig >= 34 && sig <= 63) return GDB_REALTIME_34 + sig - 34;
  return GDB_UNKNOWN;
}

/**
 * The Linux signal for GDB signal number `sig` (0 when there is none).
 *
 * @example
 * ```ts
 * import { gdbToLinuxSignal } from "./signals.ts";
 * console.log(gdbToLinuxSignal(10)); // 7 (SIGBUS)
 * ```
 */
export function gdbToLinuxSignal(sig: number): number {
  if (sig === 0 || sig === GDB_UNKNOWN) return 0;
  const i = LINUX_TO_GDB.indexOf(sig);
  if (i >= 0) return i;
  if (sig >= GDB_REALTIME_34 && sig <= GDB_REALTIME_34 + 29) return sig - GDB_REALTIME_34 + 34;
  return 0;
}

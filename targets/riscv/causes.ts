/**
 * RISC-V exception cause codes (mcause/scause values) the target reports in
 * its traps.
 *
 * @module
 */

/**
 * Exception causes by name.
 *
 * @example
 * ```ts
 * import { Cause } from "./causes.ts";
 * console.log(Cause.ECALL_U, Cause.STORE_PAGE_FAULT); // 8 15
 * ```
 */
export const Cause = {
  FETCH_MISALIGNED: 0,
  ILLEGAL_INSN: 2,
  BREAKPOINT: 3,
  LOAD_MISALIGNED: 4,
  STORE_MISALIGNED: 6,
  ECALL_U: 8,
  FETCH_PAGE_FAULT: 12,
  LOAD_PAGE_FAULT: 13,
  STORE_PAGE_FAULT: 15,
} as const;

/**
 * Bit numbers of the `mip` register: what devices pass to
 * `InterruptSink.setPending` on a RISC-V hart.
 *
 * @example
 * ```ts
 * import { MipBit } from "./causes.ts";
 * console.log(1 << MipBit.MTIP); // 128
 * ```
 */
export const MipBit = {
  /** supervisor software interrupt */
  SSIP: 1,
  /** machine software interrupt */
  MSIP: 3,
  /** supervisor timer interrupt */
  STIP: 5,
  /** machine timer interrupt */
  MTIP: 7,
  /** supervisor external interrupt */
  SEIP: 9,
  /** machine external interrupt */
  MEIP: 11,
} as const;

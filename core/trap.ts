/**
 * Guest traps: precise exceptions raised by guest code, reported to the run
 * loop with the pc of the instruction that caused them.
 *
 * @module
 */

import { TrapKind } from "./ir.ts";
import { GuestFault } from "./errors.ts";
import type { CpuCore } from "./cpu_core.ts";

export { TrapKind };

/**
 * A precise guest exception.
 *
 * @example
 * ```ts ignore
 * for await (const ev of m.run()) if (ev.type === "fault") console.log(ev.trap.cause);
 * ```
 */
export interface Trap {
  /** what kind of trap (memory fault, illegal instruction, syscall, ...) */
  kind: TrapKind;
  /** target-defined cause code (e.g. RISC-V mcause) */
  cause: number;
  /** pc of the instruction that trapped */
  pc: bigint;
  /** extra data: the faulting address, or the instruction bits */
  data: bigint;
  /** for memory faults: "read", "write" or "fetch" */
  access?: "read" | "write" | "fetch";
}

/**
 * Thrown by helpers (CSR access, FP with an invalid rounding mode, ...) to
 * raise a precise trap at the current instruction.
 *
 * @example
 * ```ts
 * import { GuestTrap, TrapKind } from "./trap.ts";
 * function helper() {
 *   throw new GuestTrap(TrapKind.ILLEGAL, 2, 0n);
 * }
 * ```
 */
export class GuestTrap extends Error {
  /** "GuestTrap", the class name (what a stack trace and `e.name` show) */
  override name = "GuestTrap";
  /**
   * A trap of `kind` with the target's cause number `trapCause` and its datum `data` (a faulting
   * address, ...).
   */
  constructor(readonly kind: TrapKind, readonly trapCause: number, readonly data: bigint) {
    super(`guest trap kind ${kind} cause ${trapCause}`);
  }
}

/** Names of trap kinds, for messages. */
export const TRAP_KIND_NAMES = [
  "syscall",
  "breakpoint",
  "illegal instruction",
  "memory fault",
  "misaligned access",
  "target trap",
];

/**
 * Thrown by an instrumentation callback that set a new pc: the backend
 * abandons the current instruction (registers are already in the state block)
 * and continues at the pc.
 *
 * @example
 * ```ts
 * import { PcRedirect } from "./trap.ts";
 * const skip = () => {
 *   throw new PcRedirect();
 * };
 * ```
 */
export class PcRedirect extends Error {
  /** "PcRedirect", the class name (what a stack trace and `e.name` show) */
  override name = "PcRedirect";
  constructor() {
    super("pc redirected by a callback");
  }
}

/**
 * Converts a thrown guest fault or helper trap into a {@linkcode Trap} at `pc`, or null.
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * import { CpuCore } from "./cpu_core.ts";
 * import { GuestMemory } from "./guest_memory.ts";
 * import { trapFrom, TrapKind } from "./trap.ts";
 * const mem = new GuestMemory();
 * const cpu = new CpuCore(riscv.create("rv64"), mem);
 * try {
 *   mem.load(0x1000n, 8, false); // nothing is mapped there
 * } catch (e) {
 *   const trap = trapFrom(e, 0x400n, cpu);
 *   console.log(trap?.kind === TrapKind.MEMORY, trap?.data, trap?.access); // true 4096n read
 * }
 * ```
 */
export function trapFrom(e: unknown, pc: bigint, cpu: CpuCore): Trap | null {
  if (e instanceof GuestFault) {
    return {
      kind: TrapKind.MEMORY,
      cause: cpu.target.memoryFaultCause?.(e.access, e.reason) ?? 0,
      pc,
      data: e.address,
      access: e.access,
    };
  }
  if (e instanceof GuestTrap) return { kind: e.kind, cause: e.trapCause, pc, data: e.data };
  return null;
}

/**
 * Control and status registers as a table: number -> read/write functions and
 * the lowest privilege that may access them. The translator checks access at
 * translation time (unknown CSR, privilege, write to a read-only CSR ->
 * illegal instruction); the helpers `csr_read` / `csr_write` dispatch through
 * the same table at run time. System mode adds M/S CSRs with
 * {@linkcode defineCsr}.
 *
 * User mode implements fflags, frm, fcsr and the cycle/time/instret counters
 * (with their RV32 high halves), which count retired instructions.
 *
 * @module
 */

import { type CpuCore, GuestTrap, type HelperDef, TrapKind } from "../../plugin_target.ts";
import { Cause } from "./causes.ts";
import { RiscvState } from "./state.ts";

/**
 * Privilege levels, as encoded in CSR numbers and mstatus.
 *
 * @example
 * ```ts
 * import { Priv } from "./csr.ts";
 * console.log(Priv.M); // 3
 * ```
 */
export const Priv = { U: 0, S: 1, M: 3 } as const;

/**
 * One CSR.
 *
 * @example
 * ```ts
 * import { type CsrDef, Priv } from "./csr.ts";
 * const zero: CsrDef = { num: 0x7c0, name: "zero", priv: Priv.U, read: () => 0n };
 * ```
 */
export interface CsrDef {
  num: number;
  name: string;
  /** lowest privilege allowed to access it */
  priv: number;
  /** reads it */
  read(cpu: CpuCore, xlen: 32 | 64): bigint;
  /** writes it; absent for read-only CSRs */
  write?(cpu: CpuCore, value: bigint, xlen: 32 | 64): void;
  /**
   * The value csrrs/csrrc combine with their source, when it differs from
   * what they read: mip's SEIP as read includes the external interrupt line,
   * but only the software-writable bit takes part in the read-modify-write
   * (privileged spec, mip).
   */
  readForModify?(cpu: CpuCore, xlen: 32 | 64): bigint;
  /** the TB must end after a write (it changes how later code translates) */
  endsTb?: boolean;
  /** an FP CSR: illegal while mstatus.FS is Off */
  fp?: boolean;
  /** a vector CSR: illegal without V or while mstatus.VS is Off */
  vec?: boolean;
}

const table = new Map<number, CsrDef>();

/**
 * Thrown by a CSR's read or write when the access is illegal at run time
 * (counter not enabled, TVM...): the helper turns it into an
 * illegal-instruction trap carrying the instruction bits.
 *
 * @example
 * ```ts
 * import { CsrIllegal } from "./csr.ts";
 * const deny = () => {
 *   throw new CsrIllegal();
 * };
 * ```
 */
export class CsrIllegal extends Error {
  override name = "CsrIllegal";
}

/** What a CSR handler threw, as the helper throws it: a refused access is an illegal instruction. */
function refused(e: unknown, bits: bigint): unknown {
  return e instanceof CsrIllegal ? new GuestTrap(TrapKind.ILLEGAL, Cause.ILLEGAL_INSN, bits) : e;
}

/**
 * Adds (or replaces) a CSR definition.
 *
 * @example
 * ```ts
 * import { defineCsr, Priv } from "./csr.ts";
 * defineCsr({ num: 0x7c0, name: "custom", priv: Priv.U, read: () => 42n });
 * ```
 */
export function defineCsr(def: CsrDef): void {
  table.set(def.num, def);
}

/**
 * The definition of CSR `num`, if implemented.
 *
 * @example
 * ```ts
 * import { csrDef } from "./csr.ts";
 * console.log(csrDef(3)?.name); // "fcsr"
 * ```
 */
export function csrDef(num: number): CsrDef | undefined {
  return table.get(num);
}

/**
 * Every CSR defined, by number.
 *
 * @example
 * ```ts
 * import { csrDefs } from "./csr.ts";
 * console.log(csrDefs()[0].name); // "fflags"
 * ```
 */
export function csrDefs(): CsrDef[] {
  return [...table.values()].sort((a, b) => a.num - b.num);
}

/**
 * Whether an access to CSR `num` at privilege `priv` is legal.
 *
 * @example
 * ```ts
 * import { csrAccessible, Priv } from "./csr.ts";
 * console.log(csrAccessible(0xc00, Priv.U, true)); // false: cycle is read-only
 * ```
 */
export function csrAccessible(num: number, priv: number, writes: boolean): boolean {
  const def = table.get(num);
  return def !== undefined && priv >= def.priv && (!writes || def.write !== undefined);
}

function fcsrField(cpu: CpuCore, shift: number, bits: number): bigint {
  return (cpu.getState(RiscvState.FCSR) >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);
}

function setFcsrField(cpu: CpuCore, shift: number, bits: number, v: bigint): void {
  const mask = ((1n << BigInt(bits)) - 1n) << BigInt(shift);
  const old = cpu.getState(RiscvState.FCSR);
  cpu.setState(RiscvState.FCSR, (old & ~mask) | ((v << BigInt(shift)) & mask));
}

/**
 * The FP CSRs as fields of fcsr (`RiscvState.FCSR`): fflags, frm and fcsr
 * itself, by CSR number. Their accesses are plain IR (see trans_zicsr.ts).
 *
 * @example
 * ```ts
 * import { FP_CSR_FIELDS } from "./csr.ts";
 * console.log(FP_CSR_FIELDS.get(2)); // { name: "frm", shift: 5, bits: 3 }
 * ```
 */
export const FP_CSR_FIELDS: ReadonlyMap<number, { name: string; shift: number; bits: number }> =
  new Map([
    [1, { name: "fflags", shift: 0, bits: 5 }],
    [2, { name: "frm", shift: 5, bits: 3 }],
    [3, { name: "fcsr", shift: 0, bits: 8 }],
  ]);

for (const [num, { name, shift, bits }] of FP_CSR_FIELDS) {
  defineCsr({
    num,
    name,
    priv: Priv.U,
    fp: true,
    read: (cpu) => fcsrField(cpu, shift, bits),
    write: (cpu, v) => setFcsrField(cpu, shift, bits, v),
  });
}

/**
 * Retired instructions before this one: `icount` counts what the backend
 * returned, `inFlight` what it has run since it was entered (generated code
 * may run many TBs before it returns), so it is exact.
 */
function counter(cpu: CpuCore): bigint {
  return BigInt(cpu.icount + cpu.inFlight);
}

for (const [num, name] of [[0xc00, "cycle"], [0xc01, "time"], [0xc02, "instret"]] as const) {
  defineCsr({
    num,
    name,
    priv: Priv.U,
    read: (cpu, xlen) => BigInt.asIntN(xlen, counter(cpu)),
  });
  defineCsr({
    num: num + 0x80,
    name: name + "h",
    priv: Priv.U,
    read: (cpu, xlen) => (xlen === 32 ? BigInt.asIntN(32, counter(cpu) >> 32n) : -1n),
  });
}

// The high halves exist on RV32 only.
const RV32_ONLY = new Set([0xc80, 0xc81, 0xc82]);

/**
 * Whether CSR `num` is legal at privilege `priv` on an XLEN.
 *
 * @example
 * ```ts
 * import { csrLegal, Priv } from "./csr.ts";
 * console.log(csrLegal(0xc80, Priv.U, false, 64)); // false: cycleh is RV32-only
 * ```
 */
export function csrLegal(num: number, priv: number, writes: boolean, xlen: 32 | 64): boolean {
  if (xlen === 64 && RV32_ONLY.has(num)) return false;
  return csrAccessible(num, priv, writes);
}

/**
 * The CSR helpers for an XLEN: `csr_read(num, bits, modify)`
 * (`modify` 1: the value a csrrs/csrrc modifies) and
 * `csr_write(num, value, bits)` (`bits`: the instruction, for the
 * illegal-instruction trap of a refused access). Both may trap and read the
 * registers (the counters read the instruction count); neither writes one.
 *
 * @example
 * ```ts
 * import { csrHelpers } from "./csr.ts";
 * console.log(csrHelpers(64).map((h) => h.name)); // ["csr_read", "csr_write"]
 * ```
 */
export function csrHelpers(xlen: 32 | 64): HelperDef[] {
  return [
    {
      name: "csr_read",
      fn: (cpu: CpuCore, num: bigint, bits: bigint, modify: bigint) => {
        // try/catch here rather than around a closure: sstatus alone is read about 90,000
        // times in a Linux boot (docs/perf.md, eleventh session)
        try {
          const def = table.get(Number(num))!;
          if (modify && def.readForModify) return def.readForModify(cpu, xlen);
          return def.read(cpu, xlen);
        } catch (e) {
          throw refused(e, bits);
        }
      },
      hasResult: true,
      // No read writes a register or what the TB flags depend on: code that only reads
      // CSRs keeps its registers in locals and chains on, so a delay loop polling `time`
      // stays in generated code (U-Boot's left it 39,000 times; docs/perf.md).
      flags: { readsState: true, mayTrap: true },
    },
    {
      name: "csr_write",
      fn: (cpu: CpuCore, num: bigint, value: bigint, bits: bigint) => {
        try {
          table.get(Number(num))!.write!(cpu, value, xlen);
        } catch (e) {
          throw refused(e, bits);
        }
      },
      hasResult: false,
      // A write changes no register. What changes the TB flags (mstatus.FS/VS) or drops code
      // (satp, PMP, triggers) makes generated code leave at the next instruction boundary;
      // otherwise it chains on (Linux's local_irq_save writes sstatus 86,000 times a boot).
      flags: { readsState: true, mayTrap: true, mayExit: true },
    },
  ];
}

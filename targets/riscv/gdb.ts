/**
 * How gdb sees RISC-V registers, as QEMU describes them: the standard
 * `org.gnu.gdb.riscv.cpu` and `org.gnu.gdb.riscv.fpu` features with ABI
 * register names, the vector unit, the privilege level and the CSRs.
 *
 * @module
 */

import type { CpuCore, GdbArch, GdbCpuRegister, RegisterInfo } from "../../plugin_target.ts";
import { type CsrDef, csrDefs, CsrIllegal, csrLegal, Priv } from "./csr.ts";
import { vectorGdbFeatures } from "./gdb_vector.ts";
import { hartOf } from "./hart.ts";

const POINTER_TYPES: Record<string, string> = {
  ra: "code_ptr",
  sp: "data_ptr",
  gp: "data_ptr",
  tp: "data_ptr",
};

/**
 * The gdb description of the RISC-V target at `xlen`, with the vector unit
 * when `vlen` is not 0 (see `gdb_vector.ts`), as QEMU 7.2's gdbstub gives
 * it: the fpu feature holds f0-f31 only; after the vector unit,
 * `org.gnu.gdb.riscv.virtual` holds the privilege level `priv`, and
 * `org.gnu.gdb.riscv.csr` every CSR the hart has, each numbered by its CSR
 * number after `priv` (in user mode: fflags, frm, fcsr, cycle, time,
 * instret and the vector CSRs; in system mode also the S and M CSRs, so
 * that `p $mhartid` reads the selected hart's).
 *
 * @example
 * ```ts
 * import { riscvGdbArch } from "./gdb.ts";
 * const [, csrs] = riscvGdbArch(64).cpuFeatures!;
 * console.log(csrs.regs.find((r) => r.name === "mhartid")?.offset); // 3860
 * ```
 */
export function riscvGdbArch(xlen: 32 | 64, vlen = 0): GdbArch {
  const abiName = (r: RegisterInfo) => r.aliases?.[0] ?? r.name;
  const csrs = csrDefs().filter((d) =>
    (vlen || !d.vec) && (csrLegal(d.num, Priv.M, false, xlen) || oddPmpcfg(d, xlen))
  );
  return {
    arch: `riscv:rv${xlen}`,
    features: [
      { name: "org.gnu.gdb.riscv.cpu", file: `riscv-${xlen}bit-cpu.xml`, kinds: ["int", "pc"] },
      { name: "org.gnu.gdb.riscv.fpu", file: "riscv-64bit-fpu.xml", kinds: ["fp"] }, // D
    ],
    regName: abiName,
    regType: (r) => r.kind === "int" ? POINTER_TYPES[abiName(r)] : undefined,
    stateFeatures: vectorGdbFeatures(xlen, vlen),
    cpuFeatures: [
      {
        name: "org.gnu.gdb.riscv.virtual",
        file: `riscv-${xlen}bit-virtual.xml`,
        regs: [privRegister(xlen)],
      },
      {
        name: "org.gnu.gdb.riscv.csr",
        file: "riscv-csr.xml",
        regs: csrs.map((d) => csrRegister(d, xlen)),
      },
    ],
    stopBeforeWatchpoint: true,
  };
}

/**
 * `priv`: the hart's privilege level (a write of 2, which names no level,
 * gives S, as in QEMU); in user mode always U.
 */
function privRegister(xlen: number): GdbCpuRegister {
  return {
    name: "priv",
    bits: xlen,
    offset: 0,
    read: (cpu) => BigInt(hartOf(cpu)?.priv ?? Priv.U),
    write: (cpu, v) => {
      const hart = hartOf(cpu), p = Number(v & 3n);
      if (hart) hart.priv = p === 2 ? Priv.S : p;
    },
  };
}

/**
 * CSR `def` as gdb reads it, whatever the privilege level; one the CPU
 * refuses (an extension it lacks, a hart's CSR in user mode) is not present.
 */
function csrRegister(def: CsrDef, xlen: 32 | 64): GdbCpuRegister {
  const read = (cpu: CpuCore) => BigInt.asUintN(xlen, def.read(cpu, xlen));
  return {
    name: def.name,
    bits: xlen,
    offset: def.num,
    present: (cpu) => allowed(() => read(cpu)) !== false,
    listed: (cpu) =>
      hartOf(cpu)
        ? !unlistedAtRealize(def) && (oddPmpcfg(def, xlen) || allowed(() => read(cpu)) !== false)
        : allowed(() => read(cpu)) !== false,
    read: (cpu) => allowed(() => read(cpu)) || 0n,
    write: (cpu, v) => allowed(() => def.write?.(cpu, v, xlen)),
  };
}

/**
 * The CSRs qemu-system-riscv64 7.2 leaves out of riscv-csr.xml though gdb reads them by number: it
 * lists those whose predicate passes on the hart as realized, in U-mode with mstatus and the
 * counter enables zero and no timer yet: not the FP and vector CSRs (FS and VS Off), the user
 * counters (cycle, time, instret, hpmcounterN) nor Sstc's stimecmp and vstimecmp.
 */
function unlistedAtRealize(def: CsrDef): boolean {
  const n = def.num;
  return !!(def.fp || def.vec) || (n >= 0xc00 && n < 0xca0) || n === 0x14d || n === 0x24d;
}

/** RV64's pmpcfg1 and pmpcfg3: QEMU 7.2 names them in riscv-csr.xml but refuses to read them. */
function oddPmpcfg(def: CsrDef, xlen: 32 | 64): boolean {
  return xlen === 64 && (def.num === 0x3a1 || def.num === 0x3a3);
}

/** What `f` returns, or false when the CSR refuses the access. */
function allowed<T>(f: () => T): T | false {
  try {
    return f();
  } catch (e) {
    if (e instanceof CsrIllegal) return false;
    throw e;
  }
}

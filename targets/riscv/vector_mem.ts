/**
 * Vector loads and stores as helpers, one per mnemonic: unit-stride,
 * strided, indexed (ordered and unordered: both in element order), segment
 * (`nf` fields per element), fault-only-first, whole-register and mask.
 *
 * Every element access goes through `cpu.load`/`cpu.store`, so memory hooks,
 * watchpoints and tool plugins see each element as QEMU's plugins do; only
 * an unobserved unmasked unit-stride access moves as one block. A watchpoint
 * that stops before an element leaves vstart there, as a fault does.
 *
 * Faults are precise as in QEMU 7.2: elements are accessed in order and
 * vstart counts them, so a fault leaves vstart at the faulting element and
 * the elements before it done. A fault-only-first load that faults on an
 * element other than the first instead shrinks vl to that element.
 *
 * @module
 */

import { type CpuCore, type HelperDef, PcRedirect } from "../../plugin_target.ts";
import { RiscvState } from "./state.ts";
import {
  active,
  illegal,
  readElem,
  requireGroup,
  requireVm,
  setVstart,
  vectorConfig,
  vectorFields,
  vregBytes,
  writeElem,
} from "./vector_unit.ts";

/** The addressing of a load or store. */
type Addressing = "unit" | "strided" | "indexed" | "first";

/** EEW by the width field (funct3) of a vector load or store. */
const EEW_BY_WIDTH: Record<number, number> = { 0: 8, 5: 16, 6: 32, 7: 64 };

/** What a load/store helper needs from the instruction bits. */
function memFields(bits: number) {
  return {
    ...vectorFields(bits),
    nf: ((bits >>> 29) & 7) + 1,
    eew: EEW_BY_WIDTH[(bits >>> 12) & 7],
    store: ((bits >>> 5) & 1) === 1,
  };
}

/**
 * A unit-stride, strided, indexed or fault-only-first load or store.
 * For indexed accesses the data has SEW and the index vector EEW; else the
 * data has EEW (and EMUL = EEW/SEW * LMUL).
 */
function elementAccess(name: string, addressing: Addressing): HelperDef {
  return {
    name,
    hasResult: false,
    flags: { mayTrap: true, accessesMemory: true },
    fn: (cpu: CpuCore, bitsArg: bigint, base: bigint, stride: bigint) => {
      const bits = Number(bitsArg), v = vectorConfig(cpu, bits), f = memFields(bits);
      const indexed = addressing === "indexed";
      const dataBits = indexed ? v.sew : f.eew;
      const emul = (dataBits / v.sew) * v.lmul;
      requireGroup(v, f.vd, emul);
      if (emul * f.nf > 8 || f.vd + Math.max(emul, 1) * f.nf > 32) throw illegal(bits);
      if (indexed) requireGroup(v, f.vs2, (f.eew / v.sew) * v.lmul);
      if (!f.store) requireVm(v, f);
      if (v.vl === 0) return;
      const bytes = dataBits / 8, fieldRegs = Math.max(emul, 1);
      const whole = addressing === "unit" && f.vm === 1 && f.nf === 1;
      if (whole && !cpu.helperAccessWatch && bulk(cpu, f, base, v, bytes)) {
        return setVstart(cpu, 0);
      }
      let i = v.vstart;
      try {
        for (; i < v.vl; i++) {
          if (!active(cpu, f.vm, i)) continue;
          let addr: bigint;
          if (addressing === "strided") addr = base + BigInt.asIntN(64, stride) * BigInt(i);
          else if (indexed) addr = base + readElem(cpu, f.vs2, f.eew, i);
          else addr = base + BigInt(i * f.nf * bytes);
          for (let k = 0; k < f.nf; k++) {
            const at = BigInt.asUintN(64, addr + BigInt(k * bytes)), reg = f.vd + k * fieldRegs;
            if (f.store) cpu.store(at, bytes, readElem(cpu, reg, dataBits, i));
            else if (addressing === "first" && i > 0) {
              if (!tryLoad(cpu, at, bytes, reg, dataBits, i)) return cutVl(cpu, i);
            } else writeElem(cpu, reg, dataBits, i, cpu.load(at, bytes, false));
          }
        }
      } catch (e) {
        setVstart(cpu, i); // precise: the elements before i are done
        throw e;
      }
      setVstart(cpu, 0);
    },
  };
}

/**
 * An unmasked unit-stride access of one field moved as one block of bytes;
 * false (nothing done, or only a prefix written: elements before the fault)
 * when part of it faults, and the element loop then finds the precise element.
 */
function bulk(
  cpu: CpuCore,
  f: { vd: number; store: boolean },
  base: bigint,
  v: { vstart: number; vl: number },
  bytes: number,
): boolean {
  const from = v.vstart * bytes, length = (v.vl - v.vstart) * bytes;
  const regs = vregBytes(cpu, f.vd, 8).subarray(from, from + length);
  const addr = BigInt.asUintN(64, base + BigInt(from));
  try {
    if (f.store) cpu.writeBytes(addr, regs);
    else cpu.readBytes(addr, length, regs); // a fault leaves only elements before it loaded
    return true;
  } catch {
    return false;
  }
}

/** A fault-only-first element load past the first: false when it would fault. */
function tryLoad(cpu: CpuCore, at: bigint, bytes: number, reg: number, bits: number, i: number) {
  let x: bigint;
  try {
    x = cpu.load(at, bytes, false);
  } catch (e) {
    if (e instanceof PcRedirect) throw e; // a watchpoint before the access, not a fault
    return false;
  }
  writeElem(cpu, reg, bits, i, x);
  return true;
}

/** Ends a fault-only-first load at element `i`: vl = i, vstart = 0. */
function cutVl(cpu: CpuCore, i: number): void {
  cpu.setState(RiscvState.VL, BigInt(i));
  setVstart(cpu, 0);
}

/**
 * A whole-register load or store (`vl<n>re<eew>.v`, `vs<n>r.v`), or with
 * `mask` a mask load or store (`vlm.v`, `vsm.v`: ceil(vl/8) bytes). Bytes
 * move in order from vstart (counted in EEW elements), ignoring vtype.
 */
function wholeAccess(name: string, mask: boolean): HelperDef {
  return {
    name,
    hasResult: false,
    flags: { mayTrap: true, accessesMemory: true },
    fn: (cpu: CpuCore, bitsArg: bigint, base: bigint) => {
      const bits = Number(bitsArg), f = memFields(bits);
      let count: number, eewBytes: number;
      const vlenb = Number(cpu.getState(RiscvState.VLENB));
      if (mask) {
        count = Math.ceil(vectorConfig(cpu, bits).vl / 8);
        eewBytes = 1;
      } else {
        if (f.vd % f.nf !== 0) throw illegal(bits);
        count = f.nf * vlenb;
        eewBytes = f.eew / 8;
      }
      const regs = vregBytes(cpu, f.vd, Math.ceil(count / vlenb) || 1);
      const start = Number(cpu.getState(RiscvState.VSTART)) * eewBytes;
      for (let at = start; at < count; at += eewBytes) {
        setVstart(cpu, at / eewBytes);
        const addr = BigInt.asUintN(64, base + BigInt(at));
        if (f.store) cpu.store(addr, eewBytes, readLe(regs, at, eewBytes));
        else writeLe(regs, at, eewBytes, cpu.load(addr, eewBytes, false));
      }
      setVstart(cpu, 0);
    },
  };
}

function readLe(b: Uint8Array, at: number, n: number): bigint {
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[at + k]);
  return v;
}

function writeLe(b: Uint8Array, at: number, n: number, v: bigint): void {
  for (let k = 0; k < n; k++) b[at + k] = Number((v >> BigInt(8 * k)) & 0xffn);
}

/**
 * The helper of the load or store `mnemonic` (`vle32.v`, `vlsseg2e8.v`,
 * `vluxei16.v`, `vl2re64.v`, `vsm.v`...), or undefined.
 *
 * @example
 * ```ts
 * import { memoryHelper } from "./vector_mem.ts";
 * console.log(memoryHelper("vlse32.v")?.name, memoryHelper("vadd.vv")); // "vlse32.v" undefined
 * ```
 */
export function memoryHelper(mnemonic: string): HelperDef | undefined {
  if (mnemonic === "vlm.v" || mnemonic === "vsm.v") return wholeAccess(mnemonic, true);
  if (/^v[ls]\d+re?\d*\.v$/.test(mnemonic)) return wholeAccess(mnemonic, false);
  if (/^v[ls][ou]xseg\d|^v[ls][ou]xei/.test(mnemonic)) return elementAccess(mnemonic, "indexed");
  if (/^v[ls]s(seg\d)?e\d+\.v$/.test(mnemonic)) return elementAccess(mnemonic, "strided");
  if (/^vl(seg\d)?e\d+ff\.v$/.test(mnemonic)) return elementAccess(mnemonic, "first");
  if (/^v[ls](seg\d)?e\d+\.v$/.test(mnemonic)) return elementAccess(mnemonic, "unit");
  return undefined;
}

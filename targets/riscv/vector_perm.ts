/**
 * Vector mask, reduction and permutation instructions as helpers, one per
 * mnemonic, with QEMU 7.2's element order and its treatment of masked-off
 * and tail elements (left undisturbed).
 *
 * @module
 */

import type { CpuCore, HelperDef } from "../../plugin_target.ts";
import { RiscvState } from "./state.ts";
import { sx } from "./vector_int_ops.ts";
import { FP_FORMAT, unboxScalar } from "./vector_fp_ops.ts";
import {
  active,
  illegal,
  maskBit,
  readElem,
  requireGroup,
  requireVm,
  setMaskBit,
  setVstart,
  type VectorFields,
  vectorFields,
  vectorHelper,
  vregBytes,
  writeElem,
} from "./vector_unit.ts";

const u = BigInt.asUintN;
/** Reductions: the fold, on operands zero-extended from SEW (`bits`). */
const REDUCTIONS: Record<string, (acc: bigint, x: bigint, bits: number) => bigint> = {
  vredsum: (a, x) => a + x,
  vredand: (a, x) => a & x,
  vredor: (a, x) => a | x,
  vredxor: (a, x) => a ^ x,
  vredminu: (a, x) => (x < a ? x : a),
  vredmaxu: (a, x) => (x > a ? x : a),
  vredmin: (a, x, n) => (sx(x, n) < sx(a, n) ? x : a),
  vredmax: (a, x, n) => (sx(x, n) > sx(a, n) ? x : a),
};

/** vd[0] = fold(vs1[0], active vs2[i]); widening sums read vs2 at SEW and fold at 2*SEW. */
function reduction(name: string): HelperDef {
  const base = name.slice(0, name.indexOf(".")), widen = base.startsWith("vw");
  const signed = base === "vwredsum";
  const fold = widen ? REDUCTIONS.vredsum : REDUCTIONS[base];
  return vectorHelper(name, (v, f) => {
    const cpu = v.cpu, wide = widen ? 2 * v.sew : v.sew;
    if (widen && v.sew === 64 || v.vstart !== 0) throw illegal(v.bits); // as QEMU
    requireGroup(v, f.vs2, v.lmul);
    if (v.vl === 0) return;
    let acc = readElem(cpu, f.vs1, wide, 0);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(cpu, f.vm, i)) continue;
      const x = readElem(cpu, f.vs2, v.sew, i);
      acc = u(wide, fold(acc, signed ? u(wide, sx(x, v.sew)) : x, wide));
    }
    writeElem(cpu, f.vd, wide, 0, acc);
    setVstart(cpu, 0);
  });
}

/** The mask logical operations on single bits. */
const MASK_LOGIC: Record<string, (a: boolean, b: boolean) => boolean> = {
  "vmand.mm": (a, b) => a && b,
  "vmnand.mm": (a, b) => !(a && b),
  "vmandn.mm": (a, b) => a && !b,
  "vmxor.mm": (a, b) => a !== b,
  "vmor.mm": (a, b) => a || b,
  "vmnor.mm": (a, b) => !(a || b),
  "vmorn.mm": (a, b) => a || !b,
  "vmxnor.mm": (a, b) => a === b,
};

function maskLogic(name: string): HelperDef {
  const op = MASK_LOGIC[name];
  return vectorHelper(name, (v, f) => {
    for (let i = v.vstart; i < v.vl; i++) {
      setMaskBit(v.cpu, f.vd, i, op(maskBit(v.cpu, f.vs2, i), maskBit(v.cpu, f.vs1, i)));
    }
    setVstart(v.cpu, 0);
  });
}

/** vcpop.m and vfirst.m: a count or an index into rd. */
function maskScalar(name: string): HelperDef {
  return vectorHelper(name, (v, f) => {
    let count = 0n;
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(v.cpu, f.vm, i) || !maskBit(v.cpu, f.vs2, i)) continue;
      if (name === "vfirst.m") return BigInt(i);
      count++;
    }
    setVstart(v.cpu, 0);
    return name === "vfirst.m" ? -1n : count;
  }, true);
}

/** vmsbf.m, vmsif.m, vmsof.m: bits before, including, only at the first set active bit. */
function setFirst(name: string): HelperDef {
  const before = name !== "vmsof.m", at = name !== "vmsbf.m";
  return vectorHelper(name, (v, f) => {
    if (f.vd === f.vs2 || (f.vm === 0 && f.vd === 0)) throw illegal(v.bits);
    let found = false;
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(v.cpu, f.vm, i)) continue;
      const hit: boolean = !found && maskBit(v.cpu, f.vs2, i);
      setMaskBit(v.cpu, f.vd, i, hit ? at : !found && before);
      found ||= hit;
    }
    setVstart(v.cpu, 0);
  });
}

/** viota.m (prefix counts of vs2's active bits) and vid.v (element indices). */
function iota(name: string): HelperDef {
  return vectorHelper(name, (v, f) => {
    requireGroup(v, f.vd, v.lmul);
    requireVm(v, f);
    let sum = 0n;
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(v.cpu, f.vm, i)) continue;
      if (name === "vid.v") writeElem(v.cpu, f.vd, v.sew, i, BigInt(i));
      else {
        writeElem(v.cpu, f.vd, v.sew, i, sum);
        if (maskBit(v.cpu, f.vs2, i)) sum++;
      }
    }
    setVstart(v.cpu, 0);
  });
}

/** vmv.x.s: rd = vs2[0] sign-extended (any vl); vmv.s.x: vd[0] = rs1 when vstart < vl. */
const MOVES: HelperDef[] = [
  vectorHelper("vmv.x.s", (v, f) => sx(readElem(v.cpu, f.vs2, v.sew, 0), v.sew), true),
  vectorHelper("vmv.s.x", (v, f, x1) => {
    if (v.vl > 0 && v.vstart < v.vl) writeElem(v.cpu, f.vd, v.sew, 0, x1);
    setVstart(v.cpu, 0);
  }),
];

/** The slide offset or gather index of a `.vx`/`.vi` form (`.vi`: the unsigned immediate). */
function scalarOperand(name: string, f: VectorFields, x1: bigint): bigint {
  return name.endsWith(".vi") ? BigInt(f.vs1) : u(64, x1);
}

/**
 * vslideup/vslidedown (.vx, .vi) and vslide1up/vslide1down (.vx; vfslide1up
 * and vfslide1down .vf: the scalar slides in).
 */
function slide(name: string): HelperDef {
  const up = name.includes("up"), one = /^vf?slide1/.test(name);
  return vectorHelper(name, (v, f, x1) => {
    requireGroup(v, f.vd, v.lmul);
    requireGroup(v, f.vs2, v.lmul);
    requireVm(v, f);
    if (up && f.vd === f.vs2) throw illegal(v.bits);
    if (v.vl === 0) return;
    const cpu = v.cpu, off = one ? 1n : scalarOperand(name, f, x1);
    const fp = name.startsWith("vf");
    if (fp && !FP_FORMAT[v.sew]) throw illegal(v.bits);
    if (fp) x1 = unboxScalar(x1, v.sew);
    const src = Array.from({ length: v.vlmax }, (_, i) => readElem(cpu, f.vs2, v.sew, i));
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(cpu, f.vm, i)) continue;
      if (up) {
        if (BigInt(i) < off) {
          if (one) writeElem(cpu, f.vd, v.sew, i, x1);
          continue;
        }
        writeElem(cpu, f.vd, v.sew, i, src[i - Number(off)]);
      } else {
        const from = BigInt(i) + off;
        const last = one && i === v.vl - 1;
        const x = last ? x1 : from < BigInt(v.vlmax) ? src[Number(from)] : 0n;
        writeElem(cpu, f.vd, v.sew, i, x);
      }
    }
    setVstart(cpu, 0);
  });
}

/** vrgather (.vv, .vx, .vi) and vrgatherei16.vv: vd[i] = vs2[index], 0 past VLMAX. */
function gather(name: string): HelperDef {
  const ei16 = name === "vrgatherei16.vv", vv = name.endsWith(".vv");
  return vectorHelper(name, (v, f, x1) => {
    const indexBits = ei16 ? 16 : v.sew;
    requireGroup(v, f.vd, v.lmul);
    requireGroup(v, f.vs2, v.lmul);
    if (vv) requireGroup(v, f.vs1, (indexBits / v.sew) * v.lmul);
    requireVm(v, f);
    if (f.vd === f.vs2 || (vv && f.vd === f.vs1)) throw illegal(v.bits);
    if (v.vl === 0) return;
    const cpu = v.cpu, fixed = vv ? 0n : scalarOperand(name, f, x1);
    for (let i = v.vstart; i < v.vl; i++) {
      if (!active(cpu, f.vm, i)) continue;
      const index = vv ? readElem(cpu, f.vs1, indexBits, i) : fixed;
      const x = index < BigInt(v.vlmax) ? readElem(cpu, f.vs2, v.sew, Number(index)) : 0n;
      writeElem(cpu, f.vd, v.sew, i, x);
    }
    setVstart(cpu, 0);
  });
}

/** vcompress.vm: the vs2 elements whose vs1 mask bit is set, packed from vd[0]. */
const COMPRESS = vectorHelper("vcompress.vm", (v, f) => {
  requireGroup(v, f.vd, v.lmul);
  requireGroup(v, f.vs2, v.lmul);
  if (f.vd === f.vs2 || f.vd === f.vs1 || v.vstart !== 0) throw illegal(v.bits);
  if (v.vl === 0) return;
  let j = 0;
  for (let i = 0; i < v.vl; i++) {
    if (maskBit(v.cpu, f.vs1, i)) {
      writeElem(v.cpu, f.vd, v.sew, j++, readElem(v.cpu, f.vs2, v.sew, i));
    }
  }
  setVstart(v.cpu, 0);
});

/** vmv<n>r.v: copies n whole registers (from vstart, counted in SEW elements). */
function wholeMove(name: string): HelperDef {
  const n = Number(name[3]);
  return {
    name,
    hasResult: false,
    flags: { mayTrap: true },
    fn: (cpu: CpuCore, bitsArg: bigint) => {
      const bits = Number(bitsArg), f = vectorFields(bits);
      if (f.vd % n !== 0 || f.vs2 % n !== 0) throw illegal(bits);
      const vlenb = Number(cpu.getState(RiscvState.VLENB));
      const vtype = cpu.getState(RiscvState.VTYPE);
      const sewBytes = vtype < 0n ? 1 : 1 << Number((vtype >> 3n) & 7n);
      const start = Number(cpu.getState(RiscvState.VSTART)) * sewBytes;
      if (start < n * vlenb) {
        vregBytes(cpu, f.vd, n).set(vregBytes(cpu, f.vs2, n).subarray(start), start);
      }
      setVstart(cpu, 0);
    },
  };
}

/**
 * The helper of the mask, reduction or permutation instruction `mnemonic`, or undefined.
 *
 * @example
 * ```ts
 * import { permutationHelper } from "./vector_perm.ts";
 * console.log(permutationHelper("vredsum.vs")?.name, permutationHelper("vadd.vv")); // "vredsum.vs" undefined
 * ```
 */
export function permutationHelper(mnemonic: string): HelperDef | undefined {
  if (/^vw?red/.test(mnemonic)) return reduction(mnemonic);
  if (mnemonic in MASK_LOGIC) return maskLogic(mnemonic);
  if (mnemonic === "vcpop.m" || mnemonic === "vfirst.m") return maskScalar(mnemonic);
  if (/^vms[bio]f\.m$/.test(mnemonic)) return setFirst(mnemonic);
  if (mnemonic === "viota.m" || mnemonic === "vid.v") return iota(mnemonic);
  if (/^vf?slide/.test(mnemonic)) return slide(mnemonic);
  if (/^vrgather/.test(mnemonic)) return gather(mnemonic);
  if (/^vmv\dr\.v$/.test(mnemonic)) return wholeMove(mnemonic);
  if (mnemonic === "vcompress.vm") return COMPRESS;
  return MOVES.find((h) => h.name === mnemonic);
}

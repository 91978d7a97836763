/**
 * Random vector programs for the differential test: random vtypes and vls,
 * then random vector instructions that are legal under the current vtype
 * (register groups aligned, no forbidden overlaps, FP only at SEW >= 16,
 * widening and narrowing only where SEW*2 and LMUL*2 exist), on random
 * register, memory and scalar contents. The .rtz conversions are left out:
 * they crash QEMU 7.2.
 *
 * Data layout (offsets from s11 = 0x20000): x and f registers at 0x000 and
 * 0x100; scratch for loads and stores at 0x400-0x7ff (s10 points there; t2
 * holds the stride 8); the dump of x and f registers at 0x800 and 0x900; the v
 * registers at 0xa00 (32 * VLEN/8 bytes), loaded from there first and stored
 * back last. The program writes 0x400 to the end of the v registers to stdout.
 *
 * @module
 */

import { A, b, encode, i, s, u } from "./asm.ts";
import { prng } from "./random_programs.ts";
import { riscvElf } from "../util/elf_writer.ts";

const S11 = 27, S10 = 26, T0 = 5, T1 = 6, T2 = 7, T3 = 28, T4 = 29, T5 = 30, T6 = 31;
/** Where the v registers are, past the dumps of x and f. */
const V_REGS = 0xa00;
/** The number of bytes the program writes at a VLEN. */
export const vectorDumpSize = (vlen: number) => V_REGS - 0x400 + 4 * vlen;

type Rnd = (n: number) => number;
/** The vtype the generator tracks: log2 of SEW/8 and log2 of LMUL; and VLEN/8. */
interface Vt {
  sew: number;
  lmul: number;
  readonly vlenb: number;
}

const opv = (f6: number, vm: number, vs2: number, vs1: number, f3: number, vd: number) =>
  ((f6 << 26) | (vm << 25) | (vs2 << 20) | (vs1 << 15) | (f3 << 12) | (vd << 7) | 0x57) >>> 0;
/** A vector load (0x07) or store (0x27): nf-1, mop, vm, rs2/lumop, rs1, width, vd. */
const vmem = (
  op: number,
  nf: number,
  mop: number,
  vm: number,
  rs2: number,
  rs1: number,
  w: number,
  vd: number,
) =>
  ((nf << 29) | (mop << 26) | (vm << 25) | (rs2 << 20) | (rs1 << 15) | (w << 12) | (vd << 7) |
    op) >>> 0;
const WIDTH = [0, 5, 6, 7]; // the width field of EEW 8, 16, 32, 64

/** A register group of `size` registers, aligned. */
const group = (rnd: Rnd, size: number) => rnd(32 / size) * size;
/** Whether groups [a, a+n) and [b, b+m) overlap. */
const overlap = (a: number, n: number, b: number, m: number) => a < b + m && b < a + n;
/** A scalar source: a0..a7; an FP source f0..f31. */
const xsrc = (rnd: Rnd) => 10 + rnd(8);

/** OPI single-width: funct6 and forms (v, x, i). */
const OPI = [[0, "vxi"], [2, "vx"], [3, "xi"], [4, "vx"], [5, "vx"], [6, "vx"], [7, "vx"], [
  9,
  "vxi",
]]
  .concat([[10, "vxi"], [11, "vxi"], [0x20, "vxi"], [0x21, "vxi"], [0x22, "vx"], [0x23, "vx"]])
  .concat([[0x25, "vxi"], [0x27, "vx"], [0x28, "vxi"], [0x29, "vxi"], [0x2a, "vxi"], [
    0x2b,
    "vxi",
  ]]) as [
    number,
    string,
  ][];
/** OPM single-width (vv, vx). */
const OPM = [8, 9, 10, 11, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x29, 0x2b, 0x2d, 0x2f];
/** OPI compares (into a mask). */
const CMP = [[0x18, "vxi"], [0x19, "vxi"], [0x1a, "vx"], [0x1b, "vx"], [0x1c, "vxi"], [0x1d, "vxi"]]
  .concat([[0x1e, "xi"], [0x1f, "xi"]]) as [number, string][];
/** OPF single-width (vv, vf; `f` only: vf). */
const OPF = [[0, "vf"], [2, "vf"], [0x27, "f"], [4, "vf"], [6, "vf"], [8, "vf"], [9, "vf"]]
  .concat([[10, "vf"], [0x20, "vf"], [0x21, "f"], [0x24, "vf"], [0x28, "vf"], [0x29, "vf"]])
  .concat([[0x2a, "vf"], [0x2b, "vf"], [0x2c, "vf"], [0x2d, "vf"], [0x2e, "vf"], [0x2f, "vf"]]) as [
    number,
    string,
  ][];
const FCMP = [[0x18, "vf"], [0x19, "vf"], [0x1b, "vf"], [0x1c, "vf"], [0x1d, "f"], [0x1f, "f"]] as [
  number,
  string,
][];

/** One random vector instruction legal under `vt` (or a vsetvli). */
function vectorInsn(rnd: Rnd, vt: Vt): number[] {
  const g = 2 ** Math.max(vt.lmul, 0), fp = vt.sew >= 1, canWiden = vt.sew < 3 && vt.lmul < 3;
  let vm = rnd(2);
  const vd = group(rnd, g), vs2 = group(rnd, g), vs1 = group(rnd, g);
  const mvm = (d: number) => (d === 0 ? 1 : vm); // a masked op may not write v0
  const pickForm = (forms: string) => forms[rnd(forms.length)];
  const arith = (f6: number, form: string, f3: Record<string, number>, d = vd) => {
    const src = form === "i" ? rnd(32) : form === "v" ? vs1 : form === "f" ? rnd(32) : xsrc(rnd);
    return opv(f6, mvm(d), vs2, src, f3[form], d);
  };
  const I3 = { v: 0, x: 4, i: 3 }, M3 = { v: 2, x: 6 }, F3 = { v: 1, f: 5 };
  switch (rnd(fp ? 16 : 11)) {
    case 0: {
      const [f6, forms] = OPI[rnd(OPI.length)];
      return fromVstart(rnd, arith(f6, pickForm(forms), I3));
    }
    case 1:
      return fromVstart(rnd, arith(OPM[rnd(OPM.length)], pickForm("vx"), M3));
    case 2: { // compares: a mask destination outside the sources
      const [f6, forms] = CMP[rnd(CMP.length)];
      let d = rnd(32);
      while (overlap(d, 1, vs2, g) || overlap(d, 1, vs1, g)) d = rnd(32);
      vm = d === 0 ? 1 : vm;
      return [arith(f6, pickForm(forms), I3, d)];
    }
    case 3: { // widening (OPM 0x30-0x3f): vd is 2*LMUL, apart from the sources
      if (!canWiden) return [];
      const wide = opmWide(rnd), d = group(rnd, 2 * g), w = wide >= 0x34 && wide <= 0x37;
      const s2 = w ? group(rnd, 2 * g) : vs2;
      if (overlap(d, 2 * g, s2, w ? 2 * g : g) && !(w && d === s2) || overlap(d, 2 * g, vs1, g)) {
        return [];
      }
      const form = wide === 0x3e ? "x" : pickForm("vx");
      return [opv(wide, mvm(d), s2, form === "v" ? vs1 : xsrc(rnd), M3[form as "v"], d)];
    }
    case 4: { // narrowing shifts and clips (OPI 0x2c-0x2f): vs2 is 2*LMUL
      if (!canWiden) return [];
      const s2 = group(rnd, 2 * g);
      // QEMU 7.2 refuses a narrowing destination inside its source (the spec allows the low part).
      if (overlap(vd, g, s2, 2 * g)) return [];
      const form = pickForm("vxi");
      const src = form === "v" ? vs1 : form === "i" ? rnd(32) : xsrc(rnd);
      return [opv(0x2c + rnd(4), mvm(vd), s2, src, I3[form as "v"], vd)];
    }
    case 5: // integer reductions (OPM 0-7), and the widening sums (OPI 0x30, 0x31)
      if (rnd(4) === 0 && vt.sew < 3) return [opv(0x30 + rnd(2), vm, vs2, rnd(32), 0, rnd(32))];
      return [opv(rnd(8), vm, vs2, rnd(32), 2, rnd(32))];
    case 6: // mask logic, vcpop/vfirst/vmv.x.s into a0..a5, vmv.s.x, vid
      return [maskOrMove(rnd, g)];
    case 7: { // slides (OPI 0x0e/0x0f vx/vi, OPM vslide1 vx) and gathers (OPI 0x0c); more
      if (rnd(3) === 0) return permutation(rnd, vt, g);
      if (overlap(vd, g, vs2, g) || overlap(vd, g, vs1, g)) return [];
      const kind = rnd(3);
      if (kind === 0) {
        return [opv(0x0e + rnd(2), mvm(vd), vs2, rnd(2) ? rnd(32) : xsrc(rnd), rnd(2) ? 3 : 4, vd)];
      }
      if (kind === 1) return [opv(0x0e + rnd(2), mvm(vd), vs2, xsrc(rnd), 6, vd)];
      return [arith(0x0c, pickForm("vxi"), I3)];
    }
    case 8: { // merges and moves (OPI 0x17), add/subtract with carry (OPI 0x10, 0x12)
      const vv = rnd(2) === 1, src = vv ? vs1 : xsrc(rnd), f3 = vv ? 0 : 4;
      if (rnd(2)) return [opv(0x17, 1, 0, src, f3, vd)];
      if (vd === 0) return [];
      return [opv(rnd(2) ? 0x17 : rnd(2) ? 0x10 : 0x12, 0, vs2, src, f3, vd)];
    }
    case 9: // loads and stores at s10 (memoryInsn); vleff at the end of memory
      if (rnd(5) === 0) return faultOnlyFirst(rnd, vt, vd);
      if (rnd(4) === 0) return [wholeOrMask(rnd)];
      return memoryInsn(rnd, vt).flatMap((insn) => fromVstart(rnd, insn));
    case 10:
      return vset(rnd, vt);
    case 11: {
      const [f6, forms] = OPF[rnd(OPF.length)];
      return [arith(f6, pickForm(forms), F3)];
    }
    case 12: { // FP compares
      const [f6, forms] = FCMP[rnd(FCMP.length)];
      let d = rnd(32);
      while (overlap(d, 1, vs2, g) || overlap(d, 1, vs1, g)) d = rnd(32);
      vm = d === 0 ? 1 : vm;
      return [arith(f6, pickForm(forms), F3, d)];
    }
    case 13: // FP unary (VFUNARY0 single-width, VFUNARY1) and reductions
      if (rnd(2)) return [opv(rnd(4) * 2 + 1, vm, vs2, rnd(32), 1, rnd(32))];
      if (rnd(2)) return [opv(0x12, mvm(vd), vs2, rnd(4), 1, vd)]; // vfcvt (not .rtz)
      return [opv(0x13, mvm(vd), vs2, [0, 4, 5, 16][rnd(4)], 1, vd)]; // sqrt, estimates, class
    case 14: // FP widening (0x30-0x3f) and widening/narrowing conversions
      return fpWide(rnd, vt, g, vd, vs2, vs1);
    default: // FP moves: vfmv.f.s, vfmv.s.f, vfmv.v.f, vfmerge, vfslide1up/down
      return [fpMove(rnd, vd, vs2, g)];
  }
}

/**
 * `insn`, one time in six with vstart set to 1..7 when that is below vl (QEMU 7.2 leaves vstart
 * as it is when vstart >= vl; the spec and Denemu reset it): it starts there, as after a trap,
 * elements below vstart keeping their values. Uses t5 and t6. A jump follows: QEMU 7.2 reads
 * vstart when it translates a block (its csrw ends the one before), and would refuse a
 * reduction later in the block as if vstart were still not 0.
 */
function fromVstart(rnd: Rnd, insn: number): number[] {
  if (rnd(6) !== 0) return [insn];
  return [
    i(0xc20, 0, 2, T6, 0x73), // csrr t6, vl
    i(1 + rnd(7), 0, 0, T5, 0x13), // li t5, 1..7
    b(8, T6, T5, 6), // bltu t5, t6, 1f
    i(0, 0, 0, T5, 0x13), // li t5, 0
    A.csr(1, 0, 0x008, T5), // 1: csrw vstart, t5
    insn,
    A.jal(0, 4),
  ];
}

/**
 * vcompress.vm, viota.m, vmv<nr>r.v, vzext/vsext.vf2/4/8 or vrgatherei16.vv, with register groups
 * that do not overlap where the spec (or QEMU 7.2) forbids it; none after a vstart (vcompress
 * needs vstart 0).
 */
function permutation(rnd: Rnd, vt: Vt, g: number): number[] {
  const vd = group(rnd, g), vs2 = group(rnd, g), vm = vd === 0 ? 1 : rnd(2);
  switch (rnd(5)) {
    case 0: { // vcompress.vm vd, vs2, vs1: vd apart from both
      const vs1 = rnd(32);
      if (overlap(vd, g, vs2, g) || overlap(vd, g, vs1, 1)) return [];
      return [opv(0x17, 1, vs2, vs1, 2, vd)];
    }
    case 1: { // viota.m vd, vs2: vd apart from the mask vs2
      const m = rnd(32);
      return overlap(vd, g, m, 1) ? [] : [opv(0x14, vm, m, 0x10, 2, vd)];
    }
    case 2: { // vmv<nr>r.v
      const nr = 2 ** rnd(4), d = group(rnd, nr), s2 = group(rnd, nr);
      return [opv(0x27, 1, s2, nr - 1, 3, d)];
    }
    case 3: { // vzext/vsext.vf<f>: source EEW SEW/f, EMUL LMUL/f, apart from vd
      const f = 1 + rnd(3), gs = 2 ** Math.max(vt.lmul - f, 0), s2 = group(rnd, gs);
      if (vt.sew < f || vt.lmul - f < -3 || overlap(vd, g, s2, gs)) return [];
      return [opv(0x12, vm, s2, 2 * (4 - f) + rnd(2), 2, vd)];
    }
    default: { // vrgatherei16.vv: indices EEW 16, EMUL 16/SEW * LMUL
      const ei = vt.lmul + 1 - vt.sew, gi = 2 ** Math.max(ei, 0), vs1 = group(rnd, gi);
      if (ei > 3 || ei < -3 || overlap(vd, g, vs2, g) || overlap(vd, g, vs1, gi)) return [];
      return [opv(0x0e, vm, vs2, vs1, 0, vd)];
    }
  }
}

function opmWide(rnd: Rnd): number {
  const ops = [
    0x30,
    0x31,
    0x32,
    0x33,
    0x34,
    0x35,
    0x36,
    0x37,
    0x38,
    0x3a,
    0x3b,
    0x3c,
    0x3d,
    0x3e,
    0x3f,
  ];
  return ops[rnd(ops.length)];
}

function maskOrMove(rnd: Rnd, g: number): number {
  const d = rnd(32), s2 = rnd(32), s1 = rnd(32);
  switch (rnd(5)) {
    case 0:
      return opv(0x18 + rnd(8), 1, s2, s1, 2, d);
    case 1: { // vmv.x.s (unmasked only), vcpop.m, vfirst.m
      const sel = [0, 0x10, 0x11][rnd(3)];
      return opv(0x10, sel === 0 ? 1 : rnd(2), s2, sel, 2, 10 + rnd(6));
    }
    case 2:
      return opv(0x10, 1, 0, xsrc(rnd), 6, d);
    case 3: { // vmsbf/vmsif/vmsof: vd apart from vs2 and (masked) v0
      const dd = d === s2 ? (d + 1) % 32 : d;
      return opv(0x14, dd === 0 ? 1 : rnd(2), s2, [1, 2, 3][rnd(3)], 2, dd);
    }
    default: { // vid.v
      const dd = group(rnd, g);
      return opv(0x14, dd === 0 ? 1 : rnd(2), 0, 0x11, 2, dd);
    }
  }
}

/**
 * A load or store of EEW = SEW at s10: unit-stride or strided (stride 8, at most 32 elements, to
 * stay in the scratch area), of 1 to 8 fields (segments; the group of nf * LMUL registers stays
 * in v0-v31), or indexed (ordered or not) by the bytes of a group (ei8: offsets 0-255) that the
 * data group does not overlap.
 */
function memoryInsn(rnd: Rnd, vt: Vt): number[] {
  const g = 2 ** Math.max(vt.lmul, 0), nf = 1 + (rnd(2) ? rnd(8 / g) : 0);
  const vd = rnd(Math.floor((32 - nf * g) / g) + 1) * g;
  const store = rnd(2), vm = vd === 0 && !store ? 1 : rnd(2);
  const op = store ? 0x27 : 0x07, width = WIDTH[vt.sew];
  const kind = rnd(3);
  if (kind === 2) { // indexed by bytes: their group has EMUL = LMUL * 8 / SEW
    const gi = 2 ** Math.max(vt.lmul - vt.sew, 0), vi = group(rnd, gi);
    if (overlap(vd, nf * g, vi, gi) || (!store && vm === 0 && vi === 0)) return [];
    return [vmem(op, nf - 1, rnd(2) ? 3 : 1, vm, vi, S10, 0, vd)];
  }
  const strided = kind === 1 && vt.vlenb * 2 ** vt.lmul / 2 ** vt.sew <= 32;
  return [vmem(op, nf - 1, strided ? 2 : 0, vm, strided ? T2 : 0, S10, width, vd)];
}

/**
 * A whole-register load (vl1re8-vl8re64) or store (vs1r-vs8r), or a mask load or store (vlm.v,
 * vsm.v), at s10: at most 8 * VLEN/8 bytes.
 */
function wholeOrMask(rnd: Rnd): number {
  const store = rnd(2), op = store ? 0x27 : 0x07;
  if (rnd(4) === 0) return vmem(op, 0, 0, 1, 11, S10, 0, rnd(32)); // vlm.v / vsm.v
  const nf = 2 ** rnd(4), vd = group(rnd, nf);
  return vmem(op, nf - 1, 0, 1, 8, S10, store ? 0 : WIDTH[rnd(4)], vd);
}

/** The size of the program's data: its end is where memory ends (the next page is unmapped). */
const dataSize = (vlenb: number) => Math.ceil((V_REGS + 32 * vlenb) / 0x1000) * 0x1000;

/**
 * A fault-only-first load of EEW = SEW from 1 to 24 elements before the end of the data: the
 * element past it faults, so vl shrinks to the elements before (when vl was larger). Uses t5.
 * A jump follows: QEMU 7.2 goes on in the same block with what it knew of vl when it translated
 * it, and would compute a following instruction over all of VLMAX.
 */
function faultOnlyFirst(rnd: Rnd, vt: Vt, vd: number): number[] {
  const back = (1 + rnd(24)) << vt.sew, vm = vd === 0 ? 1 : rnd(2);
  return [
    ...li(T5, 0x20000 + dataSize(vt.vlenb) - back),
    vmem(0x07, 0, 0, vm, 16, T5, WIDTH[vt.sew], vd),
    A.jal(0, 4),
  ];
}

function vset(rnd: Rnd, vt: Vt): number[] {
  vt.sew = rnd(4);
  const lmuls = [-3, -2, -1, 0, 1, 2, 3].filter((l) => l >= vt.sew - 3);
  vt.lmul = lmuls[rnd(lmuls.length)];
  const vtype = (rnd(4) << 6) | (vt.sew << 3) | (vt.lmul & 7);
  if (rnd(3) === 0) return [i(vtype, 0, 7, T3, 0x57)]; // vsetvli t3, x0: VLMAX
  return [((3 << 30) | (vtype << 20) | (rnd(32) << 15) | (7 << 12) | (T3 << 7) | 0x57) >>> 0];
}

function fpWide(rnd: Rnd, vt: Vt, g: number, vd: number, vs2: number, vs1: number): number[] {
  if (vt.sew === 3 || vt.lmul === 3) return [];
  const d = group(rnd, 2 * g);
  if (rnd(3) === 0) { // conversions: widening (vs1 8-12) or narrowing (16-21)
    const narrow = rnd(2), s2 = narrow ? group(rnd, 2 * g) : vs2, dd = narrow ? vd : d;
    // QEMU 7.2 refuses a narrowing destination inside its source (the spec allows the low part).
    if (narrow ? overlap(dd, g, s2, 2 * g) : overlap(dd, 2 * g, s2, g)) return [];
    const sel = narrow ? 16 + rnd(6) : 8 + rnd(5);
    return [opv(0x12, dd === 0 ? 1 : rnd(2), s2, sel, 1, dd)];
  }
  const ops = [0x30, 0x32, 0x34, 0x36, 0x38, 0x3c, 0x3d, 0x3e, 0x3f, 0x31, 0x33];
  const f6 = ops[rnd(ops.length)], w = f6 === 0x34 || f6 === 0x36, red = f6 === 0x31 || f6 === 0x33;
  if (red) return [opv(f6, rnd(2), vs2, rnd(32), 1, rnd(32))];
  const s2 = w ? group(rnd, 2 * g) : vs2;
  if (overlap(d, 2 * g, s2, w ? 2 * g : g) && !(w && d === s2) || overlap(d, 2 * g, vs1, g)) {
    return [];
  }
  const vf = rnd(2);
  return [opv(f6, d === 0 ? 1 : rnd(2), s2, vf ? rnd(32) : vs1, vf ? 5 : 1, d)];
}

function fpMove(rnd: Rnd, vd: number, vs2: number, g: number): number {
  switch (rnd(4)) {
    case 0:
      return opv(0x10, 1, rnd(32), 0, 1, rnd(32)); // vfmv.f.s
    case 1:
      return opv(0x10, 1, 0, rnd(32), 5, rnd(32)); // vfmv.s.f
    case 2: { // vfmv.v.f (vm = 1, vs2 = 0), vfmerge.vfm (vm = 0, vd not v0)
      const merge = vd !== 0 && rnd(2) === 1;
      return opv(0x17, merge ? 0 : 1, merge ? vs2 : 0, rnd(32), 5, vd);
    }
    default:
      if (overlap(vd, g, vs2, g)) return opv(0x17, 1, 0, rnd(32), 5, vd);
      return opv(0x0e + rnd(2), vd === 0 ? 1 : rnd(2), vs2, rnd(32), 5, vd);
  }
}

/** `rd = value` for a value below 2^31, by lui and addi. */
function li(rd: number, value: number): number[] {
  const hi = (value + 0x800) >> 12;
  return [u(hi, rd, 0x37), i(value - (hi << 12), rd, 0, rd, 0x13)];
}

/**
 * The program of `seed` as an ELF file: `length` random steps, for a machine with VLEN `vlen`.
 *
 * @example
 * ```ts ignore
 * await Deno.writeFile("prog", vectorProgram(1, 120, 256));
 * ```
 */
export function vectorProgram(seed: number, length: number, vlen = 128): Uint8Array {
  const rnd = prng(seed * 2246822519);
  const vlenb = vlen / 8;
  const data = new Uint8Array(dataSize(vlenb));
  for (let k = 0; k < data.length; k++) data[k] = rnd(256);
  const dv = new DataView(data.buffer);
  for (let k = 0; k < 32; k++) if (rnd(3) === 0) dv.setBigInt64(8 * k, BigInt(rnd(64)) - 8n, true);
  const code: number[] = [u(0x20, S11, 0x37)];
  for (let k = 1; k < 32; k++) if (k !== S11) code.push(i(8 * k, S11, 3, k, 0x03));
  for (let k = 0; k < 32; k++) code.push(A.fld(k, S11, 0x100 + 8 * k));
  code.push(i(0x400, S11, 0, S10, 0x13), i(8, 0, 0, T2, 0x13), A.csr(5, 0, 0x002, rnd(5)));
  code.push(A.csr(5, 0, 0x00a, rnd(4))); // vxrm
  const vRegs = [i(0x7ff, S11, 0, T4, 0x13), i(V_REGS - 0x7ff, T4, 0, T4, 0x13)]; // t4 = s11 + V_REGS
  code.push(...vRegs, i(0xc3, 0, 7, T3, 0x57)); // vsetvli t3, x0, e8, m8
  for (let k = 0; k < 4; k++) {
    code.push(vmem(0x07, 7, 0, 1, 8, T4, 0, 8 * k), i(8 * vlenb, T4, 0, T4, 0x13)); // vl8re8
  }
  const vt: Vt = { sew: 0, lmul: 0, vlenb };
  code.push(...vset(rnd, vt));
  for (let k = 0; k < length; k++) code.push(...vectorInsn(rnd, vt));
  code.push(i(0xc20, 0, 2, T0, 0x73), i(0xc21, 0, 2, T1, 0x73), i(0x00f, 0, 2, T2, 0x73));
  code.push(i(0x003, 0, 2, T3, 0x73));
  code.push(i(0x7ff, S11, 0, T4, 0x13), i(1, T4, 0, T4, 0x13)); // t4 = s11 + 0x800
  for (let k = 0; k < 32; k++) code.push(s(8 * k, k, T4, 3, 0x23));
  code.push(i(0x100, T4, 0, T4, 0x13));
  for (let k = 0; k < 32; k++) code.push(s(8 * k, k, T4, 3, 0x27)); // fsd at 0x900
  code.push(...vRegs);
  for (let k = 0; k < 4; k++) {
    code.push(vmem(0x27, 7, 0, 1, 8, T4, 0, 8 * k), i(8 * vlenb, T4, 0, T4, 0x13)); // vs8r
  }
  code.push(
    i(64, 0, 0, 17, 0x13),
    i(1, 0, 0, 10, 0x13),
    i(0x400, S11, 0, 11, 0x13),
    ...li(12, vectorDumpSize(vlen)),
    A.ecall,
    i(93, 0, 0, 17, 0x13),
    i(0, 0, 0, 10, 0x13),
    A.ecall,
  );
  return riscvElf(encode(code), data);
}

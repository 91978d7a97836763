/**
 * RISC-V register, rounding-mode and CSR names, as the assembler spells them.
 *
 * @module
 */

/**
 * ABI names of x0..x31.
 *
 * @example
 * ```ts
 * import { GPR_ABI_NAMES } from "./names.ts";
 * console.log(GPR_ABI_NAMES[2]); // "sp"
 * ```
 */
export const GPR_ABI_NAMES: readonly string[] = [
  "zero",
  "ra",
  "sp",
  "gp",
  "tp",
  "t0",
  "t1",
  "t2",
  "s0",
  "s1",
  "a0",
  "a1",
  "a2",
  "a3",
  "a4",
  "a5",
  "a6",
  "a7",
  "s2",
  "s3",
  "s4",
  "s5",
  "s6",
  "s7",
  "s8",
  "s9",
  "s10",
  "s11",
  "t3",
  "t4",
  "t5",
  "t6",
]; // deno-fmt-ignore

/**
 * ABI names of f0..f31.
 *
 * @example
 * ```ts
 * import { FPR_ABI_NAMES } from "./names.ts";
 * console.log(FPR_ABI_NAMES[10]); // "fa0"
 * ```
 */
export const FPR_ABI_NAMES: readonly string[] = [
  "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7",
  "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5",
  "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
  "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
]; // deno-fmt-ignore

/**
 * Rounding-mode names by rm value (5 and 6 are reserved; objdump prints them as `unknown`).
 *
 * @example
 * ```ts
 * import { ROUNDING_MODE_NAMES } from "./names.ts";
 * console.log(ROUNDING_MODE_NAMES[1]); // "rtz"
 * ```
 */
export const ROUNDING_MODE_NAMES: readonly string[] = [
  "rne", "rtz", "rdn", "rup", "rmm", "unknown", "unknown", "dyn",
]; // deno-fmt-ignore

/**
 * Standard CSR names, compactly: `number:name`, where `name[a..b]` is a run of
 * numbered CSRs at consecutive numbers and a trailing `h` marks RV32 high halves.
 */
const CSR_NAME_SPEC = `
  0x1:fflags 0x2:frm 0x3:fcsr 0x8:vstart 0x9:vxsat 0xa:vxrm 0xf:vcsr 0x15:seed
  0x100:sstatus 0x104:sie 0x105:stvec 0x106:scounteren 0x10a:senvcfg 0x10c:sstateen[0..3]
  0x114:sieh 0x140:sscratch 0x141:sepc 0x142:scause 0x143:stval 0x144:sip 0x14d:stimecmp
  0x150:siselect 0x151:sireg 0x154:siph 0x15c:stopei 0x15d:stimecmph 0x180:satp
  0x200:vsstatus 0x204:vsie 0x205:vstvec 0x214:vsieh 0x240:vsscratch 0x241:vsepc
  0x242:vscause 0x243:vstval 0x244:vsip 0x24d:vstimecmp 0x250:vsiselect 0x251:vsireg
  0x254:vsiph 0x25c:vstopei 0x25d:vstimecmph 0x280:vsatp
  0x300:mstatus 0x301:misa 0x302:medeleg 0x303:mideleg 0x304:mie 0x305:mtvec
  0x306:mcounteren 0x308:mvien 0x309:mvip 0x30a:menvcfg 0x30c:mstateen[0..3] 0x310:mstatush
  0x313:midelegh 0x314:mieh 0x318:mvienh 0x319:mviph 0x31a:menvcfgh 0x31c:mstateen[0..3]h
  0x320:mcountinhibit 0x323:mhpmevent[3..31] 0x340:mscratch 0x341:mepc 0x342:mcause
  0x343:mtval 0x344:mip 0x34a:mtinst 0x34b:mtval2 0x350:miselect 0x351:mireg 0x354:miph
  0x35c:mtopei 0x3a0:pmpcfg[0..15] 0x3b0:pmpaddr[0..63] 0x5a8:scontext
  0x600:hstatus 0x602:hedeleg 0x603:hideleg 0x604:hie 0x605:htimedelta 0x606:hcounteren
  0x607:hgeie 0x608:hvien 0x609:hvictl 0x60a:henvcfg 0x60c:hstateen[0..3] 0x613:hidelegh
  0x615:htimedeltah 0x618:hvienh 0x61a:henvcfgh 0x61c:hstateen[0..3]h 0x643:htval 0x644:hip
  0x645:hvip 0x646:hviprio[1..2] 0x64a:htinst 0x655:hviph 0x656:hviprio[1..2]h 0x680:hgatp
  0x6a8:hcontext 0x723:mhpmevent[3..31]h 0x747:mseccfg 0x757:mseccfgh
  0x7a0:tselect 0x7a1:tdata[1..3] 0x7a4:tinfo 0x7a5:tcontrol 0x7a8:mcontext 0x7aa:mscontext
  0x7b0:dcsr 0x7b1:dpc 0x7b2:dscratch[0..1]
  0xb00:mcycle 0xb02:minstret 0xb03:mhpmcounter[3..31] 0xb80:mcycleh 0xb82:minstreth
  0xb83:mhpmcounter[3..31]h 0xc00:cycle 0xc01:time 0xc02:instret 0xc03:hpmcounter[3..31]
  0xc20:vl 0xc21:vtype 0xc22:vlenb 0xc80:cycleh 0xc81:timeh 0xc82:instreth
  0xc83:hpmcounter[3..31]h 0xda0:scountovf 0xdb0:stopi 0xe12:hgeip 0xeb0:vstopi
  0xf11:mvendorid 0xf12:marchid 0xf13:mimpid 0xf14:mhartid 0xf15:mconfigptr 0xfb0:mtopi
`;

function parseCsrNames(spec: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const item of spec.trim().split(/\s+/)) {
    const [num, name] = item.split(":");
    const run = /^(\w+?)\[(\d+)\.\.(\d+)\](h?)$/.exec(name);
    if (!run) {
      names.set(Number(num), name);
      continue;
    }
    const [, prefix, from, to, high] = run;
    for (let i = Number(from); i <= Number(to); i++) {
      names.set(Number(num) + i - Number(from), `${prefix}${i}${high}`);
    }
  }
  return names;
}

let names: ReadonlyMap<number, string> | undefined;

/**
 * Standard CSR names by number (as binutils knows them), built at the first
 * call: only disassembly needs them, and building them was 2 ms of every
 * start-up.
 *
 * @example
 * ```ts
 * import { csrNames } from "./names.ts";
 * console.log(csrNames().get(0x300)); // "mstatus"
 * ```
 */
export function csrNames(): ReadonlyMap<number, string> {
  return names ??= parseCsrNames(CSR_NAME_SPEC);
}

/**
 * The assembler name of CSR `num`, or its hex number.
 *
 * @example
 * ```ts
 * import { csrName } from "./names.ts";
 * console.log(csrName(3), csrName(0x7c0)); // "fcsr 0x7c0"
 * ```
 */
export function csrName(num: number): string {
  return csrNames().get(num) ?? `0x${num.toString(16)}`;
}

/**
 * The vector extension's encodings (V 1.0) in decodetree syntax, appended to
 * the 32-bit table. The arithmetic part is generated from a list of
 * (funct6, name, forms) because every instruction comes in up to three
 * operand forms with the same funct6: `.vv` (funct3 OPIVV/OPMVV), `.vx`
 * (OPIVX/OPMVX) and `.vi` (OPIVI). Every pattern has the tag `V`.
 *
 * Forms: `v` `.vv`, `x` `.vx`, `i` `.vi`, `u` `.vi` with an unsigned
 * immediate, `s` `.vs` (reductions), `w` narrowing (`.wv`), `r` the
 * multiply-adds (printed `vd, vs1, vs2`).
 *
 * Operand order in `!asm=` is objdump's: `vd, vs2, vs1` for most, `vd, vs1,
 * vs2` for the multiply-adds; `vm:vm` prints `v0.t` when masked.
 *
 * @example
 * ```ts
 * import { INSN_RVV_DECODE } from "./insn_rvv.decode.ts";
 * console.log(INSN_RVV_DECODE.includes("vadd.vi")); // true
 * ```
 *
 * @module
 */

/** funct3 of the OPI (integer) and OPM (multiply, mask, reduction) operand forms. */
const FUNCT3 = {
  I: { vv: "000", vx: "100", vi: "011" },
  M: { vv: "010", vx: "110" },
} as const;

/**
 * The OPI instructions: funct6, name, forms (`v` vv, `x` vx, `i` vi, `u` vi
 * with an unsigned immediate), and `w` for narrowing names (`.wv`).
 */
const OPI = `
000000 vadd vxi
000010 vsub vx
000011 vrsub xi
000100 vminu vx
000101 vmin vx
000110 vmaxu vx
000111 vmax vx
001001 vand vxi
001010 vor vxi
001011 vxor vxi
001100 vrgather vxu
001110 vslideup xu
001111 vslidedown xu
011000 vmseq vxi
011001 vmsne vxi
011010 vmsltu vx
011011 vmslt vx
011100 vmsleu vxi
011101 vmsle vxi
011110 vmsgtu xi
011111 vmsgt xi
100000 vsaddu vxi
100001 vsadd vxi
100010 vssubu vx
100011 vssub vx
100101 vsll vxu
100111 vsmul vx
101000 vsrl vxu
101001 vsra vxu
101010 vssrl vxu
101011 vssra vxu
101100 vnsrl vxuw
101101 vnsra vxuw
101110 vnclipu vxuw
101111 vnclip vxuw
110000 vwredsumu s
110001 vwredsum s
`;

/** The OPM instructions (forms as OPI's; `r` marks the multiply-adds, printed vd, vs1, vs2). */
const OPM = `
000000 vredsum s
000001 vredand s
000010 vredor s
000011 vredxor s
000100 vredminu s
000101 vredmin s
000110 vredmaxu s
000111 vredmax s
001000 vaaddu vx
001001 vaadd vx
001010 vasubu vx
001011 vasub vx
001110 vslide1up x
001111 vslide1down x
100000 vdivu vx
100001 vdiv vx
100010 vremu vx
100011 vrem vx
100100 vmulhu vx
100101 vmul vx
100110 vmulhsu vx
100111 vmulh vx
101001 vmadd vxr
101011 vnmsub vxr
101101 vmacc vxr
101111 vnmsac vxr
110000 vwaddu vx
110001 vwadd vx
110010 vwsubu vx
110011 vwsub vx
110100 vwaddu.w vx
110101 vwadd.w vx
110110 vwsubu.w vx
110111 vwsub.w vx
111000 vwmulu vx
111010 vwmulsu vx
111011 vwmul vx
111100 vwmaccu vxr
111101 vwmacc vxr
111110 vwmaccus xr
111111 vwmaccsu vxr
`;

/** The OPF instructions (`f`: the `.vf` form, funct3 OPFVF). */
const OPF = `
000000 vfadd vf
000001 vfredusum s
000010 vfsub vf
000011 vfredosum s
000100 vfmin vf
000101 vfredmin s
000110 vfmax vf
000111 vfredmax s
001000 vfsgnj vf
001001 vfsgnjn vf
001010 vfsgnjx vf
001110 vfslide1up f
001111 vfslide1down f
011000 vmfeq vf
011001 vmfle vf
011011 vmflt vf
011100 vmfne vf
011101 vmfgt f
011111 vmfge f
100000 vfdiv vf
100001 vfrdiv f
100100 vfmul vf
100111 vfrsub f
101000 vfmadd vfr
101001 vfnmadd vfr
101010 vfmsub vfr
101011 vfnmsub vfr
101100 vfmacc vfr
101101 vfnmacc vfr
101110 vfmsac vfr
101111 vfnmsac vfr
110000 vfwadd vf
110001 vfwredusum s
110010 vfwsub vf
110011 vfwredosum s
110100 vfwadd.w vf
110110 vfwsub.w vf
111000 vfwmul vf
111100 vfwmacc vfr
111101 vfwnmacc vfr
111110 vfwmsac vfr
111111 vfwnmsac vfr
`;

/** The VFUNARY0 (funct6 010010) and VFUNARY1 (010011) instructions, by their vs1 selector. */
const FP_UNARY_LINES = `
010010 00000 vfcvt.xu.f.v
010010 00001 vfcvt.x.f.v
010010 00010 vfcvt.f.xu.v
010010 00011 vfcvt.f.x.v
010010 00110 vfcvt.rtz.xu.f.v
010010 00111 vfcvt.rtz.x.f.v
010010 01000 vfwcvt.xu.f.v
010010 01001 vfwcvt.x.f.v
010010 01010 vfwcvt.f.xu.v
010010 01011 vfwcvt.f.x.v
010010 01100 vfwcvt.f.f.v
010010 01110 vfwcvt.rtz.xu.f.v
010010 01111 vfwcvt.rtz.x.f.v
010010 10000 vfncvt.xu.f.w
010010 10001 vfncvt.x.f.w
010010 10010 vfncvt.f.xu.w
010010 10011 vfncvt.f.x.w
010010 10100 vfncvt.f.f.w
010010 10101 vfncvt.rod.f.f.w
010010 10110 vfncvt.rtz.xu.f.w
010010 10111 vfncvt.rtz.x.f.w
010011 00000 vfsqrt.v
010011 00100 vfrsqrt7.v
010011 00101 vfrec7.v
010011 10000 vfclass.v
`;

/** The decode lines of the FP list and the FP unary instructions. */
function fpLines(): string[] {
  const lines: string[] = [];
  for (const line of OPF.trim().split("\n")) {
    const [funct6, name, forms] = line.split(" ");
    const madd = forms.includes("r");
    const [base, w] = name.endsWith(".w") ? [name.slice(0, -2), "w"] : [name, "v"];
    const at = (f3: string, fmt: string, mnemonic: string) =>
      lines.push(`${mnemonic} ${funct6} . ..... ..... ${f3} ..... 1010111 ${fmt} V`);
    if (forms.includes("s")) at("001", "@vv", `${base}.vs`);
    if (forms.includes("v")) at("001", madd ? "@vmadd_vv" : "@vv", `${base}.${w}v`);
    if (forms.includes("f")) at("101", madd ? "@vmadd_vf" : "@vf", `${base}.${w}f`);
  }
  for (const line of FP_UNARY_LINES.trim().split("\n")) {
    const [funct6, vs1, name] = line.split(" ");
    lines.push(`${name} ${funct6} . ..... ${vs1} 001 ..... 1010111 @vunary V`);
  }
  return lines;
}

/** The decode lines of one arithmetic list. */
function arithmeticLines(list: string, kind: "I" | "M"): string[] {
  const lines: string[] = [];
  for (const line of list.trim().split("\n")) {
    const [funct6, name, forms] = line.split(" ");
    const narrow = forms.includes("w"), madd = forms.includes("r");
    const [base, w] = name.endsWith(".w") ? [name.slice(0, -2), "w"] : [name, narrow ? "w" : "v"];
    const emit = (form: "vv" | "vx" | "vi", format: string) => {
      const f3 = (FUNCT3[kind] as Record<string, string>)[form];
      const mnemonic = `${base}.${w}${form[1]}`;
      lines.push(`${mnemonic} ${funct6} . ..... ..... ${f3} ..... 1010111 ${format} V`);
    };
    if (forms.includes("s")) {
      lines.push(`${base}.vs ${funct6} . ..... ..... ${FUNCT3[kind].vv} ..... 1010111 @vv V`);
    }
    if (forms.includes("v")) emit("vv", madd ? "@vmadd_vv" : "@vv");
    if (forms.includes("x")) emit("vx", madd ? "@vmadd_vx" : "@vx");
    if (forms.includes("i")) emit("vi", "@vi");
    if (forms.includes("u")) emit("vi", "@vu");
  }
  return lines;
}

/** Unit-stride, strided and indexed loads and stores for each element width. */
function memoryLines(): string[] {
  const lines: string[] = [];
  const widths = [["8", "000"], ["16", "101"], ["32", "110"], ["64", "111"]];
  for (const [eew, f3] of widths) {
    for (let nf = 1; nf <= 8; nf++) {
      const nfBits = (nf - 1).toString(2).padStart(3, "0"), seg = nf === 1 ? "" : `seg${nf}`;
      lines.push(`vl${seg}e${eew}.v ${nfBits} 0 00 . 00000 ..... ${f3} ..... 0000111 @vl V`);
      lines.push(`vl${seg}e${eew}ff.v ${nfBits} 0 00 . 10000 ..... ${f3} ..... 0000111 @vl V`);
      lines.push(`vs${seg}e${eew}.v ${nfBits} 0 00 . 00000 ..... ${f3} ..... 0100111 @vl V`);
      lines.push(`vls${seg}e${eew}.v ${nfBits} 0 10 . ..... ..... ${f3} ..... 0000111 @vls V`);
      lines.push(`vss${seg}e${eew}.v ${nfBits} 0 10 . ..... ..... ${f3} ..... 0100111 @vls V`);
      for (const [mop, order] of [["01", "u"], ["11", "o"]]) {
        const name = `${seg}ei${eew}.v`;
        lines.push(
          `vl${order}x${name} ${nfBits} 0 ${mop} . ..... ..... ${f3} ..... 0000111 @vlx V`,
        );
        lines.push(
          `vs${order}x${name} ${nfBits} 0 ${mop} . ..... ..... ${f3} ..... 0100111 @vlx V`,
        );
      }
    }
    for (const nf of [1, 2, 4, 8]) {
      const nfBits = (nf - 1).toString(2).padStart(3, "0");
      lines.push(`vl${nf}re${eew}.v ${nfBits} 0 00 1 01000 ..... ${f3} ..... 0000111 @vlr V`);
      if (eew === "8") {
        lines.push(`vs${nf}r.v ${nfBits} 0 00 1 01000 ..... 000 ..... 0100111 @vlr V`);
      }
    }
  }
  lines.push("vlm.v 000 0 00 1 01011 ..... 000 ..... 0000111 @vlr V");
  lines.push("vsm.v 000 0 00 1 01011 ..... 000 ..... 0100111 @vlr V");
  return lines;
}

/**
 * The vector table's text.
 *
 * @example
 * ```ts
 * import { INSN_RVV_DECODE } from "./insn_rvv.decode.ts";
 * console.log(INSN_RVV_DECODE.includes("vsetvli")); // true
 * ```
 */
export const INSN_RVV_DECODE = String.raw`
# V: vector extension
%simm5     15:s5
%zimm11    20:11
%zimm10    20:10
%vm        25:1
&rmrr      vm rd rs1 rs2
&vset      rd rs1 rs2
@vv       ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 %rs1 %rd      !asm=v:rd,v:rs2,v:rs1,vm:vm
@vx       ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 %rs1 %rd      !asm=v:rd,v:rs2,x:rs1,vm:vm
@vi       ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 rs1=%simm5 %rd !asm=v:rd,v:rs2,i:rs1,vm:vm
@vu       ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 %rs1 %rd      !asm=v:rd,v:rs2,u:rs1,vm:vm
@vmadd_vv ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 %rs1 %rd      !asm=v:rd,v:rs1,v:rs2,vm:vm
@vf       ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 %rs1 %rd      !asm=v:rd,v:rs2,f:rs1,vm:vm
@vmadd_vf ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 %rs1 %rd      !asm=v:rd,f:rs1,v:rs2,vm:vm
@vmadd_vx ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 %rs1 %rd      !asm=v:rd,x:rs1,v:rs2,vm:vm
@vvm      ...... 0 ..... ..... ... ..... ....... &rmrr vm=0 %rs2 %rs1 %rd    !asm=v:rd,v:rs2,v:rs1,v0
@vxm      ...... 0 ..... ..... ... ..... ....... &rmrr vm=0 %rs2 %rs1 %rd    !asm=v:rd,v:rs2,x:rs1,v0
@vim      ...... 0 ..... ..... ... ..... ....... &rmrr vm=0 %rs2 rs1=%simm5 %rd !asm=v:rd,v:rs2,i:rs1,v0
@vv1      ...... 1 ..... ..... ... ..... ....... &rmrr vm=1 %rs2 %rs1 %rd    !asm=v:rd,v:rs2,v:rs1
@vx1      ...... 1 ..... ..... ... ..... ....... &rmrr vm=1 %rs2 %rs1 %rd    !asm=v:rd,v:rs2,x:rs1
@vi1      ...... 1 ..... ..... ... ..... ....... &rmrr vm=1 %rs2 rs1=%simm5 %rd !asm=v:rd,v:rs2,i:rs1
@vmv_v    ...... 1 00000 ..... ... ..... ....... &rmrr vm=1 rs2=0 %rs1 %rd   !asm=v:rd,v:rs1
@vmv_x    ...... 1 00000 ..... ... ..... ....... &rmrr vm=1 rs2=0 %rs1 %rd   !asm=v:rd,x:rs1
@vmv_i    ...... 1 00000 ..... ... ..... ....... &rmrr vm=1 rs2=0 rs1=%simm5 %rd !asm=v:rd,i:rs1
@vl       ... ... vm:1 ..... ..... ... ..... ....... &rmrr %rs1 rs2=0 %rd  !asm=v:rd,a:rs1,vm:vm
@vls      ... ... vm:1 ..... ..... ... ..... ....... &rmrr %rs1 %rs2 %rd   !asm=v:rd,a:rs1,x:rs2,vm:vm
@vlx      ... ... vm:1 ..... ..... ... ..... ....... &rmrr %rs1 %rs2 %rd   !asm=v:rd,a:rs1,v:rs2,vm:vm
@vunary   ...... vm:1 ..... ..... ... ..... ....... &rmrr %rs2 rs1=0 %rd      !asm=v:rd,v:rs2,vm:vm
@vwhole   ...... 1 ..... ..... ... ..... ....... &rmrr vm=1 %rs2 rs1=0 %rd !asm=v:rd,v:rs2
@vlr      ... ... 1 ..... ..... ... ..... ....... &rmrr vm=1 %rs1 rs2=0 %rd !asm=v:rd,a:rs1

vsetvli  0 ........... ..... 111 ..... 1010111 &vset %rd %rs1 rs2=%zimm11 !asm=x:rd,x:rs1,vtype:rs2 V
vsetivli 11 .......... ..... 111 ..... 1010111 &vset %rd %rs1 rs2=%zimm10 !asm=x:rd,u:rs1,vtype:rs2 V
vsetvl   1000000 ..... ..... 111 ..... 1010111 &vset %rd %rs1 %rs2 !asm=x:rd,x:rs1,x:rs2 V
${arithmeticLines(OPI, "I").join("\n")}
${arithmeticLines(OPM, "M").join("\n")}
vadc.vvm   010000 0 ..... ..... 000 ..... 1010111 @vvm V
vadc.vxm   010000 0 ..... ..... 100 ..... 1010111 @vxm V
vadc.vim   010000 0 ..... ..... 011 ..... 1010111 @vim V
vmadc.vvm  010001 0 ..... ..... 000 ..... 1010111 @vvm V
vmadc.vxm  010001 0 ..... ..... 100 ..... 1010111 @vxm V
vmadc.vim  010001 0 ..... ..... 011 ..... 1010111 @vim V
vmadc.vv   010001 1 ..... ..... 000 ..... 1010111 @vv1 V
vmadc.vx   010001 1 ..... ..... 100 ..... 1010111 @vx1 V
vmadc.vi   010001 1 ..... ..... 011 ..... 1010111 @vi1 V
vsbc.vvm   010010 0 ..... ..... 000 ..... 1010111 @vvm V
vsbc.vxm   010010 0 ..... ..... 100 ..... 1010111 @vxm V
vmsbc.vvm  010011 0 ..... ..... 000 ..... 1010111 @vvm V
vmsbc.vxm  010011 0 ..... ..... 100 ..... 1010111 @vxm V
vmsbc.vv   010011 1 ..... ..... 000 ..... 1010111 @vv1 V
vmsbc.vx   010011 1 ..... ..... 100 ..... 1010111 @vx1 V
vmerge.vvm 010111 0 ..... ..... 000 ..... 1010111 @vvm V
vmerge.vxm 010111 0 ..... ..... 100 ..... 1010111 @vxm V
vmerge.vim 010111 0 ..... ..... 011 ..... 1010111 @vim V
vmv.v.v    010111 1 00000 ..... 000 ..... 1010111 @vmv_v V
vmv.v.x    010111 1 00000 ..... 100 ..... 1010111 @vmv_x V
vmv.v.i    010111 1 00000 ..... 011 ..... 1010111 @vmv_i V
vzext.vf8  010010 . ..... 00010 010 ..... 1010111 @vunary V
vsext.vf8  010010 . ..... 00011 010 ..... 1010111 @vunary V
vzext.vf4  010010 . ..... 00100 010 ..... 1010111 @vunary V
vsext.vf4  010010 . ..... 00101 010 ..... 1010111 @vunary V
vzext.vf2  010010 . ..... 00110 010 ..... 1010111 @vunary V
vsext.vf2  010010 . ..... 00111 010 ..... 1010111 @vunary V
${fpLines().join("\n")}
vfmv.f.s   010000 1 ..... 00000 001 ..... 1010111 &rmrr vm=1 %rs2 rs1=0 %rd !asm=f:rd,v:rs2 V
vfmv.s.f   010000 1 00000 ..... 101 ..... 1010111 &rmrr vm=1 rs2=0 %rs1 %rd !asm=v:rd,f:rs1 V
vfmerge.vfm 010111 0 ..... ..... 101 ..... 1010111 &rmrr vm=0 %rs2 %rs1 %rd !asm=v:rd,v:rs2,f:rs1,v0 V
vfmv.v.f   010111 1 00000 ..... 101 ..... 1010111 &rmrr vm=1 rs2=0 %rs1 %rd !asm=v:rd,f:rs1 V
vrgatherei16.vv 001110 . ..... ..... 000 ..... 1010111 @vv V
vmandn.mm  011000 1 ..... ..... 010 ..... 1010111 @vv1 V
vmand.mm   011001 1 ..... ..... 010 ..... 1010111 @vv1 V
vmor.mm    011010 1 ..... ..... 010 ..... 1010111 @vv1 V
vmxor.mm   011011 1 ..... ..... 010 ..... 1010111 @vv1 V
vmorn.mm   011100 1 ..... ..... 010 ..... 1010111 @vv1 V
vmnand.mm  011101 1 ..... ..... 010 ..... 1010111 @vv1 V
vmnor.mm   011110 1 ..... ..... 010 ..... 1010111 @vv1 V
vmxnor.mm  011111 1 ..... ..... 010 ..... 1010111 @vv1 V
vmv.x.s    010000 1 ..... 00000 010 ..... 1010111 &rmrr vm=1 %rs2 rs1=0 %rd !asm=x:rd,v:rs2 V
vcpop.m    010000 . ..... 10000 010 ..... 1010111 &rmrr vm=%vm %rs2 rs1=0 %rd !asm=x:rd,v:rs2,vm:vm V
vfirst.m   010000 . ..... 10001 010 ..... 1010111 &rmrr vm=%vm %rs2 rs1=0 %rd !asm=x:rd,v:rs2,vm:vm V
vmv.s.x    010000 1 00000 ..... 110 ..... 1010111 &rmrr vm=1 rs2=0 %rs1 %rd !asm=v:rd,x:rs1 V
vmsbf.m    010100 . ..... 00001 010 ..... 1010111 @vunary V
vmsof.m    010100 . ..... 00010 010 ..... 1010111 @vunary V
vmsif.m    010100 . ..... 00011 010 ..... 1010111 @vunary V
viota.m    010100 . ..... 10000 010 ..... 1010111 @vunary V
vid.v      010100 . 00000 10001 010 ..... 1010111 &rmrr vm=%vm rs2=0 rs1=0 %rd !asm=v:rd,vm:vm V
vcompress.vm 010111 1 ..... ..... 010 ..... 1010111 @vv1 V
vmv1r.v    100111 1 ..... 00000 011 ..... 1010111 @vwhole V
vmv2r.v    100111 1 ..... 00001 011 ..... 1010111 @vwhole V
vmv4r.v    100111 1 ..... 00011 011 ..... 1010111 @vwhole V
vmv8r.v    100111 1 ..... 00111 011 ..... 1010111 @vwhole V
${memoryLines().join("\n")}
`;

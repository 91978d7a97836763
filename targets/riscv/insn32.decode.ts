/**
 * The 32-bit RISC-V encodings (RV32/RV64 I, M, A, F, D, Zicsr, Zifencei, and
 * the optional Zfh, Zfhmin, Zicond, Zba, Zbb, Zbc, Zbs, Zbkb, Zbkc, Zbkx) in decodetree syntax (see
 * `core/decodetree/decodetree.ts`).
 *
 * Tags select patterns per CPU: `X` is extension X on both XLENs, `X64` is
 * RV64-only, `I32` is the RV32 form of an RV64 encoding (optional extensions
 * likewise: `Zbb`, `Zbb64`, `Zbb32`; `isa.ts` enables them; `Zbb|Zbkb` is in
 * either). `!trans=` (absent
 * here) names the translation function when it differs from the pattern name;
 * `!asm=` is the operand template the disassembler prints (see `disas.ts`).
 *
 * @example
 * ```ts
 * import { INSN32_DECODE } from "./insn32.decode.ts";
 * console.log(INSN32_DECODE.includes("addi")); // true
 * ```
 *
 * @module
 */

/**
 * The argument sets shared by the 32-bit and the compressed tables: a
 * compressed pattern fills the same set as the 32-bit instruction it expands
 * to, so both reach the same translation function.
 *
 * @example
 * ```ts
 * import { RISCV_ARG_SETS } from "./insn32.decode.ts";
 * console.log(RISCV_ARG_SETS.includes("&i       imm rs1 rd")); // true
 * ```
 */
export const RISCV_ARG_SETS = `
# Argument sets
&empty
&r       rd rs1 rs2
&i       imm rs1 rd
&s       imm rs1 rs2
&b       imm rs1 rs2
&u       imm rd
&j       imm rd
&csr     csr rs1 rd
&atomic  aq rl rs2 rs1 rd
&fence   pred succ
&r_rm    rd rs1 rs2 rm
&r2_rm   rd rs1 rm
&r4_rm   rd rs1 rs2 rs3 rm
`;

/**
 * The 32-bit encoding table.
 *
 * @example
 * ```ts
 * import { INSN32_DECODE } from "./insn32.decode.ts";
 * import { parseDecodeTree } from "../../plugin_target.ts";
 * import { RISCV_FIELD_FUNCTIONS } from "./decode.ts";
 * const table = parseDecodeTree(INSN32_DECODE, { width: 32, functions: RISCV_FIELD_FUNCTIONS });
 * ```
 */
export const INSN32_DECODE = String.raw`
# Fields
%rs3       27:5
%rs2       20:5
%rs1       15:5
%rd        7:5
%rm        12:3
%aq        26:1
%rl        25:1
%csr       20:12
%shamt     20:6
%imm_i     20:s12
%imm_s     25:s7 7:5
%imm_b     31:s1 7:1 25:6 8:4     !function=ex_shift_1
%imm_j     31:s1 12:8 20:1 21:10  !function=ex_shift_1
%imm_u     12:s20                 !function=ex_shift_12
%imm_cbop  25:s7                  !function=ex_shift_5

${RISCV_ARG_SETS}
# Formats (one per operand shape the disassembler prints)
@r        ....... ..... ..... ... ..... .......  &r  %rd %rs1 %rs2        !asm=x:rd,x:rs1,x:rs2
@sfence   ....... ..... ..... ... ..... .......  &r  rd=0 %rs1 %rs2       !asm=x:rs1,x:rs2
@i        ............ ..... ... ..... .......   &i  imm=%imm_i %rs1 %rd  !asm=x:rd,x:rs1,i:imm
@sh       ...... ...... ..... ... ..... .......  &i  imm=%shamt %rs1 %rd  !asm=x:rd,x:rs1,h:imm
@load     ............ ..... ... ..... .......   &i  imm=%imm_i %rs1 %rd  !asm=x:rd,m:imm:rs1
@fload    ............ ..... ... ..... .......   &i  imm=%imm_i %rs1 %rd  !asm=f:rd,m:imm:rs1
@store    ....... ..... ..... ... ..... .......  &s  imm=%imm_s %rs1 %rs2 !asm=x:rs2,m:imm:rs1
@fstore   ....... ..... ..... ... ..... .......  &s  imm=%imm_s %rs1 %rs2 !asm=f:rs2,m:imm:rs1
@b        ....... ..... ..... ... ..... .......  &b  imm=%imm_b %rs1 %rs2 !asm=x:rs1,x:rs2,p:imm
@u        .................... ..... .......     &u  imm=%imm_u %rd       !asm=x:rd,hi:imm
@j        .................... ..... .......     &j  imm=%imm_j %rd       !asm=x:rd,p:imm
@csr      ............ ..... ... ..... .......   &csr %csr %rs1 %rd       !asm=x:rd,csr:csr,x:rs1
@csri     ............ ..... ... ..... .......   &csr %csr %rs1 %rd       !asm=x:rd,csr:csr,u:rs1
@atom_ld  ..... . . ..... ..... ... ..... ....... &atomic %aq %rl rs2=0 %rs1 %rd !asm=.aqrl,x:rd,a:rs1
@atom_st  ..... . . ..... ..... ... ..... ....... &atomic %aq %rl %rs2 %rs1 %rd  !asm=.aqrl,x:rd,x:rs2,a:rs1
@r4_rm    ..... .. ..... ..... ... ..... .......  &r4_rm %rd %rs1 %rs2 %rs3 %rm !asm=f:rd,f:rs1,f:rs2,f:rs3,rm:rm
@r_rm     ....... ..... ..... ... ..... .......  &r_rm  %rd %rs1 %rs2 %rm  !asm=f:rd,f:rs1,f:rs2,rm:rm
@r2_rm    ....... ..... ..... ... ..... .......  &r2_rm %rd %rs1 %rm      !asm=f:rd,f:rs1,rm:rm
@r2_rm_xf ....... ..... ..... ... ..... .......  &r2_rm %rd %rs1 %rm      !asm=x:rd,f:rs1,rm:rm
@r2_rm_fx ....... ..... ..... ... ..... .......  &r2_rm %rd %rs1 %rm      !asm=f:rd,x:rs1,rm:rm
@r_fff    ....... ..... ..... ... ..... .......  &r  %rd %rs1 %rs2        !asm=f:rd,f:rs1,f:rs2
@r_xff    ....... ..... ..... ... ..... .......  &r  %rd %rs1 %rs2        !asm=x:rd,f:rs1,f:rs2
@r2_xf    ....... ..... ..... ... ..... .......  &r  %rd %rs1 rs2=0       !asm=x:rd,f:rs1
@r2       ....... ..... ..... ... ..... .......  &r  %rd %rs1 rs2=0       !asm=x:rd,x:rs1
@r2_fx    ....... ..... ..... ... ..... .......  &r  %rd %rs1 rs2=0       !asm=f:rd,x:rs1
@cbo      ....... ..... ..... ... ..... .......  &r  rd=0 %rs1 rs2=0       !asm=a:rs1
@prefetch ....... ..... ..... ... ..... .......  &i  imm=%imm_cbop %rs1 rd=0 !asm=m:imm:rs1

# RV32I / RV64I
lui      .................... ..... 0110111  @u      I
auipc    .................... ..... 0010111  @u      I
jal      .................... ..... 1101111  @j      I
jalr     ............ ..... 000 ..... 1100111 @load  I
beq      ....... ..... ..... 000 ..... 1100011 @b    I
bne      ....... ..... ..... 001 ..... 1100011 @b    I
blt      ....... ..... ..... 100 ..... 1100011 @b    I
bge      ....... ..... ..... 101 ..... 1100011 @b    I
bltu     ....... ..... ..... 110 ..... 1100011 @b    I
bgeu     ....... ..... ..... 111 ..... 1100011 @b    I
lb       ............ ..... 000 ..... 0000011 @load  I
lh       ............ ..... 001 ..... 0000011 @load  I
lw       ............ ..... 010 ..... 0000011 @load  I
ld       ............ ..... 011 ..... 0000011 @load  I64
lbu      ............ ..... 100 ..... 0000011 @load  I
lhu      ............ ..... 101 ..... 0000011 @load  I
lwu      ............ ..... 110 ..... 0000011 @load  I64
sb       ....... ..... ..... 000 ..... 0100011 @store I
sh       ....... ..... ..... 001 ..... 0100011 @store I
sw       ....... ..... ..... 010 ..... 0100011 @store I
sd       ....... ..... ..... 011 ..... 0100011 @store I64
addi     ............ ..... 000 ..... 0010011 @i     I
slti     ............ ..... 010 ..... 0010011 @i     I
sltiu    ............ ..... 011 ..... 0010011 @i     I
xori     ............ ..... 100 ..... 0010011 @i     I
{
  # Zicbop: prefetch hints are ORIs to x0
  prefetch.i ....... 00000 ..... 110 00000 0010011 @prefetch Zicbop
  prefetch.r ....... 00001 ..... 110 00000 0010011 @prefetch Zicbop
  prefetch.w ....... 00011 ..... 110 00000 0010011 @prefetch Zicbop
  ori      ............ ..... 110 ..... 0010011 @i     I
}
andi     ............ ..... 111 ..... 0010011 @i     I
slli     000000 ...... ..... 001 ..... 0010011 @sh   I64
srli     000000 ...... ..... 101 ..... 0010011 @sh   I64
srai     010000 ...... ..... 101 ..... 0010011 @sh   I64
slli     0000000 ..... ..... 001 ..... 0010011 @sh   I32
srli     0000000 ..... ..... 101 ..... 0010011 @sh   I32
srai     0100000 ..... ..... 101 ..... 0010011 @sh   I32
add      0000000 ..... ..... 000 ..... 0110011 @r    I
sub      0100000 ..... ..... 000 ..... 0110011 @r    I
sll      0000000 ..... ..... 001 ..... 0110011 @r    I
slt      0000000 ..... ..... 010 ..... 0110011 @r    I
sltu     0000000 ..... ..... 011 ..... 0110011 @r    I
xor      0000000 ..... ..... 100 ..... 0110011 @r    I
srl      0000000 ..... ..... 101 ..... 0110011 @r    I
sra      0100000 ..... ..... 101 ..... 0110011 @r    I
or       0000000 ..... ..... 110 ..... 0110011 @r    I
and      0000000 ..... ..... 111 ..... 0110011 @r    I
addiw    ............ ..... 000 ..... 0011011 @i     I64
slliw    0000000 ..... ..... 001 ..... 0011011 @sh   I64
srliw    0000000 ..... ..... 101 ..... 0011011 @sh   I64
sraiw    0100000 ..... ..... 101 ..... 0011011 @sh   I64
addw     0000000 ..... ..... 000 ..... 0111011 @r    I64
subw     0100000 ..... ..... 000 ..... 0111011 @r    I64
sllw     0000000 ..... ..... 001 ..... 0111011 @r    I64
srlw     0000000 ..... ..... 101 ..... 0111011 @r    I64
sraw     0100000 ..... ..... 101 ..... 0111011 @r    I64
{
  pause     0000 0001 0000 00000 000 00000 0001111 &empty !asm=           Zihintpause
  fence.tso 1000 0011 0011 ----- 000 ----- 0001111 &empty !asm=           I
  fence     ---- pred:4 succ:4 ----- 000 ----- 0001111 &fence !asm=fence:pred,fence:succ I
}
ecall    000000000000 00000 000 00000 1110011 &empty !asm=               I
ebreak   000000000001 00000 000 00000 1110011 &empty !asm=               I

# Privileged (system mode; user mode finds them illegal at privilege U)
mret       0011000 00010 00000 000 00000 1110011 &empty !asm=              Priv
sret       0001000 00010 00000 000 00000 1110011 &empty !asm=              Priv
wfi        0001000 00101 00000 000 00000 1110011 &empty !asm=              Priv
sfence.vma 0001001 ..... ..... 000 00000 1110011 @sfence Priv

# Zawrs: waits on a reservation set; one hart never waits
wrs.nto    000000001101 00000 000 00000 1110011 &empty !asm=              Zawrs
wrs.sto    000000011101 00000 000 00000 1110011 &empty !asm=              Zawrs

# Svinval: sinval.vma is sfence.vma; the two fences around it order nothing here
sinval.vma      0001011 ..... ..... 000 00000 1110011 @sfence !trans=sfence.vma Svinval
sfence.w.inval  0001100 00000 00000 000 00000 1110011 &empty  !asm=              Svinval
sfence.inval.ir 0001100 00001 00000 000 00000 1110011 &empty  !asm=              Svinval

# Zicbom, Zicboz: cache-block operations
cbo.inval 000000000000 ..... 010 00000 0001111 @cbo Zicbom
cbo.clean 000000000001 ..... 010 00000 0001111 @cbo Zicbom
cbo.flush 000000000010 ..... 010 00000 0001111 @cbo Zicbom
cbo.zero  000000000100 ..... 010 00000 0001111 @cbo Zicboz

# Zifencei
fence.i  ------------ ----- 001 ----- 0001111 &empty !asm=               Zifencei

# Zicsr
csrrw    ............ ..... 001 ..... 1110011 @csr   Zicsr
csrrs    ............ ..... 010 ..... 1110011 @csr   Zicsr
csrrc    ............ ..... 011 ..... 1110011 @csr   Zicsr
csrrwi   ............ ..... 101 ..... 1110011 @csri  Zicsr
csrrsi   ............ ..... 110 ..... 1110011 @csri  Zicsr
csrrci   ............ ..... 111 ..... 1110011 @csri  Zicsr

# M
mul      0000001 ..... ..... 000 ..... 0110011 @r    M
mulh     0000001 ..... ..... 001 ..... 0110011 @r    M
mulhsu   0000001 ..... ..... 010 ..... 0110011 @r    M
mulhu    0000001 ..... ..... 011 ..... 0110011 @r    M
div      0000001 ..... ..... 100 ..... 0110011 @r    M
divu     0000001 ..... ..... 101 ..... 0110011 @r    M
rem      0000001 ..... ..... 110 ..... 0110011 @r    M
remu     0000001 ..... ..... 111 ..... 0110011 @r    M
mulw     0000001 ..... ..... 000 ..... 0111011 @r    M64
divw     0000001 ..... ..... 100 ..... 0111011 @r    M64
divuw    0000001 ..... ..... 101 ..... 0111011 @r    M64
remw     0000001 ..... ..... 110 ..... 0111011 @r    M64
remuw    0000001 ..... ..... 111 ..... 0111011 @r    M64

# A
lr.w      00010 . . 00000 ..... 010 ..... 0101111 @atom_ld A
sc.w      00011 . . ..... ..... 010 ..... 0101111 @atom_st A
amoswap.w 00001 . . ..... ..... 010 ..... 0101111 @atom_st A
amoadd.w  00000 . . ..... ..... 010 ..... 0101111 @atom_st A
amoxor.w  00100 . . ..... ..... 010 ..... 0101111 @atom_st A
amoand.w  01100 . . ..... ..... 010 ..... 0101111 @atom_st A
amoor.w   01000 . . ..... ..... 010 ..... 0101111 @atom_st A
amomin.w  10000 . . ..... ..... 010 ..... 0101111 @atom_st A
amomax.w  10100 . . ..... ..... 010 ..... 0101111 @atom_st A
amominu.w 11000 . . ..... ..... 010 ..... 0101111 @atom_st A
amomaxu.w 11100 . . ..... ..... 010 ..... 0101111 @atom_st A
lr.d      00010 . . 00000 ..... 011 ..... 0101111 @atom_ld A64
sc.d      00011 . . ..... ..... 011 ..... 0101111 @atom_st A64
amoswap.d 00001 . . ..... ..... 011 ..... 0101111 @atom_st A64
amoadd.d  00000 . . ..... ..... 011 ..... 0101111 @atom_st A64
amoxor.d  00100 . . ..... ..... 011 ..... 0101111 @atom_st A64
amoand.d  01100 . . ..... ..... 011 ..... 0101111 @atom_st A64
amoor.d   01000 . . ..... ..... 011 ..... 0101111 @atom_st A64
amomin.d  10000 . . ..... ..... 011 ..... 0101111 @atom_st A64
amomax.d  10100 . . ..... ..... 011 ..... 0101111 @atom_st A64
amominu.d 11000 . . ..... ..... 011 ..... 0101111 @atom_st A64
amomaxu.d 11100 . . ..... ..... 011 ..... 0101111 @atom_st A64

# F
flw       ............ ..... 010 ..... 0000111 @fload  F
fsw       ....... ..... ..... 010 ..... 0100111 @fstore F
fmadd.s   ..... 00 ..... ..... ... ..... 1000011 @r4_rm F
fmsub.s   ..... 00 ..... ..... ... ..... 1000111 @r4_rm F
fnmsub.s  ..... 00 ..... ..... ... ..... 1001011 @r4_rm F
fnmadd.s  ..... 00 ..... ..... ... ..... 1001111 @r4_rm F
fadd.s    0000000 ..... ..... ... ..... 1010011 @r_rm  F
fsub.s    0000100 ..... ..... ... ..... 1010011 @r_rm  F
fmul.s    0001000 ..... ..... ... ..... 1010011 @r_rm  F
fdiv.s    0001100 ..... ..... ... ..... 1010011 @r_rm  F
fsqrt.s   0101100 00000 ..... ... ..... 1010011 @r2_rm F
fsgnj.s   0010000 ..... ..... 000 ..... 1010011 @r_fff F
fsgnjn.s  0010000 ..... ..... 001 ..... 1010011 @r_fff F
fsgnjx.s  0010000 ..... ..... 010 ..... 1010011 @r_fff F
fmin.s    0010100 ..... ..... 000 ..... 1010011 @r_fff F
fmax.s    0010100 ..... ..... 001 ..... 1010011 @r_fff F
fcvt.w.s  1100000 00000 ..... ... ..... 1010011 @r2_rm_xf F
fcvt.wu.s 1100000 00001 ..... ... ..... 1010011 @r2_rm_xf F
fmv.x.w   1110000 00000 ..... 000 ..... 1010011 @r2_xf F
feq.s     1010000 ..... ..... 010 ..... 1010011 @r_xff F
flt.s     1010000 ..... ..... 001 ..... 1010011 @r_xff F
fle.s     1010000 ..... ..... 000 ..... 1010011 @r_xff F
fclass.s  1110000 00000 ..... 001 ..... 1010011 @r2_xf F
fcvt.s.w  1101000 00000 ..... ... ..... 1010011 @r2_rm_fx F
fcvt.s.wu 1101000 00001 ..... ... ..... 1010011 @r2_rm_fx F
fmv.w.x   1111000 00000 ..... 000 ..... 1010011 @r2_fx F
fcvt.l.s  1100000 00010 ..... ... ..... 1010011 @r2_rm_xf F64
fcvt.lu.s 1100000 00011 ..... ... ..... 1010011 @r2_rm_xf F64
fcvt.s.l  1101000 00010 ..... ... ..... 1010011 @r2_rm_fx F64
fcvt.s.lu 1101000 00011 ..... ... ..... 1010011 @r2_rm_fx F64

# D
fld       ............ ..... 011 ..... 0000111 @fload  D
fsd       ....... ..... ..... 011 ..... 0100111 @fstore D
fmadd.d   ..... 01 ..... ..... ... ..... 1000011 @r4_rm D
fmsub.d   ..... 01 ..... ..... ... ..... 1000111 @r4_rm D
fnmsub.d  ..... 01 ..... ..... ... ..... 1001011 @r4_rm D
fnmadd.d  ..... 01 ..... ..... ... ..... 1001111 @r4_rm D
fadd.d    0000001 ..... ..... ... ..... 1010011 @r_rm  D
fsub.d    0000101 ..... ..... ... ..... 1010011 @r_rm  D
fmul.d    0001001 ..... ..... ... ..... 1010011 @r_rm  D
fdiv.d    0001101 ..... ..... ... ..... 1010011 @r_rm  D
fsqrt.d   0101101 00000 ..... ... ..... 1010011 @r2_rm D
fsgnj.d   0010001 ..... ..... 000 ..... 1010011 @r_fff D
fsgnjn.d  0010001 ..... ..... 001 ..... 1010011 @r_fff D
fsgnjx.d  0010001 ..... ..... 010 ..... 1010011 @r_fff D
fmin.d    0010101 ..... ..... 000 ..... 1010011 @r_fff D
fmax.d    0010101 ..... ..... 001 ..... 1010011 @r_fff D
fcvt.s.d  0100000 00001 ..... ... ..... 1010011 @r2_rm D
fcvt.d.s  0100001 00000 ..... ... ..... 1010011 @r2_rm D !asm=f:rd,f:rs1
feq.d     1010001 ..... ..... 010 ..... 1010011 @r_xff D
flt.d     1010001 ..... ..... 001 ..... 1010011 @r_xff D
fle.d     1010001 ..... ..... 000 ..... 1010011 @r_xff D
fclass.d  1110001 00000 ..... 001 ..... 1010011 @r2_xf D
fcvt.w.d  1100001 00000 ..... ... ..... 1010011 @r2_rm_xf D
fcvt.wu.d 1100001 00001 ..... ... ..... 1010011 @r2_rm_xf D
fcvt.d.w  1101001 00000 ..... ... ..... 1010011 @r2_rm_fx D !asm=f:rd,x:rs1
fcvt.d.wu 1101001 00001 ..... ... ..... 1010011 @r2_rm_fx D !asm=f:rd,x:rs1
fcvt.l.d  1100001 00010 ..... ... ..... 1010011 @r2_rm_xf D64
fcvt.lu.d 1100001 00011 ..... ... ..... 1010011 @r2_rm_xf D64
fmv.x.d   1110001 00000 ..... 000 ..... 1010011 @r2_xf D64
fcvt.d.l  1101001 00010 ..... ... ..... 1010011 @r2_rm_fx D64
fcvt.d.lu 1101001 00011 ..... ... ..... 1010011 @r2_rm_fx D64
fmv.d.x   1111001 00000 ..... 000 ..... 1010011 @r2_fx D64

# Zicond
czero.eqz 0000111 ..... ..... 101 ..... 0110011 @r  Zicond
czero.nez 0000111 ..... ..... 111 ..... 0110011 @r  Zicond

# Zfh (half precision); Zfhmin has its loads, stores, moves and conversions
flh       ............ ..... 001 ..... 0000111 @fload  Zfh|Zfhmin
fsh       ....... ..... ..... 001 ..... 0100111 @fstore Zfh|Zfhmin
fmv.x.h   1110010 00000 ..... 000 ..... 1010011 @r2_xf Zfh|Zfhmin
fmv.h.x   1111010 00000 ..... 000 ..... 1010011 @r2_fx Zfh|Zfhmin
fcvt.s.h  0100000 00010 ..... ... ..... 1010011 @r2_rm Zfh|Zfhmin !asm=f:rd,f:rs1
fcvt.h.s  0100010 00000 ..... ... ..... 1010011 @r2_rm Zfh|Zfhmin
fcvt.d.h  0100001 00010 ..... ... ..... 1010011 @r2_rm Zfh|Zfhmin !asm=f:rd,f:rs1
fcvt.h.d  0100010 00001 ..... ... ..... 1010011 @r2_rm Zfh|Zfhmin
fmadd.h   ..... 10 ..... ..... ... ..... 1000011 @r4_rm Zfh
fmsub.h   ..... 10 ..... ..... ... ..... 1000111 @r4_rm Zfh
fnmsub.h  ..... 10 ..... ..... ... ..... 1001011 @r4_rm Zfh
fnmadd.h  ..... 10 ..... ..... ... ..... 1001111 @r4_rm Zfh
fadd.h    0000010 ..... ..... ... ..... 1010011 @r_rm  Zfh
fsub.h    0000110 ..... ..... ... ..... 1010011 @r_rm  Zfh
fmul.h    0001010 ..... ..... ... ..... 1010011 @r_rm  Zfh
fdiv.h    0001110 ..... ..... ... ..... 1010011 @r_rm  Zfh
fsqrt.h   0101110 00000 ..... ... ..... 1010011 @r2_rm Zfh
fsgnj.h   0010010 ..... ..... 000 ..... 1010011 @r_fff Zfh
fsgnjn.h  0010010 ..... ..... 001 ..... 1010011 @r_fff Zfh
fsgnjx.h  0010010 ..... ..... 010 ..... 1010011 @r_fff Zfh
fmin.h    0010110 ..... ..... 000 ..... 1010011 @r_fff Zfh
fmax.h    0010110 ..... ..... 001 ..... 1010011 @r_fff Zfh
fcvt.w.h  1100010 00000 ..... ... ..... 1010011 @r2_rm_xf Zfh
fcvt.wu.h 1100010 00001 ..... ... ..... 1010011 @r2_rm_xf Zfh
feq.h     1010010 ..... ..... 010 ..... 1010011 @r_xff Zfh
flt.h     1010010 ..... ..... 001 ..... 1010011 @r_xff Zfh
fle.h     1010010 ..... ..... 000 ..... 1010011 @r_xff Zfh
fclass.h  1110010 00000 ..... 001 ..... 1010011 @r2_xf Zfh
fcvt.h.w  1101010 00000 ..... ... ..... 1010011 @r2_rm_fx Zfh
fcvt.h.wu 1101010 00001 ..... ... ..... 1010011 @r2_rm_fx Zfh
fcvt.l.h  1100010 00010 ..... ... ..... 1010011 @r2_rm_xf Zfh64
fcvt.lu.h 1100010 00011 ..... ... ..... 1010011 @r2_rm_xf Zfh64
fcvt.h.l  1101010 00010 ..... ... ..... 1010011 @r2_rm_fx Zfh64
fcvt.h.lu 1101010 00011 ..... ... ..... 1010011 @r2_rm_fx Zfh64

# Zba
sh1add    0010000 ..... ..... 010 ..... 0110011 @r  Zba
sh2add    0010000 ..... ..... 100 ..... 0110011 @r  Zba
sh3add    0010000 ..... ..... 110 ..... 0110011 @r  Zba
add.uw    0000100 ..... ..... 000 ..... 0111011 @r  Zba64
sh1add.uw 0010000 ..... ..... 010 ..... 0111011 @r  Zba64
sh2add.uw 0010000 ..... ..... 100 ..... 0111011 @r  Zba64
sh3add.uw 0010000 ..... ..... 110 ..... 0111011 @r  Zba64
slli.uw   000010 ...... ..... 001 ..... 0011011 @sh Zba64

# Zbb (Zbkb, the crypto subset, shares its logic, rotations and rev8; zext.h is
# pack/packw with rs2 = x0, so it is tried first)
andn      0100000 ..... ..... 111 ..... 0110011 @r  Zbb|Zbkb
orn       0100000 ..... ..... 110 ..... 0110011 @r  Zbb|Zbkb
xnor      0100000 ..... ..... 100 ..... 0110011 @r  Zbb|Zbkb
clz       0110000 00000 ..... 001 ..... 0010011 @r2 Zbb
ctz       0110000 00001 ..... 001 ..... 0010011 @r2 Zbb
cpop      0110000 00010 ..... 001 ..... 0010011 @r2 Zbb
sext.b    0110000 00100 ..... 001 ..... 0010011 @r2 Zbb
sext.h    0110000 00101 ..... 001 ..... 0010011 @r2 Zbb
max       0000101 ..... ..... 110 ..... 0110011 @r  Zbb
maxu      0000101 ..... ..... 111 ..... 0110011 @r  Zbb
min       0000101 ..... ..... 100 ..... 0110011 @r  Zbb
minu      0000101 ..... ..... 101 ..... 0110011 @r  Zbb
rol       0110000 ..... ..... 001 ..... 0110011 @r  Zbb|Zbkb
ror       0110000 ..... ..... 101 ..... 0110011 @r  Zbb|Zbkb
orc.b     0010100 00111 ..... 101 ..... 0010011 @r2 Zbb
{
zext.h    0000100 00000 ..... 100 ..... 0110011 @r2 Zbb32
pack      0000100 ..... ..... 100 ..... 0110011 @r  Zbkb
}
rev8      0110100 11000 ..... 101 ..... 0010011 @r2 Zbb32|Zbkb32
rori      0110000 ..... ..... 101 ..... 0010011 @sh Zbb32|Zbkb32
{
zext.h    0000100 00000 ..... 100 ..... 0111011 @r2 Zbb64
packw     0000100 ..... ..... 100 ..... 0111011 @r  Zbkb64
}
rev8      0110101 11000 ..... 101 ..... 0010011 @r2 Zbb64|Zbkb64
rori      011000 ...... ..... 101 ..... 0010011 @sh Zbb64|Zbkb64
clzw      0110000 00000 ..... 001 ..... 0011011 @r2 Zbb64
ctzw      0110000 00001 ..... 001 ..... 0011011 @r2 Zbb64
cpopw     0110000 00010 ..... 001 ..... 0011011 @r2 Zbb64
rolw      0110000 ..... ..... 001 ..... 0111011 @r  Zbb64|Zbkb64
rorw      0110000 ..... ..... 101 ..... 0111011 @r  Zbb64|Zbkb64
roriw     0110000 ..... ..... 101 ..... 0011011 @sh Zbb64|Zbkb64

# Zbkb's own
packh     0000100 ..... ..... 111 ..... 0110011 @r  Zbkb
brev8     0110100 00111 ..... 101 ..... 0010011 @r2 Zbkb
zip       0000100 01111 ..... 001 ..... 0010011 @r2 Zbkb32
unzip     0000100 01111 ..... 101 ..... 0010011 @r2 Zbkb32

# Zbc (Zbkc has clmul and clmulh)
clmul     0000101 ..... ..... 001 ..... 0110011 @r  Zbc|Zbkc
clmulr    0000101 ..... ..... 010 ..... 0110011 @r  Zbc
clmulh    0000101 ..... ..... 011 ..... 0110011 @r  Zbc|Zbkc

# Zbkx (crossbar permutations)
xperm4    0010100 ..... ..... 010 ..... 0110011 @r  Zbkx
xperm8    0010100 ..... ..... 100 ..... 0110011 @r  Zbkx

# Zbs (the immediate forms take a 5-bit shift amount on RV32)
bclr      0100100 ..... ..... 001 ..... 0110011 @r  Zbs
bext      0100100 ..... ..... 101 ..... 0110011 @r  Zbs
binv      0110100 ..... ..... 001 ..... 0110011 @r  Zbs
bset      0010100 ..... ..... 001 ..... 0110011 @r  Zbs
bclri     010010 ...... ..... 001 ..... 0010011 @sh Zbs64
bexti     010010 ...... ..... 101 ..... 0010011 @sh Zbs64
binvi     011010 ...... ..... 001 ..... 0010011 @sh Zbs64
bseti     001010 ...... ..... 001 ..... 0010011 @sh Zbs64
bclri     0100100 ..... ..... 001 ..... 0010011 @sh Zbs32
bexti     0100100 ..... ..... 101 ..... 0010011 @sh Zbs32
binvi     0110100 ..... ..... 001 ..... 0010011 @sh Zbs32
bseti     0010100 ..... ..... 001 ..... 0010011 @sh Zbs32
`;

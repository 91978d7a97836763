/**
 * The compressed (C extension) RISC-V encodings in decodetree syntax.
 *
 * Each pattern carries its `c.` name (what the disassembler prints) and
 * `!trans=` names the 32-bit instruction it expands to: the arguments fill the
 * same argument set, so translation reuses the 32-bit translation function.
 * Reserved encodings are `illegal` patterns placed first in their group.
 *
 * Tags: `C` both XLENs, `C64` RV64-only, `C32` RV32-only, `CD` needs D,
 * `CF32` RV32 with F (c.flw and friends, which RV64 uses for c.ld/c.sd).
 *
 * @example
 * ```ts
 * import { INSN16_DECODE } from "./insn16.decode.ts";
 * console.log(INSN16_DECODE.includes("c.addi4spn")); // true
 * ```
 *
 * @module
 */

import { RISCV_ARG_SETS } from "./insn32.decode.ts";

/**
 * The 16-bit encoding table.
 *
 * @example
 * ```ts
 * import { INSN16_DECODE } from "./insn16.decode.ts";
 * import { parseDecodeTree } from "../../plugin_target.ts";
 * import { RISCV_FIELD_FUNCTIONS } from "./decode.ts";
 * const table = parseDecodeTree(INSN16_DECODE, { width: 16, functions: RISCV_FIELD_FUNCTIONS });
 * ```
 */
export const INSN16_DECODE = String.raw`
# Fields
%rd            7:5
%rs1_3         7:3                      !function=ex_rvc_register
%rs2_3         2:3                      !function=ex_rvc_register
%rs2_5         2:5
%imm_ci        12:s1 2:5
%shimm_6       12:1 2:5
%nzuimm_ciw    7:4 11:2 5:1 6:1         !function=ex_shift_2
%uimm_cl_d     5:2 10:3                 !function=ex_shift_3
%uimm_cl_w     5:1 10:3 6:1             !function=ex_shift_2
%imm_cb        12:s1 5:2 2:1 10:2 3:2   !function=ex_shift_1
%imm_cj        12:s1 8:1 9:2 6:1 7:1 2:1 11:1 3:3  !function=ex_shift_1
%imm_addi16sp  12:s1 3:2 5:1 2:1 6:1    !function=ex_shift_4
%imm_lui       12:s1 2:5                !function=ex_shift_12
%uimm_6bit_ld  2:3 12:1 5:2             !function=ex_shift_3
%uimm_6bit_lw  2:2 12:1 4:3             !function=ex_shift_2
%uimm_6bit_sd  7:3 10:3                 !function=ex_shift_3
%uimm_6bit_sw  7:2 9:4                  !function=ex_shift_2

${RISCV_ARG_SETS}
# Formats
@ciw        &i  imm=%nzuimm_ciw  rs1=2         rd=%rs2_3   !asm=x:rd,x:rs1,i:imm
@cl_d       &i  imm=%uimm_cl_d   rs1=%rs1_3    rd=%rs2_3   !asm=x:rd,m:imm:rs1
@cl_w       &i  imm=%uimm_cl_w   rs1=%rs1_3    rd=%rs2_3   !asm=x:rd,m:imm:rs1
@cs_d       &s  imm=%uimm_cl_d   rs1=%rs1_3    rs2=%rs2_3  !asm=x:rs2,m:imm:rs1
@cs_w       &s  imm=%uimm_cl_w   rs1=%rs1_3    rs2=%rs2_3  !asm=x:rs2,m:imm:rs1
@ci         &i  imm=%imm_ci      rs1=%rd       rd=%rd      !asm=x:rd,i:imm
@c_li       &i  imm=%imm_ci      rs1=0         rd=%rd      !asm=x:rd,i:imm
@c_addi16sp &i  imm=%imm_addi16sp rs1=2        rd=2        !asm=x:rd,i:imm
@c_lui      &u  imm=%imm_lui     rd=%rd                    !asm=x:rd,hi:imm
@c_shift    &i  imm=%shimm_6     rs1=%rs1_3    rd=%rs1_3   !asm=x:rd,h:imm
@c_andi     &i  imm=%imm_ci      rs1=%rs1_3    rd=%rs1_3   !asm=x:rd,i:imm
@cs_2       &r  rd=%rs1_3        rs1=%rs1_3    rs2=%rs2_3  !asm=x:rd,x:rs2
@cj         &j  imm=%imm_cj                                !asm=p:imm
@cb_z       &b  imm=%imm_cb      rs1=%rs1_3    rs2=0       !asm=x:rs1,p:imm
@c_shift2   &i  imm=%shimm_6     rs1=%rd       rd=%rd      !asm=x:rd,h:imm
@c_ldsp     &i  imm=%uimm_6bit_ld rs1=2        rd=%rd      !asm=x:rd,m:imm:rs1
@c_lwsp     &i  imm=%uimm_6bit_lw rs1=2        rd=%rd      !asm=x:rd,m:imm:rs1
@c_sdsp     &s  imm=%uimm_6bit_sd rs1=2        rs2=%rs2_5  !asm=x:rs2,m:imm:rs1
@c_swsp     &s  imm=%uimm_6bit_sw rs1=2        rs2=%rs2_5  !asm=x:rs2,m:imm:rs1
@c_jalr     &i  imm=0            rs1=%rd                   !asm=x:rs1
@c_mv       &r  rd=%rd           rs1=0         rs2=%rs2_5  !asm=x:rd,x:rs2
@c_add      &r  rd=%rd           rs1=%rd       rs2=%rs2_5  !asm=x:rd,x:rs2

# Quadrant 0
{
  illegal    000 00000000 --- 00                                    C # nzuimm 0, incl. 0x0000
  c.addi4spn 000 ........ ... 00  @ciw   !trans=addi                C
}
c.fld        001 ... ... .. ... 00  @cl_d  !trans=fld  !asm=f:rd,m:imm:rs1   CD
c.lw         010 ... ... .. ... 00  @cl_w  !trans=lw                         C
c.ld         011 ... ... .. ... 00  @cl_d  !trans=ld                         C64
c.flw        011 ... ... .. ... 00  @cl_w  !trans=flw  !asm=f:rd,m:imm:rs1   CF32
c.fsd        101 ... ... .. ... 00  @cs_d  !trans=fsd  !asm=f:rs2,m:imm:rs1  CD
c.sw         110 ... ... .. ... 00  @cs_w  !trans=sw                         C
c.sd         111 ... ... .. ... 00  @cs_d  !trans=sd                         C64
c.fsw        111 ... ... .. ... 00  @cs_w  !trans=fsw  !asm=f:rs2,m:imm:rs1  CF32

# Quadrant 1
c.addi       000 . ..... ..... 01   @ci    !trans=addi                       C
c.jal        001 ........... 01     @cj    rd=1  !trans=jal                  C32
{
  illegal    001 - 00000 ----- 01                                            C64 # rd 0
  c.addiw    001 . ..... ..... 01   @ci    !trans=addiw                      C64
}
c.li         010 . ..... ..... 01   @c_li  !trans=addi                       C
{
  illegal    011 0 ----- 00000 01                                            C # nzimm 0
  c.addi16sp 011 . 00010 ..... 01   @c_addi16sp  !trans=addi                 C
  c.lui      011 . ..... ..... 01   @c_lui !trans=lui                        C
}
{
  c.srli64   100 0 00 ... 00000 01  @c_shift !trans=srli !asm=x:rd           C # shamt 0: a HINT
  c.srli     100 . 00 ... ..... 01  @c_shift !trans=srli                     C64
  c.srli     100 0 00 ... ..... 01  @c_shift !trans=srli                     C32
}
{
  c.srai64   100 0 01 ... 00000 01  @c_shift !trans=srai !asm=x:rd           C # shamt 0: a HINT
  c.srai     100 . 01 ... ..... 01  @c_shift !trans=srai                     C64
  c.srai     100 0 01 ... ..... 01  @c_shift !trans=srai                     C32
}
c.andi       100 . 10 ... ..... 01  @c_andi  !trans=andi                     C
c.sub        100 0 11 ... 00 ... 01 @cs_2  !trans=sub                        C
c.xor        100 0 11 ... 01 ... 01 @cs_2  !trans=xor                        C
c.or         100 0 11 ... 10 ... 01 @cs_2  !trans=or                         C
c.and        100 0 11 ... 11 ... 01 @cs_2  !trans=and                        C
c.subw       100 1 11 ... 00 ... 01 @cs_2  !trans=subw                       C64
c.addw       100 1 11 ... 01 ... 01 @cs_2  !trans=addw                       C64
c.j          101 ........... 01     @cj    rd=0  !trans=jal                  C
c.beqz       110 ... ... ..... 01   @cb_z  !trans=beq                        C
c.bnez       111 ... ... ..... 01   @cb_z  !trans=bne                        C

# Quadrant 2
{
  c.slli64   000 0 ..... 00000 10   @c_shift2 !trans=slli !asm=x:rd          C # shamt 0: a HINT
  c.slli     000 . ..... ..... 10   @c_shift2 !trans=slli                    C64
  c.slli     000 0 ..... ..... 10   @c_shift2 !trans=slli                    C32
}
c.fldsp      001 . ..... ..... 10   @c_ldsp !trans=fld !asm=f:rd,m:imm:rs1   CD
{
  illegal    010 - 00000 ----- 10                                            C # rd 0
  c.lwsp     010 . ..... ..... 10   @c_lwsp !trans=lw                        C
}
{
  illegal    011 - 00000 ----- 10                                            C64 # rd 0
  c.ldsp     011 . ..... ..... 10   @c_ldsp !trans=ld                        C64
}
c.flwsp      011 . ..... ..... 10   @c_lwsp !trans=flw !asm=f:rd,m:imm:rs1   CF32
{
  illegal    100 0 00000 00000 10                                            C # c.jr x0
  c.jr       100 0 ..... 00000 10   @c_jalr rd=0  !trans=jalr                C
  c.mv       100 0 ..... ..... 10   @c_mv   !trans=add                       C
}
{
  c.ebreak   100 1 00000 00000 10   &empty  !trans=ebreak !asm=              C
  c.jalr     100 1 ..... 00000 10   @c_jalr rd=1  !trans=jalr                C
  c.add      100 1 ..... ..... 10   @c_add  !trans=add                       C
}
c.fsdsp      101 ...... ..... 10    @c_sdsp !trans=fsd !asm=f:rs2,m:imm:rs1  CD
c.swsp       110 ...... ..... 10    @c_swsp !trans=sw                        C
c.sdsp       111 ...... ..... 10    @c_sdsp !trans=sd                        C64
c.fswsp      111 ...... ..... 10    @c_swsp !trans=fsw !asm=f:rs2,m:imm:rs1  CF32
`;

# RV32GC-specific instruction forms, for the disassembler differential test
# (the rest of the ISA is shared with rv64gc_forms.S).
        .text
        .globl  _start
_start:
        .option push
        .option norvc
        slli    a0, a1, 31
        srli    a0, a1, 1
        srai    a0, a1, 17
        lw      a0, -4(sp)
        sw      a1, 2047(a0)
        mulh    a0, a1, a2
        mulhu   a0, a1, a2
        div     a0, a1, a2
        lr.w    a0, (a1)
        sc.w.aqrl a0, a2, (a1)
        amoadd.w a0, a1, (a2)
        csrrs   a0, cycleh, zero
        csrrs   a0, timeh, zero
        csrrs   a0, instreth, zero
        fcvt.w.s a0, fa0, rtz
        fcvt.s.wu fa0, a0
        fcvt.d.w fa0, a0
        fcvt.wu.d a0, fa1, rmm
        fmv.x.w a0, fa0
        fmv.w.x fa0, a0
        jal     ra, _start
        lui     a0, 0xfffff
        auipc   a0, 0x80000
        .option pop
        c.jal   _start
        c.j     _start
        c.flw   fa0, 4(a1)
        c.flw   fs1, 124(a5)
        c.flwsp fa0, 4(sp)
        c.flwsp ft0, 252(sp)
        c.fsw   fa0, 4(a1)
        c.fswsp fa0, 252(sp)
        c.fld   fa0, 8(a1)
        c.fsd   fa0, 248(a1)
        c.fldsp fa0, 504(sp)
        c.fsdsp fa0, 8(sp)
        c.lw    a0, 0(a1)
        c.sw    a0, 124(a1)
        c.lwsp  ra, 12(sp)
        c.swsp  ra, 12(sp)
        c.srli  a0, 31
        c.srai  a1, 1
        c.slli  a0, 31
        c.addi  a0, 1
        c.li    a1, -32
        c.lui   a2, 0x1
        c.addi16sp sp, 16
        c.addi4spn a0, sp, 4
        c.mv    a0, a1
        c.add   a0, a1
        c.sub   a0, a1
        c.jr    ra
        c.jalr  t0
        c.ebreak

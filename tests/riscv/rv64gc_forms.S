# Every RV64GC instruction form, for the disassembler differential test.
# 32-bit forms are assembled with RVC disabled so the assembler does not
# compress them; compressed forms follow in their own section.
        .text
        .globl  _start
_start:
        .option push
        .option norvc
# RV64I
        lui     a0, 0x12345
        lui     t6, 0xfffff
        auipc   s1, 0x1
        auipc   a0, 0xfffff
        jal     ra, _start
        jal     zero, 1f
1:      jalr    ra, 0(a5)
        jalr    zero, -4(t0)
        jalr    a1, 2047(a2)
        beq     a0, zero, _start
        bne     a1, a2, 2f
        blt     s0, s1, _start
        bge     t0, t1, 2f
        bltu    a3, a4, _start
        bgeu    a5, a6, 2f
2:      lb      a0, -2048(sp)
        lh      a1, 2047(gp)
        lw      a2, 0(tp)
        ld      a3, 8(s0)
        lbu     a4, -1(s1)
        lhu     a5, 16(a0)
        lwu     a6, 32(a1)
        sb      a0, -2048(sp)
        sh      a1, 2047(gp)
        sw      a2, 0(tp)
        sd      a3, 8(s0)
        addi    a0, a1, -1
        addi    zero, zero, 0
        slti    a0, a1, 100
        sltiu   a0, a1, -100
        xori    a0, a1, -1
        ori     a0, a1, 0x7ff
        andi    a0, a1, 0xf
        slli    a0, a1, 63
        srli    a0, a1, 1
        srai    a0, a1, 32
        add     a0, a1, a2
        sub     s2, s3, s4
        sll     s5, s6, s7
        slt     s8, s9, s10
        sltu    s11, t3, t4
        xor     t5, t6, zero
        srl     ra, sp, gp
        sra     tp, t0, t1
        or      t2, s0, s1
        and     a0, a1, a2
        addiw   a0, a1, -5
        slliw   a0, a1, 31
        srliw   a0, a1, 0
        sraiw   a0, a1, 17
        addw    a0, a1, a2
        subw    a0, a1, a2
        sllw    a0, a1, a2
        srlw    a0, a1, a2
        sraw    a0, a1, a2
        fence
        fence   rw, w
        fence   r, r
        fence   io, o
        fence.tso
        fence.i
        ecall
        ebreak
# M
        mul     a0, a1, a2
        mulh    a0, a1, a2
        mulhsu  a0, a1, a2
        mulhu   a0, a1, a2
        div     a0, a1, a2
        divu    a0, a1, a2
        rem     a0, a1, a2
        remu    a0, a1, a2
        mulw    a0, a1, a2
        divw    a0, a1, a2
        divuw   a0, a1, a2
        remw    a0, a1, a2
        remuw   a0, a1, a2
# A
        lr.w    a0, (a1)
        lr.w.aq a0, (a1)
        lr.d.aqrl a0, (a1)
        sc.w    a0, a2, (a1)
        sc.d.rl a0, a2, (a1)
        amoswap.w a0, a1, (a2)
        amoadd.w.aq a0, a1, (a2)
        amoxor.w.rl a0, a1, (a2)
        amoand.w.aqrl a0, a1, (a2)
        amoor.w a0, a1, (a2)
        amomin.w a0, a1, (a2)
        amomax.w a0, a1, (a2)
        amominu.w a0, a1, (a2)
        amomaxu.w a0, a1, (a2)
        amoswap.d a0, a1, (a2)
        amoadd.d a0, a1, (a2)
        amoxor.d a0, a1, (a2)
        amoand.d a0, a1, (a2)
        amoor.d a0, a1, (a2)
        amomin.d a0, a1, (a2)
        amomax.d a0, a1, (a2)
        amominu.d a0, a1, (a2)
        amomaxu.d.aqrl a0, a1, (a2)
# Zicsr
        csrrw   a0, fcsr, a1
        csrrs   a0, fflags, zero
        csrrc   a0, frm, a2
        csrrwi  a0, frm, 3
        csrrsi  a0, fflags, 31
        csrrci  zero, fcsr, 0
        csrrs   a0, cycle, zero
        csrrs   a0, time, zero
        csrrs   a0, instret, zero
        csrrs   a0, 0x7c0, zero
        csrrw   a0, mstatus, a1
# F
        flw     fa0, 8(sp)
        fsw     fa1, -4(a0)
        fmadd.s fa0, fa1, fa2, fa3
        fmsub.s fa0, fa1, fa2, fa3, rne
        fnmsub.s fa0, fa1, fa2, fa3, rtz
        fnmadd.s fa0, fa1, fa2, fa3, rdn
        fadd.s  ft0, ft1, ft2
        fsub.s  ft3, ft4, ft5, rup
        fmul.s  ft6, ft7, fs0, rmm
        fdiv.s  fs1, fa0, fa1
        fsqrt.s fa2, fa3
        fsgnj.s fa4, fa5, fa6
        fsgnjn.s fa7, fs2, fs3
        fsgnjx.s fs4, fs5, fs6
        fmin.s  fs7, fs8, fs9
        fmax.s  fs10, fs11, ft8
        fcvt.w.s a0, ft9, rtz
        fcvt.wu.s a0, ft10
        fmv.x.w a0, ft11
        feq.s   a0, fa0, fa1
        flt.s   a0, fa0, fa1
        fle.s   a0, fa0, fa1
        fclass.s a0, fa0
        fcvt.s.w fa0, a0
        fcvt.s.wu fa0, a0, rne
        fmv.w.x fa0, a0
        fcvt.l.s a0, fa0
        fcvt.lu.s a0, fa0, rtz
        fcvt.s.l fa0, a0
        fcvt.s.lu fa0, a0
# D
        fld     fa0, 8(sp)
        fsd     fa1, -8(a0)
        fmadd.d fa0, fa1, fa2, fa3
        fmsub.d fa0, fa1, fa2, fa3
        fnmsub.d fa0, fa1, fa2, fa3
        fnmadd.d fa0, fa1, fa2, fa3, rmm
        fadd.d  fa0, fa1, fa2
        fsub.d  fa0, fa1, fa2
        fmul.d  fa0, fa1, fa2
        fdiv.d  fa0, fa1, fa2, rtz
        fsqrt.d fa0, fa1
        fsgnj.d fa0, fa1, fa2
        fsgnjn.d fa0, fa1, fa2
        fsgnjx.d fa0, fa1, fa2
        fmin.d  fa0, fa1, fa2
        fmax.d  fa0, fa1, fa2
        fcvt.s.d fa0, fa1
        fcvt.d.s fa0, fa1
        feq.d   a0, fa0, fa1
        flt.d   a0, fa0, fa1
        fle.d   a0, fa0, fa1
        fclass.d a0, fa0
        fcvt.w.d a0, fa0, rtz
        fcvt.wu.d a0, fa0
        fcvt.d.w fa0, a0
        fcvt.d.wu fa0, a0
        fcvt.l.d a0, fa0
        fcvt.lu.d a0, fa0
        fmv.x.d a0, fa0
        fcvt.d.l fa0, a0
        fcvt.d.lu fa0, a0
        fmv.d.x fa0, a0
        .option pop
# C
        c.addi4spn a0, sp, 16
        c.addi4spn s1, sp, 1020
        c.fld   fa0, 8(a1)
        c.lw    a2, 124(a3)
        c.ld    a4, 248(a5)
        c.fsd   fs0, 0(s1)
        c.sw    a2, 4(a3)
        c.sd    a4, 16(a5)
        c.nop
        c.addi  a0, -16
        c.addi  sp, 31
        c.addiw a0, -1
        c.addiw a1, 0
        c.li    a0, -3
        c.li    t0, 31
        c.addi16sp sp, -64
        c.addi16sp sp, 496
        c.lui   a0, 0x1f
        c.lui   a0, 0xfffe1
        c.srli  a0, 3
        c.srai  a1, 63
        c.andi  a2, -1
        c.sub   a0, a1
        c.xor   s0, s1
        c.or    a2, a3
        c.and   a4, a5
        c.subw  a0, a1
        c.addw  a0, a1
        c.j     _start
        c.beqz  a0, _start
        c.bnez  s1, 3f
3:      c.slli  a0, 1
        c.slli  t0, 63
        c.fldsp fa0, 8(sp)
        c.lwsp  a0, 252(sp)
        c.ldsp  ra, 504(sp)
        c.jr    ra
        c.mv    a0, a1
        c.ebreak
        c.jalr  a0
        c.add   a0, a1
        c.fsdsp fa0, 8(sp)
        c.swsp  a0, 252(sp)
        c.sdsp  ra, 504(sp)

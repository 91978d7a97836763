# Every Zba, Zbb, Zbc and Zbs form (RV64 and RV32 by __riscv_xlen), for the
# disassembler differential test.
        .text
        .globl  _start
_start:
        .option norvc
# Zba
        sh1add  a0, a1, a2
        sh2add  t0, t1, t2
        sh3add  s0, s1, t6
#if __riscv_xlen == 64
        add.uw  a0, a1, a2
        sh1add.uw a3, a4, a5
        sh2add.uw zero, ra, sp
        sh3add.uw t3, t4, t5
        slli.uw a0, a1, 0
        slli.uw a0, a1, 63
#endif
# Zbb
        andn    a0, a1, a2
        orn     a3, a4, a5
        xnor    t0, t1, t2
        clz     a0, a1
        ctz     s2, s3
        cpop    t6, zero
        max     a0, a1, a2
        maxu    a0, a1, a2
        min     a0, a1, a2
        minu    a0, a1, a2
        sext.b  a0, a1
        sext.h  a2, a3
        zext.h  a4, a5
        rol     a0, a1, a2
        ror     a3, a4, a5
        rori    a0, a1, 1
        rori    a0, a1, 31
        orc.b   a0, a1
        rev8    a2, a3
#if __riscv_xlen == 64
        rori    a0, a1, 63
        clzw    a0, a1
        ctzw    a0, a1
        cpopw   a0, a1
        rolw    a0, a1, a2
        rorw    a0, a1, a2
        roriw   a0, a1, 0
        roriw   a0, a1, 31
#endif
# Zbc
        clmul   a0, a1, a2
        clmulh  a3, a4, a5
        clmulr  t0, t1, t2
# Zbs (and every register in each operand position once)
        bset    zero, ra, sp
        bset    gp, tp, t0
        bclr    t1, t2, s0
        bclr    s1, a0, a1
        binv    a2, a3, a4
        binv    a5, a6, a7
        bext    s2, s3, s4
        bext    s5, s6, s7
        bset    s8, s9, s10
        bclr    s11, t3, t4
        binv    t5, t6, zero
        bclr    a0, a1, a2
        bext    a0, a1, a2
        binv    a0, a1, a2
        bset    a0, a1, a2
        bclri   a0, a1, 0
        bexti   a0, a1, 17
        binvi   a0, a1, 31
        bseti   a0, a1, 5
#if __riscv_xlen == 64
        bclri   a0, a1, 63
        bexti   a0, a1, 32
        binvi   a0, a1, 40
        bseti   a0, a1, 63
#endif

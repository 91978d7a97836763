# Every Zbkb, Zbkc and Zbkx form (RV64 and RV32 by __riscv_xlen), for the
# disassembler differential test; built with Zbb too, as Denemu's
# disassembler knows every extension (pack with rs2 = zero is zext.h then).
        .text
        .globl  _start
_start:
        .option norvc
# Zbkb
        pack    a0, a1, a2
        pack    a0, a1, zero
        packh   t0, t1, t2
        brev8   s0, s1
        andn    a0, a1, a2
        rol     a3, a4, a5
        rev8    t3, t4
#if __riscv_xlen == 64
        packw   a0, a1, a2
        packw   a0, a1, zero
        rolw    a0, a1, a2
        roriw   a0, a1, 31
#else
        zip     a0, a1
        unzip   t0, t1
#endif
# Zbkc
        clmul   a0, a1, a2
        clmulh  a3, a4, a5
# Zbkx
        xperm4  a0, a1, a2
        xperm8  t0, t1, t2

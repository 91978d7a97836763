# Every Zfh form (RV64 and RV32 by __riscv_xlen), for the disassembler differential test.
        .text
        .globl  _start
_start:
        .option norvc
        flh     fa0, 2(a1)
        fsh     ft3, -4(sp)
        fmv.x.h a0, fa1
        fmv.h.x fa0, a1
        fcvt.s.h fa0, fa1
        fcvt.h.s fa0, fa1
        fcvt.h.s fa0, fa1, rtz
        fcvt.d.h fa0, fa1
        fcvt.h.d fa0, fa1, dyn
        fmadd.h fa0, fa1, fa2, fa3
        fmsub.h fa0, fa1, fa2, fa3, rup
        fnmsub.h ft0, ft1, ft2, ft3
        fnmadd.h ft0, ft1, ft2, ft3, rmm
        fadd.h  fa0, fa1, fa2
        fsub.h  fa0, fa1, fa2, rdn
        fmul.h  fa0, fa1, fa2
        fdiv.h  fa0, fa1, fa2
        fsqrt.h fa0, fa1
        fsgnj.h fa0, fa1, fa2
        fsgnjn.h fa0, fa1, fa2
        fsgnjx.h fa0, fa1, fa2
        fmin.h  fa0, fa1, fa2
        fmax.h  fa0, fa1, fa2
        fcvt.w.h a0, fa1, rtz
        fcvt.wu.h a0, fa1
        feq.h   a0, fa1, fa2
        flt.h   a0, fa1, fa2
        fle.h   a0, fa1, fa2
        fclass.h a0, fa1
        fcvt.h.w fa0, a1
        fcvt.h.wu fa0, a1, rne
#if __riscv_xlen == 64
        fcvt.l.h a0, fa1
        fcvt.lu.h a0, fa1, rtz
        fcvt.h.l fa0, a1
        fcvt.h.lu fa0, a1
#endif

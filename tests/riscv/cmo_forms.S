# Zicbom, Zicboz, Zicbop, Zihintpause and Zawrs forms, for the disassembler differential test.
        .text
        .globl  _start
_start:
        .option norvc
        cbo.clean (a0)
        cbo.flush (a1)
        cbo.inval (t0)
        cbo.zero (sp)
        prefetch.i 64(a0)
        prefetch.r 0(a1)
        prefetch.w -32(sp)
        prefetch.r 2016(t6)
        ori     zero, a0, 2
        ori     a0, a0, 1
        pause
        fence   w, r
        fence   rw, rw
        wrs.nto
        wrs.sto

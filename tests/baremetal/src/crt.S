/* Start-up, mode switching and trap entry for the bare-metal tests (RV32 and RV64). */
#if __riscv_xlen == 64
#define SX sd
#define LX ld
#define R 8
#else
#define SX sw
#define LX lw
#define R 4
#endif
#define FRAME (32 * R)

  .section .text.start
  .globl _start
_start:
#ifdef SMP
  csrr t0, mhartid      /* -smp: harts other than 0 go to the program's secondary_start */
  bnez t0, secondary_start
#endif
  la sp, _m_stack       /* M trap frames */
  csrw mscratch, sp
  la sp, _main_stack
  la t0, m_trap_entry
  csrw mtvec, t0
  li t0, -1             /* PMP: S and U may access everything (entry 15, NAPOT, RWX) */
  csrw pmpaddr15, t0
  li t0, 0x1f << 24
#if __riscv_xlen == 64
  slli t0, t0, 32
  csrw pmpcfg2, t0
#else
  csrw pmpcfg3, t0
#endif
  call main
  li a0, 0
  call poweroff

/* Saves x1..x31 into a frame on the stack in \scratch, calls \handler(frame). */
.macro TRAP_ENTRY name, scratch, handler, ret
  .align 4
  .globl \name
\name:
  csrrw sp, \scratch, sp
  addi sp, sp, -FRAME
  .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  SX x\n, \n*R(sp)
  .endr
  csrr t0, \scratch
  SX t0, 2*R(sp)        /* the interrupted sp */
  addi t0, sp, FRAME
  csrw \scratch, t0
  mv a0, sp
  call \handler
  bnez a0, back_to_m    /* the M handler returns 1: the mode switch is over */
  .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  LX x\n, \n*R(sp)
  .endr
  LX sp, 2*R(sp)
  \ret
.endm

  TRAP_ENTRY m_trap_entry, mscratch, m_trap, mret
  TRAP_ENTRY s_trap_entry, sscratch, s_trap, sret

/* long run_in_mode(long mpp, void (*fn)(void)): runs fn at privilege mpp; fn returns with ecall a7=99. */
  .globl run_in_mode
run_in_mode:
  la t0, saved
  SX ra, 0(t0)
  SX sp, 1*R(t0)
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
  SX s\n, (\n+2)*R(t0)
  .endr
  li t1, 3 << 11
  csrc mstatus, t1
  slli a0, a0, 11
  csrs mstatus, a0
  csrw mepc, a1
  la t1, _s_stack
  csrw sscratch, t1
  la sp, _u_stack
  mret
back_to_m:
  la t0, saved
  LX ra, 0(t0)
  LX sp, 1*R(t0)
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
  LX s\n, (\n+2)*R(t0)
  .endr
  csrr t1, mscratch     /* drop the trap frame */
  ret

  .bss
  .align 3
saved: .space 14 * R

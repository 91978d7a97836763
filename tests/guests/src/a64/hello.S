// The smallest aarch64 Linux program: write(1, msg, 14) and exit(7) through svc.
// SPDX-License-Identifier: GPL-3.0-or-later
        .globl _start
_start:
        mov     x0, #1
        adr     x1, msg
        mov     x2, #14
        mov     x8, #64         // write
        svc     #0
        mov     x0, #7
        mov     x8, #93         // exit
        svc     #0
msg:    .ascii  "Hello, world!\n"

#!/usr/bin/python3
# Minimal Linux user-mode harness for riscv64 static ELF executables on Unicorn (python3-unicorn
# 2.x), used as a peer in Denemu's benchmark: it runs the same guest binary Denemu runs.
#
# Usage: /usr/bin/python3 scripts/peers/unicorn_run.py [--hook none|block|insn] GUEST [ARGS...]
#
# The guest's stdout/stderr go straight to this process's stdout/stderr. At exit one JSON line is
# printed to stderr: {"seconds": wall time of emu_start, "exit_status": N, "blocks": count|null}
# ("insns" is added with --hook insn). The process exits with the guest's exit status.
#
# Unicorn 2.0.1 riscv64 quirks this relies on (checked empirically):
#  - ecall reaches UC_HOOK_INTR with intno 8 (RISCV_EXCP_U_ECALL, whatever the privilege level)
#    and PC already advanced past the ecall (ecall address + 4), so returning from the hook
#    resumes at the following instruction; no trap vector or CSR is involved.
#  - every other exception also reaches UC_HOOK_INTR with PC = faulting PC + 4 (even for a
#    2-byte compressed instruction), and emulation would go on if the hook did not stop it.
#  - mstatus starts at 0, so FS is off and any FP instruction raises illegal-instruction (2):
#    FS must be set to Dirty/Initial before starting.
#  - uc.emu_stop() from the hook stops before the next instruction executes.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import errno
import json
import os
import struct
import sys
import time

from unicorn import (
    UC_ARCH_RISCV,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_HOOK_INTR,
    UC_MODE_RISCV64,
    UC_PROT_EXEC,
    UC_PROT_READ,
    UC_PROT_WRITE,
    Uc,
    UcError,
)
from unicorn import riscv_const as R

PAGE = 0x1000
STACK_SIZE = 8 << 20
STACK_TOP = 0x40_0080_0000  # same neighbourhood as qemu-riscv64's guest stack
MMAP_BASE = 0x20_0000_0000
PIE_BASE = 0x55_5555_4000 & ~(PAGE - 1)
TID = 1000

# ELF constants
ET_EXEC, ET_DYN = 2, 3
EM_RISCV = 243
PT_LOAD, PT_INTERP, PT_PHDR = 1, 3, 6
PF_X, PF_W, PF_R = 1, 2, 4

# auxv keys
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 16, 17
AT_SECURE, AT_RANDOM, AT_EXECFN = 23, 25, 31
# rv64 IMAFDC as in the misa-style letter bitmap Linux reports
HWCAP = sum(1 << (ord(c) - ord("a")) for c in "imafdc")

# riscv64 (asm-generic) syscall numbers
SYS = {
    "getcwd": 17, "ioctl": 29, "faccessat": 48, "openat": 56, "close": 57, "lseek": 62,
    "read": 63, "write": 64, "readv": 65, "writev": 66, "readlinkat": 78, "newfstatat": 79,
    "fstat": 80, "exit": 93, "exit_group": 94, "set_tid_address": 96, "futex": 98,
    "set_robust_list": 99, "clock_gettime": 113, "sched_yield": 124, "kill": 129,
    "tgkill": 131, "rt_sigaction": 134, "rt_sigprocmask": 135, "uname": 160,
    "getpid": 172, "getppid": 173, "getuid": 174, "geteuid": 175, "getgid": 176,
    "getegid": 177, "gettid": 178, "brk": 214, "munmap": 215, "mremap": 216, "mmap": 222,
    "mprotect": 226, "madvise": 233, "riscv_hwprobe": 258, "riscv_flush_icache": 259,
    "prlimit64": 261, "getrandom": 278, "rseq": 293,
}

ENOENT, EBADF, ENOMEM, EINVAL, ENOTTY, ENOSYS = (
    errno.ENOENT, errno.EBADF, errno.ENOMEM, errno.EINVAL, errno.ENOTTY, errno.ENOSYS,
)

MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x20
AT_EMPTY_PATH = 0x1000
RLIM_INFINITY = (1 << 64) - 1
TCGETS = 0x5401


def page_down(x):
    return x & ~(PAGE - 1)


def page_up(x):
    return (x + PAGE - 1) & ~(PAGE - 1)


def elf_prot(flags):
    p = 0
    if flags & PF_R:
        p |= UC_PROT_READ
    if flags & PF_W:
        p |= UC_PROT_WRITE
    if flags & PF_X:
        p |= UC_PROT_EXEC
    return p


def linux_prot(prot):
    # PROT_READ=1, PROT_WRITE=2, PROT_EXEC=4 coincide with UC_PROT_*
    return prot & (UC_PROT_READ | UC_PROT_WRITE | UC_PROT_EXEC)


class ElfImage:
    def __init__(self, data):
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError("not a little-endian ELF64 file")
        (self.e_type, e_machine, _ver, self.e_entry, self.e_phoff, _shoff, _flags, _ehsize,
         self.e_phentsize, self.e_phnum) = struct.unpack_from("<HHIQQQIHHH", data, 16)
        if e_machine != EM_RISCV:
            raise ValueError(f"not a RISC-V ELF (e_machine {e_machine})")
        if self.e_type not in (ET_EXEC, ET_DYN):
            raise ValueError(f"unsupported e_type {self.e_type}")
        self.phdrs = []
        for i in range(self.e_phnum):
            off = self.e_phoff + i * self.e_phentsize
            p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, p_align = \
                struct.unpack_from("<IIQQQQQQ", data, off)
            self.phdrs.append((p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz, p_align))
        if any(p[0] == PT_INTERP for p in self.phdrs):
            raise ValueError("dynamically linked executables (PT_INTERP) are not supported")
        self.data = data


class Harness:
    def __init__(self, path, argv):
        with open(path, "rb") as f:
            self.elf = ElfImage(f.read())
        self.argv = argv
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        self.exit_status = None
        self.fault = None
        self.mmap_next = MMAP_BASE
        self.load()
        self.build_stack()
        # Enable the FPU (mstatus.FS = Dirty), otherwise every FP instruction is illegal.
        self.uc.reg_write(R.UC_RISCV_REG_MSTATUS, self.uc.reg_read(R.UC_RISCV_REG_MSTATUS) | 0x6000)
        self.uc.hook_add(UC_HOOK_INTR, self.on_intr)
        self.handlers = {
            SYS["write"]: self.sys_write, SYS["writev"]: self.sys_writev,
            SYS["read"]: self.sys_read, SYS["readv"]: self.sys_readv,
            SYS["exit"]: self.sys_exit, SYS["exit_group"]: self.sys_exit,
            SYS["brk"]: self.sys_brk, SYS["mmap"]: self.sys_mmap,
            SYS["munmap"]: self.sys_munmap, SYS["mprotect"]: self.sys_mprotect,
            SYS["set_tid_address"]: lambda a: TID, SYS["gettid"]: lambda a: TID,
            SYS["getpid"]: lambda a: TID, SYS["getppid"]: lambda a: 1,
            SYS["getuid"]: lambda a: 0, SYS["geteuid"]: lambda a: 0,
            SYS["getgid"]: lambda a: 0, SYS["getegid"]: lambda a: 0,
            SYS["set_robust_list"]: lambda a: 0, SYS["rseq"]: lambda a: -ENOSYS,
            SYS["riscv_hwprobe"]: lambda a: -ENOSYS, SYS["riscv_flush_icache"]: lambda a: 0,
            SYS["futex"]: lambda a: -ENOSYS, SYS["sched_yield"]: lambda a: 0,
            SYS["madvise"]: lambda a: 0, SYS["mremap"]: lambda a: -ENOMEM,
            SYS["rt_sigaction"]: self.sys_rt_sigaction, SYS["rt_sigprocmask"]: self.sys_sigprocmask,
            SYS["prlimit64"]: self.sys_prlimit64, SYS["readlinkat"]: lambda a: -ENOENT,
            SYS["openat"]: lambda a: -ENOENT, SYS["faccessat"]: lambda a: -ENOENT,
            SYS["close"]: lambda a: 0 if a[0] <= 2 else -EBADF,
            SYS["lseek"]: lambda a: -errno.ESPIPE if a[0] <= 2 else -EBADF,
            SYS["getrandom"]: self.sys_getrandom, SYS["newfstatat"]: self.sys_newfstatat,
            SYS["fstat"]: self.sys_fstat, SYS["ioctl"]: self.sys_ioctl,
            SYS["uname"]: self.sys_uname, SYS["clock_gettime"]: self.sys_clock_gettime,
            SYS["getcwd"]: self.sys_getcwd, SYS["kill"]: self.sys_kill,
            SYS["tgkill"]: lambda a: self.sys_kill((a[0], a[2])),
        }

    # ---- memory ----

    def map_range(self, start, end, prot):
        """Map [start, end) (page aligned) with prot, replacing whatever was mapped there."""
        self.unmap_range(start, end)
        self.uc.mem_map(start, end - start, prot)

    def regions_in(self, start, end):
        for (b, e, p) in list(self.uc.mem_regions()):  # e is inclusive
            lo, hi = max(b, start), min(e + 1, end)
            if lo < hi:
                yield lo, hi, p

    def unmap_range(self, start, end):
        for lo, hi, _p in list(self.regions_in(start, end)):
            self.uc.mem_unmap(lo, hi - lo)

    def load(self):
        elf = self.elf
        loads = [p for p in elf.phdrs if p[0] == PT_LOAD]
        if not loads:
            raise ValueError("no PT_LOAD segments")
        self.base = 0
        if elf.e_type == ET_DYN:
            # static-PIE: choose a base; glibc's _dl_relocate_static_pie relocates itself
            self.base = PIE_BASE - page_down(min(p[3] for p in loads))
        # union of page permissions (segments may share a page)
        pages = {}
        for (_t, flags, _off, vaddr, _fsz, memsz, _al) in loads:
            for pg in range(page_down(self.base + vaddr), page_up(self.base + vaddr + memsz), PAGE):
                pages[pg] = pages.get(pg, 0) | elf_prot(flags)
        run_start, run_prot, prev = None, None, None
        for pg in sorted(pages):
            if run_start is not None and (pg != prev + PAGE or pages[pg] != run_prot):
                self.uc.mem_map(run_start, prev + PAGE - run_start, run_prot)
                run_start = None
            if run_start is None:
                run_start, run_prot = pg, pages[pg]
            prev = pg
        self.uc.mem_map(run_start, prev + PAGE - run_start, run_prot)
        for (_t, _flags, off, vaddr, filesz, _memsz, _al) in loads:
            if filesz:
                self.uc.mem_write(self.base + vaddr, elf.data[off:off + filesz])
            # .bss is already zero: fresh Unicorn mappings are zero-filled
        self.brk_start = page_up(max(self.base + p[3] + p[5] for p in loads))
        self.brk = self.brk_start
        self.brk_mapped = self.brk_start
        # program headers in memory: PT_PHDR, else the PT_LOAD that covers e_phoff
        phdr = None
        for p in elf.phdrs:
            if p[0] == PT_PHDR:
                phdr = self.base + p[3]
        if phdr is None:
            for p in loads:
                if p[2] <= elf.e_phoff < p[2] + p[4]:
                    phdr = self.base + p[3] + (elf.e_phoff - p[2])
        self.phdr_addr = phdr or 0
        self.entry = self.base + elf.e_entry

    def build_stack(self):
        uc = self.uc
        lo = STACK_TOP - STACK_SIZE
        uc.mem_map(lo, STACK_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        sp = STACK_TOP

        def push_bytes(b):
            nonlocal sp
            sp -= len(b)
            uc.mem_write(sp, b)
            return sp

        execfn = push_bytes(os.fsencode(self.argv[0]) + b"\0")
        arg_ptrs = [push_bytes(os.fsencode(a) + b"\0") for a in self.argv]
        rand = push_bytes(bytes(range(0x11, 0x21)))  # AT_RANDOM: 16 fixed bytes
        sp &= ~0xF
        auxv = [
            (AT_PHDR, self.phdr_addr), (AT_PHENT, self.elf.e_phentsize),
            (AT_PHNUM, self.elf.e_phnum), (AT_PAGESZ, PAGE), (AT_BASE, 0), (AT_FLAGS, 0),
            (AT_ENTRY, self.entry), (AT_UID, 0), (AT_EUID, 0), (AT_GID, 0), (AT_EGID, 0),
            (AT_SECURE, 0), (AT_HWCAP, HWCAP), (AT_CLKTCK, 100), (AT_RANDOM, rand),
            (AT_EXECFN, execfn), (AT_NULL, 0),
        ]
        words = [len(self.argv)] + arg_ptrs + [0] + [0]  # argc, argv..., NULL, envp NULL
        for k, v in auxv:
            words += [k, v]
        if len(words) % 2:
            words.append(0)  # keep sp 16-byte aligned
        sp -= 8 * len(words)
        uc.mem_write(sp, struct.pack(f"<{len(words)}Q", *words))
        uc.reg_write(R.UC_RISCV_REG_SP, sp)
        uc.reg_write(R.UC_RISCV_REG_A0, 0)  # no rtld_fini

    # ---- syscalls ----

    def on_intr(self, uc, intno, _user):
        if intno != 8:
            # Unicorn reports PC already advanced by 4 for every exception
            self.fault = (intno, uc.reg_read(R.UC_RISCV_REG_PC) - 4)
            uc.emu_stop()
            return
        nr = uc.reg_read(R.UC_RISCV_REG_A7)
        args = [uc.reg_read(r) for r in (R.UC_RISCV_REG_A0, R.UC_RISCV_REG_A1,
                                          R.UC_RISCV_REG_A2, R.UC_RISCV_REG_A3,
                                          R.UC_RISCV_REG_A4, R.UC_RISCV_REG_A5)]
        h = self.handlers.get(nr)
        if h is None:
            sys.stderr.write(f"unicorn_run: unknown syscall {nr} -> ENOSYS\n")
            ret = -ENOSYS
        else:
            ret = h(args)
        if self.exit_status is not None:
            uc.emu_stop()
            return
        uc.reg_write(R.UC_RISCV_REG_A0, ret & 0xFFFF_FFFF_FFFF_FFFF)
        # PC already points past the ecall: nothing to adjust

    def sys_exit(self, a):
        self.exit_status = a[0] & 0xFF
        return 0

    def sys_kill(self, a):
        sig = a[1] & 0x7F
        if sig == 0:
            return 0
        self.exit_status = 128 + sig
        sys.stderr.write(f"unicorn_run: guest killed itself with signal {sig}\n")
        return 0

    def write_fd(self, fd, data):
        if fd not in (1, 2):
            return -EBADF
        n = 0
        while n < len(data):
            n += os.write(fd, data[n:])
        return n

    def sys_write(self, a):
        fd, buf, n = a[0], a[1], a[2]
        return self.write_fd(fd, bytes(self.uc.mem_read(buf, n)) if n else b"")

    def iovecs(self, iov, cnt):
        raw = self.uc.mem_read(iov, 16 * cnt) if cnt else b""
        return [struct.unpack_from("<QQ", raw, 16 * i) for i in range(cnt)]

    def sys_writev(self, a):
        data = b"".join(bytes(self.uc.mem_read(b, n)) for b, n in self.iovecs(a[1], a[2]) if n)
        return self.write_fd(a[0], data)

    def sys_read(self, a):
        fd, buf, n = a[0], a[1], a[2]
        if fd != 0:
            return -EBADF
        data = os.read(0, n)
        self.uc.mem_write(buf, data)
        return len(data)

    def sys_readv(self, a):
        if a[0] != 0:
            return -EBADF
        total = 0
        for b, n in self.iovecs(a[1], a[2]):
            data = os.read(0, n) if n else b""
            self.uc.mem_write(b, data)
            total += len(data)
            if len(data) < n:
                break
        return total

    def sys_brk(self, a):
        new = a[0]
        if new == 0 or new < self.brk_start:
            return self.brk
        end = page_up(new)
        if end > self.brk_mapped:
            try:
                self.uc.mem_map(self.brk_mapped, end - self.brk_mapped,
                                UC_PROT_READ | UC_PROT_WRITE)
            except UcError:
                return self.brk
            self.brk_mapped = end
        self.brk = new
        return self.brk

    def sys_mmap(self, a):
        addr, length, prot, flags, fd = a[0], a[1], a[2], a[3], a[4] & 0xFFFF_FFFF
        if length == 0:
            return -EINVAL
        if not flags & MAP_ANONYMOUS and fd != 0xFFFF_FFFF:
            return -errno.ENODEV  # file mappings are not supported
        size = page_up(length)
        if flags & MAP_FIXED:
            if addr & (PAGE - 1):
                return -EINVAL
            start = addr
        else:
            start = self.mmap_next
            self.mmap_next += size + PAGE  # bump allocator with a guard gap
        try:
            self.map_range(start, start + size, linux_prot(prot))
        except UcError:
            return -ENOMEM
        return start

    def sys_munmap(self, a):
        addr, length = a[0], a[1]
        if addr & (PAGE - 1):
            return -EINVAL
        self.unmap_range(addr, addr + page_up(length))
        return 0

    def sys_mprotect(self, a):
        addr, length, prot = a[0], a[1], a[2]
        if addr & (PAGE - 1):
            return -EINVAL
        for lo, hi, _p in list(self.regions_in(addr, addr + page_up(length))):
            self.uc.mem_protect(lo, hi - lo, linux_prot(prot))
        return 0

    def sys_rt_sigaction(self, a):
        if a[2]:
            self.uc.mem_write(a[2], bytes(32))  # no previous handler
        return 0

    def sys_sigprocmask(self, a):
        if a[2]:
            self.uc.mem_write(a[2], bytes(8))
        return 0

    def sys_prlimit64(self, a):
        resource, old = a[1], a[3]
        if old:
            cur = STACK_SIZE if resource == 3 else RLIM_INFINITY  # RLIMIT_STACK
            self.uc.mem_write(old, struct.pack("<QQ", cur, RLIM_INFINITY))
        return 0

    def sys_getrandom(self, a):
        buf, n = a[0], a[1]
        self.uc.mem_write(buf, os.urandom(n))
        return n

    def write_stat(self, buf, fd):
        try:
            st = os.fstat(fd)
        except OSError:
            return -EBADF
        # struct stat of asm-generic (riscv64), 128 bytes
        data = struct.pack(
            "<QQIIIIQQqiiqqQqQqQII",
            st.st_dev & RLIM_INFINITY, st.st_ino, st.st_mode, st.st_nlink, st.st_uid,
            st.st_gid, st.st_rdev & RLIM_INFINITY, 0, st.st_size, st.st_blksize, 0,
            st.st_blocks, int(st.st_atime), st.st_atime_ns % 10**9, int(st.st_mtime),
            st.st_mtime_ns % 10**9, int(st.st_ctime), st.st_ctime_ns % 10**9, 0, 0)
        self.uc.mem_write(buf, data)
        return 0

    def sys_fstat(self, a):
        if a[0] > 2:
            return -EBADF
        return self.write_stat(a[1], a[0])

    def sys_newfstatat(self, a):
        dirfd, path, buf, flags = a[0], a[1], a[2], a[3]
        if flags & AT_EMPTY_PATH and self.uc.mem_read(path, 1) == b"\0":
            if dirfd > 2:
                return -EBADF
            return self.write_stat(buf, dirfd)
        return -ENOENT

    def sys_ioctl(self, a):
        if a[0] > 2:
            return -EBADF
        return -ENOTTY  # TCGETS and friends: not a terminal

    def sys_uname(self, a):
        fields = [b"Linux", b"unicorn", b"6.1.0", b"#1 SMP", b"riscv64", b"(none)"]
        self.uc.mem_write(a[0], b"".join(f.ljust(65, b"\0") for f in fields))
        return 0

    def sys_clock_gettime(self, a):
        clk, tp = a[0], a[1]
        try:
            ns = time.clock_gettime_ns(clk)
        except OSError:
            return -EINVAL
        if tp:
            self.uc.mem_write(tp, struct.pack("<qq", ns // 10**9, ns % 10**9))
        return 0

    def sys_getcwd(self, a):
        cwd = os.fsencode(os.getcwd()) + b"\0"
        if len(cwd) > a[1]:
            return -errno.ERANGE
        self.uc.mem_write(a[0], cwd)
        return len(cwd)

    # ---- run ----

    def run(self, hook):
        counter = None
        if hook == "block":
            counter = [0]

            def on_block(_uc, _addr, _size, _user):
                counter[0] += 1

            self.uc.hook_add(UC_HOOK_BLOCK, on_block)
        elif hook == "insn":
            counter = [0]

            def on_insn(_uc, _addr, _size, _user):
                counter[0] += 1

            self.uc.hook_add(UC_HOOK_CODE, on_insn)
        t0 = time.perf_counter()
        err = None
        try:
            # "until" can never match (PCs are 2-aligned): run until emu_stop
            self.uc.emu_start(self.entry, 0xFFFF_FFFF_FFFF_FFFF)
        except UcError as e:
            err = e
        seconds = time.perf_counter() - t0
        if err is not None:
            pc = self.uc.reg_read(R.UC_RISCV_REG_PC)
            sys.stderr.write(f"unicorn_run: emulation error at pc {pc:#x}: {err}\n")
            status = 139
        elif self.fault is not None:
            sys.stderr.write(f"unicorn_run: guest exception {self.fault[0]} at pc "
                             f"{self.fault[1]:#x}\n")
            status = 132 if self.fault[0] == 2 else 139
        elif self.exit_status is None:
            sys.stderr.write("unicorn_run: emulation stopped without exit\n")
            status = 1
        else:
            status = self.exit_status
        report = {"seconds": round(seconds, 6), "exit_status": status,
                  "blocks": counter[0] if hook == "block" else None}
        if hook == "insn":
            report["insns"] = counter[0]
        return status, report


def main(argv):
    hook = "none"
    args = argv[1:]
    while args and args[0].startswith("--"):
        opt = args.pop(0)
        if opt == "--":
            break
        if opt == "--hook" and args:
            hook = args.pop(0)
        elif opt.startswith("--hook="):
            hook = opt.split("=", 1)[1]
        else:
            args = []
            break
    if not args or hook not in ("none", "block", "insn"):
        sys.stderr.write("usage: unicorn_run.py [--hook none|block|insn] GUEST [ARGS...]\n")
        return 2
    try:
        h = Harness(args[0], args)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"unicorn_run: {args[0]}: {e}\n")
        return 2
    status, report = h.run(hook)
    sys.stderr.write(json.dumps(report) + "\n")
    sys.stderr.flush()
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))

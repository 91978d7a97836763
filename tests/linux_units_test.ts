// Unit tests of the Linux user-mode pieces: address space, fd table, signals, stack, CLI args.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import { GuestMemory, Perm } from "../core/guest_memory.ts";
import { AddressSpace, MAP } from "../core/linux/mm.ts";
import { FdTable, InputStream, OutputStream } from "../core/linux/fds.ts";
import { PipeEnd } from "../core/linux/pipe.ts";
import { SIG, SIG_IGN, sigBit, SignalState } from "../core/linux/signals.ts";
import { AT, buildStack } from "../core/linux/loader.ts";
import { SeededRandom } from "../core/random.ts";
import { SysError } from "../core/linux/errno.ts";
import { formatReturn } from "../core/linux/strace.ts";
import { guestEnv, parseUserArgs } from "../cli/user.ts";
import {
  RISCV64_SIGFRAME_SIZE,
  RISCV64_SYSCALLS,
  riscvLinuxAbi,
} from "../targets/riscv/linux_abi.ts";
import { EmuError } from "../core/errors.ts";

const errno = (n: number) => (e: unknown) => e instanceof SysError && e.errno === n;
const BASE = 0x4000000000n;

Deno.test("mmap: first fit, hints, FIXED, FIXED_NOREPLACE, munmap, mprotect", () => {
  const as = new AddressSpace(new GuestMemory(), BASE, 1n << 47n);
  const anon = MAP.PRIVATE | MAP.ANONYMOUS;
  const a = as.mmap(0n, 10000n, Perm.R | Perm.W, anon);
  assertEquals(a, BASE);
  assertEquals(as.mmap(0n, 4096n, Perm.R, anon), BASE + 0x3000n);
  throws(() => as.mmap(BASE, 4096n, Perm.R, anon | MAP.FIXED_NOREPLACE), errno(17));
  assertEquals(as.mmap(BASE, 4096n, Perm.R, anon | MAP.FIXED), BASE);
  as.munmap(BASE + 0x1000n, 0x1000n);
  // the hole stays: the next mapping goes after the last one (qemu-user's mmap_next_start)
  assertEquals(as.mmap(0n, 4096n, Perm.R, anon), BASE + 0x4000n);
  throws(() => as.mprotect(BASE + 0x100000n, 4096n, Perm.R), errno(12));
  throws(() => as.mmap(0n, 1n << 50n, Perm.R, anon), errno(12));
  const f = as.mmap(0n, 5000n, Perm.R, MAP.PRIVATE, new Uint8Array([1, 2, 3]));
  assertEquals([...as.mem.readBytes(f, 4)], [1, 2, 3, 0]);
});

Deno.test("mremap grows in place or moves with contents", () => {
  const as = new AddressSpace(new GuestMemory(), BASE, 1n << 47n);
  const anon = MAP.PRIVATE | MAP.ANONYMOUS;
  const a = as.mmap(0n, 4096n, Perm.R | Perm.W, anon);
  as.mem.store(a, 8, 0x1234n);
  assertEquals(as.mremap(a, 4096n, 8192n, 0, 0n), a);
  as.mmap(a + 0x2000n, 4096n, Perm.R, anon | MAP.FIXED);
  throws(() => as.mremap(a, 8192n, 16384n, 0, 0n), errno(12));
  const b = as.mremap(a, 8192n, 16384n, 1, 0n);
  assert(b !== a);
  assertEquals(as.mem.load(b, 8, false), 0x1234n);
});

Deno.test("brk grows page-wise, keeps its pages when lowered (as qemu-user), refuses to hit mappings", () => {
  const as = new AddressSpace(new GuestMemory(), BASE, 1n << 47n);
  as.startLayout(0x80000n, BASE);
  assertEquals(as.setBrk(0n), 0x80000n);
  assertEquals(as.setBrk(0x81234n), 0x81234n);
  as.mem.store(0x81000n, 4, 7n);
  as.mmap(0x90000n, 4096n, Perm.R, MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED);
  assertEquals(as.setBrk(0xa0000n), 0x81234n);
  assertEquals(as.setBrk(0x80000n), 0x80000n);
  assert(as.mem.isMapped(0x80000n, 0x2000n) && !as.mem.isMapped(0x82000n, 1n));
});

Deno.test("fd table: lowest free fd, dup shares, close on last ref, pipes", () => {
  const t = new FdTable();
  const out: number[] = [];
  t.install(new InputStream(new Uint8Array([65, 66])), false);
  const o = new OutputStream((b) => out.push(...b));
  assertEquals(t.install(o, false), 1);
  assertEquals(t.install(o, false, 5), 5);
  t.close(1);
  assertEquals(t.install(o, true), 1);
  assert(t.getCloexec(1));
  throws(() => t.get(9), errno(9));
  const [r, w] = PipeEnd.pair(0);
  const rfd = t.install(r, false), wfd = t.install(w, false);
  t.get(wfd).write(new Uint8Array([1, 2, 3]));
  const buf = new Uint8Array(2);
  assertEquals(t.get(rfd).read(buf), 2);
  assertEquals(t.get(rfd).read(buf), 1);
  throws(() => t.get(rfd).read(buf), errno(11));
  t.close(wfd);
  assertEquals(t.get(rfd).read(buf), 0);
  throws(() => t.get(0).seek(0, 0), errno(29));
});

Deno.test("signals: lowest first, masks, forced faults reset the handler", () => {
  const s = new SignalState();
  s.raise({ signal: SIG.SIGUSR2, code: 0 });
  s.raise({ signal: SIG.SIGUSR1, code: 0 });
  s.raise({ signal: SIG.SIGUSR1, code: 0 });
  s.blocked = sigBit(SIG.SIGUSR1);
  assertEquals(s.next()?.signal, SIG.SIGUSR2);
  assertEquals(s.next(), null);
  s.blocked = 0n;
  assertEquals(s.next()?.signal, SIG.SIGUSR1);
  assertEquals(s.next(), null);
  s.actions[SIG.SIGSEGV].handler = SIG_IGN;
  s.force({ signal: SIG.SIGSEGV, code: 1, addr: 0n });
  assertEquals(s.actions[SIG.SIGSEGV].handler, 0n);
  const info = SignalState.encodeSiginfo({ signal: 11, code: 2, addr: 0x1234n });
  assertEquals(new DataView(info.buffer).getBigUint64(16, true), 0x1234n);
});

Deno.test("initial stack: argc, argv, envp, auxv, 16-byte aligned", () => {
  const mem = new GuestMemory();
  mem.map(0x100000n, 0x10000n, Perm.R | Perm.W);
  const sp = buildStack(mem, 0x110000n, 8, {
    argv: ["prog", "a b"],
    env: ["X=1"],
    execfn: "prog",
    random: new SeededRandom(0n).bytes(16),
    auxv: [[AT.PAGESZ, 4096n], [AT.PHNUM, 7n]],
  });
  assertEquals(sp & 15n, 0n);
  const word = (i: number) => mem.load(sp + BigInt(8 * i), 8, false);
  const str = (a: bigint) => new TextDecoder().decode(mem.readCString(a));
  assertEquals(word(0), 2n);
  assertEquals(str(word(1)), "prog");
  assertEquals(str(word(2)), "a b");
  assertEquals(word(3), 0n);
  assertEquals(str(word(4)), "X=1");
  assertEquals(word(5), 0n);
  const aux = new Map<bigint, bigint>();
  for (let i = 6; word(i) !== 0n; i += 2) aux.set(word(i), word(i + 1));
  assertEquals(aux.get(BigInt(AT.PAGESZ)), 4096n);
  assertEquals(aux.get(BigInt(AT.SECURE)), 0n);
  assertEquals(str(aux.get(BigInt(AT.EXECFN))!), "prog");
  assertEquals([...aux.keys()].slice(0, 2), [BigInt(AT.PHNUM), BigInt(AT.PAGESZ)]);
});

Deno.test("seeded random is deterministic and seed-dependent", () => {
  assertEquals(new SeededRandom(5n).bytes(20), new SeededRandom(5n).bytes(20));
  assert(new SeededRandom(5n).bytes(8).join() !== new SeededRandom(6n).bytes(8).join());
});

Deno.test("riscv64 ABI: syscall names, hwcap, frame round trip", () => {
  assertEquals(RISCV64_SYSCALLS[56], "openat");
  assertEquals(RISCV64_SYSCALLS[222], "mmap");
  assertEquals(RISCV64_SYSCALLS[435], "clone3");
  assertEquals(riscvLinuxAbi.hwcap, 0x112dn);
  const state = new Map<number, bigint>();
  const mem = new GuestMemory();
  mem.map(0x10000n, 0x4000n, Perm.R | Perm.W);
  const regs = {
    getGlobal: (i: number) => state.get(i * 8) ?? 0n,
    setGlobal: (i: number, v: bigint) => state.set(i * 8, v),
    getState: (o: number) => state.get(o) ?? 0n,
    setState: (o: number, v: bigint) => state.set(o, v),
    get pc() {
      return state.get(512) ?? 0n;
    },
    set pc(v: bigint) {
      state.set(512, v);
    },
    readBytes: (a: bigint, n: number) => mem.readBytes(a, n),
    writeBytes: (a: bigint, d: Uint8Array) => mem.writeBytes(a, d),
  };
  for (let i = 1; i < 64; i++) regs.setGlobal(i, BigInt(i * 3));
  regs.setGlobal(2, 0x14000n);
  regs.setState(520, 0x61n);
  regs.pc = 0x1234n;
  const saved = new Map(state);
  riscvLinuxAbi.setupSignalFrame({
    regs,
    signal: 10,
    siginfo: new Uint8Array(128),
    handler: 0x5000n,
    restorer: 0n,
    trampoline: 0x7000n,
    siginfoFlag: true,
    savedMask: 0x200n,
    sp: 0x14000n,
    altStack: { sp: 0n, flags: 2, size: 0n },
  });
  assertEquals(regs.pc, 0x5000n);
  assertEquals(regs.getGlobal(1), 0x7000n);
  assertEquals(regs.getGlobal(10), 10n);
  const frame = regs.getGlobal(2);
  assertEquals(frame, (0x14000n - BigInt(RISCV64_SIGFRAME_SIZE)) & ~15n);
  assertEquals(regs.getGlobal(12), frame + 128n);
  regs.setGlobal(5, 999n);
  assertEquals(riscvLinuxAbi.restoreSignalFrame(regs), 0x200n);
  assertEquals(state, saved);
});

Deno.test("strace return formatting", () => {
  assertEquals(formatReturn("openat", -2n, []), "-1 errno=2 (No such file or directory)");
  assertEquals(formatReturn("mmap", 0x4000000000n, []), "0x0000004000000000");
  assertEquals(formatReturn("write", 5n, []), "5");
});

Deno.test("emu user: QEMU-style flags", () => {
  const a = parseUserArgs([
    "-L",
    "/sys",
    "-E",
    "A=1=2",
    "-U",
    "HOME",
    "-d",
    "in_asm,unimp",
    "-seed",
    "0x10",
    "--root=/tmp",
    "-strace",
    "prog",
    "-L",
    "x",
  ]);
  assertEquals(a.sysroot, "/sys");
  assertEquals(a.env, [["A", "1=2"], ["HOME", null]]);
  assertEquals([...a.log], ["in_asm", "unimp"]);
  assertEquals(a.seed, 16n);
  assertEquals(a.root, "/tmp");
  assertEquals(a.program, "prog");
  assertEquals(a.args, ["-L", "x"]);
  // the guest environment is what -E sets, nothing of the host's unless asked (-E VAR)
  assertEquals(guestEnv({ HOME: "/h", B: "2" }, a), ["A=1=2"]);
  const b = parseUserArgs([
    "-E",
    "B",
    "-E",
    "C=3",
    "-E",
    "NOT_ON_HOST",
    "-E",
    "D=4",
    "-U",
    "D",
    "p",
  ]);
  assertEquals(guestEnv({ HOME: "/h", B: "2" }, b), ["B=2", "C=3"]);
  throws(() => parseUserArgs(["-nope"]), EmuError);
  throws(() => parseUserArgs(["-d", "bogus", "p"]), EmuError);
  throws(() => parseUserArgs(["-L"]), EmuError);
  throws(() => parseUserArgs(["-accel", "kvm", "p"]), EmuError);
});

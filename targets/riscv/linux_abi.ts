/**
 * The riscv64 Linux user-mode ABI: syscall registers and numbers (the
 * asm-generic table), AT_HWCAP, and the rt_sigframe layout the kernel uses.
 *
 * State layout relied on: x0..x31 are globals 0..31 (state bytes 0..255),
 * f0..f31 are globals 32..63 (bytes 256..511), the pc is at byte 512 and
 * fcsr at byte 520.
 *
 * @module
 */

import {
  GENERIC_SYSCALLS,
  type LinuxAbi,
  type RegisterAccess,
  type SignalFrameRequest,
} from "../../plugin_target.ts";
import { RiscvState } from "./state.ts";
import { FPR_ABI_NAMES, GPR_ABI_NAMES } from "./names.ts";

const FCSR_OFFSET = 520;
const REG_RA = 1, REG_SP = 2, REG_TP = 4, REG_A0 = 10, REG_A1 = 11, REG_A2 = 12;
const FP_BASE = 32;

/** rt_sigframe offsets (siginfo 128 bytes, then the ucontext). */
const UC = 128;
const UC_FLAGS = UC + 0, UC_LINK = UC + 8, UC_STACK = UC + 16, UC_SIGMASK = UC + 40;
/** uc_mcontext is 16-byte aligned: offset 176 inside the ucontext. */
const MC = UC + 176;
const MC_FP = MC + 256;
const MC_FCSR = MC_FP + 32 * 8;
/** sizeof(struct rt_sigframe): siginfo + ucontext (with the 528-byte Q-sized FP union). */
const FRAME_SIZE = UC + 176 + 256 + 528;

/**
 * The riscv64 syscall numbers by number: the asm-generic table and the two
 * RISC-V calls in its architecture-specific range.
 *
 * @example
 * ```ts
 * import { RISCV64_SYSCALLS } from "./linux_abi.ts";
 * console.log(RISCV64_SYSCALLS[64], RISCV64_SYSCALLS[259]); // "write" "riscv_flush_icache"
 * ```
 */
export const RISCV64_SYSCALLS: Readonly<Record<number, string>> = {
  ...GENERIC_SYSCALLS,
  258: "riscv_hwprobe",
  259: "riscv_flush_icache",
};

/** Letters of the base extensions as AT_HWCAP bits (bit = letter - 'A'). */
function hwcapOf(letters: string): bigint {
  let v = 0n;
  for (const c of letters) v |= 1n << BigInt(c.charCodeAt(0) - 65);
  return v;
}

function le32(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return b;
}

function setupSignalFrame(f: SignalFrameRequest): void {
  const r = f.regs;
  const frame = (f.sp - BigInt(FRAME_SIZE)) & ~15n;
  const buf = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(buf.buffer);
  buf.set(f.siginfo.subarray(0, 128), 0);
  dv.setBigUint64(UC_FLAGS, 0n, true);
  dv.setBigUint64(UC_LINK, 0n, true);
  dv.setBigUint64(UC_STACK, BigInt.asUintN(64, f.altStack.sp), true);
  dv.setInt32(UC_STACK + 8, f.altStack.flags, true);
  dv.setBigUint64(UC_STACK + 16, BigInt.asUintN(64, f.altStack.size), true);
  dv.setBigUint64(UC_SIGMASK, BigInt.asUintN(64, f.savedMask), true);
  dv.setBigUint64(MC, r.pc, true);
  for (let i = 1; i < 32; i++) {
    dv.setBigUint64(MC + 8 * i, BigInt.asUintN(64, r.getGlobal(i)), true);
  }
  for (let i = 0; i < 32; i++) {
    dv.setBigUint64(MC_FP + 8 * i, BigInt.asUintN(64, r.getGlobal(FP_BASE + i)), true);
  }
  dv.setUint32(MC_FCSR, Number(BigInt.asUintN(32, r.getState(FCSR_OFFSET))), true);
  r.writeBytes(frame, buf);
  r.setGlobal(REG_SP, frame);
  r.setGlobal(REG_RA, f.restorer !== 0n ? f.restorer : f.trampoline);
  r.setGlobal(REG_A0, BigInt(f.signal));
  r.setGlobal(REG_A1, frame);
  r.setGlobal(REG_A2, frame + BigInt(UC));
  r.pc = f.handler;
}

function restoreSignalFrame(r: RegisterAccess): bigint {
  const frame = BigInt.asUintN(64, r.getGlobal(REG_SP));
  const buf = r.readBytes(frame, FRAME_SIZE);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  r.pc = dv.getBigUint64(MC, true);
  for (let i = 1; i < 32; i++) r.setGlobal(i, dv.getBigInt64(MC + 8 * i, true));
  for (let i = 0; i < 32; i++) r.setGlobal(FP_BASE + i, dv.getBigInt64(MC_FP + 8 * i, true));
  r.setState(FCSR_OFFSET, BigInt(dv.getUint32(MC_FCSR, true)));
  return dv.getBigUint64(UC_SIGMASK, true);
}

/**
 * `-d cpu`: the pc, then x0-x31 with their ABI names four a row, and with `fpu` f0-f31 the same
 * way, as qemu-riscv64 7.2.
 */
function cpuDump(r: RegisterAccess, fpu: boolean): string[] {
  const cell = (name: string, v: bigint) =>
    ` ${name.padEnd(8)} ${BigInt.asUintN(64, v).toString(16).padStart(16, "0")}`;
  const rows = [cell("pc", r.pc)];
  const bank = (prefix: string, names: readonly string[], base: number) => {
    for (let i = 0; i < 32; i += 4) {
      const n = [i, i + 1, i + 2, i + 3];
      rows.push(n.map((k) => cell(`${prefix}${k}/${names[k]}`, r.getGlobal(base + k))).join(""));
    }
  };
  bank("x", GPR_ABI_NAMES, 0);
  if (fpu) bank("f", FPR_ABI_NAMES, FP_BASE);
  return rows;
}

/**
 * The riscv64 Linux ABI (lp64d), for targets running riscv64 ELF programs.
 *
 * @example
 * ```ts
 * import { riscvLinuxAbi } from "./linux_abi.ts";
 * console.log(riscvLinuxAbi.syscallNames[93]); // "exit"
 * ```
 */
export const riscvLinuxAbi: LinuxAbi = {
  machine: "riscv64",
  syscallNumberReg: 17,
  argRegs: [10, 11, 12, 13, 14, 15],
  returnReg: 10,
  spReg: REG_SP,
  tlsReg: REG_TP,
  linkReg: REG_RA,
  syscallInsnSize: 4,
  hwcap: hwcapOf("IMAFDC"),
  defaultSysroot: "/usr/riscv64-linux-gnu",
  syscallAliases: { riscv_flush_icache: "cacheflush" },
  // No sa_restorer on RISC-V: handler, flags, mask.
  sigaction: { size: 24, handler: 0, flags: 8, mask: 16 },
  syscallNames: RISCV64_SYSCALLS,
  // li a7, 139 (rt_sigreturn); ecall
  sigreturnTrampoline: le32(0x08b00893, 0x00000073),
  // Linux's arch/riscv/kernel/cpu.c layout, for one hart with an Sv39 MMU.
  cpuinfo: (isa) =>
    `processor\t: 0\nhart\t\t: 0\nisa\t\t: ${isa}\nmmu\t\t: sv39\n` +
    "uarch\t\t: denemu\nmvendorid\t: 0x0\nmarchid\t\t: 0x0\nmimpid\t\t: 0x0\n\n",
  checkElfFlags(flags: number): string | null {
    // EF_RISCV_RVE (0x8) is an RV32E/RV64E binary; float ABI 3 (quad) is unsupported.
    if (flags & 0x8) return "RVE binaries are not supported";
    if (((flags >> 1) & 3) === 3) return "the quad-float ABI is not supported";
    return null;
  },
  setupSignalFrame,
  cpuDump,
  restoreSignalFrame,
  breakReservation: (r) => r.setState(RiscvState.RESERVATION_VALID, 0n),
};

/** Size of the riscv64 rt_sigframe in bytes (exported for tests). */
export const RISCV64_SIGFRAME_SIZE = FRAME_SIZE;

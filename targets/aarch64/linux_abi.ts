/**
 * The arm64 Linux user-mode ABI: syscall registers (x8 the number, x0-x5 the
 * arguments), the asm-generic syscall table, `struct sigaction` with
 * `sa_restorer`, and the rt_sigframe of `arch/arm64/kernel/signal.c`:
 * siginfo, then the ucontext whose sigcontext holds x0-x30, sp, pc, pstate
 * and, in its reserved area, an `fpsimd_context` record (FPSR, FPCR, V0-V31)
 * and the terminating null record. A frame record {fp, lr} sits above the
 * frame, and x29 points at it, as the kernel does.
 *
 * @module
 */

import {
  GENERIC_SYSCALLS,
  type LinuxAbi,
  type RegisterAccess,
  type SignalFrameRequest,
} from "../../plugin_target.ts";
import { A64_HWCAP, A64_HWCAP2, a64Cpuinfo } from "./features.ts";
import { A64 } from "./state.ts";

/** rt_sigframe offsets: siginfo (128 bytes), then the ucontext. */
const UC = 128;
const UC_STACK = UC + 16, UC_SIGMASK = UC + 40;
/** the sigcontext (uc_mcontext, 16-byte aligned) */
const SC = UC + 176;
const SC_REGS = SC + 8, SC_SP = SC + 256, SC_PC = SC + 264, SC_PSTATE = SC + 272;
const SC_RESERVED = SC + 288;
/** the fpsimd_context record */
const FPSIMD_MAGIC = 0x46508001, FPSIMD_SIZE = 528;
/** sizeof(struct rt_sigframe): siginfo + ucontext (sigcontext with its 4096 reserved bytes) */
const FRAME_SIZE = SC_RESERVED + 4096;

/** NZCV of the flag globals, as pstate bits 31..28. */
function pstateOf(r: RegisterAccess): bigint {
  const n = r.getGlobal(A64.NF) < 0n ? 8n : 0n;
  const z = BigInt.asUintN(64, r.getGlobal(A64.ZF)) === 0n ? 4n : 0n;
  const c = r.getGlobal(A64.CF) !== 0n ? 2n : 0n;
  const v = r.getGlobal(A64.VF) < 0n ? 1n : 0n;
  return (n | z | c | v) << 28n;
}

/** Sets the flag globals from pstate bits 31..28. */
function setFlags(r: RegisterAccess, pstate: bigint): void {
  r.setGlobal(A64.NF, pstate & (1n << 31n) ? -1n : 0n);
  r.setGlobal(A64.ZF, pstate & (1n << 30n) ? 0n : 1n);
  r.setGlobal(A64.CF, (pstate >> 29n) & 1n);
  r.setGlobal(A64.VF, pstate & (1n << 28n) ? -1n : 0n);
}

function setupSignalFrame(f: SignalFrameRequest): void {
  const r = f.regs;
  const record = (f.sp - 16n) & ~15n;
  const frame = (record - BigInt(FRAME_SIZE)) & ~15n;
  const buf = new Uint8Array(FRAME_SIZE);
  const dv = new DataView(buf.buffer);
  buf.set(f.siginfo.subarray(0, 128), 0);
  dv.setBigUint64(UC_STACK, BigInt.asUintN(64, f.altStack.sp), true);
  dv.setInt32(UC_STACK + 8, f.altStack.flags, true);
  dv.setBigUint64(UC_STACK + 16, BigInt.asUintN(64, f.altStack.size), true);
  dv.setBigUint64(UC_SIGMASK, BigInt.asUintN(64, f.savedMask), true);
  for (let i = 0; i < 31; i++) {
    dv.setBigUint64(SC_REGS + 8 * i, BigInt.asUintN(64, r.getGlobal(i)), true);
  }
  dv.setBigUint64(SC_SP, BigInt.asUintN(64, r.getGlobal(A64.SP)), true);
  dv.setBigUint64(SC_PC, r.pc, true);
  dv.setBigUint64(SC_PSTATE, pstateOf(r), true);
  dv.setUint32(SC_RESERVED, FPSIMD_MAGIC, true);
  dv.setUint32(SC_RESERVED + 4, FPSIMD_SIZE, true);
  dv.setUint32(SC_RESERVED + 8, Number(r.getState(A64.FPSR) & 0xffffffffn), true);
  dv.setUint32(SC_RESERVED + 12, Number(r.getState(A64.FPCR) & 0xffffffffn), true);
  for (let n = 0; n < 32; n++) {
    dv.setBigUint64(SC_RESERVED + 16 + 16 * n, BigInt.asUintN(64, r.getGlobal(A64.vLow(n))), true);
    dv.setBigUint64(SC_RESERVED + 24 + 16 * n, BigInt.asUintN(64, r.getGlobal(A64.vHigh(n))), true);
  }
  // The null record that ends the list follows (the buffer is zeroed).
  const frameRecord = new Uint8Array(16);
  const fr = new DataView(frameRecord.buffer);
  fr.setBigUint64(0, BigInt.asUintN(64, r.getGlobal(29)), true);
  fr.setBigUint64(8, BigInt.asUintN(64, r.getGlobal(30)), true);
  r.writeBytes(frame, buf);
  r.writeBytes(record, frameRecord);
  r.setGlobal(A64.SP, frame);
  r.setGlobal(29, record);
  r.setGlobal(30, f.restorer !== 0n ? f.restorer : f.trampoline);
  r.setGlobal(0, BigInt(f.signal));
  if (f.siginfoFlag) { // as Linux: x1 and x2 only for an SA_SIGINFO handler
    r.setGlobal(1, frame);
    r.setGlobal(2, frame + BigInt(UC));
  }
  r.pc = f.handler;
}

/**
 * `-d cpu`: PC, X0-X30 three a row and SP, then PSTATE's NZCV and EL0t, and with `fpu` FPCR,
 * FPSR and Q0-Q31 two a row, as qemu-aarch64 7.2 prints them for a CPU without SME, BTI and SVE
 * (which Denemu does not have: qemu's default CPU adds SVCR, BTYPE and Z registers).
 */
function cpuDump(r: RegisterAccess, fpu: boolean): string[] {
  const hex = (v: bigint, digits = 16) => BigInt.asUintN(64, v).toString(16).padStart(digits, "0");
  let text = ` PC=${hex(r.pc)} `;
  for (let i = 0; i < 31; i++) {
    text += `X${String(i).padStart(2, "0")}=${hex(r.getGlobal(i))}${(i + 2) % 3 ? " " : "\n"}`;
  }
  const psr = Number(pstateOf(r));
  const flag = (bit: number, name: string) => (psr >>> bit) & 1 ? name : "-";
  const nzcv = flag(31, "N") + flag(30, "Z") + flag(29, "C") + flag(28, "V");
  text += ` SP=${hex(r.getGlobal(A64.SP))}\nPSTATE=${hex(BigInt(psr), 8)} ${nzcv} EL0t`;
  if (fpu) {
    text += `     FPCR=${hex(r.getState(A64.FPCR), 8)} FPSR=${hex(r.getState(A64.FPSR), 8)}`;
    for (let n = 0; n < 32; n++) {
      const q = `${hex(r.getGlobal(A64.vHigh(n)))}:${hex(r.getGlobal(A64.vLow(n)))}`;
      text += `${n & 1 ? " " : "\n"}Q${String(n).padStart(2, "0")}=${q}`;
    }
  }
  return text.split("\n");
}

function restoreSignalFrame(r: RegisterAccess): bigint {
  const frame = BigInt.asUintN(64, r.getGlobal(A64.SP));
  const buf = r.readBytes(frame, FRAME_SIZE);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let i = 0; i < 31; i++) r.setGlobal(i, dv.getBigInt64(SC_REGS + 8 * i, true));
  r.setGlobal(A64.SP, dv.getBigInt64(SC_SP, true));
  r.pc = dv.getBigUint64(SC_PC, true);
  setFlags(r, dv.getBigUint64(SC_PSTATE, true));
  if (dv.getUint32(SC_RESERVED, true) === FPSIMD_MAGIC) {
    r.setState(A64.FPSR, BigInt(dv.getUint32(SC_RESERVED + 8, true)));
    r.setState(A64.FPCR, BigInt(dv.getUint32(SC_RESERVED + 12, true)));
    for (let n = 0; n < 32; n++) {
      r.setGlobal(A64.vLow(n), dv.getBigInt64(SC_RESERVED + 16 + 16 * n, true));
      r.setGlobal(A64.vHigh(n), dv.getBigInt64(SC_RESERVED + 24 + 16 * n, true));
    }
  }
  return dv.getBigUint64(UC_SIGMASK, true);
}

function le32(...words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 4);
  const dv = new DataView(b.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return b;
}

/**
 * The arm64 Linux ABI.
 *
 * @example
 * ```ts
 * import { aarch64LinuxAbi } from "./linux_abi.ts";
 * console.log(aarch64LinuxAbi.syscallNames[93], aarch64LinuxAbi.sigaction.restorer); // "exit" 16
 * ```
 */
export const aarch64LinuxAbi: LinuxAbi = {
  machine: "aarch64",
  syscallNumberReg: 8,
  argRegs: [0, 1, 2, 3, 4, 5],
  returnReg: 0,
  spReg: A64.SP,
  tlsReg: A64.TPIDR,
  linkReg: 30,
  syscallInsnSize: 4,
  hwcap: A64_HWCAP,
  hwcap2: A64_HWCAP2,
  platform: "aarch64",
  cpuinfo: a64Cpuinfo,
  defaultSysroot: "/usr/aarch64-linux-gnu",
  mmapBase: 0x5500000000n, // qemu-aarch64's TASK_UNMAPPED_BASE
  maxReservedVa: 1n << 52n,
  coreDumpMessage: true,
  openFlagBits: { DIRECTORY: 0x4000, NOFOLLOW: 0x8000, DIRECT: 0x10000, LARGEFILE: 0x20000 },
  illegalInstructionCode: 2, // ILL_ILLOPN, as qemu-aarch64's EXCP_UDEF
  sigaction: { size: 32, handler: 0, flags: 8, restorer: 16, mask: 24 },
  syscallNames: GENERIC_SYSCALLS,
  // mov x8, #139 (rt_sigreturn); svc #0
  sigreturnTrampoline: le32(0xd2801168, 0xd4000001),
  setupSignalFrame,
  restoreSignalFrame,
  cpuDump,
  breakReservation: (r) => r.setGlobal(A64.EXCL_ADDR, -1n),
};

/** Size of the arm64 rt_sigframe in bytes (exported for tests). */
export const AARCH64_SIGFRAME_SIZE = FRAME_SIZE;

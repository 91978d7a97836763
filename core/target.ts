/**
 * The interface between core and a target (guest ISA) plugin.
 *
 * A target describes its CPU state block, its helpers, how to translate guest
 * code into IR one TB at a time, how to disassemble, and (optionally) its Linux
 * user-mode ABI. Core never names a target: it only sees this interface.
 *
 * @module
 */

import type { CpuCore } from "./cpu_core.ts";
import type { GuestMemory } from "./guest_memory.ts";
import type { HelperDef } from "./ir.ts";
import type { IrEmitter, Wide } from "./ir_builder.ts";

/**
 * One architectural register, for debuggers, hooks and `-d cpu`.
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * const sp = riscv.create("rv64").state.registers.find((r) => r.aliases?.includes("sp"));
 * console.log(sp?.name, sp?.bits, sp?.kind); // x2 64 int
 * ```
 */
export interface RegisterInfo {
  /** canonical name, e.g. "x1" / "pc" / "f0" / "fcsr" */
  name: string;
  /** other accepted names, e.g. ABI names "ra", "sp" */
  aliases?: string[];
  /** byte offset in the state block */
  offset: number;
  /** width in bits (32 or 64) */
  bits: number;
  /** "int", "fp", "pc" or "csr" */
  kind: "int" | "fp" | "pc" | "csr";
  /** hardwired to zero: writes are dropped (RISC-V's x0) */
  zero?: boolean;
}

/**
 * Layout of a target's CPU state block (at most `STATE_SIZE` bytes).
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * const { globals, pcOffset } = riscv.create("rv64").state;
 * console.log(globals[1].name, pcOffset >= 0); // x1 true
 * ```
 */
export interface StateLayout {
  /** bytes used */
  size: number;
  /** byte offset of the pc (64-bit slot) */
  pcOffset: number;
  /**
   * Globals: temps `0..globals.length-1` of every TB are these 64-bit state
   * slots. Backends may cache them in locals inside a TB.
   */
  globals: { name: string; offset: number }[];
  /** Every register a user can read or write. */
  registers: RegisterInfo[];
}

/** Metadata of one translated guest instruction. */
export interface InsnInfo {
  /** guest address of the instruction */
  pc: bigint;
  /** length in bytes */
  size: number;
  /** the raw instruction bits (little-endian value of `size` bytes) */
  bits: number;
}

/**
 * What a target's translator gets for one TB.
 *
 * @example
 * ```ts ignore
 * // A fixed 4-byte ISA's translate(): RISC-V's (targets/riscv/translate.ts) adds 2-byte insns.
 * translate(ctx: TranslateContext): void {
 *   let pc = ctx.pc;
 *   for (let n = 0;; n++) {
 *     if (n > 0 && (n >= ctx.maxInsns || !ctx.samePage(pc))) return ctx.ir.gotoTb(pc);
 *     const bits = ctx.fetch(pc, 4);
 *     if (bits === null) return n > 0 ? ctx.ir.gotoTb(pc) : raiseFetchFault(ctx.ir, pc);
 *     ctx.beginInsn(pc, 4, bits);
 *     emitInsn(ctx.ir, pc, bits); // the decoder, then one trans_ function per pattern
 *     pc += 4n;
 *   }
 * }
 * ```
 */
export interface TranslateContext {
  /** the TB's first pc */
  readonly pc: bigint;
  /** the target's TB flags for this block (from {@linkcode TargetArch.tbFlags}) */
  readonly flags: number;
  /** the IR builder for this TB */
  readonly ir: IrEmitter;
  /** translation stops after this many instructions */
  readonly maxInsns: number;
  /** the instructions translated so far */
  readonly insns: InsnInfo[];
  /** the memory of the CPU it translates for (names the hart, on a machine with several) */
  readonly memory: GuestMemory;
  /**
   * Reads `size` (2 or 4) bytes of code at `addr` as an unsigned number, or
   * returns null when the fetch faults (the target then ends the TB, or
   * raises a fetch fault when it is the TB's first instruction). Addresses
   * here may be numbers where exact, read as signed 64-bit values (see
   * {@linkcode Wide}: `-4` is `0xffff_ffff_ffff_fffc`), which costs no bigint.
   */
  fetch(addr: Wide, size: number): number | null;
  /**
   * Starts guest instruction at `pc` (emits INSN_START and lets
   * instrumentation insert its ops). Call before emitting its IR. A TB's
   * instructions follow each other: each `pc` is the previous one plus its
   * size (TBs keep only the sizes).
   */
  beginInsn(pc: Wide, size: number, bits: number): void;
  /** Whether the page of `addr` is the same as the TB's first page. */
  samePage(addr: Wide): boolean;
}

/**
 * Registers and conventions the Linux user-mode layer needs.
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * const abi = riscv.create("rv64").linux!;
 * console.log(abi.machine, abi.syscallNames[64], abi.syscallInsnSize); // riscv64 write 4
 * ```
 */
export interface LinuxAbi {
  /** `uname -m`, e.g. "riscv64" */
  machine: string;
  /** temp/global index holding the syscall number */
  syscallNumberReg: number;
  /** globals holding syscall arguments 0..5 */
  argRegs: number[];
  /** global receiving the syscall result */
  returnReg: number;
  /** stack pointer global */
  spReg: number;
  /** thread pointer global (clone's CLONE_SETTLS sets it) */
  tlsReg: number;
  /** global holding a call's return address (a function called with it set returns there) */
  linkReg: number;
  /** length of the syscall instruction (pc advances by it after a syscall) */
  syscallInsnSize: number;
  /** AT_HWCAP value */
  hwcap: bigint;
  /** AT_HWCAP2 value, on machines whose Linux passes one */
  hwcap2?: bigint;
  /** AT_PLATFORM string, on machines whose Linux passes one (its ELF_PLATFORM) */
  platform?: string;
  /**
   * `-d cpu`'s register dump of a thread, lines in the layout of QEMU's cpu_dump_state for the
   * machine; with `fpu` (`-d cpu,fpu`) the FP registers too
   */
  cpuDump?(r: RegisterAccess, fpu: boolean): string[];
  /** where a Debian cross toolchain keeps this machine's libraries (`-L` default when present) */
  defaultSysroot: string;
  /**
   * Where PIE programs, the interpreter and mmap start (QEMU 7.2's TASK_UNMAPPED_BASE for the
   * machine: 0x5500000000 on aarch64; default 1 << 38 for 64-bit guests, 0x40000000 for 32-bit)
   */
  mmapBase?: bigint;
  /** the largest `-R` (reserved_va) QEMU 7.2 takes for the machine (default 1 << 48; aarch64 1 << 52) */
  maxReservedVa?: bigint;
  /**
   * Whether a program killed by a core-dumping signal gets qemu-user's
   * `qemu: uncaught target signal N (...) - core dumped` on stderr: QEMU 7.2
   * prints it where its ELF loader writes core dumps (aarch64), not elsewhere
   * (riscv64).
   */
  coreDumpMessage?: boolean;
  /**
   * The si_code of the SIGILL an illegal instruction raises (default 1,
   * ILL_ILLOPC, as qemu-riscv64 gives; qemu-aarch64 gives ILL_ILLOPN, 2).
   */
  illegalInstructionCode?: number;
  /**
   * This machine's values of the open(2) flags whose bits differ from
   * asm-generic's (arm64: O_DIRECTORY 0x4000, O_NOFOLLOW 0x8000, O_DIRECT
   * 0x10000, O_LARGEFILE 0x20000); absent where they are the generic ones.
   */
  openFlagBits?: Readonly<Record<"DIRECTORY" | "NOFOLLOW" | "DIRECT" | "LARGEFILE", number>>;
  /** the kernel's `struct sigaction` for this machine (`rt_sigaction`) */
  sigaction: SigactionLayout;
  /** Syscall number -> generic Linux name (e.g. 64 -> "write"); core dispatches by name. */
  syscallNames: Readonly<Record<number, string>>;
  /** Machine-specific syscalls that behave as a generic one: name -> generic name. */
  syscallAliases?: Readonly<Record<string, string>>;
  /**
   * Machine code of the signal-return trampoline (`rt_sigreturn` syscall), which the
   * loader maps on its own page; handlers return to it when there is no sa_restorer.
   */
  sigreturnTrampoline: Uint8Array;
  /** `/proc/cpuinfo` as this machine's Linux prints it, for a CPU with ISA string `isa` */
  cpuinfo?(isa: string): string;
  /** ELF e_flags check: returns an error string when the flags are unsupported */
  checkElfFlags?(flags: number): string | null;
  /**
   * Builds a signal frame on the guest stack and points the CPU at the
   * handler (see `core/linux/signals.ts` for the calling contract).
   */
  setupSignalFrame(frame: SignalFrameRequest): void;
  /** Restores the CPU from the frame at the stack pointer (rt_sigreturn). Returns the saved mask. */
  restoreSignalFrame(access: RegisterAccess): bigint;
  /**
   * Drops the load reservation (LR/SC) of the state loaded in `access`: called
   * when another guest thread is switched in, so that a store of that thread
   * to the reserved word cannot go unnoticed by a later SC.
   */
  breakReservation(access: RegisterAccess): void;
}

/**
 * Byte offsets of the fields of the kernel's `struct sigaction` (64-bit
 * fields; `flags` is read as its low 32 bits).
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * const { sigaction } = riscv.create("rv64").linux!;
 * console.log(sigaction.handler, sigaction.restorer); // 0 undefined
 * ```
 */
export interface SigactionLayout {
  /** bytes of the kernel's struct */
  size: number;
  /** offset of `sa_handler` */
  handler: number;
  /** offset of `sa_flags` */
  flags: number;
  /** absent on machines without `sa_restorer` (RISC-V) */
  restorer?: number;
  /** offset of `sa_mask` */
  mask: number;
}

/** What a target needs to build a signal frame. */
export interface SignalFrameRequest {
  /**
   * the interrupted thread's registers: the frame saves them, then they are set to enter the
   * handler
   */
  regs: RegisterAccess;
  /** the signal number */
  signal: number;
  /** the 128-byte siginfo, already encoded */
  siginfo: Uint8Array;
  /** the handler's address (`sa_handler`) */
  handler: bigint;
  /** sa_restorer, or 0n to use the vDSO-style trampoline at `trampoline` */
  restorer: bigint;
  /** the address of a `li a7, __NR_rt_sigreturn; ecall` trampoline the loader mapped */
  trampoline: bigint;
  /** whether SA_SIGINFO was set */
  siginfoFlag: boolean;
  /** the signal mask to save in the frame (blocked signals before delivery) */
  savedMask: bigint;
  /** the stack pointer to build the frame below (alternate stack already chosen) */
  sp: bigint;
  /** the alternate signal stack, saved into uc_stack */
  altStack: { sp: bigint; flags: number; size: bigint };
}

/**
 * Access to the CPU's registers and memory, for ABIs, hooks and debuggers.
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * import { CpuCore } from "./cpu_core.ts";
 * import { GuestMemory } from "./guest_memory.ts";
 * import type { RegisterAccess } from "./target.ts";
 * const regs: RegisterAccess = new CpuCore(riscv.create("rv64"), new GuestMemory());
 * regs.setGlobal(10, 42n); // a0
 * regs.pc = 0x1000n;
 * console.log(regs.getGlobal(10), regs.pc); // 42n 4096n
 * ```
 */
export interface RegisterAccess {
  /** reads global `i` (64-bit) */
  getGlobal(i: number): bigint;
  /** writes global `i` */
  setGlobal(i: number, v: bigint): void;
  /** reads the 64-bit state slot at byte `offset` */
  getState(offset: number): bigint;
  /** writes the 64-bit state slot at byte `offset` */
  setState(offset: number, v: bigint): void;
  /** the program counter */
  pc: bigint;
  /** Reads `length` bytes at guest address `addr`, with permission checks. */
  readBytes(addr: bigint, length: number): Uint8Array;
  /** Writes `data` at guest address `addr`, with permission checks. */
  writeBytes(addr: bigint, data: Uint8Array): void;
}

/**
 * A register gdb sees that packs several state registers (AArch64's cpsr, from
 * the flags the target keeps apart): `read` gets the values of `from`, in
 * order, and `write` splits a value into them.
 *
 * @example
 * ```ts
 * import aarch64 from "../targets/aarch64/mod.ts";
 * const cpsr = aarch64.create("cortex-a57").gdb?.computed?.find((r) => r.name === "cpsr");
 * console.log(cpsr?.bits, cpsr!.from.length > 0); // 32 true
 * ```
 */
export interface GdbComputedRegister {
  /** gdb's name, e.g. "cpsr" */
  name: string;
  /** the canonical name of the register it follows in gdb's numbering */
  after: string;
  /** its width in bits */
  bits: number;
  /** canonical names of the registers it is made of */
  from: string[];
  /** Computes it from the values of the `from` registers, in their order. */
  read(values: bigint[]): bigint;
  /** Splits `value` into the values of the `from` registers, in their order. */
  write(value: bigint): bigint[];
}

/**
 * A register only gdb sees, kept in the state block apart from
 * `state.registers` (RISC-V's vector registers, wider than 64 bits, and
 * its vector CSRs): read from and written to the state block's bytes.
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * const target = riscv.create("rva23u64");
 * const v1 = target.gdb!.stateFeatures![0].regs.find((r) => r.name === "v1")!;
 * const state = new Uint8Array(target.state.size); // a state block
 * v1.write(state, 0x1234n);
 * console.log(v1.read(state).toString(16), v1.group); // 1234 vector
 * ```
 */
export interface GdbStateRegister {
  /** gdb's name, e.g. "v1" */
  name: string;
  /** its width in bits */
  bits: number;
  /** a standard gdb type, or one the feature's `types` define */
  type: string;
  /** gdb's register group, e.g. "vector" (`info registers vector`) */
  group?: string;
  /** the value, from the state block `state` */
  read(state: Uint8Array): bigint;
  /** Writes `value` into the state block `state`. */
  write(state: Uint8Array, value: bigint): void;
}

/**
 * A target description feature of registers only gdb sees (after the `features`).
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * const vector = riscv.create("rva23u64").gdb?.stateFeatures?.[0];
 * console.log(vector?.name, vector?.regs[1].name, vector?.regs[1].bits);
 * // org.gnu.gdb.riscv.vector v1 128
 * ```
 */
export interface GdbStateFeature {
  /** e.g. "org.gnu.gdb.riscv.vector" */
  name: string;
  /** the name target.xml includes it by, as QEMU's (see {@linkcode GdbArch.features}) */
  file?: string;
  /** the XML type definitions (`<vector>`, `<union>`) its registers use */
  types?: string;
  /** its registers, in gdb's numbering order */
  regs: GdbStateRegister[];
}

/**
 * A register gdb reads from the CPU through the target (RISC-V's privilege
 * level and CSRs in system mode), numbered from its feature's first regnum
 * by `offset`: the numbers may leave gaps, as QEMU numbers RISC-V's CSRs by
 * CSR number.
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * import { CpuCore } from "./cpu_core.ts";
 * import { GuestMemory } from "./guest_memory.ts";
 * const target = riscv.create("rv64");
 * const cpu = new CpuCore(target, new GuestMemory());
 * const csrs = target.gdb?.cpuFeatures?.find((f) => f.name === "org.gnu.gdb.riscv.csr");
 * const fflags = csrs?.regs.find((r) => r.name === "fflags");
 * fflags?.write(cpu, 1n);
 * console.log(fflags?.offset, fflags?.read(cpu)); // 1 1n
 * ```
 */
export interface GdbCpuRegister {
  /** gdb's name, e.g. "mhartid" */
  name: string;
  /** its width in bits */
  bits: number;
  /** its regnum minus its feature's first (a RISC-V CSR's: the CSR number) */
  offset: number;
  /** whether `cpu` has it (the CSRs of an extension it lacks are left out) */
  present?(cpu: CpuCore): boolean;
  /**
   * whether the target description names it (default: when present); one present but not named
   * is still read and written by number, one named but not present reads as an error, as QEMU's
   * CSRs its description leaves out or names (RV64's odd pmpcfg) without reading
   */
  listed?(cpu: CpuCore): boolean;
  /** Reads it from `cpu`. */
  read(cpu: CpuCore): bigint;
  /** Writes `value` to it in `cpu`, as a guest write would (side effects included). */
  write(cpu: CpuCore, value: bigint): void;
}

/**
 * A target description feature of registers read from the CPU (after every other feature).
 *
 * @example
 * ```ts
 * import riscv from "../targets/riscv/mod.ts";
 * const features = riscv.create("rv64").gdb?.cpuFeatures ?? [];
 * console.log(features.map((f) => f.name));
 * // [ "org.gnu.gdb.riscv.virtual", "org.gnu.gdb.riscv.csr" ]
 * ```
 */
export interface GdbCpuFeature {
  /** e.g. "org.gnu.gdb.riscv.csr" */
  name: string;
  /** the name target.xml includes it by, as QEMU's (see {@linkcode GdbArch.features}) */
  file?: string;
  /** its registers, in gdb's numbering order */
  regs: GdbCpuRegister[];
}

/**
 * How gdb names a target's registers (the `gdb` field of {@linkcode TargetArch}).
 * The stub builds target.xml from `state.registers`: each feature takes the
 * registers of its kinds, in state order; field registers go just before
 * the register they are part of.
 *
 * @example
 * ```ts
 * import type { GdbArch } from "./target.ts";
 * const gdb: GdbArch = {
 *   arch: "riscv:rv64",
 *   features: [{ name: "org.gnu.gdb.riscv.cpu", kinds: ["int", "pc"] }],
 * };
 * console.log(gdb.features[0].kinds); // ["int", "pc"]
 * ```
 */
export interface GdbArch {
  /** gdb's architecture name, e.g. "riscv:rv64" */
  arch: string;
  /**
   * the target description features, in order. When every feature has a `file`, target.xml
   * includes each by that name (`<xi:include href="riscv-64bit-cpu.xml"/>`) and gdb reads it
   * apart, as from QEMU; else target.xml holds them all.
   */
  features: { name: string; file?: string; kinds: RegisterInfo["kind"][] }[];
  /** the name gdb expects for a register (default: its canonical name) */
  regName?(r: RegisterInfo): string;
  /** gdb's type of a register (default by kind: int, code_ptr, ieee_single or ieee_double) */
  regType?(r: RegisterInfo): string | undefined;
  /** extra registers computed from state registers */
  computed?: GdbComputedRegister[];
  /**
   * Watchpoints stop before the access, at the accessing instruction, and gdb
   * steps over it (QEMU's `gdb_stop_before_watchpoint`, set for RISC-V); else after.
   */
  stopBeforeWatchpoint?: boolean;
  /** features of registers outside `state.registers`, numbered after the others */
  stateFeatures?: GdbStateFeature[];
  /**
   * features of registers read from the CPU, numbered after the state
   * features, each from the first free regnum; gdb reads them with `p`
   * alone (QEMU's `g` holds the core registers only)
   */
  cpuFeatures?: GdbCpuFeature[];
}

/**
 * A target: everything core needs to run one guest ISA.
 *
 * @example
 * ```ts
 * import type { TargetArch } from "./target.ts";
 * function describe(t: TargetArch) {
 *   return `${t.name}: ${t.state.registers.length} registers, ${t.helpers.length} helpers`;
 * }
 * ```
 */
export interface TargetArch {
  /** e.g. "riscv64" */
  name: string;
  /** register width in bits */
  xlen: 32 | 64;
  /** the ISA the `-cpu` option selected, as the architecture names it (device trees show it) */
  isa?: string;
  /** ELF e_machine this target runs, and its ELF class (1 = 32-bit, 2 = 64-bit) */
  elfMachine: number;
  /** its ELF class (EI_CLASS: 1 = 32-bit, 2 = 64-bit) */
  elfClass: 1 | 2;
  /** where its globals and pc live in the state block, and the block's size */
  state: StateLayout;
  /** helper `i` is called by `CALL` ops with `imm = i` */
  helpers: HelperDef[];
  /** Sets the state block to reset values (the pc is set by the loader). */
  reset(regs: RegisterAccess): void;
  /**
   * Flags that select a translation (privilege level, enabled extensions...), a signed 32-bit
   * number (a TB keeps them as a word). Part of the TB key.
   */
  tbFlags(regs: RegisterAccess): number;
  /**
   * The MMU mode of TBs made under `flags` (QEMU's MMU index), below `TLB_MODES`: the soft-TLB
   * table their accesses use. Each privilege level has its own, so that switching levels
   * keeps every level's translations. Without it, every TB uses table 0.
   */
  mmuIndex?(flags: number): number;
  /**
   * Translates one TB starting at `ctx.pc`. Must end with GOTO_TB, GOTO_PTR or RAISE on every path.
   * What an instruction does may depend only on its own pc, its bytes and the flags, never on
   * where the TB started: the core translates from inside a block (a budget's cut, the rest of a
   * TB the JIT hands to the interpreter after a soft-TLB miss) and expects the same instructions.
   */
  translate(ctx: TranslateContext): void;
  /** Disassembles the instruction with raw `bits` (of length `size`) at `pc`. */
  disassemble(bits: number, size: number, pc: bigint): string;
  /** The target's cause code for a memory fault (RISC-V: page-fault causes 12, 13, 15). */
  memoryFaultCause?(access: "read" | "write" | "fetch", reason: string): number;
  /** Linux user-mode conventions, when the target supports user mode. */
  linux?: LinuxAbi;
  /** How gdb sees the registers (the gdb stub needs it). */
  gdb?: GdbArch;
}

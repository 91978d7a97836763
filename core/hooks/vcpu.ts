/**
 * The view of a CPU that callbacks and scripts get: registers by name,
 * memory, the pc, and a way to stop. Small on purpose (Unicorn's
 * reg_read/reg_write/mem_read/mem_write/emu_stop).
 *
 * @module
 */

import type { CpuCore } from "../cpu_core.ts";
import { EmuError } from "../errors.ts";
import type { RegisterInfo } from "../target.ts";
import { PcRedirect } from "../trap.ts";

/**
 * A virtual CPU as instrumentation sees it.
 *
 * @example
 * ```ts ignore
 * hooks.addInsnHook((vcpu) => {
 *   if (vcpu.index === 1 && vcpu.readReg("a0") === 0n) vcpu.stop();
 * });
 * ```
 */
export class Vcpu {
  readonly #regs = new Map<string, RegisterInfo>();
  /** True while an exec callback with register write access runs (pc changes redirect execution). */
  inCallback = false;
  /** True while a memory callback runs (the pc cannot change there). */
  inMemCallback = false;

  /**
   * @internal a machine's hooks make it; `index`: the vCPU's index in the run
   * (QEMU's `vcpu_index`: system mode, the hart id; user mode, one per process)
   */
  constructor(/** @internal */ readonly cpu: CpuCore, readonly index = 0) {
    for (const r of cpu.target.state.registers) {
      this.#regs.set(r.name, r);
      for (const a of r.aliases ?? []) this.#regs.set(a, r);
    }
  }

  /** Names of every register (canonical names). */
  get registerNames(): string[] {
    return this.cpu.target.state.registers.map((r) => r.name);
  }

  #reg(name: string): RegisterInfo {
    const r = this.#regs.get(name);
    if (!r) {
      throw new EmuError(
        `unknown register "${name}" for ${this.cpu.target.name}`,
        `known: ${this.registerNames.join(" ")}`,
      );
    }
    return r;
  }

  /** Reads a register by name or alias (e.g. "a0", "x10", "pc", "fcsr"). */
  readReg(name: string): bigint {
    const r = this.#reg(name);
    if (r.kind === "pc") return this.cpu.pc;
    const v = this.cpu.getState(r.offset);
    return r.bits === 32 ? BigInt.asUintN(32, v) : BigInt.asUintN(64, v);
  }

  /** Writes a register. Writing "pc" inside an instruction callback redirects execution. */
  writeReg(name: string, value: bigint): void {
    const r = this.#reg(name);
    if (r.kind === "pc") return this.setPc(value);
    if (r.zero) return; // RISC-V's x0 (AArch64's x0 is a register like the others)
    this.cpu.setState(r.offset, value);
  }

  /** The current pc (inside a callback: the instruction's pc). */
  get pc(): bigint {
    return this.cpu.pc;
  }

  /**
   * Continues execution at `pc`. From an instruction or block callback the
   * instruction it is attached to does not run.
   */
  setPc(pc: bigint): void {
    if (this.inMemCallback) {
      throw new EmuError(
        "setPc is not possible in a memory callback",
        'change the pc from an instruction or block callback registered with regs: "write"',
      );
    }
    this.cpu.pc = pc;
    if (this.inCallback) throw new PcRedirect();
  }

  /** Guest instructions retired so far. */
  get icount(): number {
    return this.cpu.icount;
  }

  /** Reads guest memory (faults throw GuestFault). */
  readMemory(addr: bigint, length: number): Uint8Array {
    return this.cpu.mem.readBytes(addr, length);
  }

  /** Writes guest memory, ignoring page protections (like a debugger). */
  writeMemory(addr: bigint, data: Uint8Array): void {
    this.cpu.mem.writeBytes(addr, data, true);
  }

  /** Stops the run after the current instruction. */
  stop(): void {
    this.cpu.stopRequested = true;
    this.cpu.exitRequest = true;
  }
}

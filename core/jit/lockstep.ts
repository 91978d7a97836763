/**
 * Lockstep mode (`-accel lockstep`): every TB runs first on the reference
 * interpreter, then, from the same state, on the JIT. The first TB whose
 * results differ (registers, pc, trap, instructions retired, or the bytes the
 * interpreter stored) stops the run with both register files.
 *
 * @module
 */

import type { Backend, CpuCore } from "../cpu_core.ts";
import { InternalError } from "../errors.ts";
import { STATE_BASE } from "../host_memory.ts";
import { type GuestAccess, interpretBlock } from "../interp.ts";
import type { TranslationBlock } from "../tb.ts";
import type { Trap } from "../trap.ts";
import { JitBackend } from "./jit_backend.ts";

interface Store {
  addr: bigint;
  size: number;
  old: bigint;
}

/**
 * Runs interpreter and JIT side by side. Slow; for tests and debugging.
 *
 * @example
 * ```ts ignore
 * cpu.backend = new LockstepBackend(cpu);
 * cpu.run(1_000_000); // throws InternalError at the first TB that differs
 * ```
 */
export class LockstepBackend implements Backend {
  readonly name = "lockstep";
  readonly jit: JitBackend;
  /** TBs compared so far. */
  compared = 0;

  constructor(cpu: CpuCore) {
    this.jit = new JitBackend(cpu);
    this.jit.hotThreshold = 0;
  }

  exec(cpu: CpuCore, tb: TranslationBlock, _budget: number): number {
    // An exit already requested (a hook added or a stop asked for between runs) ends the TB
    // before its first instruction, as the interpreter does: there is nothing to compare.
    if (cpu.exitRequest) return interpretBlock(cpu, tb);
    const size = cpu.target.state.size;
    const before = cpu.host.u8.slice(STATE_BASE, STATE_BASE + size);
    // Reference run, logging stores so they can be undone.
    const stores: Store[] = [];
    const mem = cpu.mem;
    const logged: GuestAccess = {
      load: (addr, n, signed) => cpu.load(addr, n, signed),
      store: (addr, n, value) => {
        let old = 0n;
        try {
          old = mem.load(addr, n, false);
        } catch { /* the store will fault too */ }
        cpu.store(addr, n, value);
        stores.push({ addr, size: n, old });
      },
    };
    const refDone = interpretBlock(cpu, tb, logged);
    const refTrap: Trap | null = cpu.trap;
    const refState = cpu.host.u8.slice(STATE_BASE, STATE_BASE + size);
    const refBytes = stores.map((s) => mem.load(s.addr, s.size, false));
    // Undo, then the JIT from the same state, for exactly this TB.
    for (let i = stores.length - 1; i >= 0; i--) {
      mem.store(stores[i].addr, stores[i].size, stores[i].old);
    }
    cpu.host.u8.set(before, STATE_BASE);
    cpu.trap = null;
    cpu.exitRequest = false; // the interpreter's run may have asked; the JIT's run asks again
    const done = this.jit.exec(cpu, tb, tb.insnCount);
    const state = cpu.host.u8.slice(STATE_BASE, STATE_BASE + size);
    const problems: string[] = [];
    if (done !== refDone) problems.push(`instructions retired: interp ${refDone}, jit ${done}`);
    if (!sameTrap(refTrap, cpu.trap)) {
      problems.push(`trap: interp ${describe(refTrap)}, jit ${describe(cpu.trap)}`);
    }
    if (!state.every((b, i) => b === refState[i])) problems.push("state differs");
    stores.forEach((s, i) => {
      const v = mem.load(s.addr, s.size, false);
      if (v !== refBytes[i]) {
        problems.push(`memory at 0x${s.addr.toString(16)}: interp ${refBytes[i]}, jit ${v}`);
      }
    });
    if (problems.length) {
      throw new InternalError(
        `lockstep: TB 0x${tb.pc.toString(16)} differs: ${problems.join("; ")}\n` +
          `interp:\n${dumpState(cpu, refState)}\njit:\n${dumpState(cpu, state)}`,
        tb.pc,
      );
    }
    this.compared++;
    return done;
  }
}

function sameTrap(a: Trap | null, b: Trap | null): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind && a.cause === b.cause && a.pc === b.pc && a.data === b.data;
}

function describe(t: Trap | null): string {
  return t
    ? `kind ${t.kind} cause ${t.cause} pc 0x${t.pc.toString(16)} data 0x${t.data.toString(16)}`
    : "none";
}

function dumpState(cpu: CpuCore, bytes: Uint8Array): string {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return cpu.target.state.registers.map((r) => {
    const v = r.offset + 8 <= bytes.length
      ? BigInt.asUintN(64, dv.getBigInt64(r.offset, true))
      : 0n;
    return `${r.name}=${v.toString(16)}`;
  }).join(" ");
}

/**
 * How exec callbacks are called: each is registered with the pc and size of
 * its block or instruction, and one that cannot change registers is called
 * through a closure bound to those (the import compiled code gets for it).
 *
 * @module
 */

import { EmuError, GuestFault } from "../errors.ts";
import type { Vcpu } from "./vcpu.ts";

/**
 * A Unicorn-style exec callback: the vCPU, then the address and size of its block or instruction.
 *
 * @example
 * ```ts ignore
 * const cb: ExecCb = (_vcpu, pc, size) => console.log(pc, size);
 * ```
 */
export type ExecCb = (vcpu: Vcpu, pc: bigint, size: number) => void;

/**
 * An exec callback baked into generated code by its index in the hooks' table, with its
 * arguments. One that cannot change registers is called through `bound` (see
 * {@linkcode bindCall}), made at its first call.
 *
 * @example
 * ```ts ignore
 * const call: ExecCall = { cb: () => {}, pc: 0x1000n, size: 4 };
 * ```
 */
export interface ExecCall {
  cb: ExecCb;
  pc: bigint;
  size: number;
  bound?: () => void;
}

/**
 * A guest fault inside a callback that cannot raise guest traps (`regs` none
 * or read) is the tool's error, not the guest's: report it as such on both engines.
 *
 * @example
 * ```ts ignore
 * try { cb(vcpu, pc, size); } catch (e) { throw callbackError(e); }
 * ```
 */
export function callbackError(e: unknown): unknown {
  return e instanceof GuestFault ? new EmuError(`a hook callback faulted: ${e.message}`) : e;
}

/**
 * The call of an exec callback that cannot change registers, bound to its arguments: what compiled
 * code imports for it (one import per hooked TB, see `HelperDef.bind`) and the interpreter calls.
 * A guest fault inside it is the tool's error.
 *
 * @example
 * ```ts ignore
 * const run = bindCall(hooks.vcpu, { cb: (_v, pc) => console.log(pc), pc: 0x1000n, size: 4 });
 * run(); // 4096n
 * ```
 */
export function bindCall(vcpu: Vcpu, { cb, pc, size }: ExecCall): () => void {
  return () => {
    try {
      cb(vcpu, pc, size);
    } catch (e) {
      throw callbackError(e);
    }
  };
}

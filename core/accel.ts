/**
 * Execution engines by name, as `-accel` selects them.
 *
 * @module
 */

import { type CpuCore, interpreterBackend, interpreterTierBackend } from "./cpu_core.ts";
import { EmuError } from "./errors.ts";
import { JitBackend } from "./jit/jit_backend.ts";
import { LockstepBackend } from "./jit/lockstep.ts";

/**
 * The engines: the reference IR interpreter, the interpreter tier the JIT starts TBs on, the
 * wasm JIT, or the JIT and the reference in lockstep.
 *
 * @example
 * ```ts ignore
 * const accel: Accel = "lockstep";
 * const m = await createMachine({ program: "prog", accel });
 * ```
 */
export type Accel = "interp" | "interp32" | "jit" | "lockstep";

/** The engine names `-accel` accepts (QEMU's `tcg` means the JIT). */
export const ACCELS: Record<string, Accel> = {
  interp: "interp",
  interp32: "interp32",
  jit: "jit",
  tcg: "jit",
  lockstep: "lockstep",
};

/**
 * Puts the engine `accel` on `cpu`.
 *
 * @example
 * ```ts ignore
 * useAccel(cpu, parseAccel("jit"));
 * ```
 */
export function useAccel(cpu: CpuCore, accel: Accel): void {
  cpu.backend = accel === "jit"
    ? new JitBackend(cpu)
    : accel === "lockstep"
    ? new LockstepBackend(cpu)
    : accel === "interp32"
    ? interpreterTierBackend
    : interpreterBackend;
}

/** What each engine is, for `-accel help`. */
export const ACCEL_HELP: Record<Accel, string> = {
  jit:
    "WebAssembly JIT (default; tcg is accepted for it): hot blocks compiled into chained regions",
  interp: "the reference IR interpreter: one block at a time",
  interp32: "the JIT's first tier alone: the IR interpreter without bigints, the reference for " +
    "blocks with other ops",
  lockstep: "both, compared block by block (user mode)",
};

/** Parses an `-accel` value; throws EmuError naming the choices. */
export function parseAccel(name: string): Accel {
  const a = ACCELS[name];
  if (!a) {
    throw new EmuError(
      `-accel ${name}: unknown engine`,
      "use jit (default), interp, interp32 or lockstep",
    );
  }
  return a;
}

/**
 * The imports through which generated code calls a helper: each publishes the
 * exact instruction count when the helper reads state or may trap, and turns a
 * guest trap into the control block's fault flag. (A callout's exit request
 * reaches the region by itself: see `CpuCore.onExitRequest`.)
 *
 * @module
 */
import type { CpuCore } from "../cpu_core.ts";
import { InternalError } from "../errors.ts";
import type { HelperDef } from "../ir.ts";
import { PcRedirect, trapFrom } from "../trap.ts";
import { CTRL } from "./region_abi.ts";

/**
 * The import that calls `helper` with `arity` arguments for the JIT whose
 * control block is at `ctrl`; `progress` publishes the running region's
 * instruction count (see `CpuCore.inFlight`).
 *
 * @example
 * ```ts ignore
 * const shim = makeHelperShim(cpu, ctrl, progress, cpu.target.helpers[0], 2);
 * shim(1n, 2n);
 * ```
 */
export function makeHelperShim(
  cpu: CpuCore,
  ctrl: number,
  progress: () => void,
  { fn, name, flags }: HelperDef,
  arity: number,
): (...args: (bigint | number)[]) => bigint {
  const dv = () => cpu.host.dv;
  const tracksPc = flags?.mayTrap || flags?.readsState || flags?.writesState;
  const done = (r: bigint | void): bigint => typeof r === "bigint" ? BigInt.asIntN(64, r) : 0n;
  const fail = (e: unknown): bigint => {
    if (e instanceof PcRedirect) {
      dv().setInt32(ctrl + CTRL.fault, 1, true);
      return 0n;
    }
    const trap = trapFrom(e, cpu.pc, cpu);
    if (!trap) throw e;
    if (!flags?.mayTrap) {
      throw new InternalError(`helper ${name} raised a guest trap but is not marked mayTrap`);
    }
    cpu.trap = trap;
    dv().setInt32(ctrl + CTRL.fault, 1, true);
    return 0n;
  };
  // Fixed arities keep the hot path of hook calls free of closures and rest arrays.
  type A = bigint | number;
  switch (arity) {
    case 0:
      return () => {
        if (tracksPc) progress();
        try {
          return done(fn(cpu));
        } catch (e) {
          return fail(e);
        }
      };
    case 1:
      return (a: A) => {
        if (tracksPc) progress();
        try {
          return done(fn(cpu, a));
        } catch (e) {
          return fail(e);
        }
      };
    default:
      return (...args: A[]) => {
        if (tracksPc) progress();
        try {
          return done(fn(cpu, ...args));
        } catch (e) {
          return fail(e);
        }
      };
  }
}

/**
 * The cmplog pass of a user-mode harness: a second harness on the same
 * program whose CPU logs comparisons (AFL++ runs a second, cmplog-built
 * binary; here the same binary gets the logging instrumentation), with the
 * string comparison functions hooked by symbol.
 *
 * @module
 */

import type { LinuxProcess } from "./process.ts";
import { CmpLog, type Compare } from "../fuzz/cmplog.ts";
import type { CmplogTarget } from "../fuzz/target.ts";
import { createUserHarness, type UserHarnessOptions } from "./fuzz_harness.ts";

/** Attaches a comparison log to `p`, with its string comparison functions hooked. */
export function attachCmpLog(p: LinuxProcess): CmpLog {
  const log = new CmpLog(p.cpu);
  log.hookStringCompares(p.hooks, p.modules, (i) => p.cpu.getGlobal(p.abi.argRegs[i]));
  return log;
}

/**
 * A cmplog pass for the program of `opts`.
 *
 * @example
 * ```ts ignore
 * const cmplog = await createCmplogHarness(opts);
 * for (const c of await cmplog.log(input, 1_000_000)) console.log(c);
 * ```
 */
export async function createCmplogHarness(opts: UserHarnessOptions): Promise<CmplogTarget> {
  let log: CmpLog | null = null;
  const harness = await createUserHarness({
    ...opts,
    setup: (p) => {
      log = attachCmpLog(p);
    },
  });
  return {
    async log(input: Uint8Array, budget: number): Promise<Compare[]> {
      log?.clear();
      await harness.run(input, budget);
      return log ? [...log.entries] : [];
    },
  };
}

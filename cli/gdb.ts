/**
 * `-g PORT` (user mode) and `-s` / `-gdb tcp::PORT` (system mode): the gdb
 * stub serving one machine from before its first instruction.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { MachineDebuggee } from "../core/gdb/machine_debuggee.ts";
import { GdbServer } from "../core/gdb/server.ts";
import type { Machine } from "../core/machine/machine.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";

/**
 * The input log of a run: `-icount rr=...`'s, or under the gdb stub (port
 * `gdbPort`) one kept in memory, with the files the guest reads, so gdb can
 * go backwards over the guest's outside input (stdin, serial, host time).
 *
 * @example
 * ```ts
 * import { runInputLog } from "./gdb.ts";
 * console.log(runInputLog(undefined, 1234)); // { mode: "record", storeFiles: true }
 * ```
 */
export function runInputLog(
  rr: RecordReplayOptions | undefined,
  gdbPort: number | undefined,
): RecordReplayOptions | undefined {
  return rr ?? (gdbPort === undefined ? undefined : { mode: "record", storeFiles: true });
}

/**
 * Serves gdb on 127.0.0.1:`port` until it detaches, kills the guest or the
 * guest is over; `option` (e.g. "-g 1234") names it in errors. The machine then runs
 * on (or reports its end) through the caller's run.
 *
 * @example
 * ```ts ignore
 * await debugWithGdb(m, 1234, "-g 1234");
 * const status = await m.runToExit();
 * ```
 */
export async function debugWithGdb(m: Machine, port: number, option: string): Promise<void> {
  let server: GdbServer;
  try {
    server = GdbServer.listen(new MachineDebuggee(m), { port });
  } catch (e) {
    throw new EmuError(`${option}: cannot listen (${(e as Error).message.split("\n")[0]})`);
  }
  await server.serve();
}

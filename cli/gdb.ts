/**
 * `-g PORT` (user mode) and `-s` / `-gdb tcp::PORT` (system mode): the gdb
 * stub serving one machine from before its first instruction.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import type { GdbServer } from "../core/gdb/server.ts";
import type { Machine } from "../core/machine/machine.ts";
import type { RecordReplayOptions } from "../core/replay/input_log.ts";
import { importLazily } from "./lazy.ts";

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
 * on (or reports its end) through the caller's run. `monitor` (system mode)
 * runs gdb's `monitor CMD` and returns its output.
 *
 * @example
 * ```ts ignore
 * await debugWithGdb(m, 1234, "-g 1234");
 * const status = await m.runToExit();
 * ```
 */
export async function debugWithGdb(
  m: Machine,
  port: number,
  option: string,
  monitor?: (command: string) => Promise<string>,
): Promise<void> {
  // imported here, so that a run without the stub does not load it
  const [{ MachineDebuggee }, stub] = await Promise.all([
    importLazily<typeof import("../core/gdb/machine_debuggee.ts")>(
      new URL("../core/gdb/machine_debuggee.ts", import.meta.url),
    ),
    importLazily<typeof import("../core/gdb/server.ts")>(
      new URL("../core/gdb/server.ts", import.meta.url),
    ),
  ]);
  let server: GdbServer;
  const debuggee = new MachineDebuggee(m);
  // a command may change the machine (system_reset, loadvm): the recorded run's future is gone
  const run = monitor &&
    ((command: string) => monitor(command).finally(() => debuggee.history.rewrite()));
  try {
    server = stub.GdbServer.listen(debuggee, { port, monitor: run });
  } catch (e) {
    throw new EmuError(`${option}: cannot listen (${(e as Error).message.split("\n")[0]})`);
  }
  if (await server.serve() === "kill") console.error("emu: Terminated via GDBstub"); // as QEMU
}

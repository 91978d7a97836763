/**
 * Record/replay for {@linkcode createMachine}: what identifies a run (so a
 * log of another program, other arguments or another seed is refused), and
 * the log's life along the machine's (its end checked or recorded when the
 * guest exits or powers off, the file closed with the machine).
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { readInputFile, sha256Hex } from "../host_files.ts";
import { type InputLog, openInputLog, type RecordReplayOptions } from "../replay/input_log.ts";
import { VERSION } from "../version.ts";
import type { CreateMachineOptions } from "./create.ts";
import type { MachineDriver } from "./driver.ts";
import { SystemDriver } from "./system.ts";

function fileHash(path: string | undefined): string {
  if (path === undefined || path === "none") return "";
  try {
    return `sha256:${sha256Hex(readInputFile(path))}`;
  } catch (e) {
    throw new EmuError(`${path}: cannot read (${(e as Error).message.split("\n")[0]})`);
  }
}

/**
 * What a replay must match: the mode, the hashes of the program (or of the
 * firmware and kernel), the arguments, the environment, the seed, and the
 * options that change what the guest sees.
 *
 * @example
 * ```ts ignore
 * runIdentity({ program: "hello", seed: 1 }); // { mode: "user", program: "9f...", seed: "1", ... }
 * ```
 */
export function runIdentity(opts: CreateMachineOptions): Record<string, string> {
  const seed = String(opts.seed ?? 0);
  if ("system" in opts) {
    const s = opts.system;
    return {
      mode: "system",
      machine: s.machine ?? "virt",
      memory: String(s.memory ?? ""),
      cpu: s.cpu ?? "rv64",
      bios: fileHash(s.bios),
      kernel: fileHash(s.kernel),
      initrd: fileHash(s.initrd),
      append: s.append ?? "",
      rtc: s.rtc ?? "",
      icountShift: String(s.icountShift ?? ""),
      seed,
    };
  }
  return {
    mode: "user",
    program: fileHash(opts.program),
    args: JSON.stringify([opts.argv0 ?? opts.program, ...(opts.args ?? [])]),
    env: JSON.stringify(opts.env ?? []),
    cpu: opts.cpu ?? "",
    realtime: String(opts.realtime ?? false),
    net: opts.net ?? "none",
    seed,
  };
}

/**
 * Opens the log `opts.rr` names, checked against this run.
 *
 * @example
 * ```ts ignore
 * const log = openRunLog({ program: "prog", rr: { mode: "record", file: "run.rr" } });
 * ```
 */
export function openRunLog(opts: CreateMachineOptions & { rr: RecordReplayOptions }): InputLog {
  return openInputLog(opts.rr, VERSION, runIdentity(opts));
}

/**
 * The guest's end (exit or poweroff) goes into `log`, or is checked against
 * it when replaying.
 *
 * @example
 * ```ts ignore
 * endRunLogWithGuest(driver, log);
 * ```
 */
export function endRunLogWithGuest(driver: MachineDriver, log: InputLog): void {
  driver.hooks.events.on("exit", (e) => log.end(e.status));
}

/**
 * Replaying a system-mode run that was closed before the guest ended (an
 * interactive session quit): calls `stop` when the replay gets there, so the
 * replay ends where the recording did.
 *
 * @example
 * ```ts ignore
 * stopWhereRecordingStopped(driver, log, () => machine.stop());
 * ```
 */
export function stopWhereRecordingStopped(
  driver: MachineDriver,
  log: InputLog,
  stop: () => void,
): void {
  const end = log.upcoming("end");
  if (!end || end.bytes.length > 0 || !(driver instanceof SystemDriver)) return;
  driver.sys.events.schedule(end.timeNs, stop, "end of the recording");
}

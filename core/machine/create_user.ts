/**
 * The user-mode half of `createMachine` (`create.ts`): a Linux process from
 * the program's options. `create.ts` imports it only when a program is run,
 * so a board's start-up does not load the Linux syscall layer.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { parseSched } from "../linux/threads.ts";
import { LinuxProcess } from "../linux/process.ts";
import { hostNetwork } from "../linux/net_link.ts";
import type { OutputSink } from "../linux/fds.ts";
import type { InputLog } from "../replay/input_log.ts";
import type { UserOptions } from "./create.ts";
import type { MachineDriver } from "./driver.ts";
import type { Machine } from "./machine.ts";
import { UserDriver } from "./user.ts";

function sink(
  how: UserOptions["stdout"],
  fd: 1 | 2,
  machine: () => Machine,
): OutputSink | undefined {
  if (how === "inherit") return undefined;
  if (typeof how === "function") return how;
  return (b) => machine().capture(fd, b);
}

/**
 * The driver of the Linux program `opts` names; `machine` is the Machine it
 * will drive (where captured output goes).
 *
 * @example
 * ```ts ignore
 * const driver = await userDriver({ program: "tests/guests/bin/hello.static.O2" }, () => m, undefined);
 * ```
 */
export async function userDriver(
  opts: UserOptions,
  machine: () => Machine,
  inputLog: InputLog | undefined,
): Promise<MachineDriver> {
  if (typeof opts.program !== "string" || opts.program === "") {
    throw new EmuError(
      "createMachine: no program to run",
      "pass `program` (a Linux executable, user mode) or `system` (a board to boot)",
    );
  }
  const { stdin, stdout, stderr, seed, log, sched, net, rr: _rr, ...rest } = opts;
  const process = await LinuxProcess.create({
    ...rest,
    accel: opts.accel ?? "jit",
    seed: seed === undefined ? undefined : BigInt(seed),
    sched: sched === undefined ? undefined : parseSched(sched),
    stdin: typeof stdin === "string" && stdin !== "inherit"
      ? new TextEncoder().encode(stdin)
      : stdin,
    stdout: sink(stdout, 1, machine),
    stderr: sink(stderr, 2, machine),
    log: log && { categories: new Set(log.categories), write: log.write, filter: log.filter },
    inputLog,
    net: net === "host" ? hostNetwork(inputLog) : undefined,
  });
  return new UserDriver(process);
}

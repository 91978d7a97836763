/**
 * Denemu: a scriptable machine emulator for Deno.
 *
 * One {@linkcode Machine} for both modes, made by {@linkcode createMachine}:
 * a Linux program (user mode, like `qemu-riscv64`) or a board booting
 * firmware and a kernel (system mode, like `qemu-system-riscv64`), driven
 * event by event with the same methods, and instrumented through
 * `m.hooks`. Plugin authors import `plugin.ts` (`@denemu/denemu/plugin`).
 * Run as the main module it is the CLI (`deno run -A mod.ts user prog`).
 *
 * @example
 * ```ts
 * import { createMachine } from "./mod.ts";
 * const m = await createMachine({ program: "tests/guests/bin/hello.static.O2" });
 * for await (const ev of m.run()) {
 *   if (ev.type === "syscall" && ev.name === "write") console.log("write", ev.args[2]); // write 14n
 * }
 * console.log(m.stdout); // Hello, world!
 * ```
 *
 * @module
 */

export { createMachine } from "./core/machine/create.ts";
export type {
  CommonOptions,
  CreateMachineOptions,
  SystemOptions,
  UserOptions,
} from "./core/machine/create.ts";
export { Machine, type Snapshot } from "./core/machine/machine.ts";
export {
  fuzz,
  type FuzzOptions,
  type FuzzProgress,
  type FuzzReport,
} from "./core/machine/fuzz_api.ts";
export {
  ExecutionHistory,
  type HistoryOptions,
  type ReverseStop,
  type StopEvent,
} from "./core/machine/history.ts";
export type { FaultRunEvent, RunEvent, SyscallRunEvent } from "./core/machine/events.ts";
export type { Accel } from "./core/accel.ts";
export type { ElfFile, ElfSegment, ElfSymbol } from "./core/elf.ts";
export { EmuError, GuestFault } from "./core/errors.ts";
export type { AccessType } from "./core/errors.ts";
export { Hooks, Scoreboard } from "./core/hooks/hooks.ts";
export type {
  CallbackOptions,
  DiscontinuityEvent,
  HookEventMap,
  HookId,
  HookRange,
  InsnHandle,
  MemAccess,
  MemCallbackOptions,
  RegsAccess,
  SyscallEvent,
  SyscallReturnEvent,
  TbHandle,
} from "./core/hooks/hooks.ts";
export { Vcpu } from "./core/hooks/vcpu.ts";
export { Cond } from "./core/ir.ts";
export { type Trap, TrapKind } from "./core/trap.ts";
export { ExpectTimeout, SerialConsole } from "./core/system/console.ts";
export { readInputFile } from "./core/host_files.ts";
export type { RecordReplayOptions } from "./core/replay/input_log.ts";
export type { ExpectOptions, SerialBackend } from "./core/system/console.ts";

// No top-level await: plugins import this module, so it must finish evaluating first.
export type { LoadedModule, ModuleList, ModuleObserver, ModuleSegment } from "./core/modules.ts";

if (import.meta.main) {
  import("./cli/main.ts").then(async ({ main }) => Deno.exit(await main(Deno.args)));
}

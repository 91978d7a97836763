/**
 * Denemu: a scriptable machine emulator for Deno.
 *
 * This module is the whole public surface: scripts, tool plugins, targets and
 * devices import only from here. Run as the main module it is the CLI
 * (`deno run -A mod.ts user prog`).
 *
 * @module
 */

export * from "./core/ir.ts";
export * from "./core/errors.ts";
export * from "./core/trap.ts";
export type * from "./core/target.ts";
export { GuestMemory, type MmioHandler, type Page, pageNumber, Perm } from "./core/guest_memory.ts";
export { HostMemory, PAGE_SIZE, STATE_BASE } from "./core/host_memory.ts";
export { type Backend, CpuCore, interpreterBackend, type RunExit } from "./core/cpu_core.ts";
export {
  MAX_TB_INSNS,
  TbCache,
  type TranslationBlock,
  type TranslationObserver,
} from "./core/tb.ts";
export { DEFAULT_EPOCH_NS, VirtualClock } from "./core/clock.ts";
export {
  builtinTargets,
  loadTargetPlugin,
  loadToolPlugin,
  parsePluginSpec,
  PLUGIN_API_VERSION,
  targetForCpu,
  targetForElf,
  type TargetPlugin,
  type ToolBinary,
  type ToolContext,
  type ToolPlugin,
} from "./core/plugin.ts";
export { JitBackend, type JitStats } from "./core/jit/jit_backend.ts";
export { SoftTlb } from "./core/soft_tlb.ts";
export {
  type CallbackOptions,
  type DiscontinuityEvent,
  type HookEventMap,
  type HookId,
  type HookRange,
  Hooks,
  type InsnHandle,
  type MemAccess,
  type RegsAccess,
  Scoreboard,
  type SyscallEvent,
  type SyscallReturnEvent,
  type TbHandle,
} from "./core/hooks/hooks.ts";
export { Vcpu } from "./core/hooks/vcpu.ts";
export {
  type ElfFile,
  type ElfSegment,
  type ElfSymbol,
  ET_DYN,
  ET_EXEC,
  parseElf,
  readSymbols,
} from "./core/elf.ts";
export { LinuxProcess, type LinuxProcessOptions, type ProcessEvent } from "./core/linux/process.ts";
export { type RunUserOptions, runUserProgram, type RunUserResult } from "./core/linux/run.ts";
export type { SyscallHandler, SyscallTable } from "./core/linux/syscall.ts";
export * from "./core/softfloat/mod.ts";

export {
  type DevicePlugin,
  loadDevicePlugin,
  loadMachinePlugin,
  type MachinePlugin,
} from "./core/plugin.ts";
export {
  type BusRegion,
  type DmaView,
  type MmioRegion,
  PhysicalBus,
  type RamRegion,
} from "./core/system/bus.ts";
export {
  type EventHandle,
  EventQueue,
  type SavedEvents,
  type Timer,
} from "./core/system/events.ts";
export {
  type DeviceState,
  loadVmState,
  saveVmState,
  type VmStateDescription,
} from "./core/system/vmstate.ts";
export { SystemMemory } from "./core/system/system_memory.ts";
export * from "./core/system/system_target.ts";
export * from "./core/decodetree/decodetree.ts";
export {
  EmulatedSystem,
  type SystemConfig,
  type SystemEvent,
} from "./core/system/emulated_system.ts";
export { type RunLoopOptions, type RunLoopResult, SystemRunLoop } from "./core/system/run_loop.ts";
export {
  type InterruptController,
  type InterruptSink,
  IrqLine,
  RecordingInterruptSink,
} from "./core/system/irq.ts";
export {
  type ExpectOptions,
  ExpectTimeout,
  type SerialBackend,
  SerialConsole,
} from "./core/system/console.ts";
export { type WordRegisters, wordRegisters } from "./core/system/registers.ts";
export {
  cpuIntcLabel,
  descriptionToNode,
  type Device,
  type DeviceContext,
  type DeviceDescription,
  type MachineEvent,
  type RandomSource,
} from "./core/system/device.ts";
export {
  DeviceOptions,
  type DeviceSpec,
  parseDeviceSpec,
  parseOptionList,
  parseSize,
} from "./core/system/options.ts";
export {
  type BuiltMachine,
  type CreatedDevice,
  type DeviceFactory,
  MachineControl,
  MachineDevices,
  type MachineEnv,
  type MachineOptions,
} from "./core/system/machine.ts";
export {
  type DecodedFdt,
  decodeFdt,
  encodeFdt,
  type FdtCell,
  fdtCells,
  type FdtEncodeOptions,
  FdtNode,
  type FdtPropValue,
  type FdtReservation,
  fdtString,
  fdtStrings,
  u64Cells,
} from "./core/system/fdt.ts";
export {
  attachVirtio,
  createVirtioMmio,
  VIRTIO_F_VERSION_1,
  VIRTIO_MMIO_SIZE,
  VIRTIO_VENDOR_QEMU,
  type VirtioBackend,
  VirtioMmioReg,
  VirtioMmioTransport,
  VirtioStatus,
} from "./core/system/virtio.ts";
export {
  SplitVirtqueue,
  type VirtqBuffer,
  VirtqChain,
  VirtqueueError,
} from "./core/system/virtqueue.ts";

// No top-level await: plugins import this module, so it must finish evaluating first.
if (import.meta.main) {
  import("./cli/main.ts").then(async ({ main }) => Deno.exit(await main(Deno.args)));
}
export {
  createMachine,
  type CreateMachineOptions,
  installTool,
  Machine,
  type RunEvent,
} from "./core/machine.ts";
export { type Accel, parseAccel, useAccel } from "./core/accel.ts";
export { LockstepBackend } from "./core/jit/lockstep.ts";
export { GdbServer, type GdbServerOptions, type SessionEnd } from "./core/gdb/server.ts";
export { type GdbAction, GdbHandler } from "./core/gdb/handler.ts";
export type { Debuggee, DebugStop, WatchKind } from "./core/gdb/debuggee.ts";
export { MachineDebuggee } from "./core/gdb/machine_debuggee.ts";
export {
  type GdbRegister,
  gdbRegisters,
  type RegisterFile,
  targetXml,
} from "./core/gdb/registers.ts";
export { concatBytes } from "./core/bytes.ts";
export { SIG } from "./core/linux/signals.ts";

/**
 * The plugin API of CPU targets (`targets/`): the IR they translate to,
 * traps, the decodetree tables, soft float, guest memory and the target
 * interfaces. It loads none of the machine (the modes, devices, the JIT, the
 * scripting API), so importing a target costs only its own code: a user-mode
 * start-up never loads the system-mode modules a target's `plugin.ts` import
 * used to bring. `plugin.ts` re-exports all of it, so a target may import
 * either.
 *
 * @example
 * ```ts
 * import { Op, type TargetPlugin } from "./plugin_target.ts";
 * const plugin: Partial<TargetPlugin> = { kind: "target", name: "mine" };
 * console.log(plugin.kind, Op.ADD); // target 2
 * ```
 *
 * @module
 */

export * from "./core/ir.ts";
export { IrBuilder, IrEmitter, type Wide } from "./core/ir_builder.ts";
export * from "./core/trap.ts";
export type * from "./core/target.ts";
export type { PluginApiRange, TargetPlugin } from "./core/plugin.ts";
export { type AccessType, EmuError, GuestFault, hex } from "./core/errors.ts";
export type { Backend, CpuCore, RunExit } from "./core/cpu_core.ts";
export {
  GuestMemory,
  type MemoryObserver,
  type MmioHandler,
  type Page,
  type PageResolver,
  Perm,
} from "./core/guest_memory.ts";
export { PAGE_SIZE, STATE_BASE } from "./core/host_memory.ts";
export type { VirtualClock } from "./core/clock.ts";
export * from "./core/softfloat/mod.ts";
export * from "./core/float_ir.ts";
export * from "./core/decodetree/decodetree.ts";
export * from "./core/decodetree/tags.ts";
export { GENERIC_SYSCALLS } from "./core/linux/generic_syscalls.ts";
export type * from "./core/system/system_target.ts";
export type {
  BusObserver,
  BusRegion,
  DmaView,
  LoadedImage,
  MmioRegion,
  PhysicalBus,
  RamRegion,
} from "./core/system/bus.ts";
export type { SystemMemory } from "./core/system/system_memory.ts";
export type { EventHandle, EventQueue, SavedEvents, Timer } from "./core/system/events.ts";
export type { InterruptSink } from "./core/system/irq.ts";
export {
  type DeviceState,
  loadVmState,
  saveVmState,
  type VmStateDescription,
} from "./core/system/vmstate.ts";

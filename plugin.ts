/**
 * Denemu for plugin authors: what tool, device, machine (board) and target
 * plugins are built from, besides the scripting API of `mod.ts` (re-exported
 * here). A plugin's default export is a manifest (`kind`, `name`,
 * `apiVersion: { min, cur }`, ...); Denemu refuses one whose range does not
 * include its {@linkcode PLUGIN_API_VERSION}.
 *
 * @example
 * ```ts
 * import type { ToolPlugin } from "./plugin.ts";
 * const plugin: ToolPlugin = {
 *   kind: "tool",
 *   name: "count",
 *   apiVersion: { min: 2, cur: 2 },
 *   description: "counts instructions",
 *   install(ctx) {
 *     const sb = ctx.hooks.scoreboard();
 *     ctx.hooks.onTranslate((tb) => tb.inlineAdd(sb, BigInt(tb.insns.length)));
 *     ctx.onExit(() => ctx.out(`insns: ${sb.sum()}\n`));
 *   },
 * };
 * export default plugin;
 * ```
 *
 * @module
 */

export * from "./mod.ts";
export {
  builtinPlugins,
  builtinTargets,
  type DeviceOptionHelp,
  type DevicePlugin,
  loadDevicePlugin,
  type MachinePlugin,
  PLUGIN_API_VERSION,
  type PluginApiRange,
  type TargetPlugin,
  type ToolBinary,
  type ToolContext,
  type ToolPlugin,
} from "./core/plugin.ts";

// Targets: the IR they translate to, the CPU state, traps, soft float
// (`plugin_target.ts`, which targets import to load none of the machine).
export * from "./plugin_target.ts";
export { type Backend, CpuCore, type RunExit } from "./core/cpu_core.ts";
export { VirtualClock } from "./core/clock.ts";
export {
  type ElfFile,
  type ElfSymbol,
  parseElf,
  type ParseElfOptions,
  readSymbols,
} from "./core/elf.ts";

// Boards and devices.
export {
  type BusRegion,
  type DmaView,
  type MmioRegion,
  PhysicalBus,
  type RamRegion,
} from "./core/system/bus.ts";
export { type EventHandle, EventQueue } from "./core/system/events.ts";
export { SystemMemory } from "./core/system/system_memory.ts";
export {
  type InterruptController,
  type InterruptSink,
  IrqLine,
  RecordingInterruptSink,
} from "./core/system/irq.ts";
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
export { DeviceOptions, type DeviceSpec } from "./core/system/options.ts";
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
  PCI_ROOT_BUS,
  VIRTIO_MMIO_SIZE,
  VIRTIO_TRANSPORT_OPTIONS,
  VIRTIO_VENDOR_QEMU,
  VirtioMmioReg,
  VirtioMmioTransport,
} from "./core/system/virtio.ts";
export {
  VIRTIO_F_VERSION_1,
  type VirtioBackend,
  VirtioCore,
  VirtioIsr,
  VirtioStatus,
  type VirtioTransport,
} from "./core/system/virtio_core.ts";
export {
  VIRTIO_PCI_DEVICE_BASE,
  VIRTIO_PCI_VENDOR,
  VirtioPciCommon,
  VirtioPciRegion,
  VirtioPciTransport,
} from "./core/system/virtio_pci.ts";
export {
  PCI_SLOTS,
  type PciBarSpec,
  PciCommand,
  PciConfig,
  PciFunction,
  type PciFunctionSpec,
  PciHost,
} from "./core/system/pci.ts";
export {
  SplitVirtqueue,
  type VirtqBuffer,
  VirtqChain,
  VirtqueueError,
} from "./core/system/virtqueue.ts";
export * from "./plugin_block.ts";
export * from "./core/drive_overlay.ts";
export {
  LoadedModule,
  ModuleList,
  type ModuleObserver,
  type ModuleSegment,
} from "./core/modules.ts";
export type { SavedEvents, Timer } from "./core/system/events.ts";

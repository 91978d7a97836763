/**
 * The device plugin API: what a device gets from the machine
 * ({@linkcode DeviceContext}), what it gives back ({@linkcode Device}), and
 * how it describes itself in the device tree ({@linkcode DeviceDescription}).
 *
 * A device plugin is a module whose default export is a `DevicePlugin`
 * manifest (see `core/plugin.ts`); it imports only from `mod.ts`.
 *
 * @module
 */

import type { VirtualClock } from "../clock.ts";
import type { MmioHandler } from "../guest_memory.ts";
import type { DmaView } from "./bus.ts";
import type { SerialBackend } from "./console.ts";
import type { EventQueue } from "./events.ts";
import { FdtNode, type FdtPropValue, u64Cells } from "./fdt.ts";
import type { InterruptController, InterruptSink, IrqLine } from "./irq.ts";
import type { PciHost } from "./pci.ts";
import type { VirtioMmioTransport } from "./virtio.ts";
import type { VirtioTransport } from "./virtio_core.ts";
import type { DeviceState } from "./vmstate.ts";
import type { DeviceDrive } from "../drive_overlay.ts";

/** Something that happened to the whole machine (from a test/poweroff device, say). */
export type MachineEvent =
  | { kind: "poweroff"; /** exit status */ status: number }
  | { kind: "reset" };

/**
 * The label of hart `hart`'s local interrupt controller node (the
 * `riscv,cpu-intc` under its cpu node): devices wired to the CPU directly
 * (CLINT, PLIC) refer to it in `interrupts-extended`.
 *
 * @example
 * ```ts
 * import { cpuIntcLabel } from "./device.ts";
 * console.log(cpuIntcLabel(0)); // "cpu0-intc"
 * ```
 */
export function cpuIntcLabel(hart = 0): string {
  return `cpu${hart}-intc`;
}

/**
 * A deterministic random source (seeded from the machine's seed).
 *
 * @example
 * ```ts
 * import type { RandomSource } from "./device.ts";
 * function macAddress(random: RandomSource): string {
 *   const b = random.bytes(6);
 *   b[0] = (b[0] & 0xfe) | 0x02; // unicast, locally administered
 *   return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
 * }
 * const fixed: RandomSource = { next64: () => 0n, bytes: (n) => new Uint8Array(n), state: 0n };
 * console.log(macAddress(fixed)); // 02:00:00:00:00:00
 * ```
 */
export interface RandomSource {
  /** The next 64-bit value. */
  next64(): bigint;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** The generator's position: a device saves and loads it with its state. */
  state: bigint;
}

/**
 * How a device appears in the device tree. The machine turns it into a node
 * `node@unitAddress` under `/soc` (or `/`), with `reg` in the bus's cell
 * format and `interrupt-parent` pointing at the interrupt controller when
 * `interrupts` is given.
 *
 * @example
 * ```ts
 * import type { DeviceDescription } from "./device.ts";
 * const uart: DeviceDescription = {
 *   node: "serial",
 *   compatible: ["ns16550a"],
 *   reg: [{ base: 0x10000000n, size: 0x100n }],
 *   interrupts: [10],
 *   props: { "clock-frequency": [3686400] },
 * };
 * ```
 */
export interface DeviceDescription {
  /** node name without the unit address ("serial") */
  node: string;
  /** unit address (default: the first reg base; null: none) */
  unitAddress?: bigint | null;
  /** where the node goes (default "soc") */
  parent?: "soc" | "root";
  /** the `compatible` strings, most specific first ("ns16550a") */
  compatible?: string[];
  /** its register ranges, as guest physical addresses (encoded as the parent's cells) */
  reg?: { base: bigint; size: bigint }[];
  /** source numbers on the machine's interrupt controller */
  interrupts?: number[];
  /**
   * `interrupt-map` entries (a bus bridge's children): the child unit
   * address cells, the child's interrupt specifier cells, and the source on
   * the machine's interrupt controller they map to
   */
  interruptMap?: { child: number[]; childInterrupt: number[]; source: number }[];
  /** label other nodes use to refer to this node's phandle */
  label?: string;
  /** more properties, in order */
  props?: Record<string, FdtPropValue>;
}

/**
 * What a device plugin's `create` is given.
 *
 * @example
 * ```ts ignore
 * create(ctx, options) {
 *   const base = options.address("addr");
 *   const irq = ctx.irq(options.int("irq"));
 *   ctx.mapMmio(base, 0x1000n, { read: () => 0n, write: () => irq.set(true) });
 *   ctx.describe({ node: "thing", compatible: ["acme,thing"], reg: [{ base, size: 0x1000n }] });
 *   return { name: "thing" };
 * }
 * ```
 */
export interface DeviceContext {
  /** unique instance name ("ns16550a@10000000") */
  readonly id: string;
  /**
   * Maps `handler` over physical `[base, base+size)`; overlaps are errors.
   * With `executable` the CPU may fetch instructions from it (a flash); the
   * device then calls {@linkcode DeviceContext.codeChanged} when what it
   * reads as changes.
   */
  mapMmio(base: bigint, size: bigint, handler: MmioHandler, executable?: boolean): void;
  /** What physical `[base, base+length)` reads as changed: translated code from it is dropped. */
  codeChanged(base: bigint, length: number): void;
  /** Input line `n` of the machine's interrupt controller. */
  irq(n: number): IrqLine;
  /** Hart 0's pending-interrupt bits (for interrupt controllers and timers). */
  readonly cpuInterrupts: InterruptSink;
  /** Every hart's pending-interrupt bits, by hart id (`-smp N`: N of them; `[0]` is `cpuInterrupts`). */
  readonly harts: readonly InterruptSink[];
  /** virtual time (nanoseconds from the instruction count) */
  readonly clock: VirtualClock;
  /** the machine's virtual-time events: where a device schedules its timers */
  readonly events: EventQueue;
  /** Physical memory as bus masters see it. */
  readonly dma: DmaView;
  /** This device's own deterministic random stream. */
  readonly random: RandomSource;
  /** Host wall-clock time in ns since the Unix epoch (only when asked for, e.g. `base=utc`). */
  hostTimeNs(): bigint;
  /** Tells the user something that may not be what they meant, as QEMU's `warn_report`. */
  warn(message: string): void;
  /** The character backend of serial port `index`. */
  serial(index?: number): SerialBackend;
  /** Adds a node to the generated device tree (call once per node). */
  describe(description: DeviceDescription): void;
  /** Reports a machine-wide event (poweroff, reset). */
  machineEvent(event: MachineEvent): void;
  /** Offers a free virtio-mmio transport for later virtio devices. */
  offerVirtioSlot(transport: VirtioMmioTransport): void;
  /** Takes a free virtio-mmio transport, the first offered first (virt offers the highest first, as QEMU fills it). */
  claimVirtioSlot(): VirtioMmioTransport | undefined;
  /** Makes `host` the machine's PCI root bus, for PCI devices created later. */
  offerPciHost(host: PciHost): void;
  /** The machine's PCI root bus (undefined when no host bridge was created before). */
  pciHost(): PciHost | undefined;
}

/**
 * A created device instance.
 *
 * @example
 * ```ts
 * import type { Device } from "./device.ts";
 * let count = 0;
 * const counter: Device = {
 *   name: "counter@0",
 *   reset: () => void (count = 0),
 *   save: () => ({ name: "counter", version: 1, fields: { count } }),
 * };
 * count = 5;
 * counter.reset?.();
 * console.log(counter.save?.().fields); // { count: 0 }
 * ```
 */
export interface Device {
  /**
   * its instance name, by convention `ctx.id` ("ns16550a@10000000"): snapshots key its state by it
   */
  readonly name: string;
  /** set by interrupt controllers: the machine wires other devices' `ctx.irq` to it */
  readonly interruptController?: InterruptController;
  /** Returns to the power-on state (machine reset). */
  reset?(): void;
  /**
   * a virtio device: QEMU's name of its type on its transport ("virtio-rng-pci" on
   * PCI, "virtio-rng-device" on a virtio-mmio slot), for the monitor's `info qtree`
   */
  readonly virtioType?: string;
  /**
   * a virtio-mmio slot's transport, or the transport a virtio device is plugged
   * into: `info qtree` shows a virtio device under the slot that shares it
   */
  readonly virtioTransport?: VirtioTransport;
  /** the disk image it reads and writes, if any (the monitor's `info block`, `savevm TAG`) */
  readonly drive?: DeviceDrive;
  /** Saves the device's state for a snapshot (devices without state leave it out). */
  save?(): DeviceState;
  /** Loads state from {@linkcode save}; throws EmuError for another device or version. */
  load?(state: DeviceState): void;
  /** Releases host resources (files). */
  close?(): void | Promise<void>;
}

/**
 * Turns a description into a device tree node, with `reg` in
 * `addressCells`/`sizeCells` format and `interrupt-parent` referring to
 * the node labelled `interruptParent`.
 *
 * @example
 * ```ts
 * import { descriptionToNode } from "./device.ts";
 * const n = descriptionToNode({ node: "rtc", compatible: ["google,goldfish-rtc"],
 *   reg: [{ base: 0x101000n, size: 0x1000n }], interrupts: [11] }, 2, 2, "plic");
 * console.log(n.name); // "rtc@101000"
 * ```
 */
export function descriptionToNode(
  d: DeviceDescription,
  addressCells: 1 | 2,
  sizeCells: 1 | 2,
  interruptParent?: string,
): FdtNode {
  const unit = d.unitAddress === undefined ? d.reg?.[0]?.base : d.unitAddress;
  const node = new FdtNode(
    unit === undefined || unit === null ? d.node : `${d.node}@${unit.toString(16)}`,
  );
  if (d.label) node.label = d.label;
  if (d.interrupts?.length) {
    node.set("interrupts", d.interrupts);
    if (interruptParent) node.set("interrupt-parent", [{ phandle: interruptParent }]);
  }
  if (d.interruptMap && interruptParent) {
    const parent = { phandle: interruptParent };
    node.set(
      "interrupt-map",
      d.interruptMap.flatMap((e) => [...e.child, ...e.childInterrupt, parent, e.source]),
    );
  }
  if (d.reg) {
    const cells = (v: bigint, n: 1 | 2) => (n === 2 ? u64Cells(v) : [Number(v & 0xffffffffn)]);
    node.set(
      "reg",
      d.reg.flatMap((r) => [...cells(r.base, addressCells), ...cells(r.size, sizeCells)]),
    );
  }
  if (d.compatible) node.set("compatible", d.compatible);
  for (const [k, v] of Object.entries(d.props ?? {})) node.set(k, v);
  return node;
}

/**
 * What a board (machine plugin) works with: the environment the run loop
 * hands it ({@linkcode MachineEnv}), the options from the command line
 * ({@linkcode MachineOptions}), what it returns ({@linkcode BuiltMachine}),
 * and {@linkcode MachineDevices}, which creates device plugins in a
 * {@linkcode DeviceContext} and collects their device-tree descriptions.
 *
 * @module
 */

import type { ModuleList } from "../modules.ts";
import type { VirtualClock } from "../clock.ts";
import { EmuError } from "../errors.ts";
import type { DeviceDrive } from "../drive_overlay.ts";
import type { MmioHandler } from "../guest_memory.ts";
import { SeededRandom } from "../random.ts";
import type { PhysicalBus } from "./bus.ts";
import type { SerialConsole } from "./console.ts";
import type {
  Device,
  DeviceContext,
  DeviceDescription,
  MachineEvent,
  RandomSource,
} from "./device.ts";
import type { EventQueue } from "./events.ts";
import type { InterruptController, InterruptSink } from "./irq.ts";
import type { DeviceOptions, DeviceSpec } from "./options.ts";
import type { PciHost } from "./pci.ts";
import type { VirtioMmioTransport } from "./virtio.ts";

/**
 * Machine-wide events (poweroff, reset) raised by devices, for the run loop.
 *
 * @example
 * ```ts
 * import { MachineControl } from "./machine.ts";
 * const control = new MachineControl();
 * control.onEvent((e) => console.log(e.kind)); // "poweroff"
 * control.raise({ kind: "poweroff", status: 0 });
 * console.log(control.take()); // { kind: "poweroff", status: 0 }
 * ```
 */
export class MachineControl {
  /** the first event not yet taken by the run loop */
  pending: MachineEvent | null = null;
  #listeners: ((e: MachineEvent) => void)[] = [];

  /** Records `event` (the first one wins until taken) and tells the listeners. */
  raise(event: MachineEvent): void {
    this.pending ??= event;
    for (const l of this.#listeners) l(event);
  }

  /** Calls `listener` on every event (e.g. to stop the CPU at once). */
  onEvent(listener: (e: MachineEvent) => void): void {
    this.#listeners.push(listener);
  }

  /** Returns and clears the pending event. */
  take(): MachineEvent | null {
    const e = this.pending;
    this.pending = null;
    return e;
  }
}

/** What the run loop gives a board. */
export interface MachineEnv {
  /** the physical address space the board fills with RAM and devices */
  bus: PhysicalBus;
  /** the machine's virtual-time events (devices' timers) */
  events: EventQueue;
  /** virtual time */
  clock: VirtualClock;
  /** the CPU's interrupt-pending bits (hart 0) */
  interrupts: InterruptSink;
  /** every hart's interrupt-pending bits, by hart id (default: `[interrupts]`, one hart) */
  harts?: readonly InterruptSink[];
  /** serial port 0's console (the board makes one when absent) */
  console?: SerialConsole;
  /** seed of every device's random stream (default 0) */
  seed?: bigint;
  /** the CPU's ISA string (`TargetArch.isa`), for the board's device tree */
  isa?: string;
  /** host wall-clock time in ns (default: `Date.now()`); used only when a device asks for it */
  hostTimeNs?: () => bigint;
  /** reads a file given on the command line (default: `Deno.readFile`) */
  readFile?: (path: string) => Promise<Uint8Array>;
  /** writes a file (dumpdtb; default: `Deno.writeFile`) */
  writeFile?: (path: string, data: Uint8Array) => Promise<void>;
  /** where the board lists the ELF images it loads (`-bios`, `-kernel`) */
  modules?: ModuleList;
  /** a warning for the user, as QEMU's `warn_report` (default: standard error) */
  warn?: (message: string) => void;
}

/** The system-mode command line, as a board sees it. */
export interface MachineOptions {
  /** `-M name,key=val`: the key=val part */
  machine: DeviceOptions;
  /** `-m` in bytes */
  ramSize: bigint;
  /** `-bios`: a path, "none", or undefined when not given */
  bios?: string;
  /** `-kernel`: path of the kernel image, if given */
  kernel?: string;
  /** `-initrd`: path of the initial ramdisk, if given */
  initrd?: string;
  /** `-append`: the kernel command line, if given */
  append?: string;
  /** `-dtb`: use this blob instead of the generated one */
  dtb?: string;
  /** `-device` arguments, in order */
  devices: DeviceSpec[];
  /** `-drive` arguments, in order */
  drives: DeviceOptions[];
  /** `-rtc` options (base=utc ...) */
  rtc?: DeviceOptions;
}

/** What a board returns: where the CPU starts and what it built. */
export interface BuiltMachine {
  /** the reset pc */
  entryPc: bigint;
  /** physical address of the device tree in guest memory */
  fdtAddress: bigint;
  /** the device tree blob */
  fdt: Uint8Array;
  /** register width the reset code at `entryPc` is written for (undefined: any) */
  entryXlen?: 32 | 64;
  /**
   * The pc the reset code jumps to, with the arguments it passes (hart id,
   * FDT address, ...; see `SystemHart.bootAt`): lets a CPU that cannot run
   * the reset code start there directly.
   */
  boot: { pc: bigint; args: readonly bigint[] };
  /** every device, in creation order (machine reset and snapshots go through them) */
  devices: Device[];
  /**
   * the devices' drives in the order of the `-drive` options they came from
   * (QEMU's block backends: `info block` and `savevm TAG` go by it), then the
   * ones a `-device` opened itself; default: in device creation order
   */
  drives?: DeviceDrive[];
  /** serial port 0 */
  console: SerialConsole;
  /** machine events (power off, reset) the devices raised, for the run loop */
  control: MachineControl;
  /** set when `-M ...,dumpdtb=FILE` wrote the blob: the CLI should print this and exit 0 */
  dumpedDtb?: string;
  /** Releases host resources (disk image files). */
  close(): Promise<void>;
}

/** A device created by {@linkcode MachineDevices.add}. */
export interface CreatedDevice {
  /** the instance its plugin created */
  device: Device;
  /** its id ("ns16550a@10000000", or "name.N" without an `addr`) */
  id: string;
  /** the device tree nodes it described */
  descriptions: DeviceDescription[];
}

/** Creates a device from its plugin (the `create` of a DevicePlugin). */
export type DeviceFactory = (
  ctx: DeviceContext,
  options: DeviceOptions,
) => Device | Promise<Device>;

/**
 * The devices of one machine and the context they are created in.
 *
 * @example
 * ```ts ignore
 * const devs = new MachineDevices(env, [console]);
 * await devs.add("plic", plic.create, new DeviceOptions("plic", { addr: "0xc000000" }));
 * await devs.add("ns16550a", uart.create, new DeviceOptions("ns16550a", { addr: "0x10000000", irq: "10" }));
 * console.log(devs.descriptions.length);
 * ```
 */
export class MachineDevices {
  /** the devices made so far, in creation order */
  readonly created: CreatedDevice[] = [];
  /** where the devices raise machine events (power off, reset) */
  readonly control = new MachineControl();
  #controller: { ic: InterruptController; label: string } | null = null;
  #slots: VirtioMmioTransport[] = [];
  #pciHost: PciHost | undefined;
  #perName = new Map<string, number>();

  /** Makes an empty list of devices for `env`; `serials` are the host ends of the serial ports. */
  constructor(readonly env: MachineEnv, readonly serials: SerialConsole[]) {}

  /** Every description, in creation order. */
  get descriptions(): DeviceDescription[] {
    return this.created.flatMap((c) => c.descriptions);
  }

  /** The label of the interrupt controller's node (for `interrupt-parent`). */
  get interruptParentLabel(): string | undefined {
    return this.#controller?.label;
  }

  /** Creates a device named `name` (a plugin name) with `options`. */
  async add(name: string, factory: DeviceFactory, options: DeviceOptions): Promise<Device> {
    const n = this.#perName.get(name) ?? 0;
    this.#perName.set(name, n + 1);
    const at = options.has("addr") ? `@${options.values.addr.replace(/^0x/i, "")}` : `.${n}`;
    const id = `${name}${at}`;
    const descriptions: DeviceDescription[] = [];
    const ctx = this.#context(id, name, n, descriptions);
    const device = await factory(ctx, options);
    options.rejectUnused();
    this.created.push({ device, id, descriptions });
    if (device.interruptController) {
      if (this.#controller) {
        throw new EmuError(`${id}: the machine already has an interrupt controller`);
      }
      const label = descriptions.find((d) => d.label)?.label;
      if (!label) throw new EmuError(`${id}: an interrupt controller must label its node`);
      this.#controller = { ic: device.interruptController, label };
    }
    return device;
  }

  #context(id: string, name: string, n: number, out: DeviceDescription[]): DeviceContext {
    const env = this.env;
    return {
      id,
      mapMmio: (base: bigint, size: bigint, handler: MmioHandler, executable = false) => {
        env.bus.addMmio(id, base, size, handler, executable);
      },
      codeChanged: (base: bigint, length: number) => env.bus.codeChanged(base, length),
      irq: (line: number) => {
        if (!this.#controller) {
          throw new EmuError(
            `${id} needs interrupt line ${line}, but the machine has no interrupt controller yet`,
            "create the interrupt controller (plic) before other devices",
          );
        }
        return this.#controller.ic.line(line);
      },
      cpuInterrupts: env.interrupts,
      harts: env.harts ?? [env.interrupts],
      clock: env.clock,
      events: env.events,
      dma: env.bus,
      random: this.random(`${name}#${n}`),
      hostTimeNs: env.hostTimeNs ?? (() => BigInt(Date.now()) * 1_000_000n),
      warn: env.warn ?? ((message: string) => console.error(message)),
      serial: (index = 0) => {
        const s = this.serials[index];
        if (!s) throw new EmuError(`${id}: there is no serial port ${index}`);
        return s;
      },
      describe: (d: DeviceDescription) => out.push(d),
      machineEvent: (e: MachineEvent) => this.control.raise(e),
      offerVirtioSlot: (t: VirtioMmioTransport) => this.#slots.push(t),
      claimVirtioSlot: () => this.#slots.shift(),
      offerPciHost: (host: PciHost) => {
        if (this.#pciHost) throw new EmuError(`${id}: the machine already has a PCI host bridge`);
        this.#pciHost = host;
      },
      pciHost: () => this.#pciHost,
    };
  }

  /** A random stream of its own for `label`, derived from the machine's seed. */
  random(label: string): RandomSource {
    return new SeededRandom((this.env.seed ?? 0n) ^ hashName(label));
  }

  /** Resets every device. */
  reset(): void {
    for (const c of this.created) c.device.reset?.();
  }

  /** Closes every device (files), reporting the first failure after trying all. */
  async close(): Promise<void> {
    let first: unknown;
    for (const c of this.created) {
      try {
        await c.device.close?.();
      } catch (e) {
        first ??= e;
      }
    }
    if (first) throw first;
  }
}

/** FNV-1a of a name, as a 64-bit seed offset. */
function hashName(s: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of new TextEncoder().encode(s)) {
    h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  }
  return h;
}

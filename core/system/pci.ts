/**
 * Conventional PCI as a PCIe host bridge with ECAM sees it: the type-0
 * configuration header of each function (ids, command/status, BARs the
 * guest sizes by writing all ones, a capability list, the interrupt pin),
 * and a {@linkcode PciHost} that decodes ECAM accesses, routes accesses in
 * its memory and I/O windows to the BAR that claims them, and ORs each
 * function's INTx level into the host's interrupt lines.
 *
 * Nothing here assigns addresses: as on QEMU's virt board, the guest
 * (Linux, U-Boot) sizes and places every BAR itself.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { MmioHandler } from "../guest_memory.ts";
import { IrqLine } from "./irq.ts";
import type { DeviceState } from "./vmstate.ts";

/** Configuration header offsets (type 0). */
export const PciConfig = {
  VENDOR_ID: 0x00,
  COMMAND: 0x04,
  STATUS: 0x06,
  REVISION: 0x08,
  CLASS_PROG: 0x09,
  BAR0: 0x10,
  SUBSYSTEM_VENDOR_ID: 0x2c,
  CAPABILITIES: 0x34,
  INTERRUPT_LINE: 0x3c,
  INTERRUPT_PIN: 0x3d,
} as const;

/** Command register bits. */
export const PciCommand = { IO: 1, MEMORY: 2, MASTER: 4, INTX_DISABLE: 0x400 } as const;
const COMMAND_WRITABLE = 0x0547;
const STATUS_INTERRUPT = 0x08, STATUS_CAP_LIST = 0x10;
/** Bytes of the legacy configuration space; ECAM's extended space above it reads 0. */
const CONFIG_SIZE = 256;
const FIRST_CAPABILITY = 0x40;

/**
 * One base address register a function asks for.
 *
 * @example
 * ```ts
 * import { PciFunction, type PciBarSpec } from "./pci.ts";
 * const handler = { read: () => 0n, write() {} };
 * const bar: PciBarSpec = { index: 0, kind: "mem32", size: 0x1000n, handler };
 * const fn = new PciFunction({
 *   vendorId: 0x1af4, deviceId: 0x1005, revision: 0, classCode: 0xff0000, interruptPin: 0,
 *   bars: [bar],
 * });
 * // the guest has not placed it yet:
 * console.log(fn.barAddress(bar)); // null
 * ```
 */
export interface PciBarSpec {
  /** BAR number 0..5 (a 64-bit BAR also takes the next one) */
  index: number;
  /** a 32- or 64-bit memory BAR, or an I/O one */
  kind: "mem32" | "mem64" | "io";
  /** the BAR's prefetchable bit (memory BARs) */
  prefetchable?: boolean;
  /** bytes, a power of two (at least 16 for memory, 4 for I/O) */
  size: bigint;
  /** the registers behind the BAR (offsets from the BAR's address) */
  handler: MmioHandler;
}

/**
 * What a function is: ids, class, BARs, capabilities, interrupt pin.
 *
 * @example
 * ```ts
 * import { PciFunction, type PciFunctionSpec } from "./pci.ts";
 * const spec: PciFunctionSpec = {
 *   vendorId: 0x1af4, deviceId: 0x1044, revision: 1, classCode: 0xff0000, interruptPin: 1,
 *   bars: [{ index: 0, kind: "mem64", size: 0x4000n, handler: { read: () => 0n, write() {} } }],
 * };
 * console.log(new PciFunction(spec).readConfig(0, 4).toString(16)); // 10441af4
 * ```
 */
export interface PciFunctionSpec {
  /** PCI vendor id (0x1af4 = Red Hat, virtio) */
  vendorId: number;
  /** PCI device id */
  deviceId: number;
  /** revision id */
  revision: number;
  /** class, subclass and programming interface (0x010000 = SCSI storage) */
  classCode: number;
  /** subsystem vendor id (0 when absent) */
  subsystemVendorId?: number;
  /** subsystem id (0 when absent) */
  subsystemId?: number;
  /** INTA..INTD = 1..4; 0 for none */
  interruptPin: number;
  /** its BARs (at most six; a 64-bit BAR takes two) */
  bars: PciBarSpec[];
  /** capabilities in list order: id and the bytes after the id/next pair */
  capabilities?: { id: number; body: Uint8Array }[];
}

/**
 * One PCI function's configuration space, BARs and INTx line.
 *
 * @example
 * ```ts
 * import { PciFunction } from "./pci.ts";
 * const f = new PciFunction({ vendorId: 0x1b36, deviceId: 8, revision: 0, classCode: 0x060000,
 *   interruptPin: 0, bars: [] });
 * console.log(f.readConfig(0, 4).toString(16)); // "81b36"
 * ```
 */
export class PciFunction {
  readonly #config = new Uint8Array(CONFIG_SIZE);
  readonly #initial: Uint8Array;
  readonly #writable = new Uint8Array(CONFIG_SIZE);
  /** The function's own INTx level (the device drives it). */
  readonly intx: IrqLine;
  /** Where the masked INTx level goes (set when the function is attached). */
  output: IrqLine = new IrqLine();

  /** Makes the function's configuration space from `spec` (ids, class, BAR sizes, capabilities). */
  constructor(readonly spec: PciFunctionSpec) {
    const c = new DataView(this.#config.buffer);
    c.setUint16(PciConfig.VENDOR_ID, spec.vendorId, true);
    c.setUint16(PciConfig.VENDOR_ID + 2, spec.deviceId, true);
    c.setUint32(PciConfig.REVISION, (spec.classCode << 8 | spec.revision) >>> 0, true);
    c.setUint16(PciConfig.SUBSYSTEM_VENDOR_ID, spec.subsystemVendorId ?? 0, true);
    c.setUint16(PciConfig.SUBSYSTEM_VENDOR_ID + 2, spec.subsystemId ?? 0, true);
    c.setUint8(PciConfig.INTERRUPT_PIN, spec.interruptPin);
    const w = new DataView(this.#writable.buffer);
    w.setUint16(PciConfig.COMMAND, COMMAND_WRITABLE, true);
    w.setUint8(0x0c, 0xff); // cache line size (PCIe has no latency timer)
    w.setUint8(PciConfig.INTERRUPT_LINE, 0xff);
    for (const b of spec.bars) this.#setUpBar(c, w, b);
    this.#setUpCapabilities(c, spec.capabilities ?? []);
    this.#initial = this.#config.slice();
    this.intx = new IrqLine(() => this.#updateInterrupt(), "intx");
  }

  #setUpBar(c: DataView, w: DataView, b: PciBarSpec): void {
    const at = PciConfig.BAR0 + 4 * b.index;
    const flags = b.kind === "io" ? 1 : (b.kind === "mem64" ? 4 : 0) | (b.prefetchable ? 8 : 0);
    c.setUint32(at, flags, true);
    const mask = ~(b.size - 1n);
    w.setUint32(at, Number(mask & (b.kind === "io" ? 0xfffffffcn : 0xfffffff0n)), true);
    if (b.kind === "mem64") w.setUint32(at + 4, Number((mask >> 32n) & 0xffffffffn), true);
  }

  #setUpCapabilities(c: DataView, caps: { id: number; body: Uint8Array }[]): void {
    let at = FIRST_CAPABILITY, link: number = PciConfig.CAPABILITIES;
    for (const cap of caps) {
      if (at + 2 + cap.body.length > CONFIG_SIZE) {
        throw new EmuError("PCI capabilities do not fit in the configuration space");
      }
      c.setUint8(link, at);
      c.setUint8(at, cap.id);
      this.#config.set(cap.body, at + 2);
      link = at + 1;
      at = (at + 2 + cap.body.length + 3) & ~3;
    }
    if (caps.length) c.setUint16(PciConfig.STATUS, STATUS_CAP_LIST, true);
  }

  get #command(): number {
    return this.#config[PciConfig.COMMAND] | this.#config[PciConfig.COMMAND + 1] << 8;
  }

  #updateInterrupt(): void {
    const level = this.intx.level;
    const status = PciConfig.STATUS;
    this.#config[status] = (this.#config[status] & ~STATUS_INTERRUPT) |
      (level ? STATUS_INTERRUPT : 0);
    this.output.set(level && !(this.#command & PciCommand.INTX_DISABLE));
  }

  /** Reads `size` bytes (1, 2, 4) of configuration space at `offset`. */
  readConfig(offset: number, size: number): bigint {
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) {
      const at = offset + i;
      v = v << 8n | BigInt(at < CONFIG_SIZE ? this.#config[at] : 0);
    }
    return v;
  }

  /** Writes configuration space: only the bits the header lets the guest change. */
  writeConfig(offset: number, size: number, value: bigint): void {
    for (let i = 0; i < size; i++) {
      const at = offset + i;
      if (at >= CONFIG_SIZE) return;
      const byte = Number((value >> BigInt(8 * i)) & 0xffn), mask = this.#writable[at];
      this.#config[at] = (this.#config[at] & ~mask) | (byte & mask);
    }
    if (offset <= PciConfig.COMMAND + 1 && offset + size > PciConfig.COMMAND) {
      this.#updateInterrupt();
    }
  }

  /** Where BAR `b` is decoded now, or null while its kind of decoding is off. */
  barAddress(b: PciBarSpec): bigint | null {
    const at = PciConfig.BAR0 + 4 * b.index;
    const enable = b.kind === "io" ? PciCommand.IO : PciCommand.MEMORY;
    if (!(this.#command & enable)) return null;
    let addr = this.readConfig(at, 4) & (b.kind === "io" ? ~3n : ~15n) & 0xffffffffn;
    if (b.kind === "mem64") addr |= this.readConfig(at + 4, 4) << 32n;
    return addr === 0n ? null : addr;
  }

  /** Back to the power-on header (BARs unassigned, decoding off). */
  reset(): void {
    this.#config.set(this.#initial);
    this.intx.restore(false);
    this.output.set(false);
  }

  /** The configuration space, for a snapshot. */
  save(): Uint8Array {
    return this.#config.slice();
  }

  /** Loads what {@linkcode save} returned. */
  load(config: Uint8Array): void {
    if (config.length !== CONFIG_SIZE) throw new EmuError("snapshot: bad PCI config space");
    this.#config.set(config);
    this.intx.restore((config[PciConfig.STATUS] & STATUS_INTERRUPT) !== 0);
    this.output.restore(this.intx.level && !(this.#command & PciCommand.INTX_DISABLE));
  }
}

/** ECAM: bus 20 bits up, device 15, function 12. */
const ECAM_BUS_SHIFT = 20n, ECAM_DEVICE_SHIFT = 15n, ECAM_FUNCTION_SHIFT = 12n;
/** Slots on the root bus. */
export const PCI_SLOTS = 32;

/**
 * The root bus of a host bridge: function 0 of up to 32 slots, its ECAM
 * window, its memory and I/O windows, and its INTx outputs.
 *
 * @example
 * ```ts ignore
 * const host = new PciHost((slot, pin) => plic.line(32 + (slot + pin - 1) % 4));
 * bus.addMmio("pcie-ecam", 0x30000000n, 0x10000000n, host.ecam);
 * bus.addMmio("pcie-mmio", 0x40000000n, 0x40000000n, host.window(0x40000000n, "mem"));
 * host.attach(new PciFunction(spec));
 * ```
 */
export class PciHost {
  /** the function in each root-bus slot (device number), undefined where none is plugged */
  readonly slots: (PciFunction | undefined)[] = new Array(PCI_SLOTS);
  /** One wired OR per host interrupt line: the lines' inputs. */
  readonly #shared = new Map<IrqLine, PciFunction[]>();

  /** `route(slot, pin)` is the host interrupt line that slot's pin (1..4) drives. */
  constructor(readonly route: (slot: number, pin: number) => IrqLine) {}

  /** Plugs `fn` into `slot` (default: the first free one); returns the slot. */
  attach(fn: PciFunction, slot?: number): number {
    const at = slot ?? this.slots.findIndex((f) => f === undefined);
    if (at < 0 || at >= PCI_SLOTS) throw new EmuError("the PCI bus has no free slot");
    if (this.slots[at]) {
      throw new EmuError(`PCI slot ${at} is already in use`, "give another addr=SLOT");
    }
    this.slots[at] = fn;
    const pin = fn.spec.interruptPin;
    if (pin > 0) {
      const line = this.route(at, pin);
      const sharers = this.#shared.get(line) ?? [];
      this.#shared.set(line, [...sharers, fn]);
      fn.output = new IrqLine(() => line.set(this.#shared.get(line)!.some((f) => f.output.level)));
    }
    return at;
  }

  /** The ECAM window: configuration accesses of bus 0 (other buses read as absent). */
  readonly ecam: MmioHandler = {
    read: (offset, size) => {
      const fn = this.#decode(offset);
      if (!fn) return (1n << BigInt(8 * size)) - 1n;
      return fn.readConfig(Number(offset & 0xfffn), size);
    },
    write: (offset, size, value) => {
      this.#decode(offset)?.writeConfig(Number(offset & 0xfffn), size, value);
    },
  };

  #decode(offset: bigint): PciFunction | undefined {
    if (offset >> ECAM_BUS_SHIFT !== 0n) return undefined;
    if ((offset >> ECAM_FUNCTION_SHIFT & 7n) !== 0n) return undefined;
    return this.slots[Number(offset >> ECAM_DEVICE_SHIFT & 31n)];
  }

  /**
   * A memory or I/O window whose first byte is bus address `base`: each
   * access goes to the BAR that decodes it (reads of nothing return ones).
   */
  window(base: bigint, kind: "mem" | "io"): MmioHandler {
    const find = (offset: bigint) => {
      const addr = base + offset;
      for (const fn of this.slots) {
        for (const b of fn?.spec.bars ?? []) {
          if ((b.kind === "io") !== (kind === "io")) continue;
          const at = fn!.barAddress(b);
          if (at !== null && addr >= at && addr < at + b.size) return { b, off: addr - at };
        }
      }
      return undefined;
    };
    return {
      read: (offset, size) => {
        const hit = find(offset);
        return hit ? hit.b.handler.read(hit.off, size) : (1n << BigInt(8 * size)) - 1n;
      },
      write: (offset, size, value) => {
        const hit = find(offset);
        hit?.b.handler.write(hit.off, size, value);
      },
    };
  }

  /** Every function back to its power-on header. */
  reset(): void {
    for (const fn of this.slots) fn?.reset();
  }

  /** The configuration spaces of the plugged slots. */
  save(): DeviceState {
    const config = this.slots.map((fn) => fn?.save() ?? null);
    return { name: "pci-host", version: 1, fields: { config } };
  }

  /** Loads what {@linkcode save} returned (the same functions must be plugged). */
  load(s: DeviceState): void {
    const config = (s.fields as { config?: (Uint8Array | null)[] }).config;
    if (s.name !== "pci-host" || s.version !== 1 || config?.length !== PCI_SLOTS) {
      throw new EmuError(`snapshot: ${s.name} state does not fit this PCI host`);
    }
    this.slots.forEach((fn, i) => {
      const c = config[i];
      if (!fn !== !c) throw new EmuError(`snapshot: PCI slot ${i} is not plugged the same`);
      if (fn && c) fn.load(c);
    });
    for (const [line, sharers] of this.#shared) {
      line.restore(sharers.some((f) => f.output.level));
    }
  }
}

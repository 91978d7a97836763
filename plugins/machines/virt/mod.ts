/**
 * QEMU's RISC-V `virt` board: mask ROM with the reset vector at 0x1000,
 * SiFive test finisher, Goldfish RTC, CLINT, PLIC, an NS16550A UART, eight
 * virtio-mmio slots, a PCIe host bridge (ECAM at 0x30000000), two cfi-flash
 * banks at 0x20000000 (`-drive if=pflash,unit=0|1`), QEMU's fw_cfg at 0x10100000 and DRAM at 0x80000000, plus any `-device` and `-drive if=virtio` (a virtio-blk-pci,
 * as in QEMU; `-device virtio-blk-device` gives virtio-mmio). Firmware (`-bios`) goes at the start of DRAM, the
 * kernel where QEMU puts it, the device tree near the end of DRAM.
 *
 * Machine options (`-M virt,key=val`): `dumpdtb=FILE` (write the device
 * tree and stop), `mmu-type=sv39|sv48|sv57` (default sv48), `isa=...`.
 *
 * The CPU is not built here: a run loop calls {@linkcode buildVirt} (or the
 * plugin's `build`), then starts hart 0 at `entryPc`.
 *
 * @module
 */

import {
  type BuiltMachine,
  decodeFdt,
  type Device,
  type DeviceDrive,
  DeviceOptions,
  type DeviceSpec,
  EmuError,
  encodeFdt,
  loadDevicePlugin,
  MachineDevices,
  type MachineEnv,
  type MachineOptions,
  type MachinePlugin,
  PCI_ROOT_BUS,
  SerialConsole,
} from "../../../plugin.ts";
import {
  checkOverlaps,
  fdtAddress,
  fwDynamicInfo,
  initrdStart,
  kernelStart,
  type LoadedImage,
  loadImage,
  RESET_VECTOR_SIZE,
  resetVector,
} from "./boot.ts";
import { setChosen, virtDeviceTree } from "./fdt.ts";

/** QEMU virt's memory map (the parts this board has). */
export const VIRT_MAP = {
  mrom: { base: 0x1000n, size: 0xf000n },
  test: 0x100000n,
  rtc: { base: 0x101000n, irq: 11 },
  clint: 0x2000000n,
  /** QEMU's platform bus for sysbus devices plugged at run time (Denemu has none: it stays empty) */
  platformBus: { base: 0x4000000n, size: 0x2000000n },
  plic: { base: 0xc000000n, size: 0x600000n },
  uart0: { base: 0x10000000n, irq: 10 },
  virtio: { base: 0x10001000n, stride: 0x1000n, count: 8, firstIrq: 1 },
  pcie: {
    io: { base: 0x3000000n, size: 0x10000n },
    ecam: { base: 0x30000000n, size: 0x10000000n },
    mmio: { base: 0x40000000n, size: 0x40000000n },
    /** the 64-bit window's size; its base is the first multiple of it above RAM */
    mmio64Size: 0x400000000n,
    firstIrq: 32,
  },
  /** two cfi-flash banks (`-drive if=pflash,unit=0|1`), one after the other */
  flash: { base: 0x20000000n, bankSize: 0x2000000n, banks: 2 },
  /** QEMU's firmware configuration device (`fw_cfg.ts`) */
  fwCfg: 0x10100000n,
  dram: 0x80000000n,
} as const;

/** Default `riscv,isa` string of the cpu node. */
export const DEFAULT_ISA = "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbc_zbs_sstc";
const TIMEBASE_HZ = 10_000_000;
/**
 * QEMU's names for virtio devices: `-device` on the virtio-mmio bus, `-pci` on
 * the PCIe root bus (`alias`: the short name QEMU's `-device help` gives it).
 */
export const DEVICE_ALIASES: Record<string, { plugin: string; pci: boolean; alias?: string }> = {
  "virtio-blk-device": { plugin: "virtio_blk", pci: false },
  "virtio-rng-device": { plugin: "virtio_rng", pci: false },
  "virtio-blk-pci": { plugin: "virtio_blk", pci: true, alias: "virtio-blk" },
  "virtio-rng-pci": { plugin: "virtio_rng", pci: true, alias: "virtio-rng" },
  // QEMU's short names, of the PCI devices on this board
  "virtio-blk": { plugin: "virtio_blk", pci: true },
  "virtio-rng": { plugin: "virtio_rng", pci: true },
};

async function addDevice(devs: MachineDevices, ref: string, options: DeviceOptions): Promise<void> {
  const alias = DEVICE_ALIASES[ref];
  const plugin = await loadDevicePlugin(alias?.plugin ?? ref);
  const onPci = alias?.pci && !options.has("bus");
  const own = onPci
    ? new DeviceOptions(options.owner, { ...options.values, bus: PCI_ROOT_BUS })
    : options;
  await devs.add(plugin.name, plugin.create, own);
}

/**
 * Turns `-drive` options into the options of a virtio-blk-pci (without
 * `if`), as QEMU's `if=virtio` does, or null for `if=none`.
 */
function driveToBlk(drive: DeviceOptions, index: number): DeviceOptions | null {
  const where = drive.string("if", "virtio");
  if (where === "none" || where === "pflash") return null;
  if (where !== "virtio") {
    throw new EmuError(
      `-drive if=${where}: this board has virtio disks and flash only`,
      "use if=virtio or if=pflash",
    );
  }
  const { if: _if, ...rest } = drive.values;
  // errors name the -drive option, as qemu-system's do
  return new DeviceOptions(drive.owner, {
    ...rest,
    id: driveName(drive, "virtio", index),
    bus: PCI_ROOT_BUS,
  });
}

/** QEMU's name of a drive: its `id`, else its interface and index (virtio0, pflash1). */
function driveName(drive: DeviceOptions | undefined, where: string, index: number): string {
  return drive?.values.id ?? `${where}${index}`;
}

/**
 * The drives of `devices` in the order of the `-drive` options (QEMU creates
 * a block backend per -drive before any device), then those a `-device`
 * opened itself, in creation order.
 */
function inDriveOrder(devices: Device[], drives: DeviceOptions[]): DeviceDrive[] {
  const virtio = drives.filter((d) => d.string("if", "virtio") === "virtio");
  const banks = pflashDrives(drives);
  const names = drives.map((d) =>
    d.values.if === "pflash"
      ? driveName(d, "pflash", banks.indexOf(d))
      : driveName(d, "virtio", virtio.indexOf(d))
  );
  const rank = (d: DeviceDrive) => {
    const i = names.indexOf(d.name);
    return i < 0 ? names.length : i;
  };
  return devices.flatMap((d) => d.drive ? [d.drive] : []).sort((a, b) => rank(a) - rank(b));
}

/** `-device virtio_blk,drive=ID` takes the options of `-drive if=none,id=ID`. */
function withDrive(spec: DeviceSpec, drives: DeviceOptions[]): DeviceOptions {
  const o = spec.options;
  if (!o.has("drive")) return o;
  const id = o.string("drive");
  const d = drives.find((x) => x.values.id === id && x.values.if === "none");
  if (!d) {
    throw new EmuError(
      `-device ${spec.name}: no -drive if=none,id=${id}`,
      "define the drive first",
    );
  }
  const { drive: _drive, ...own } = o.values;
  const { if: _if, ...fromDrive } = d.values;
  return new DeviceOptions(o.owner, { ...fromDrive, ...own });
}

/**
 * The `-drive if=pflash` options of each flash bank: `unit=N`, or the first
 * free bank, as QEMU numbers them (with QEMU's messages for a unit too many).
 */
export function pflashDrives(drives: DeviceOptions[]): (DeviceOptions | undefined)[] {
  const banks: (DeviceOptions | undefined)[] = new Array(VIRT_MAP.flash.banks).fill(undefined);
  for (const d of drives) {
    if (d.values.if !== "pflash") continue;
    const text = Object.entries(d.values).map(([k, v]) => `${k}=${v}`).join(",");
    const unit = d.has("unit") ? d.int("unit") : banks.findIndex((b) => !b);
    if (unit < 0 || unit >= banks.length) {
      throw new EmuError(
        `-drive ${text}: machine type does not support if=pflash,bus=0,unit=${
          unit < 0 ? banks.length : unit
        }`,
        `the virt board has ${banks.length} flash banks: unit=0 and unit=1`,
      );
    }
    if (banks[unit]) {
      throw new EmuError(`-drive ${text}: drive with bus=0, unit=${unit} (index=-1) exists`);
    }
    banks[unit] = d;
  }
  return banks;
}

/** Both flash banks, on their drives or zeroed (QEMU always creates both). */
async function addFlash(devs: MachineDevices, banks: (DeviceOptions | undefined)[]): Promise<void> {
  const f = VIRT_MAP.flash;
  for (let i = 0; i < f.banks; i++) {
    const addr = "0x" + (f.base + BigInt(i) * f.bankSize).toString(16);
    const { if: _if, unit: _unit, ...drive } = banks[i]?.values ?? {};
    const id = driveName(banks[i], "pflash", i), size = `${f.bankSize >> 20n}M`;
    const owner = banks[i]?.owner ?? "pflash";
    await addDevice(devs, "pflash_cfi01", new DeviceOptions(owner, { ...drive, id, addr, size }));
  }
}

function roundUp(v: bigint, to: bigint): bigint {
  return (v + to - 1n) / to * to;
}

async function createDevices(
  devs: MachineDevices,
  options: MachineOptions,
): Promise<void> {
  const m = VIRT_MAP;
  const opts = (name: string, values: Record<string, string>) => new DeviceOptions(name, values);
  const hex = (v: bigint) => "0x" + v.toString(16);
  await addDevice(devs, "plic", opts("plic", { addr: hex(m.plic.base), size: hex(m.plic.size) }));
  await addDevice(devs, "aclint", opts("aclint", { addr: hex(m.clint) }));
  await addDevice(devs, "sifive_test", opts("sifive_test", { addr: hex(m.test) }));
  const rtc = { ...options.rtc?.values, addr: hex(m.rtc.base), irq: String(m.rtc.irq) };
  await addDevice(devs, "goldfish_rtc", opts("-rtc", rtc));
  const uart = { addr: hex(m.uart0.base), irq: String(m.uart0.irq) };
  await addDevice(devs, "ns16550a", opts("ns16550a", uart));
  // Highest address first, as QEMU lists them: Linux numbers devices in tree order.
  for (let i = m.virtio.count - 1; i >= 0; i--) {
    const addr = m.virtio.base + BigInt(i) * m.virtio.stride;
    const irq = String(m.virtio.firstIrq + i);
    await addDevice(devs, "virtio_mmio", opts("virtio_mmio", { addr: hex(addr), irq }));
  }
  const p = m.pcie, mmio64 = roundUp(m.dram + options.ramSize, p.mmio64Size);
  await addDevice(
    devs,
    "gpex_pcihost",
    opts("gpex_pcihost", {
      ecam: hex(p.ecam.base),
      "ecam-size": hex(p.ecam.size),
      mmio: hex(p.mmio.base),
      "mmio-size": hex(p.mmio.size),
      mmio64: hex(mmio64),
      "mmio64-size": hex(p.mmio64Size),
      io: hex(p.io.base),
      "io-size": hex(p.io.size),
      irq: String(p.firstIrq),
    }),
  );
  await addFlash(devs, pflashDrives(options.drives));
  await addDevice(devs, "fw_cfg", opts("fw_cfg", { addr: hex(m.fwCfg) }));
  // QEMU creates -device devices first, then the disks of -drive if=virtio (PCI slot order).
  for (const spec of options.devices) {
    await addDevice(devs, spec.name, withDrive(spec, options.drives));
  }
  const virtio = options.drives.filter((d) => d.string("if", "virtio") === "virtio");
  for (const d of options.drives) {
    const blk = driveToBlk(d, virtio.indexOf(d));
    if (blk) await addDevice(devs, "virtio_blk", blk);
  }
}

/** The bytes of `-bios`/`-kernel` file `path`: an empty one loads nothing, QEMU's error. */
function bootFile(files: Map<string, Uint8Array>, path: string, what: string): Uint8Array {
  const bytes = files.get(path)!;
  if (!bytes.length) throw new EmuError(`could not load ${what} '${path}'`);
  return bytes;
}

/**
 * Loads -bios and -kernel; returns where the reset vector jumps and where
 * the firmware goes next. As in QEMU, flash bank 0 holds code the reset
 * vector jumps to, and bank 1 an S-mode firmware (EDK2) that takes the
 * firmware's place as the next stage, instead of a kernel.
 */
function loadImages(
  env: MachineEnv,
  o: MachineOptions,
  files: Map<string, Uint8Array>,
): { start: bigint; kernel: LoadedImage | null; next: bigint } {
  const dram: bigint = VIRT_MAP.dram, flash = pflashDrives(o.drives);
  // the reset vector jumps to DRAM, whatever the ELF entries say (QEMU 7.2's start_addr)
  let start = dram, firmwareEnd = dram;
  if (o.bios !== undefined && o.bios !== "none") {
    const fw = loadImage(env.bus, bootFile(files, o.bios, "firmware"), `-bios ${o.bios}`, dram, {
      path: o.bios,
      modules: env.modules,
    });
    firmwareEnd = fw.high;
  }
  let kernel: LoadedImage | null = null, next = 0n;
  if (flash[1]) {
    if (o.kernel !== undefined) {
      throw new EmuError(
        "-kernel with -drive if=pflash,unit=1: QEMU hands the kernel to the flash firmware " +
          "through fw_cfg, which Denemu does not have",
        "leave out -kernel (the flash firmware loads the kernel), or the unit=1 drive",
      );
    }
    next = VIRT_MAP.flash.base + VIRT_MAP.flash.bankSize;
  } else if (o.kernel !== undefined) {
    const at = o.bios === "none" ? dram : kernelStart(firmwareEnd);
    kernel = loadImage(env.bus, bootFile(files, o.kernel, "kernel"), `-kernel ${o.kernel}`, at, {
      path: o.kernel,
      modules: env.modules,
    });
    next = kernel.low;
  }
  if (flash[0]) start = VIRT_MAP.flash.base;
  return { start, kernel, next };
}

/**
 * Builds the virt board on `env.bus`: devices, images, device tree, reset
 * ROM. With `-M virt,dumpdtb=FILE` it writes the tree and returns with
 * `dumpedDtb` set (the caller should exit, as QEMU does).
 *
 * @example
 * ```ts ignore
 * const m = await buildVirt(env, { machine: new DeviceOptions("virt"), ramSize: 256n << 20n,
 *   bios: "fw_jump.bin", kernel: "u-boot.bin", devices: [], drives: [] });
 * cpu.pc = m.entryPc;
 * ```
 */
export async function buildVirt(env: MachineEnv, o: MachineOptions): Promise<BuiltMachine> {
  const board = boardOptions(o, env.isa ?? DEFAULT_ISA);
  const files = await readBootFiles(env, o);
  const ram = o.ramSize;
  env.bus.addRom("mrom", VIRT_MAP.mrom.base, VIRT_MAP.mrom.size);
  env.bus.addRam("dram", VIRT_MAP.dram, ram);
  const console = env.console ?? new SerialConsole(env.events, env.clock);
  const devs = new MachineDevices(env, [console]);
  try {
    await createDevices(devs, o);
    const { start, kernel, next } = loadImages(env, o, files);
    const initrd = kernel ? loadInitrd(env, o, files, kernel.low) : undefined;
    const tree = o.dtb !== undefined
      ? decodeFdt(files.get(o.dtb)!, `-dtb ${o.dtb}`).root
      : virtDeviceTree({
        ramBase: VIRT_MAP.dram,
        ramSize: ram,
        isa: board.isa,
        mmuType: `riscv,${board.mmu}`,
        timebaseHz: TIMEBASE_HZ,
        harts: (env.harts ?? [env.interrupts]).length,
        descriptions: devs.descriptions,
        interruptParent: devs.interruptParentLabel,
        rngSeed: devs.random("chosen/rng-seed").bytes(32),
        platformBus: VIRT_MAP.platformBus,
      });
    setChosen(tree, { bootargs: o.append, initrd });
    const fdt = encodeFdt(tree);

    const fdtAddr = fdtAddress(VIRT_MAP.dram + ram, fdt.length);
    env.bus.loadImage(fdtAddr, fdt, "fdt");
    const rom = VIRT_MAP.mrom.base;
    env.bus.loadImage(rom, resetVector(start, fdtAddr), "mrom.reset");
    const infoAddr = rom + BigInt(RESET_VECTOR_SIZE);
    env.bus.loadImage(infoAddr, fwDynamicInfo(next), "mrom.finfo");
    checkOverlaps(env.bus.images, o.dtb === undefined);

    const built: BuiltMachine = {
      entryPc: rom,
      fdtAddress: fdtAddr,
      fdt,
      // The reset vector is RV64 code (see boot.ts); RV32 CPUs start at `boot`.
      entryXlen: 64,
      boot: { pc: start, args: [0n, fdtAddr, infoAddr] },
      devices: devs.created.map((c) => c.device),
      drives: inDriveOrder(devs.created.map((c) => c.device), o.drives),
      console,
      control: devs.control,
      close: () => devs.close(),
    };
    if (board.dumpdtb !== undefined) {
      const write = env.writeFile ?? ((p: string, d: Uint8Array) => Deno.writeFile(p, d));
      await write(board.dumpdtb, fdt);
      built.dumpedDtb = board.dumpdtb;
    }
    return built;
  } catch (e) {
    await devs.close().catch(() => {});
    throw e;
  }
}

/** The board's own `-M virt,...` properties, and the checks of the options that must go together. */
function boardOptions(
  o: MachineOptions,
  defaultIsa: string,
): { dumpdtb?: string; mmu: string; isa: string } {
  const dumpdtb = o.machine.has("dumpdtb") ? o.machine.string("dumpdtb") : undefined;
  const mmu = o.machine.string("mmu-type", "sv48");
  if (!/^sv(39|48|57)$/.test(mmu)) {
    throw new EmuError(`-M virt,mmu-type=${mmu}: not one of sv39, sv48, sv57`);
  }
  const isa = o.machine.string("isa", defaultIsa);
  o.machine.rejectUnused();
  // QEMU's wording and order (vl.c checks -append first)
  for (const [flag, value] of [["-append", o.append], ["-initrd", o.initrd]] as const) {
    if (value !== undefined && o.kernel === undefined) {
      throw new EmuError(`${flag} only allowed with -kernel option`);
    }
  }
  if (o.bios === undefined && dumpdtb === undefined) {
    throw new EmuError(
      "-M virt: no firmware given; Denemu does not bundle one",
      "pass -bios fw_jump.bin (OpenSBI, e.g. /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin), " +
        "or -bios none with -kernel for a bare-metal program",
    );
  }
  if (o.ramSize < 1n << 20n || o.ramSize % 4096n !== 0n) {
    throw new EmuError(`-m ${o.ramSize}: the virt board needs at least 1M, in whole 4K pages`);
  }
  return { dumpdtb, mmu, isa };
}

/** Reads every file the options name first, so a missing one fails before anything is built. */
async function readBootFiles(env: MachineEnv, o: MachineOptions): Promise<Map<string, Uint8Array>> {
  const readFile = env.readFile ?? ((p: string) => Deno.readFile(p));
  const files = new Map<string, Uint8Array>();
  const named = [["-bios", o.bios], ["-kernel", o.kernel], ["-initrd", o.initrd], ["-dtb", o.dtb]]
    .filter(([flag, path]) => path !== undefined && !(path === "none" && flag === "-bios"));
  const unnamed = named.find(([, path]) => path === "");
  if (unnamed) {
    throw new EmuError(`${unnamed[0]}: needs a file name`, "pass the path of the file to load");
  }
  for (const [flag, path] of named as [string, string][]) {
    try {
      files.set(path, await readFile(path));
    } catch (e) {
      throw new EmuError(`${flag} ${path}: cannot read: ${(e as Error).message}`);
    }
  }
  return files;
}

/** Loads `-initrd` above the kernel (`kernelLow`); where it went, for `/chosen`. */
function loadInitrd(
  env: MachineEnv,
  o: MachineOptions,
  files: Map<string, Uint8Array>,
  kernelLow: bigint,
): { start: bigint; end: bigint } | undefined {
  if (o.initrd === undefined) return undefined;
  const data = files.get(o.initrd)!;
  const at = initrdStart(kernelLow, o.ramSize);
  if (at + BigInt(data.length) > VIRT_MAP.dram + o.ramSize) {
    throw new EmuError(
      `-initrd ${o.initrd}: does not fit in RAM above ${at.toString(16)}`,
      "raise -m",
    );
  }
  env.bus.loadImage(at, data, o.initrd);
  return { start: at, end: at + BigInt(data.length) };
}

/** The virt machine plugin. */
const plugin: MachinePlugin = {
  kind: "machine",
  name: "virt",
  apiVersion: { min: 2, cur: 2 },
  description: "RISC-V VirtIO board (QEMU virt): CLINT, PLIC, NS16550A, virtio-mmio, RTC, test",
  build: buildVirt,
};
export default plugin;

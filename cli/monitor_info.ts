/**
 * The monitor's views of the board, in QEMU 7.2's HMP layout: `info block`
 * (the drives), `info mtree` (the physical address space) and `info roms`
 * (what the loaders put in memory). Names follow QEMU's where Denemu's board
 * has the same part; what Denemu has not (QEMU's empty floppy and SD slots,
 * its PCI windows' aliases) is left out.
 *
 * @module
 */

import { backingPath, type BlockDriver } from "../core/block.ts";
import type { DeviceDrive } from "../core/drive_overlay.ts";
import { imageInfo, imageInfoText } from "./img/info.ts";
import type { Machine } from "../core/machine/machine.ts";
import type { PhysicalBus } from "../core/system/bus.ts";
import type { Device } from "../core/system/device.ts";
import { machineDrives } from "../core/machine/vm_snapshots.ts";

/**
 * `info block [-v]`: each drive as QEMU shows it, e.g.
 * `virtio0 (#block100): disk.qcow2 (qcow2)` then where it is attached, its
 * cache mode and its backing file; `verbose` adds qemu-img info's report of
 * each image of its backing chain.
 */
export function infoBlock(m: Machine, devices: readonly Device[], verbose = false): string {
  // QEMU numbers the devices of -device and -drive if=virtio in creation order
  const anonymous = devices.filter((d) => d.virtioType);
  const attachedTo = (d: DeviceDrive) => {
    if (d.name.startsWith("pflash")) return `/machine/virt.flash${d.name.slice(6)}`;
    const at = anonymous.findIndex((a) => a.drive === d);
    // a virtio-pci proxy holds the virtio device: QEMU names the backend below it
    const pci = anonymous[at]?.virtioType?.endsWith("-pci") ? "/virtio-backend" : "";
    return `/machine/peripheral-anon/device[${at}]${pci}`;
  };
  let nodes = 0;
  return machineDrives(m).map((d) => {
    const flags = d.readOnly ? ", read-only" : "";
    const attached = attachedTo(d);
    const [node, count] = nodeNumbers(d, nodes);
    nodes += count;
    const lines = [
      `${d.name} (#block${node}00): ${d.path} (${d.image.format}${flags})`,
      `    Attached to:      ${attached}`,
      // snapshot=on: QEMU's temporary overlay ignores flushes, as Denemu's in-memory one does
      `    Cache mode:       writeback${d.overlay ? ", ignore flushes" : ""}`,
    ];
    const backing = backingLine(d);
    if (backing) lines.push(backing);
    if (verbose) lines.push("", "Images:", ...chainInfo(d));
    return lines.join("\r\n");
  }).join("\r\n\r\n");
}

/**
 * QEMU's number of `d`'s top node, and how many nodes its drive opens, after `before` nodes.
 * QEMU names anonymous nodes `#block` + a counter + two random digits (Denemu's are 00):
 * each image of the chain opens a format and a protocol node, top first; a temporary
 * overlay (`snapshot=on`) opens three while it is created, then its own two on top.
 */
function nodeNumbers(d: DeviceDrive, before: number): [number, number] {
  let chain = 2;
  for (let b: BlockDriver | undefined = d.image.backing; b; b = b.backing) chain += 2;
  return d.overlay ? [before + chain + 4, chain + 5] : [before + 1, chain];
}

/** qemu-img info's lines for each image of `d`'s backing chain, top first. */
function chainInfo(d: DeviceDrive): string[] {
  const lines: string[] = [];
  let path: string | undefined = d.path;
  for (let img: BlockDriver | undefined = d.image; img && path; img = img.backing) {
    const info = imageInfo(img, path);
    lines.push(...imageInfoText(info).split("\n"));
    path = info["full-backing-filename"] as string | undefined;
  }
  return lines;
}

/**
 * `Backing file: PATH (chain depth: N)` of a drive whose image has one; a
 * `snapshot=on` drive's is its image (QEMU puts a temporary overlay above it).
 */
function backingLine(d: DeviceDrive): string | undefined {
  let depth = d.overlay ? 1 : 0;
  for (let b: BlockDriver | undefined = d.image.backing; b; b = b.backing) depth++;
  const name = d.image.describe?.().backingFile;
  const path = d.overlay ? d.path : name && backingPath(d.path, name);
  return path ? `    Backing file:     ${path} (chain depth: ${depth})` : undefined;
}

const hex16 = (v: bigint) => v.toString(16).padStart(16, "0");

/**
 * `info roms`: what the loaders put in memory, by address, as QEMU lists its
 * ROM blobs (`mem=rom` in ROM, `mem=ram` in RAM).
 */
export function infoRoms(bus: PhysicalBus): string {
  const images = [...bus.images].sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
  return images.map((i) => {
    const r = bus.findRegion(i.addr);
    const mem = r?.kind === "ram" && !r.readOnly ? "ram" : "rom";
    const size = i.data.length.toString(16).padStart(6, "0");
    return `addr=${hex16(i.addr)} size=0x${size} mem=${mem} name="${i.name ?? "image"}"`;
  }).join("\r\n");
}

/** QEMU's names of the virt board's regions, by the Denemu device that maps them. */
const REGION_NAMES: Record<string, string> = {
  mrom: "riscv_virt_board.mrom",
  dram: "riscv_virt_board.ram",
  sifive_test: "riscv.sifive.test",
  goldfish_rtc: "goldfish_rtc",
  aclint: "riscv.aclint",
  plic: "riscv.sifive.plic",
  ns16550a: "serial",
  virtio_mmio: "virtio-mmio",
  fw_cfg: "fwcfg",
};

/**
 * The gpex host's windows in address order, as QEMU makes them: the I/O
 * window (a container of the port space), then aliases of ECAM and of the
 * MMIO window (at offset 0, or at the window's own address).
 */
const PCI_WINDOWS: Omit<MtreeRegion, "base" | "size" | "kind">[] = [
  { name: "gpex_ioport_window", child: "gpex_ioport" },
  { name: "pcie-ecam", alias: { of: "pcie-mmcfg-mmio", atBase: false } },
  { name: "pcie-mmio", alias: { of: "gpex_mmio_window", atBase: true } },
  { name: "pcie-mmio-high", alias: { of: "gpex_mmio_window", atBase: true } },
];

/** A region of the address space as QEMU names it. */
interface MtreeRegion {
  base: bigint;
  size: bigint;
  kind: string;
  name: string;
  /** an alias: the region it shows, from offset 0 or from its own base */
  alias?: { of: string; atBase: boolean };
  /** the one region inside it, at the same addresses */
  child?: string;
}

/** The regions of the address space every hart sees, in Denemu's order. */
function mtreeRegions(bus: PhysicalBus): MtreeRegion[] {
  let pci = 0, flash = 0;
  return bus.regions.map((r) => {
    const device = r.name.split(/[@.]/)[0];
    const at = { base: r.base, size: r.size, kind: "i/o" };
    if (r.kind === "ram") {
      return { ...at, kind: r.readOnly ? "rom" : "ram", name: REGION_NAMES[r.name] ?? r.name };
    }
    if (device === "gpex_pcihost") return { ...at, ...(PCI_WINDOWS[pci++] ?? { name: r.name }) };
    if (device === "pflash_cfi01") return { ...at, kind: "romd", name: `virt.flash${flash++}` };
    return { ...at, name: REGION_NAMES[device] ?? r.name };
  });
}

const mtreeLine = (depth: number, r: MtreeRegion, name: string, base = r.base) =>
  `${"  ".repeat(depth)}${hex16(base)}-${hex16(base + r.size - 1n)} (prio 0, ${r.kind}): ${name}`;

/**
 * `info mtree [-f]`: the address space every hart sees, as QEMU prints its
 * `system` region's tree (the PCI windows as QEMU's aliases; register windows
 * have Denemu's sizes), or with `-f` as its flat view (each alias as the
 * region it shows, with the offset into it).
 */
export function infoMtree(bus: PhysicalBus, harts: number, flat = false): string {
  const cpus = Array.from({ length: harts }, (_, i) => `cpu-memory-${i}`);
  const regions = mtreeRegions(bus);
  if (flat) {
    const lines = ["FlatView #0", ' AS "memory", root: system'];
    lines.push(...cpus.map((c) => ` AS "${c}", root: system`), " Root memory region: system");
    for (const r of regions.toSorted((a, b) => (a.base < b.base ? -1 : 1))) {
      const offset = r.alias?.atBase ? ` @${hex16(r.base)}` : "";
      lines.push(mtreeLine(1, r, (r.alias?.of ?? r.name) + offset));
    }
    return lines.join("\r\n") + "\r\n";
  }
  const lines = [...cpus.map((c) => `address-space: ${c}`), "address-space: memory"];
  lines.push(`  ${hex16(0n)}-${hex16((1n << 64n) - 1n)} (prio 0, i/o): system`);
  for (const r of regions) {
    const from = r.alias?.atBase ? r.base : 0n;
    const alias = r.alias &&
      ` @${r.alias.of} ${hex16(from)}-${hex16(from + r.size - 1n)}`;
    lines.push(mtreeLine(2, r, r.alias ? `alias ${r.name}${alias}` : r.name));
    if (r.child) lines.push(mtreeLine(3, r, r.child));
  }
  return lines.join("\r\n") + "\r\n";
}

/**
 * QEMU's type names of the virt board's parts, by the Denemu device plugin
 * that makes each, in the order QEMU's `info qtree` lists them (newest first).
 */
const QTREE_TYPES: Record<string, string[]> = {
  fw_cfg: ["fw_cfg_mem"],
  pflash_cfi01: ["cfi.pflash01"],
  goldfish_rtc: ["goldfish_rtc"],
  ns16550a: ["serial-mm"],
  gpex_pcihost: ["gpex-pcihost"],
  virtio_mmio: ["virtio-mmio"],
  sifive_test: ["riscv.sifive.test"],
  plic: ["riscv.sifive.plic"],
  aclint: ["riscv.aclint.mtimer", "riscv.aclint.swi"],
};

/**
 * `info qtree`: the device list in QEMU's layout (the system bus, the PCIe
 * root bus under the host bridge, each virtio-mmio slot's bus with the
 * virtio device plugged into it), without QEMU's property lines.
 */
export function infoQtree(devices: readonly Device[]): string {
  const dev = (depth: number, type: string) => `${"  ".repeat(depth)}dev: ${type}, id ""`;
  const lines = ["bus: main-system-bus", "  type System"];
  const pci = devices.filter((d) => d.virtioType?.endsWith("-pci"));
  const plugin = (d: Device) => d.name.split(/[@.]/)[0];
  // QEMU makes the slots from the lowest address up and numbers their buses so
  const slots = devices.filter((d) => plugin(d) === "virtio_mmio")
    .sort((a, b) => parseInt(a.name.split("@")[1], 16) - parseInt(b.name.split("@")[1], 16));
  const board = Object.entries(QTREE_TYPES).flatMap(([name, types]) =>
    (name === "virtio_mmio" ? slots : devices.filter((d) => plugin(d) === name))
      .toReversed().flatMap((d) => types.map((t) => [t, d]))
  ) as [string, Device][];
  for (const [type, d] of board) {
    lines.push(dev(1, type));
    if (type === "virtio-mmio") {
      lines.push(`    bus: virtio-mmio-bus.${slots.indexOf(d)}`, "      type virtio-mmio-bus");
      const plugged = devices.find((p) => p !== d && p.virtioTransport === d.virtioTransport);
      if (plugged?.virtioType) lines.push(dev(3, plugged.virtioType));
    } else if (type === "gpex-pcihost") {
      lines.push("    bus: pcie.0", "      type PCIE");
      for (const p of [...pci].reverse()) {
        const device = p.virtioType!.replace(/-pci$/, "-device");
        lines.push(dev(3, p.virtioType!), "        bus: virtio-bus");
        lines.push("          type virtio-pci-bus", dev(5, device));
      }
      lines.push(dev(3, "gpex-root"));
    }
  }
  lines.push(dev(1, "riscv.hart_array"));
  return lines.join("\r\n");
}

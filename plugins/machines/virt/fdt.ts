/**
 * The virt board's device tree, generated from the devices actually
 * present, with the same node and property names as QEMU's virt machine.
 *
 * @module
 */

import {
  cpuIntcLabel,
  descriptionToNode,
  type DeviceDescription,
  FdtNode,
  u64Cells,
} from "../../../plugin.ts";

/** What goes into the tree besides the devices. */
export interface VirtTreeParams {
  ramBase: bigint;
  ramSize: bigint;
  /** `riscv,isa` of the cpu node */
  isa: string;
  /** "riscv,sv39", "riscv,sv48", ... */
  mmuType: string;
  timebaseHz: number;
  /** the number of harts (`-smp`): one cpu node each */
  harts: number;
  descriptions: DeviceDescription[];
  /** label of the interrupt controller node */
  interruptParent?: string;
  /** 32 bytes for /chosen/rng-seed */
  rngSeed: Uint8Array;
  /** QEMU's platform bus window (for sysbus devices plugged later: none here, so it is empty) */
  platformBus?: { base: bigint; size: bigint };
}

/** What the loaders add to /chosen. */
export interface ChosenParams {
  bootargs?: string;
  initrd?: { start: bigint; end: bigint };
}

/**
 * Builds the virt board's tree.
 *
 * @example
 * ```ts ignore
 * const root = virtDeviceTree({ ramBase: 0x80000000n, ramSize: 256n << 20n, isa: "rv64imafdc",
 *   mmuType: "riscv,sv48", timebaseHz: 10_000_000, harts: 1, descriptions, interruptParent: "plic",
 *   rngSeed: new Uint8Array(32) });
 * ```
 */
export function virtDeviceTree(p: VirtTreeParams): FdtNode {
  const root = new FdtNode("")
    .set("#address-cells", [2])
    .set("#size-cells", [2])
    .set("compatible", "riscv-virtio")
    .set("model", "riscv-virtio,qemu");

  const chosen = root.add("chosen").set("rng-seed", p.rngSeed);

  root.add(`memory@${p.ramBase.toString(16)}`)
    .set("device_type", "memory")
    .set("reg", [...u64Cells(p.ramBase), ...u64Cells(p.ramSize)]);

  const cpus = root.add("cpus")
    .set("#address-cells", [1])
    .set("#size-cells", [0])
    .set("timebase-frequency", [p.timebaseHz]);
  for (let h = 0; h < p.harts; h++) addCpu(cpus, h, p);
  const cluster = cpus.add("cpu-map").add("cluster0");
  for (let h = 0; h < p.harts; h++) cluster.add(`core${h}`).set("cpu", [{ phandle: `cpu${h}` }]);

  const soc = root.add("soc")
    .set("#address-cells", [2])
    .set("#size-cells", [2])
    .set("compatible", "simple-bus")
    .set("ranges", true);

  if (p.platformBus) addPlatformBus(root, p.platformBus, p.interruptParent);
  for (const d of mergeFlashBanks(p.descriptions)) {
    const parent = d.parent === "root" ? root : soc;
    const node = descriptionToNode(d, 2, 2, p.interruptParent);
    parent.children.push(node);
    if (parent === soc && d.compatible?.includes("ns16550a") && !chosen.props.has("stdout-path")) {
      chosen.set("stdout-path", `/soc/${node.name}`);
    }
  }
  return root;
}

/** QEMU's empty platform bus: a simple-bus window whose children would use 32-bit cells. */
function addPlatformBus(
  root: FdtNode,
  bus: { base: bigint; size: bigint },
  interruptParent?: string,
): void {
  const node = root.add(`platform-bus@${bus.base.toString(16)}`)
    .set("compatible", ["qemu,platform", "simple-bus"])
    .set("#address-cells", [1])
    .set("#size-cells", [1])
    .set("ranges", [0, ...u64Cells(bus.base), Number(bus.size)]);
  if (interruptParent) node.set("interrupt-parent", [{ phandle: interruptParent }]);
}

/** QEMU describes the board's flash banks as one `cfi-flash` node with a `reg` entry per bank. */
function mergeFlashBanks(ds: DeviceDescription[]): DeviceDescription[] {
  const banks = ds.filter((d) => d.compatible?.includes("cfi-flash"));
  if (banks.length < 2) return ds;
  const merged = { ...banks[0], reg: banks.flatMap((d) => d.reg ?? []) };
  return ds.flatMap((d) => d === banks[0] ? [merged] : banks.includes(d) ? [] : [d]);
}

/** Adds hart `h`'s cpu node, with its interrupt controller, as QEMU writes it. */
function addCpu(cpus: FdtNode, h: number, p: VirtTreeParams): void {
  const cpu = cpus.add(`cpu@${h}`)
    .set("device_type", "cpu")
    .set("reg", [h])
    .set("status", "okay")
    .set("compatible", "riscv")
    .set("riscv,isa", p.isa)
    .set("mmu-type", p.mmuType);
  // The cache-block size of Zicbom and Zicboz, where the ISA has them (as QEMU 8 writes it)
  const extensions = p.isa.split("_");
  if (extensions.includes("zicbom")) cpu.set("riscv,cbom-block-size", [64]);
  if (extensions.includes("zicboz")) cpu.set("riscv,cboz-block-size", [64]);
  cpu.label = `cpu${h}`;
  const intc = cpu.add("interrupt-controller")
    .set("#interrupt-cells", [1])
    .set("interrupt-controller", true)
    .set("compatible", "riscv,cpu-intc");
  intc.label = cpuIntcLabel(h);
}

/**
 * Sets /chosen's bootargs and initrd properties (creating /chosen when a
 * user-supplied tree has none), as QEMU does after loading the kernel.
 *
 * @example
 * ```ts
 * import { FdtNode } from "../../../plugin.ts";
 * import { setChosen } from "./fdt.ts";
 * const root = new FdtNode("");
 * setChosen(root, { bootargs: "console=ttyS0" });
 * console.log(root.find("/chosen")?.props.get("bootargs")); // "console=ttyS0"
 * ```
 */
export function setChosen(root: FdtNode, c: ChosenParams): void {
  const chosen = root.child("chosen") ?? root.add("chosen");
  if (c.bootargs) chosen.set("bootargs", c.bootargs);
  if (c.initrd) {
    chosen.set("linux,initrd-start", c.initrd.start);
    chosen.set("linux,initrd-end", c.initrd.end);
  }
}

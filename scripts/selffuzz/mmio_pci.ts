/**
 * The PCI half of the `mmio` self-fuzzer: a PCIe host bridge (ECAM) with a
 * virtio-blk-pci and a virtio-rng-pci behind it, driven as a hostile guest
 * would: random configuration-space accesses of every width (absent buses,
 * slots and functions, the capability list, the extended space), BARs placed
 * anywhere (over each other, at 0, at all ones, out of the windows) with
 * random command bits, random accesses in the memory and I/O windows, and
 * driver-like virtio-pci set-ups through the common configuration with
 * random twists and random chains.
 *
 * @module
 */

import {
  PciCommand,
  PciConfig,
  VirtioPciCommon as C,
  VirtioPciRegion,
  VirtioStatus as S,
} from "../../plugin.ts";
import type { TestEnv } from "../../tests/system_env.ts";
import type { Rnd } from "../../tests/riscv/random_programs.ts";
import { postChains, RAM, value } from "./mmio_dma.ts";

/** QEMU virt's windows, which the host bridge takes by default. */
const ECAM = 0x30000000n, PCI_MMIO = 0x40000000n, PCI_MMIO64 = 0x400000000n, PCI_IO = 0x3000000n;
/** Slot 0 is the host bridge; the virtio functions take the next ones. */
const VIRTIO_SLOTS = [1, 2];
/** The BARs of a virtio-pci function: the MSI-X table (32-bit) and the registers (64-bit). */
const MSIX_BAR = 1, REGS_BAR = 4;
/** Where the orderly placement puts slot s's registers: s MiB into the 32-bit window. */
const SLOT_SPACING = 0x100000n;
/** Where window accesses go: the orderly BARs, the 64-bit window's start, the I/O window. */
const WINDOWS: [bigint, number][] = [
  [PCI_MMIO + SLOT_SPACING, 3 * Number(SLOT_SPACING)],
  [PCI_MMIO64, 0x40000],
  [PCI_IO, 0x10000],
];

/** The host bridge and the two virtio-pci functions, as `withDevices` entries. */
export function pciDevices(image: string): [string, Record<string, string>][] {
  return [
    ["gpex_pcihost", {}],
    ["virtio_blk", { file: image, format: "raw", bus: "pcie.0" }],
    ["virtio_rng", { bus: "pcie.0" }],
  ];
}

const cfgAddress = (slot: number, offset: number, fn = 0, bus = 0) =>
  ECAM + (BigInt(bus) << 20n | BigInt(slot) << 15n | BigInt(fn) << 12n | BigInt(offset));

/** A BAR address: mostly the orderly one, else over another slot, 0, all ones or anywhere. */
function barAddress(rnd: Rnd, slot: number): bigint {
  switch (rnd(10)) {
    case 0:
      return PCI_MMIO + SLOT_SPACING; // every slot's BAR on top of slot 1's
    case 1:
      return 0n;
    case 2:
      return 0xffffffffffffffffn;
    case 3:
      return PCI_MMIO64 + BigInt(rnd(16)) * 0x4000n;
    case 4:
      return value(rnd, 8);
  }
  return PCI_MMIO + BigInt(slot) * SLOT_SPACING;
}

/** Places slot `slot`'s BARs and sets its command register; returns where BAR 4 went. */
function placeBars(env: TestEnv, rnd: Rnd, slot: number): bigint {
  const cfg = (off: number, v: bigint) => env.bus.store(cfgAddress(slot, off), 4, v);
  const regs = barAddress(rnd, slot);
  cfg(PciConfig.BAR0 + 4 * MSIX_BAR, rnd(2) ? (regs + 0x8000n) & 0xffffffffn : value(rnd, 4));
  cfg(PciConfig.BAR0 + 4 * REGS_BAR, regs & 0xffffffffn);
  cfg(PciConfig.BAR0 + 4 * REGS_BAR + 4, regs >> 32n);
  const command = PciCommand.MEMORY | PciCommand.MASTER;
  cfg(PciConfig.COMMAND, BigInt(rnd(6) ? command : rnd(1 << 16)));
  return regs & ~0xfn;
}

/** One random configuration-space access: mostly bus 0's first slots, any offset and width. */
function configAccess(env: TestEnv, rnd: Rnd): void {
  const slot = rnd(4) ? rnd(4) : rnd(32), fn = rnd(8) ? 0 : rnd(8), bus = rnd(16) ? 0 : rnd(256);
  const offset = rnd(4) ? rnd(0x80) : rnd(0x1000);
  const width = 1 << rnd(4);
  const addr = cfgAddress(slot, offset & ~(rnd(2) ? width - 1 : 0), fn, bus);
  if (rnd(2)) env.bus.store(addr, width, rnd(4) ? value(rnd, width) : -1n);
  else env.bus.load(addr, width);
}

/** One random access in the memory and I/O windows, mostly where the orderly BARs sit. */
function windowAccess(env: TestEnv, rnd: Rnd): void {
  const [base, size] = WINDOWS[rnd(WINDOWS.length)];
  const width = 1 << rnd(4);
  const addr = base + BigInt(rnd(size) & ~(width - 1));
  if (rnd(2)) env.bus.store(addr, width, value(rnd, width));
  else env.bus.load(addr, width);
}

/** A virtio-pci driver's set-up of one queue through the common configuration, then chains. */
function virtioPciTraffic(env: TestEnv, rnd: Rnd): void {
  const regs = placeBars(env, rnd, VIRTIO_SLOTS[rnd(VIRTIO_SLOTS.length)]);
  const at = (region: number, off: number) => BigInt.asUintN(64, regs + BigInt(region + off));
  const w = (off: number, size: number, v: bigint | number) =>
    env.bus.store(at(VirtioPciRegion.COMMON, off), size, BigInt(v));
  const desc = RAM + BigInt(rnd(8)) * 0x1000n, avail = desc + 0x800n, used = desc + 0xc00n;
  w(C.DEVICE_STATUS, 1, 0);
  w(C.DEVICE_STATUS, 1, S.ACKNOWLEDGE | S.DRIVER);
  w(C.DRIVER_FEATURE_SELECT, 4, rnd(8) ? 1 : rnd(4));
  w(C.DRIVER_FEATURE, 4, rnd(4) ? 1 : value(rnd, 4)); // VERSION_1, or nonsense
  w(C.DEVICE_STATUS, 1, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
  const queue = rnd(8) ? 0 : rnd(4);
  w(C.QUEUE_SELECT, 2, queue);
  w(C.QUEUE_SIZE, 2, [1, 2, 8, 0, 3, 0x8000, 0xffff][rnd(7)]);
  w(C.QUEUE_DESC, 8, rnd(8) ? desc : value(rnd, 8));
  w(C.QUEUE_DRIVER, 4, avail);
  w(C.QUEUE_DRIVER + 4, 4, 0);
  w(C.QUEUE_DEVICE, 8, rnd(8) ? used : value(rnd, 8));
  w(C.QUEUE_ENABLE, 2, rnd(8) ? 1 : value(rnd, 2));
  w(C.DEVICE_STATUS, 1, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
  postChains(env, rnd, desc, avail, () => {
    const off = rnd(8) ? 4 * queue : rnd(0x1000);
    env.bus.store(at(VirtioPciRegion.NOTIFY, off), 1 << rnd(3), BigInt(queue));
    if (rnd(2)) env.bus.load(at(VirtioPciRegion.ISR, 0), 1); // acknowledges
  });
}

/** One random PCI operation: configuration space, the windows, or a virtio-pci driver. */
export function pciOp(env: TestEnv, rnd: Rnd): void {
  const pick = rnd(16);
  if (pick === 0) virtioPciTraffic(env, rnd);
  else if (pick < 3) placeBars(env, rnd, rnd(4));
  else if (pick < 9) configAccess(env, rnd);
  else windowAccess(env, rnd);
}

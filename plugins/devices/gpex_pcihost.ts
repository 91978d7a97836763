/**
 * A generic PCIe host bridge with ECAM (QEMU's `gpex-pcihost`, Linux's
 * `pci-host-ecam-generic`): the configuration window, a 32-bit memory
 * window, a 64-bit memory window and an I/O window, with bus addresses
 * equal to physical ones (I/O from 0). The bridge itself is function 00.0
 * (1b36:0008, a host bridge). Slot S's INTx pin P (1..4) raises interrupt
 * source `irq + (S + P - 1) % 4`, the swizzle QEMU's virt board describes
 * in its `interrupt-map`.
 *
 * Options (QEMU virt's values as defaults): `ecam` (0x30000000),
 * `ecam-size` (0x10000000), `mmio` (0x40000000), `mmio-size` (0x40000000),
 * `mmio64` (0x400000000), `mmio64-size` (0x400000000), `io` (0x3000000),
 * `io-size` (0x10000), `irq` (32).
 *
 * Devices then join with `bus=pcie.0` (e.g. `-device virtio-rng-pci`).
 *
 * @module
 */

import {
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  PciFunction,
  PciHost,
} from "../../plugin.ts";

/** INTx pins, and how many host interrupt lines they are spread over. */
const PCI_PINS = 4;
/** ranges' space codes: I/O, 32-bit memory, 64-bit memory. */
const SPACE_IO = 0x1000000, SPACE_MEM32 = 0x2000000, SPACE_MEM64 = 0x3000000;
/** ECAM gives each bus 1 MiB. */
const ECAM_BUS_SIZE = 1n << 20n;
/** Red Hat's host bridge ids and QEMU's default subsystem. */
const HOST_BRIDGE = { vendorId: 0x1b36, deviceId: 0x0008, classCode: 0x060000 };
const QEMU_SUBSYSTEM = { subsystemVendorId: 0x1af4, subsystemId: 0x1100 };

const cells64 = (v: bigint) => [Number(v >> 32n), Number(v & 0xffffffffn)];

function create(ctx: DeviceContext, options: DeviceOptions) {
  const ecam = options.address("ecam", 0x30000000n);
  const ecamSize = options.address("ecam-size", 0x10000000n);
  const windows = [
    { kind: "io", space: SPACE_IO, busBase: 0n, name: "io", base: 0x3000000n, size: 0x10000n },
    { kind: "mem", space: SPACE_MEM32, name: "mmio", base: 0x40000000n, size: 0x40000000n },
    { kind: "mem", space: SPACE_MEM64, name: "mmio64", base: 0x400000000n, size: 0x400000000n },
  ].map((w) => {
    const base = options.address(w.name, w.base);
    return {
      ...w,
      base,
      busBase: w.busBase ?? base,
      size: options.address(`${w.name}-size`, w.size),
    };
  });
  const firstIrq = options.int("irq", 32);
  const lines = Array.from({ length: PCI_PINS }, (_, i) => ctx.irq(firstIrq + i));
  const host = new PciHost((slot, pin) => lines[(slot + pin - 1) % PCI_PINS]);
  host.attach(
    new PciFunction({ ...HOST_BRIDGE, ...QEMU_SUBSYSTEM, revision: 0, interruptPin: 0, bars: [] }),
  );
  ctx.mapMmio(ecam, ecamSize, host.ecam);
  for (const w of windows) {
    ctx.mapMmio(w.base, w.size, host.window(w.busBase, w.kind as "io" | "mem"));
  }
  ctx.offerPciHost(host);
  ctx.describe({
    node: "pci",
    compatible: ["pci-host-ecam-generic"],
    reg: [{ base: ecam, size: ecamSize }],
    interruptMap: interruptMap(firstIrq),
    props: {
      "interrupt-map-mask": [0x1800, 0, 0, 7],
      ranges: windows.flatMap((
        w,
      ) => [w.space, ...cells64(w.busBase), ...cells64(w.base), ...cells64(w.size)]),
      "dma-coherent": true,
      "bus-range": [0, Number(ecamSize / ECAM_BUS_SIZE) - 1],
      "linux,pci-domain": [0],
      device_type: "pci",
      "#size-cells": [2],
      "#interrupt-cells": [1],
      "#address-cells": [3],
    },
  });
  return {
    name: ctx.id,
    reset: () => host.reset(),
    save: (): DeviceState => host.save(),
    load: (s: DeviceState) => host.load(s),
  };
}

/** One entry per slot and pin for the first four slots (the swizzle repeats), as QEMU writes it. */
function interruptMap(firstIrq: number) {
  const out = [];
  for (let slot = 0; slot < PCI_PINS; slot++) {
    for (let pin = 1; pin <= PCI_PINS; pin++) {
      out.push({
        child: [slot << 11, 0, 0],
        childInterrupt: [pin],
        source: firstIrq + (slot + pin - 1) % PCI_PINS,
      });
    }
  }
  return out;
}

/** The PCIe host bridge device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "gpex_pcihost",
  apiVersion: { min: 2, cur: 2 },
  description: "generic PCIe host bridge (ECAM, INTx through the interrupt controller)",
  create,
};
export default plugin;

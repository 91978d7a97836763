/**
 * An empty virtio-mmio slot (DeviceID 0 until a virtio device plugs into
 * it). QEMU's virt board has eight, at 0x10001000 + 0x1000*i on interrupt
 * sources 1..8; virtio devices without `addr=` take the free slot with the
 * highest address first, as in QEMU.
 *
 * Options: `addr`, `irq` (both required).
 *
 * @module
 */

import {
  createVirtioMmio,
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
} from "../../plugin.ts";

function create(ctx: DeviceContext, options: DeviceOptions) {
  const transport = createVirtioMmio(ctx, options.address("addr"), options.int("irq"));
  ctx.offerVirtioSlot(transport);
  return {
    name: ctx.id,
    virtioTransport: transport.core,
    reset: () => transport.core.reset(),
    save: () => transport.core.save(),
    load: (s: DeviceState) => transport.core.load(s),
  };
}

/** The virtio-mmio slot device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "virtio_mmio",
  apiVersion: { min: 2, cur: 2 },
  description: "virtio-mmio transport (version 2) slot for virtio devices",
  create,
};
export default plugin;

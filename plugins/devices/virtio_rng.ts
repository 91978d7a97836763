/**
 * virtio-rng (entropy device): fills every buffer the driver posts with
 * bytes of the device's seeded random stream, so runs with the same seed
 * see the same "entropy".
 *
 * Options: `addr`/`irq` for a window of its own instead of a free
 * virtio-mmio slot.
 *
 * @module
 */

import {
  attachVirtio,
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  loadVmState,
  type RandomSource,
  saveVmState,
  VIRTIO_TRANSPORT_OPTIONS,
  type VirtioBackend,
  type VirtqChain,
  type VmStateDescription,
} from "../../plugin.ts";

const VIRTIO_ID_ENTROPY = 4;
/**
 * The most bytes one request gets (the device may fill less than the buffers
 * offer; the used length says how much). Without a cap a driver offering 4 GiB
 * buffers made the host generate 4 GiB of random bytes.
 */
export const RNG_MAX_REQUEST = 0x1000;

/**
 * The entropy device behind a transport.
 *
 * @example
 * ```ts ignore
 * transport.plug(new RngBackend(ctx.random));
 * ```
 */
export class RngBackend implements VirtioBackend {
  readonly deviceId = VIRTIO_ID_ENTROPY;
  readonly features = 0n;
  readonly queueMaxSizes = [64];
  readonly configSize = 0;

  constructor(readonly random: RandomSource) {}

  readConfig(): bigint {
    return 0n;
  }

  handle(_queue: number, chain: VirtqChain): number {
    return chain.write(0, this.random.bytes(Math.min(chain.writableLength, RNG_MAX_REQUEST)));
  }
}

function create(ctx: DeviceContext, options: DeviceOptions) {
  const random = ctx.random;
  const transport = attachVirtio(ctx, options, new RngBackend(random));
  // The stream's position is state: a restored guest reads the same bytes again.
  const state = {
    get transport(): DeviceState {
      return transport.save();
    },
    set transport(s: DeviceState) {
      transport.load(s);
    },
    get random(): bigint {
      return random.state;
    },
    set random(v: bigint) {
      random.state = v;
    },
  };
  const vmstate: VmStateDescription<typeof state> = {
    name: "virtio-rng",
    version: 1,
    fields: ["transport", "random"],
  };
  return {
    name: ctx.id,
    virtioType: options.string("bus", "") ? "virtio-rng-pci" : "virtio-rng-device",
    virtioTransport: transport,
    reset: () => transport.reset(),
    save: () => saveVmState(vmstate, state),
    load: (s: DeviceState) => loadVmState(vmstate, state, s),
  };
}

/** The virtio-rng device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "virtio_rng",
  apiVersion: { min: 2, cur: 2 },
  description: "virtio entropy device fed from the machine's seeded random stream",
  category: "Misc",
  options: VIRTIO_TRANSPORT_OPTIONS,
  create,
};
export default plugin;

/**
 * An example user device, written only against the public API (`mod.ts`),
 * to copy when writing your own:
 *
 * ```sh
 * deno task emu system ... -device ./plugins/devices/example_counter.ts,addr=0x10010000,irq=9
 * ```
 *
 * Registers (32-bit):
 * - `0x0 COUNT`: reads return how many times COUNT was read before (0, 1, 2, ...).
 * - `0x4 THRESHOLD`: when COUNT reaches it (non-zero), the interrupt line rises.
 * - `0x8 ACK`: any write lowers the line and restarts the count at 0.
 *
 * It appears in the device tree as `counter@ADDR`, compatible
 * `denemu,example-counter`.
 *
 * @module
 */

import {
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type DeviceState,
  type IrqLine,
  loadVmState,
  saveVmState,
  type VmStateDescription,
  wordRegisters,
} from "../../plugin.ts";

/**
 * The counter's registers.
 *
 * @example
 * ```ts
 * import { IrqLine } from "../../plugin.ts";
 * import { ReadCounter } from "./example_counter.ts";
 * const line = new IrqLine();
 * const c = new ReadCounter(line);
 * c.write(4, 2); // threshold
 * c.read(0);
 * c.read(0);
 * console.log(line.level); // true
 * ```
 */
export class ReadCounter {
  count = 0;
  threshold = 0;

  constructor(readonly irq: IrqLine) {}

  read(offset: number): number {
    if (offset === 0) {
      const v = this.count++;
      if (this.threshold !== 0 && this.count >= this.threshold) this.irq.set(true);
      return v;
    }
    return offset === 4 ? this.threshold : 0;
  }

  write(offset: number, value: number): void {
    if (offset === 4) this.threshold = value >>> 0;
    if (offset === 8) {
      this.count = 0;
      this.irq.set(false);
    }
  }
}

/** What a snapshot saves of the counter (QEMU's vmstate: declared fields and a version). */
const COUNTER_STATE: VmStateDescription<ReadCounter> = {
  name: "example_counter",
  version: 1,
  fields: ["count", "threshold"],
};

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr");
  const irq = options.int("irq");
  const counter = new ReadCounter(ctx.irq(irq));
  ctx.mapMmio(base, 0x1000n, wordRegisters(counter));
  ctx.describe({
    node: "counter",
    compatible: ["denemu,example-counter"],
    reg: [{ base, size: 0x1000n }],
    interrupts: [irq],
  });
  return {
    name: ctx.id,
    reset() {
      counter.count = counter.threshold = 0;
      counter.irq.set(false);
    },
    save: () => saveVmState(COUNTER_STATE, counter),
    load(s: DeviceState) {
      loadVmState(COUNTER_STATE, counter, s);
      counter.irq.restore(counter.threshold !== 0 && counter.count >= counter.threshold);
    },
  };
}

/** The example counter device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "example_counter",
  apiVersion: { min: 2, cur: 2 },
  description: "example: counts reads of its register, interrupts at a threshold",
  create,
};
export default plugin;

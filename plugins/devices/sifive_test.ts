/**
 * The SiFive test finisher (QEMU's `sifive_test`): a 32-bit write at offset
 * 0 ends the machine. The low 16 bits say how: 0x5555 powers off with
 * status 0, 0x3333 powers off with status `value >> 16` (a failure code),
 * 0x7777 resets. Other values are ignored. It also describes the
 * `syscon-poweroff` and `syscon-reboot` nodes guests use to find it.
 *
 * Options: `addr` (default 0x100000).
 *
 * @module
 */

import {
  type DeviceContext,
  type DeviceOptions,
  type DevicePlugin,
  type MachineEvent,
  wordRegisters,
} from "../../plugin.ts";

/** The finisher's command codes. */
export const FINISHER = { FAIL: 0x3333, PASS: 0x5555, RESET: 0x7777 } as const;

/**
 * The machine event a write of `value` asks for, or null.
 *
 * @example
 * ```ts
 * import { finisherEvent } from "./sifive_test.ts";
 * console.log(finisherEvent(0x5555), finisherEvent((3 << 16) | 0x3333));
 * // { kind: "poweroff", status: 0 } { kind: "poweroff", status: 3 }
 * ```
 */
export function finisherEvent(value: number): MachineEvent | null {
  switch (value & 0xffff) {
    case FINISHER.PASS:
      return { kind: "poweroff", status: 0 };
    case FINISHER.FAIL:
      return { kind: "poweroff", status: (value >>> 16) & 0xffff };
    case FINISHER.RESET:
      return { kind: "reset" };
  }
  return null;
}

const SIZE = 0x1000n;

function create(ctx: DeviceContext, options: DeviceOptions) {
  const base = options.address("addr", 0x100000n);
  ctx.mapMmio(
    base,
    SIZE,
    wordRegisters({
      read: () => 0,
      write: (offset, value) => {
        const e = offset === 0 ? finisherEvent(value) : null;
        if (e) ctx.machineEvent(e);
      },
    }),
  );
  const label = `${ctx.id}-syscon`;
  ctx.describe({
    node: "test",
    label,
    compatible: ["sifive,test1", "sifive,test0", "syscon"],
    reg: [{ base, size: SIZE }],
  });
  for (const [node, value] of [["poweroff", FINISHER.PASS], ["reboot", FINISHER.RESET]] as const) {
    ctx.describe({
      node,
      parent: "root",
      unitAddress: null,
      compatible: [`syscon-${node}`],
      props: { regmap: [{ phandle: label }], offset: [0], value: [value] },
    });
  }
  return { name: ctx.id };
}

/** The SiFive test finisher device plugin. */
const plugin: DevicePlugin = {
  kind: "device",
  name: "sifive_test",
  apiVersion: { min: 2, cur: 2 },
  description: "SiFive test finisher: poweroff (0x5555), fail code (0x3333), reset (0x7777)",
  create,
};
export default plugin;

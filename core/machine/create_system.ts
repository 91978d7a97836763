/**
 * The system-mode half of `createMachine` (`create.ts`): a board from
 * QEMU-style options (`-M`, `-m`, `-device`, `-drive`...), and its
 * lockstep shadow. `create.ts` imports it only when a board is made.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { EmulatedSystem, type SystemConfig } from "../system/emulated_system.ts";
import {
  DeviceOptions,
  type DeviceSpec,
  parseDeviceSpec,
  parseOptionList,
  parseSize,
} from "../system/options.ts";
import type { SnapshotIdentity } from "../snapshot/file.ts";
import type { InputLog } from "../replay/input_log.ts";
import type { SystemOptions } from "./create.ts";
import type { MachineDriver } from "./driver.ts";
import { SystemDriver } from "./system.ts";

/**
 * The driver of a system-mode machine made from `opts` (and, with `accel:
 * "lockstep"`, of its shadow on the interpreter).
 *
 * @example
 * ```ts ignore
 * const driver = await systemDriver({ system: { bios: "none", kernel: "k.elf" } }, undefined);
 * ```
 */
export async function systemDriver(
  opts: SystemOptions,
  inputLog: InputLog | undefined,
): Promise<MachineDriver> {
  const s = opts.system;
  const board = parseOptionList(s.machine ?? "virt", true);
  const name = board.name || "virt";
  const memory = s.memory ?? 128n << 20n;
  const log = opts.log && new Set(opts.log.categories);
  for (const c of log ?? []) {
    // guest_errors, unimp and page are accepted, as nothing is logged for them here
    if (!SYSTEM_LOG_ITEMS.includes(c)) {
      throw new EmuError(
        `-d ${c}: not a system-mode log item`,
        `use ${SYSTEM_LOG_ITEMS.join(", ")}`,
      );
    }
  }
  const config = (accel: SystemConfig["accel"], shadow: boolean): SystemConfig => ({
    machineName: name,
    machine: new DeviceOptions(`-M ${name}`, board.values),
    cpu: s.cpu ?? "rv64",
    accel,
    ramSize: typeof memory === "bigint" ? memory : parseSize(memory, "-m", 1n << 20n),
    bios: s.bios,
    kernel: s.kernel,
    initrd: s.initrd,
    append: s.append,
    dtb: s.dtb,
    devices: (s.devices ?? []).map(parseDeviceSpec),
    // a shadow machine must not write the disk images the main one writes
    drives: (s.drives ?? []).map((d) =>
      new DeviceOptions(`-drive ${d}`, {
        ...parseOptionList(d, false).values,
        ...(shadow ? { snapshot: "on" } : {}),
      })
    ),
    rtc: s.rtc === undefined
      ? undefined
      : new DeviceOptions("-rtc", parseOptionList(s.rtc, false).values),
    seed: BigInt(opts.seed ?? 0),
    icountShift: s.icountShift,
    smp: s.smp,
    quantum: s.quantum,
    symbols: s.symbols,
    tbSize: s.tbSize,
    logInterrupt: log?.has("int") && !shadow ? opts.log!.write : undefined,
    // a shadow machine takes the inputs the main one logged, at the same instructions
    inputLog: shadow ? inputLog?.follower() : inputLog,
  });
  // lockstep: the machine runs on the JIT, a shadow machine on the interpreter behind it
  const accel = opts.accel ?? "jit";
  const sys = await EmulatedSystem.create(config(accel === "lockstep" ? "jit" : accel, false));
  const shadow = accel === "lockstep"
    ? await EmulatedSystem.create(config("interp", true))
    : undefined;
  const images = [s.bios, s.kernel].filter((p): p is string => p !== undefined && p !== "none");
  const c = config("jit", false);
  const identity: SnapshotIdentity = {
    mode: "system",
    machine: name,
    machineOptions: JSON.stringify(board.values),
    cpu: c.cpu,
    ram: c.ramSize.toString(),
    bios: s.bios ?? "",
    kernel: s.kernel ?? "",
    initrd: s.initrd ?? "",
    devices: c.devices.map(deviceShape).join(" "),
    drives: String(c.drives.length),
    ...(s.smp && s.smp > 1 ? { smp: String(s.smp) } : {}),
  };
  return new SystemDriver(sys, images, identity, shadow);
}

/** The `-d` items system mode takes. */
const SYSTEM_LOG_ITEMS = "int in_asm op op_opt exec cpu fpu nochain guest_errors unimp page"
  .split(" ");

/** Options that say where a device sits on the board (a snapshot's state is laid out by them). */
const PLACEMENT = ["bus", "addr", "irq"];

/** A device as a snapshot must match it: its name and placement, e.g. "virtio-rng-pci,addr=5". */
function deviceShape(d: DeviceSpec): string {
  const placed = PLACEMENT.filter((k) => d.options.has(k)).map((k) =>
    `${k}=${d.options.values[k]}`
  );
  return [d.name, ...placed].join(",");
}

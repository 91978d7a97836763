// Shared fixtures of the system-mode tests: a machine environment without a CPU, whose virtual
// clock the test moves by hand.
// SPDX-License-Identifier: GPL-3.0-or-later
import {
  DeviceOptions,
  EventQueue,
  loadDevicePlugin,
  MachineDevices,
  type MachineEnv,
  PhysicalBus,
  RecordingInterruptSink,
  VirtualClock,
} from "../plugin.ts";
import { HostMemory } from "../core/host_memory.ts";
import { SerialConsole } from "../mod.ts";
export { which } from "../scripts/build_guests.ts";

/** A machine environment plus a hand-driven clock. */
export interface TestEnv extends MachineEnv {
  bus: PhysicalBus;
  events: EventQueue;
  clock: VirtualClock;
  sink: RecordingInterruptSink;
  /** Sets virtual time to `ns` and runs the events due by then. */
  advanceTo(ns: bigint): void;
}

/** A fresh environment at virtual time 0 (epoch of the clock: 2025-01-01). */
export function testEnv(seed = 0n): TestEnv {
  let icount = 0;
  const clock = new VirtualClock(() => icount);
  const events = new EventQueue();
  const sink = new RecordingInterruptSink();
  const bus = new PhysicalBus(new HostMemory(1 << 20));
  return {
    bus,
    events,
    clock,
    sink,
    interrupts: sink,
    seed,
    hostTimeNs: () => 1_800_000_000_000_000_000n,
    advanceTo(ns: bigint) {
      icount = Number(ns);
      events.runDue(ns);
    },
  };
}

/** `new DeviceOptions(name, values)` with hex helpers. */
export function opts(name: string, values: Record<string, string | number | bigint> = {}) {
  const v: Record<string, string> = {};
  for (const [k, x] of Object.entries(values)) {
    v[k] = typeof x === "bigint" ? "0x" + x.toString(16) : String(x);
  }
  return new DeviceOptions(name, v);
}

/** Creates built-in devices by plugin name on `env` (a PLIC first, as boards do). */
export async function withDevices(
  env: TestEnv,
  list: [string, Record<string, string | number | bigint>][],
): Promise<{ devs: MachineDevices; console: SerialConsole }> {
  const console = new SerialConsole(env.events, env.clock);
  const devs = new MachineDevices(env, [console]);
  for (const [name, values] of list) {
    const plugin = await loadDevicePlugin(name);
    await devs.add(plugin.name, plugin.create, opts(name, values));
  }
  return { devs, console };
}

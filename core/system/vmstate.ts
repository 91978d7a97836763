/**
 * Device state for snapshots, after QEMU's `migration/vmstate`: a device
 * declares the fields that make up its state and a version; one description
 * drives both save and load, and a load of another version or another
 * device's state is refused.
 *
 * @module
 */

import { EmuError } from "../errors.ts";

/** What a device declares: its state's name, version and fields. */
export interface VmStateDescription<T> {
  /** the state's name (a load checks it) */
  readonly name: string;
  /** bumped whenever the fields change meaning (a load checks it) */
  readonly version: number;
  /** the properties that make up the state */
  readonly fields: readonly (keyof T & string)[];
}

/**
 * A device's saved state: plain data (numbers, bigints, arrays, typed arrays).
 *
 * @example
 * ```ts
 * import { saveVmState } from "./vmstate.ts";
 * const rtc = { alarm: 5n, host: {} }; // `host` is not state: it is left out
 * const state = saveVmState({ name: "rtc", version: 1, fields: ["alarm"] }, rtc);
 * console.log(state); // { name: "rtc", version: 1, fields: { alarm: 5n } }
 * ```
 */
export interface DeviceState {
  /** the description's name */
  readonly name: string;
  /** the description's version */
  readonly version: number;
  /** field name -> saved value */
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * Saves the declared fields of `device`.
 *
 * @example
 * ```ts
 * import { loadVmState, saveVmState, type VmStateDescription } from "./vmstate.ts";
 * class Counter { count = 0; limit = 10; }
 * const VM: VmStateDescription<Counter> = { name: "counter", version: 1, fields: ["count"] };
 * const c = new Counter();
 * c.count = 3;
 * const s = saveVmState(VM, c);
 * c.count = 9;
 * loadVmState(VM, c, s);
 * console.log(c.count); // 3
 * ```
 */
export function saveVmState<T>(d: VmStateDescription<T>, device: T): DeviceState {
  const fields: Record<string, unknown> = {};
  for (const f of d.fields) fields[f] = copy(device[f]);
  return { name: d.name, version: d.version, fields };
}

/**
 * Loads state saved by {@linkcode saveVmState} into `device` (arrays are filled in place).
 *
 * @example
 * ```ts
 * import { loadVmState, type VmStateDescription } from "./vmstate.ts";
 * type Timer = { regs: Uint32Array };
 * const VM: VmStateDescription<Timer> = { name: "timer", version: 2, fields: ["regs"] };
 * const timer = { regs: new Uint32Array(2) };
 * const saved = { name: "timer", version: 2, fields: { regs: new Uint32Array([7, 8]) } };
 * loadVmState(VM, timer, saved);
 * console.log(timer.regs); // Uint32Array(2) [ 7, 8 ]
 * ```
 */
export function loadVmState<T>(d: VmStateDescription<T>, device: T, s: DeviceState): void {
  if (s.name !== d.name || s.version !== d.version) {
    throw new EmuError(
      `snapshot: state ${s.name} version ${s.version} cannot be loaded into ${d.name} version ${d.version}`,
    );
  }
  for (const f of d.fields) {
    if (!(f in s.fields)) throw new EmuError(`snapshot: ${d.name} state lacks field ${f}`);
    const saved = s.fields[f], live = device[f] as unknown;
    if (ArrayBuffer.isView(live) || Array.isArray(live)) assignArray(live, saved, d.name, f);
    else device[f] = copy(saved) as T[typeof f];
  }
}

function assignArray(live: unknown, saved: unknown, name: string, field: string): void {
  const to = live as { length: number; [i: number]: unknown }, from = saved as typeof to;
  if (!from || typeof from !== "object" || from.length !== to.length) {
    if (Array.isArray(live) && Array.isArray(saved)) {
      live.splice(0, live.length, ...copyArray(saved));
      return;
    }
    throw new EmuError(`snapshot: ${name} field ${field} has the wrong size`);
  }
  if (setTypedArray(live, saved)) return;
  for (let i = 0; i < to.length; i++) {
    if (!setTypedArray(to[i], from[i])) to[i] = copy(from[i]);
  }
}

/**
 * Copies `saved` into `live` in one go when both are typed arrays of one type
 * and length (a PLIC's 97-entry arrays, restored before each fuzz input).
 */
function setTypedArray(live: unknown, saved: unknown): boolean {
  if (!ArrayBuffer.isView(live) || live instanceof DataView || !ArrayBuffer.isView(saved)) {
    return false;
  }
  const to = live as Uint8Array, from = saved as Uint8Array;
  if (from.constructor !== to.constructor || from.length !== to.length) return false;
  to.set(from);
  return true;
}

function copyArray(a: unknown[]): unknown[] {
  return a.map(copy);
}

function copy(v: unknown): unknown {
  if (Array.isArray(v)) return copyArray(v);
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): unknown }).slice();
  return v;
}

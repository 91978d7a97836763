/**
 * Snapshots of an emulated system: the CPU state block and clock, the hart's
 * privileged state, every device's versioned state, the event queue's timers,
 * and RAM by dirty frames (a restore copies back only the frames written
 * since, see `core/dirty_frames.ts`). With several harts (`-smp N`), the
 * other harts' state and the schedule (which hart runs, how much of its turn
 * is left) too.
 *
 * Translated code survives a restore when the snapshot belongs to the
 * current translation epoch: TBs are keyed by virtual address, and a TB flush
 * or a remap (satp, sfence.vma) starts a new epoch, since the address space may
 * have changed. Snapshots are tagged with the epoch they were taken in, so
 * restoring an older snapshot of the same epoch keeps every TB except those
 * made from RAM pages whose bytes differ; one of another epoch drops every TB.
 * Cached address translations (the soft TLB and the MMU's) are dropped when a
 * snapshot is taken and when one is restored, so a run after either starts
 * from the page tables in memory, as QEMU's loadvm does.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import { PAGE_SIZE } from "../host_memory.ts";
import { captureCpu, type CpuSnapshot, restoreCpu } from "../snapshot/cpu_state.ts";
import type { PortableSnapshot } from "../snapshot/file.ts";
import { FrameImage } from "../snapshot/frames.ts";
import type { RamRegion } from "./bus.ts";
import type { SavedEvents } from "./events.ts";
import type { EmulatedSystem } from "./emulated_system.ts";
import type { DeviceState } from "./vmstate.ts";
import { shapeMismatch } from "../snapshot/shape.ts";

/** The kind tag of a system snapshot file. */
export const SYSTEM_SNAPSHOT_KIND = "system";

/** A machine at one moment, for {@linkcode EmulatedSystem.restore}. */
export interface SystemSnapshot {
  /** the CPU state block, icount and clock */
  readonly cpu: CpuSnapshot;
  /** the hart's privileged state */
  readonly hart: DeviceState;
  /** device id -> state, for the devices that have state */
  readonly devices: Readonly<Record<string, DeviceState>>;
  /** the event queue's timers */
  readonly events: SavedEvents;
  /** every RAM and ROM frame */
  readonly ram: FrameImage;
  /** the harts after the first and the schedule, on a machine with several harts */
  readonly smp?: SmpState;
  /** The snapshot as plain data (for a snapshot file). */
  portable(): PortableSnapshot;
}

/** A multi-hart machine's harts after hart 0, and its schedule. */
export interface SmpState {
  /** harts 1..N-1: the CPU state block and icount, and the privileged state */
  readonly harts: readonly { readonly cpu: CpuSnapshot; readonly hart: DeviceState }[];
  /** the hart that runs */
  readonly current: number;
  /** instructions left in its turn */
  readonly quantumLeft: number;
}

function captureSmp(sys: EmulatedSystem): SmpState | undefined {
  if (sys.harts.length === 1) return undefined;
  const harts = sys.harts.slice(1).map(({ cpu, hart }) => ({
    cpu: captureCpu(cpu, sys.clock),
    hart: hart.save!(),
  }));
  return { harts, ...sys.loop.position };
}

function restoreSmp(sys: EmulatedSystem, s: SmpState | undefined): void {
  if (!s) return;
  sys.loop.position = { current: s.current, quantumLeft: s.quantumLeft };
  s.harts.forEach((saved, i) => {
    const { cpu, hart } = sys.harts[i + 1];
    restoreCpu(cpu, sys.clock, saved.cpu);
    hart.load!(saved.hart);
  });
}

/** The hart's, the devices' and the event queue's state, as a snapshot holds them. */
function deviceStates(sys: EmulatedSystem): Pick<SystemSnapshot, "hart" | "devices" | "events"> {
  if (!sys.hart.save) throw new EmuError(`target ${sys.target.name} cannot save its hart state`);
  const devices: Record<string, DeviceState> = {};
  for (const d of sys.machine.devices) if (d.save) devices[d.name] = d.save();
  return { hart: sys.hart.save(), devices, events: sys.events.save() };
}

function ramRegions(sys: EmulatedSystem): RamRegion[] {
  return sys.bus.regions.filter((r): r is RamRegion => r.kind === "ram");
}

function* ramFrames(sys: EmulatedSystem): Generator<number> {
  for (const r of ramRegions(sys)) {
    for (let f = r.host; f < r.host + Number(r.size); f += PAGE_SIZE) yield f;
  }
}

/**
 * Saves `sys` (called by {@linkcode EmulatedSystem.snapshot}).
 *
 * @example
 * ```ts ignore
 * const s = sys.snapshot();
 * sys.serial.write("version\n");
 * sys.restore(s);
 * ```
 */
export function captureSystem(sys: EmulatedSystem): SystemSnapshot {
  const s: SystemSnapshot = {
    cpu: captureCpu(sys.cpu, sys.clock),
    ...deviceStates(sys),
    ram: FrameImage.capture(sys.bus.host, ramFrames(sys), earlierRam(sys)),
    smp: captureSmp(sys),
    portable: () => portableSystem(sys, s),
  };
  epochs.set(s, currentEpoch(sys));
  for (const { hart } of sys.harts) hart.dropTranslations?.();
  markClean(sys, s);
  return s;
}

/** The RAM image memory equals outside the dirty frames, if the last clean point was a snapshot. */
function earlierRam(sys: EmulatedSystem): FrameImage | undefined {
  const base = sys.bus.host.dirty.base as SystemSnapshot | null;
  return base && "ram" in base ? base.ram : undefined;
}

function markClean(sys: EmulatedSystem, s: SystemSnapshot): void {
  sys.bus.host.dirty.clean();
  sys.bus.host.dirty.base = s;
}

/** The translation epoch of each machine, and the epoch each snapshot was taken in. */
const epochs = new WeakMap<EmulatedSystem | SystemSnapshot, number>();
let lastEpoch = 0;

/** The machine's current translation epoch (a TB flush or a remap starts a new one). */
function currentEpoch(sys: EmulatedSystem): number {
  let epoch = epochs.get(sys);
  if (epoch === undefined) {
    epochs.set(sys, epoch = ++lastEpoch);
    const next = () => epochs.set(sys, ++lastEpoch);
    for (const { cpu } of sys.harts) {
      cpu.tbs.observers.push({ onFlush: next });
      // TBs stay across a remap where their pages map as before, but a snapshot from before
      // it may map them elsewhere
      cpu.mem.observers.push({ onRemap: next });
    }
  }
  return epoch;
}

/**
 * Drops the TBs that may not hold for `s`: all of them unless `s` was taken in
 * the current epoch; after a flush, TBs are made under `s`'s address space, so
 * the machine joins `s`'s epoch.
 */
function keepTranslationsFor(sys: EmulatedSystem, s: SystemSnapshot): void {
  const epoch = epochs.get(s);
  if (epoch === currentEpoch(sys)) return;
  for (const { cpu } of sys.harts) cpu.tbs.flush();
  if (epoch !== undefined) epochs.set(sys, epoch);
}

/** Host frame -> physical page number, for the RAM regions. */
function framePages(sys: EmulatedSystem): (frame: number) => number | undefined {
  const regions = ramRegions(sys);
  return (f) => {
    const r = regions.find((r) => f >= r.host && f < r.host + Number(r.size));
    return r && Number(r.base / BigInt(PAGE_SIZE)) + (f - r.host) / PAGE_SIZE;
  };
}

/** Puts `sys` back as `snap` saved it (or as a snapshot file of the same machine holds it). */
export function restoreSystem(sys: EmulatedSystem, snap: SystemSnapshot | PortableSnapshot): void {
  const s = "kind" in snap ? materializeSystem(sys, snap) : snap;
  if ((s.smp?.harts.length ?? 0) !== sys.harts.length - 1) {
    throw new EmuError("snapshot: taken on a machine with another number of harts (-smp)");
  }
  const host = sys.bus.host;
  keepTranslationsFor(sys, s);
  const pageOf = framePages(sys);
  for (const f of s.ram.framesToRestore(host, earlierRam(sys))) {
    const ppn = pageOf(f);
    const code = ppn !== undefined && sys.bus.page(ppn)?.hasCode === true;
    if (s.ram.copyBack(host, f, code) && code) sys.bus.contentsReplaced(ppn);
  }
  markClean(sys, s);
  restoreSmp(sys, s.smp);
  restoreCpu(sys.cpu, sys.clock, s.cpu);
  sys.hart.load!(s.hart);
  for (const d of sys.machine.devices) {
    const saved = s.devices[d.name];
    if (d.load && saved) d.load(saved);
    else if (d.load || saved) throw new EmuError(`snapshot: device ${d.name} does not match`);
  }
  sys.events.load(s.events);
}

/** `s` as plain data: RAM as the non-zero pages of each region. */
function portableSystem(sys: EmulatedSystem, s: SystemSnapshot): PortableSnapshot {
  const pages: number[] = [];
  const stored: Uint8Array[] = [];
  let i = 0;
  for (const f of ramFrames(sys)) {
    const data = s.ram.contents(f)!;
    if (data.some((b) => b !== 0)) {
      pages.push(i);
      stored.push(data);
    }
    i++;
  }
  const ram = new Uint8Array(stored.length * PAGE_SIZE);
  stored.forEach((d, k) => ram.set(d, k * PAGE_SIZE));
  const { cpu, hart, devices, events, smp } = s;
  const meta = { icount: cpu.icount, skippedNs: cpu.skippedNs, hart, devices, events, pages };
  if (!smp) return { kind: SYSTEM_SNAPSHOT_KIND, meta, blobs: { state: cpu.state, ram } };
  const smpMeta: SmpMeta = {
    current: smp.current,
    quantumLeft: smp.quantumLeft,
    harts: smp.harts.map((h) => ({ icount: h.cpu.icount, hart: h.hart })),
  };
  const smpStates = new Uint8Array(smp.harts.length * cpu.state.length);
  smp.harts.forEach((h, i) => smpStates.set(h.cpu.state, i * cpu.state.length));
  return {
    kind: SYSTEM_SNAPSHOT_KIND,
    meta: { ...meta, smp: smpMeta },
    blobs: { state: cpu.state, ram, smpStates },
  };
}

/** {@linkcode SmpState} in a file: the state blocks are in the `smpStates` blob. */
interface SmpMeta {
  current: number;
  quantumLeft: number;
  harts: { icount: number; hart: DeviceState }[];
}

/** The other harts' state from a file's data. */
function materializeSmp(f: PortableSnapshot, meta: SystemMeta): SmpState | undefined {
  const m = meta.smp;
  if (!m) return undefined;
  const size = f.blobs.state.length, states = f.blobs.smpStates;
  if (m.quantumLeft < 0 || m.current < 0 || m.current > m.harts.length) {
    throw new EmuError("snapshot: damaged state (hart schedule)");
  }
  if (states.length !== m.harts.length * size) {
    throw new EmuError("snapshot: damaged state (hart states and hart list differ in size)");
  }
  const harts = m.harts.map((h, i) => ({
    cpu: {
      state: states.slice(i * size, (i + 1) * size),
      icount: h.icount,
      skippedNs: meta.skippedNs,
    },
    hart: h.hart,
  }));
  return { harts, current: m.current, quantumLeft: m.quantumLeft };
}

/** A snapshot of `sys` from a file's data (the file's identity says it is the same machine). */
function materializeSystem(sys: EmulatedSystem, f: PortableSnapshot): SystemSnapshot {
  if (f.kind !== SYSTEM_SNAPSHOT_KIND) {
    throw new EmuError(`a ${f.kind} snapshot cannot be loaded into a system`);
  }
  const frames = [...ramFrames(sys)];
  const meta = checkedMeta(sys, f, frames.length);
  const data = new Uint8Array(frames.length * PAGE_SIZE);
  meta.pages.forEach((page, k) => {
    data.set(f.blobs.ram.subarray(k * PAGE_SIZE, (k + 1) * PAGE_SIZE), page * PAGE_SIZE);
  });
  const s: SystemSnapshot = {
    cpu: { state: f.blobs.state, icount: meta.icount, skippedNs: meta.skippedNs },
    hart: meta.hart,
    devices: meta.devices,
    events: meta.events,
    ram: FrameImage.fromData(frames, data),
    smp: materializeSmp(f, meta),
    portable: () => portableSystem(sys, s),
  };
  return s;
}

interface SystemMeta {
  icount: number;
  skippedNs: bigint;
  hart: DeviceState;
  devices: Record<string, DeviceState>;
  events: SavedEvents;
  pages: number[];
  smp?: SmpMeta;
}

/** The file's state, once it has this machine's shape and its pages fit (else EmuError). */
function checkedMeta(sys: EmulatedSystem, f: PortableSnapshot, ramPages: number): SystemMeta {
  const like: SystemMeta = { icount: 0, skippedNs: 0n, ...deviceStates(sys), pages: [0] };
  const state = new Uint8Array(sys.target.state.size);
  const blobs: Record<string, Uint8Array | null> = { state, ram: null };
  if (sys.harts.length > 1) {
    const harts = sys.harts.slice(1).map(({ hart }) => ({ icount: 0, hart: hart.save!() }));
    like.smp = { current: 0, quantumLeft: 0, harts };
    blobs.smpStates = null;
  }
  const mismatch = shapeMismatch(f.meta, like, "meta") ??
    shapeMismatch(f.blobs, blobs, "blobs");
  if (mismatch) throw new EmuError(`snapshot: damaged state (${mismatch})`);
  const meta = f.meta as SystemMeta;
  if (meta.pages.some((page) => page < 0 || page >= ramPages)) {
    throw new EmuError("snapshot: RAM larger than this machine's");
  }
  if (f.blobs.ram.length !== meta.pages.length * PAGE_SIZE) {
    throw new EmuError("snapshot: damaged state (RAM data and page list differ in size)");
  }
  return meta;
}

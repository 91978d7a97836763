/**
 * Machine snapshots inside the machine's qcow2 disks, as QEMU's `savevm TAG`,
 * `loadvm TAG`, `delvm TAG`, `info snapshots` and `-loadvm TAG` keep them
 * (migration/savevm.c, block/snapshot.c): every writable drive takes an
 * internal snapshot of its disk under the tag, and the first one also holds
 * the machine's state in its VM state area (past the end of the virtual disk).
 *
 * The state is Denemu's own (the bytes of a snapshot file, see
 * `core/snapshot/file.ts`), not QEMU's migration stream: a snapshot that QEMU
 * wrote lists and deletes as any other, and loading it is refused with one
 * line. A drive with `readonly=on` keeps no disk snapshot (its contents never
 * change); one with `snapshot=on` keeps them in memory beside its overlay
 * (`overlay_snapshots.ts`), as QEMU keeps them in its temporary overlay.
 *
 * @module
 */

import type { SnapshotInfo } from "../block.ts";
import type { DeviceDrive } from "../drive_overlay.ts";
import { EmuError } from "../errors.ts";
import { type Machine, machineDriver } from "./machine.ts";
import { overlaySnapshots, type SnapshotStore } from "./overlay_snapshots.ts";
import { decodeState, encodeState } from "./snapshots.ts";
import type { SystemDriver } from "./system.ts";

/** The machine's drives, in QEMU's order (the `-drive` options'; none in user mode). */
export function machineDrives(m: Machine): DeviceDrive[] {
  const d = machineDriver(m);
  if (d.mode !== "system") return [];
  const built = (d as SystemDriver).sys.machine;
  return built.drives ?? built.devices.flatMap((dev) => dev.drive ? [dev.drive] : []);
}

/** A drive and what keeps its snapshots. */
interface SnapshotDrive {
  drive: DeviceDrive;
  store: SnapshotStore;
}

/** Where a writable drive's snapshots go: its overlay's store, else its image if it can. */
function snapshotStore(d: DeviceDrive): SnapshotStore | undefined {
  if (d.overlay) return overlaySnapshots(d.overlay);
  const i = d.image;
  return i.createSnapshot && i.applySnapshot && i.deleteSnapshot && i.readVmState
    ? i as SnapshotStore
    : undefined;
}

/**
 * The drives that take the snapshots (QEMU's bdrv_all_can_snapshot): the
 * writable ones, each of which must support them (a snapshot=on drive's
 * overlay does, as QEMU's temporary qcow2 overlay).
 */
function snapshotDrives(m: Machine): SnapshotDrive[] {
  return machineDrives(m).filter((d) => !d.readOnly).map((drive) => {
    const store = snapshotStore(drive);
    if (!store) {
      throw new EmuError(`Device '${drive.name}' is writable but does not support snapshots`);
    }
    return { drive, store };
  });
}

/** The drive that holds the machine's state (QEMU's bdrv_all_find_vmstate_bs). */
function vmStateDrive<T>(drives: T[]): T {
  if (!drives[0]) throw new EmuError("no block device can store vmstate for snapshot");
  return drives[0];
}

function findSnapshot(d: SnapshotDrive, tag: string): SnapshotInfo | undefined {
  return d.store.describe?.().snapshots?.find((s) => s.name === tag);
}

/** QEMU's name for a `savevm` without a tag: vm-YYYYMMDDHHMMSS in local time. */
export function defaultTag(date: Date): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `vm-${date.getFullYear()}${p2(date.getMonth() + 1)}${p2(date.getDate())}` +
    `${p2(date.getHours())}${p2(date.getMinutes())}${p2(date.getSeconds())}`;
}

/**
 * `savevm [TAG]`: replaces the snapshots named `tag` with new ones of every
 * writable drive, the machine's state in the first. The machine must be
 * stopped. Returns the tag used.
 */
export async function saveVm(m: Machine, tag?: string): Promise<string> {
  const drives = snapshotDrives(m);
  const date = new Date();
  const name = tag ?? defaultTag(date);
  if (tag !== undefined) deleteVm(m, tag);
  const first = vmStateDrive(drives);
  const driver = machineDriver(m);
  const data = await held(drives, () => encodeState(driver.state, driver.identity));
  const clockNs = Number((driver as SystemDriver).sys.clock.monotonicNs());
  for (const d of drives) {
    d.store.createSnapshot(name, date, d === first ? { data, clockNs } : undefined);
    d.store.flush?.();
  }
  return name;
}

/**
 * `loadvm TAG` / `-loadvm TAG`: reverts the machine to the state the first
 * writable drive's snapshot `tag` holds, then every writable drive to its
 * snapshot `tag`.
 */
export async function loadVm(m: Machine, tag: string): Promise<void> {
  const drives = snapshotDrives(m);
  const found = drives.map((d) => findSnapshot(d, tag));
  if (found.some((s) => !s)) {
    throw new EmuError(`Snapshot '${tag}' does not exist in one or more devices`);
  }
  const first = vmStateDrive(drives);
  const sn = found[0]!;
  if (!sn["vm-state-size"]) {
    throw new EmuError("This is a disk-only snapshot. Revert to it offline using qemu-img");
  }
  const driver = machineDriver(m);
  const limit = (driver.state as { snapshotBlobLimit?: number }).snapshotBlobLimit ?? 0;
  const label = `snapshot '${tag}' in ${first.drive.name} (${first.drive.path})`;
  // a Denemu state is compressed: more than twice the machine's memory is a damaged entry
  if (sn["vm-state-size"] > 2 * limit + (64 << 20)) {
    throw new EmuError(`${label}: damaged snapshot (VM state of ${sn["vm-state-size"]} bytes)`);
  }
  const bytes = first.store.readVmState(sn.id, sn["vm-state-size"]);
  // the state is checked and put back before any disk reverts (QEMU reverts them first):
  // a state that is refused leaves the machine and its disks as they were
  await held(drives, () =>
    decodeState(driver.state, bytes, label, driver.identity, () => {
      drives.forEach((d, i) => d.store.applySnapshot(found[i]!.id));
      for (const d of drives) d.drive.reverted?.();
    }));
}

/** Runs `f` with the drives' contents held by their snapshots (the devices' states may be taken). */
async function held<T>(drives: SnapshotDrive[], f: () => Promise<T>): Promise<T> {
  for (const d of drives) d.drive.heldByImage = true;
  try {
    return await f();
  } finally {
    for (const d of drives) d.drive.heldByImage = false;
  }
}

/** `delvm TAG`: deletes the snapshots named `tag` (a drive without one is left as it is). */
export function deleteVm(m: Machine, tag: string): void {
  for (const d of snapshotDrives(m)) {
    if (findSnapshot(d, tag)) d.store.deleteSnapshot(tag);
  }
}

/**
 * `info snapshots`: the snapshots of the state-holding drive that every
 * other writable drive has too (QEMU lists them "present on all disks").
 */
export function listVm(m: Machine): SnapshotInfo[] {
  const drives = machineDrives(m).filter((d) => !d.readOnly)
    .map((drive) => ({ drive, store: snapshotStore(drive) }));
  const first = vmStateDrive(drives.filter((d) => d.store)).store!;
  return (first.describe?.().snapshots ?? []).filter((s) =>
    drives.every((d) => d.store && findSnapshot(d as SnapshotDrive, s.name))
  );
}

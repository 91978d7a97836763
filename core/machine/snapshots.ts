/**
 * The one place the machine reaches the snapshot machinery: a mode's state
 * object (`LinuxProcess`, `EmulatedSystem`) provides `snapshot()` and
 * `restore(s)`, and snapshot files are written and read by the file format
 * module. Until those exist, every call says so with an EmuError.
 *
 * @module
 */

import { EmuError } from "../errors.ts";
import type { ModeSnapshot } from "./driver.ts";
import {
  decodeSnapshot,
  encodeSnapshot,
  loadSnapshotFile,
  type PortableSnapshot,
  type SavableSnapshot,
  saveSnapshotFile,
  type SnapshotIdentity,
} from "../snapshot/file.ts";

/** What the machine calls on a mode's state object. */
export interface Snapshottable {
  snapshot(): unknown;
  restore(state: unknown): void;
  /** the most bytes a blob of a snapshot file may inflate to (the machine's memory) */
  readonly snapshotBlobLimit?: number;
}

function unavailable(): never {
  throw new EmuError("snapshots not available yet", "this build of Denemu cannot save state");
}

function snapshottable(state: object): Snapshottable {
  const s = state as Partial<Snapshottable>;
  if (typeof s.snapshot !== "function" || typeof s.restore !== "function") unavailable();
  return s as Snapshottable;
}

/** Captures `state` as a snapshot of `mode`. */
export function takeSnapshot(mode: "user" | "system", state: object): ModeSnapshot {
  return { mode, state: snapshottable(state).snapshot() } as ModeSnapshot;
}

/** Puts `snapshot` back into `state`; a snapshot of the other mode is refused. */
export function restoreSnapshot(
  mode: "user" | "system",
  state: object,
  snapshot: ModeSnapshot,
): void {
  if (snapshot.mode !== mode) {
    throw new EmuError(
      `cannot restore a ${snapshot.mode}-mode snapshot into a ${mode}-mode machine`,
    );
  }
  snapshottable(state).restore((snapshot as ModeSnapshot & { state: unknown }).state);
}

/** Writes the state of `state` to the snapshot file `path`. */
export function saveSnapshot(
  state: object,
  path: string,
  identity: SnapshotIdentity,
): Promise<void> {
  return saveSnapshotFile(path, snapshottable(state).snapshot() as SavableSnapshot, identity);
}

/** The state of `state` as the bytes of a snapshot file (for a qcow2 disk's VM state area). */
export function encodeState(state: object, identity: SnapshotIdentity): Promise<Uint8Array> {
  return encodeSnapshot(snapshottable(state).snapshot() as SavableSnapshot, identity);
}

/**
 * Restores `state` from the snapshot file at `path`, which must carry
 * `identity`. A file whose state cannot be put back leaves `state` as it was
 * and gets a one-line EmuError.
 */
export async function loadSnapshot(
  state: object,
  path: string,
  identity: SnapshotIdentity,
): Promise<void> {
  const s = snapshottable(state);
  restoreOrKeep(s, await loadSnapshotFile(path, identity, s.snapshotBlobLimit), path);
}

/**
 * Restores `state` from snapshot-file `bytes` (a qcow2 VM state area),
 * `label` naming them in errors, as {@linkcode loadSnapshot} does; `then`
 * runs once the state is back (`loadvm TAG` reverts the disks there), and
 * when it throws the state is put back as it was too.
 */
export async function decodeState(
  state: object,
  bytes: Uint8Array<ArrayBuffer>,
  label: string,
  identity: SnapshotIdentity,
  then?: () => void,
): Promise<void> {
  const s = snapshottable(state);
  const file = await decodeSnapshot(bytes, label, identity, s.snapshotBlobLimit);
  restoreOrKeep(s, file, label, then);
}

/** Restores `file` then runs `then`, or puts the state back as it was when either fails. */
function restoreOrKeep(
  s: Snapshottable,
  file: PortableSnapshot,
  label: string,
  then?: () => void,
): void {
  const before = s.snapshot();
  try {
    s.restore(file);
    then?.();
  } catch (e) {
    s.restore(before);
    if (e instanceof EmuError) throw e;
    const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new EmuError(`${label}: damaged snapshot file (${why})`, "take the snapshot again");
  }
}

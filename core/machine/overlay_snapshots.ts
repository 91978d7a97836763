/**
 * Internal snapshots of a `snapshot=on` drive, kept in memory beside its
 * overlay, as QEMU's `savevm TAG` keeps them in the temporary qcow2 overlay
 * of such a drive: they list, load and delete as a qcow2 image's do, and go
 * when the machine does.
 *
 * @module
 */

import type { BlockDriver, SnapshotInfo, VmState } from "../block.ts";
import type { DriveOverlay, DriveOverlayState } from "../drive_overlay.ts";

/** What `savevm TAG` needs of a drive's image: a qcow2 image, or a snapshot=on overlay's store. */
export type SnapshotStore =
  & Required<
    Pick<BlockDriver, "createSnapshot" | "applySnapshot" | "deleteSnapshot" | "readVmState">
  >
  & Pick<BlockDriver, "describe" | "flush">;

interface OverlaySnapshot {
  info: SnapshotInfo;
  pages: DriveOverlayState;
  vm: Uint8Array;
}

/**
 * The snapshots of one overlay.
 *
 * @example
 * ```ts
 * import { DriveOverlay } from "../drive_overlay.ts";
 * import { overlaySnapshots } from "./overlay_snapshots.ts";
 * const bytes = new Uint8Array(4096);
 * const read = (at: number, n: number) => bytes.slice(at, at + n);
 * const overlay = new DriveOverlay({ size: bytes.length, read, write: () => {}, flush: () => {} });
 * const store = overlaySnapshots(overlay);
 * store.createSnapshot("s1", new Date(), { data: new Uint8Array([1, 2]), clockNs: 0 });
 * overlay.write(0, new Uint8Array([9]));
 * store.applySnapshot("s1");
 * console.log(overlay.read(0, 1)[0], store.readVmState("1", 2)); // 0 Uint8Array(2) [ 1, 2 ]
 * ```
 */
class OverlaySnapshots implements SnapshotStore {
  readonly #list: OverlaySnapshot[] = [];

  constructor(readonly overlay: DriveOverlay) {}

  /** Takes snapshot `name` of the overlay's pages (shared until written), with `vm` if given. */
  createSnapshot(name: string, date: Date, vm?: VmState): void {
    const id = this.#list.reduce((max, s) => Math.max(max, Number(s.info.id)), 0) + 1;
    const ms = date.getTime(), clock = vm?.clockNs ?? 0;
    const info: SnapshotInfo = {
      id: String(id),
      name,
      "date-sec": Math.floor(ms / 1000),
      "date-nsec": (ms % 1000) * 1e6,
      "vm-clock-sec": Math.floor(clock / 1e9),
      "vm-clock-nsec": clock % 1e9,
      "vm-state-size": vm?.data.length ?? 0,
    };
    this.#list.push({ info, pages: this.overlay.save(), vm: vm?.data ?? new Uint8Array() });
  }

  /** Reverts the overlay to snapshot `idOrName` (an id first, else a name); false if none. */
  applySnapshot(idOrName: string): boolean {
    const s = this.#list.find((s) => s.info.id === idOrName) ??
      this.#list.find((s) => s.info.name === idOrName);
    if (s) this.overlay.load(s.pages);
    return s !== undefined;
  }

  /** Deletes the first snapshot named `name`; false if there is none. */
  deleteSnapshot(name: string): boolean {
    const at = this.#list.findIndex((s) => s.info.name === name);
    if (at >= 0) this.#list.splice(at, 1);
    return at >= 0;
  }

  /** The first `length` bytes of snapshot `id`'s machine state. */
  readVmState(id: string, length: number): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(length);
    out.set(this.#list.find((s) => s.info.id === id)?.vm.subarray(0, length) ?? []);
    return out;
  }

  describe(): { dirty: boolean; snapshots: SnapshotInfo[] } {
    return { dirty: false, snapshots: this.#list.map((s) => s.info) };
  }

  flush(): void {}
}

const stores = new WeakMap<DriveOverlay, OverlaySnapshots>();

/** The snapshots of `overlay` (none at first): they live as long as it does. */
export function overlaySnapshots(overlay: DriveOverlay): SnapshotStore {
  let s = stores.get(overlay);
  if (!s) stores.set(overlay, s = new OverlaySnapshots(overlay));
  return s;
}

/**
 * What `emu img info` shows of a qcow2 image beyond its size and format:
 * the format-specific fields and the internal snapshots, in qemu-img's
 * JSON names.
 *
 * @module
 */

import type { HostFile, ImageDescription } from "../../../plugin_block.ts";
import { Incompat, type Qcow2Header } from "./header.ts";
import { readSnapshots } from "./snapshot.ts";

/**
 * The description of the qcow2 image with header `h` in `file`.
 *
 * @example
 * ```ts ignore
 * const d = describeQcow2(img.header, img.file);
 * console.log(d.formatSpecific);
 * ```
 */
export function describeQcow2(h: Qcow2Header, file: HostFile): ImageDescription {
  const data: Record<string, unknown> = h.version === 3
    ? {
      "compat": "1.1",
      "compression-type": "zlib",
      "lazy-refcounts": (h.compatible & 1) !== 0,
      "refcount-bits": 2 ** h.refcountOrder,
      "corrupt": (h.incompatible & Incompat.CORRUPT) !== 0,
      "extended-l2": false,
    }
    : { "compat": "0.10", "compression-type": "zlib", "refcount-bits": 16 };
  const snapshots = readSnapshots(file, h.snapshotsOffset, h.nbSnapshots).map((s) => ({
    ...(s.icount === undefined ? {} : { "icount": s.icount }),
    "vm-clock-nsec": s.vmClockNsec % 1e9,
    "name": s.name,
    "date-sec": s.dateSec,
    "date-nsec": s.dateNsec,
    "vm-clock-sec": Math.floor(s.vmClockNsec / 1e9),
    "id": s.id,
    "vm-state-size": s.vmStateSize,
  }));
  return {
    backingFile: h.backingFile,
    backingFormat: h.backingFormat,
    dirty: (h.incompatible & Incompat.DIRTY) !== 0,
    formatSpecific: { type: "qcow2", data },
    snapshots: snapshots.length ? snapshots : undefined,
  };
}

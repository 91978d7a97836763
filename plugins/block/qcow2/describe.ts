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
import { describeLuks } from "../luks/luks_info.ts";

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
  const tail = h.version === 3 ? ["corrupt", "extended-l2"] : [];
  const rest = Object.fromEntries(tail.map((k) => [k, data[k]]));
  for (const k of tail) delete data[k];
  if (h.cryptMethod === 1) data["encrypt"] = { "format": "aes" };
  if (h.cryptMethod === 2 && h.crypto) {
    data["encrypt"] = describeLuks(file.read(h.crypto.offset, h.crypto.length));
  }
  if (h.incompatible & Incompat.DATA_FILE) {
    if (h.dataFile !== undefined) data["data-file"] = h.dataFile; // the name, if the image has it
    data["data-file-raw"] = (h.autoclear & 2) !== 0;
  }
  Object.assign(data, rest);
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
    encrypted: h.cryptMethod !== 0,
    formatSpecific: { type: "qcow2", data },
    snapshots: snapshots.length ? snapshots : undefined,
  };
}

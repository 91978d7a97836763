/**
 * Growing a qcow2 image's L1 table (a resize, a snapshot of a larger disk,
 * or the VM state area past the disk's end), as qcow2_grow_l1_table does.
 *
 * @module
 */

import { be64, HeaderField } from "./header.ts";
import type { Qcow2Image } from "./image.ts";

/** Moves the L1 table of `img` to a larger place; the header switches in one write. */
export function growL1(img: Qcow2Image, entries: number): void {
  const bytes = entries * 8;
  const clusters = Math.ceil(bytes / img.clusterSize);
  const offset = img.refcounts.alloc(clusters);
  const raw = new Uint8Array(bytes); // the table's bytes only, as QEMU writes (the file ends there)
  img.l1.forEach((o, i) => {
    raw.set(be64(o), i * 8);
    if (img.l1Copied[i]) raw[i * 8] |= 0x80;
  });
  img.file.write(offset, raw);
  const h = new Uint8Array(12);
  new DataView(h.buffer).setUint32(0, entries);
  h.set(be64(offset), 4);
  img.file.write(HeaderField.L1_SIZE, h);
  const [oldOffset, oldSize] = [img.header.l1TableOffset, img.header.l1Size];
  [img.header.l1TableOffset, img.header.l1Size] = [offset, entries];
  while (img.l1.length < entries) {
    img.l1.push(0);
    img.l1Copied.push(false);
  }
  if (oldSize) img.refcounts.update(oldOffset, Math.ceil((oldSize * 8) / img.clusterSize), -1);
}

/**
 * Where the VM state area of a disk of `diskSize` bytes starts: the first L1 entry past the disk
 * (QEMU's qcow2_vm_state_offset).
 *
 * @example
 * ```ts ignore
 * const at = vmStateOffset(image, image.size);
 * ```
 */
export function vmStateOffset(
  image: { clusterSize: number; l2Entries: number },
  diskSize: number,
): number {
  const span = image.clusterSize * image.l2Entries;
  return Math.ceil(diskSize / span) * span;
}

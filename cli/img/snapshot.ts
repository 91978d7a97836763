/**
 * `emu img snapshot -l`: lists a qcow2 image's internal snapshots in
 * qemu-img's table. Creating, applying and deleting (`-c`, `-a`, `-d`) are
 * refused with a pointer to qemu-img for now.
 *
 * @module
 */

import { openImage } from "../../core/block.ts";
import { EmuError } from "../../core/errors.ts";
import { oneImage, parseImgArgs } from "./args.ts";
import { snapshotTable } from "./info.ts";

/** Runs `emu img snapshot`. */
export async function snapshotCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs("snapshot", argv, "la:c:d:f:hqU", {
    "object": true,
    "force-share": false,
  });
  const path = oneImage(args);
  for (const op of ["a", "c", "d"]) {
    if (args.has(op)) {
      throw new EmuError(`snapshot -${op} is not supported yet`, `use qemu-img snapshot -${op}`);
    }
  }
  const img = await openImage(path, { readOnly: true, noBacking: true, format: args.get("f") });
  try {
    const list = img.describe?.().snapshots ?? [];
    console.log(`Snapshot list:\n${snapshotTable(list)}`);
  } finally {
    img.close();
  }
  return 0;
}

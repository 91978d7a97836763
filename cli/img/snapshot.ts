/**
 * `emu img snapshot`: lists (`-l`), creates (`-c`), applies (`-a`) and
 * deletes (`-d`) a qcow2 image's internal snapshots, with qemu-img's table,
 * messages and exit codes. With no action it opens the image and does
 * nothing, as qemu-img does.
 *
 * @module
 */

import { EmuError } from "../../core/errors.ts";
import { oneImage, parseImgArgs } from "./args.ts";
import { snapshotTable } from "./info.ts";
import { openWritable } from "./open.ts";

/** The actions, by flag. */
const ACTIONS = ["l", "a", "c", "d"] as const;

/** Runs `emu img snapshot`. */
export async function snapshotCommand(argv: string[]): Promise<number> {
  const args = parseImgArgs(argv, "la:c:d:f:hqU", {
    "object": true,
    "force-share": false,
    "image-opts": false,
  });
  const path = oneImage(args);
  const given = ACTIONS.filter((a) => args.has(a));
  if (given.length > 1) {
    throw new EmuError("Cannot mix '-l', '-a', '-c', '-d'", "give one of them");
  }
  const action = given[0];
  const writes = action !== undefined && action !== "l";
  const img = await openWritable(path, {
    readOnly: !writes,
    noBacking: true,
    format: args.get("f"),
    imageOpts: args.has("image-opts"),
  });
  try {
    if (action === "l") {
      const list = img.describe?.().snapshots ?? [];
      if (list.length) console.log(`Snapshot list:\n${snapshotTable(list)}`);
      return 0;
    }
    if (!writes) return 0;
    const name = args.get(action)!;
    if (!img.createSnapshot || !img.applySnapshot || !img.deleteSnapshot) {
      throw new EmuError(`Could not ${verb(action)} snapshot '${name}': ${NO_SNAPSHOTS[action]}`);
    }
    if (action === "c") img.createSnapshot(name, new Date());
    else if (action === "a" && !img.applySnapshot(name)) {
      throw new EmuError(
        `Could not apply snapshot '${name}': Failed to load snapshot: No such file or directory`,
      );
    } else if (action === "d" && !img.deleteSnapshot(name)) {
      throw new EmuError(`Could not delete snapshot '${name}': snapshot not found`);
    }
  } finally {
    img.close();
  }
  return 0;
}

/** qemu-img's reasons, by action, where the format has no snapshots (raw, qcow). */
const NO_SNAPSHOTS = {
  a: "Block driver does not support snapshots",
  c: "-95 (Operation not supported)",
  d: "snapshot not found",
};

function verb(action: "a" | "c" | "d"): string {
  return { a: "apply", c: "create", d: "delete" }[action];
}

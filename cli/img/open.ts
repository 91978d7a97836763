/**
 * Opening images as qemu-img's commands do: one a command writes (a raw image
 * whose format was guessed gets QEMU's warning first), and one it reads,
 * possibly at an internal snapshot (`-l`).
 *
 * @module
 */

import { EmuError } from "../../core/errors.ts";
import type { ParsedArgs } from "./args.ts";
import { type BlockDriver, type BlockOpenOptions, openImage } from "../../core/block.ts";
import { probedRawWarning } from "../../core/block_raw_warning.ts";

/**
 * Opens `path` for writing (unless `options.readOnly`); warns as qemu-img if
 * its format was guessed as raw.
 *
 * @example
 * ```ts ignore
 * const img = await openWritable("disk.img", { format: undefined });
 * ```
 */
export async function openWritable(path: string, options: BlockOpenOptions): Promise<BlockDriver> {
  const img = await openImage(path, options);
  if (!options.format && !options.readOnly && img.format === "raw") {
    console.error(probedRawWarning(path));
  }
  return img;
}

/** The internal snapshot `-l` names (an id or a name, or `snapshot.id=`/`snapshot.name=` it). */
export function snapshotOption(args: ParsedArgs): string | undefined {
  return args.get("l")?.replace(/^snapshot\.(id|name)=/, "");
}

/**
 * Opens `path` (an `--image-opts` name with `imageOpts`) read-only, at internal snapshot
 * `snapshot` if given: the
 * snapshot is loaded in memory, the file untouched, as qemu-img's temporary
 * snapshot load (`convert -l`, `measure -l`).
 *
 * @example
 * ```ts ignore
 * const img = await openReadOnly("disk.qcow2", "qcow2", "before");
 * ```
 */
export async function openReadOnly(
  path: string,
  format: string | undefined,
  snapshot?: string,
  imageOpts = false,
): Promise<BlockDriver> {
  const img = await openImage(path, {
    readOnly: true,
    format,
    snapshot: snapshot !== undefined,
    imageOpts,
  });
  if (snapshot === undefined) return img;
  const found = img.applySnapshot?.(snapshot);
  if (found) return img;
  img.close();
  throw new EmuError(
    found === undefined
      ? `Failed to load snapshot: Block format '${img.format}' used by device '' ` +
        "does not support temporarily loading internal snapshots"
      : "Failed to load snapshot: Can't find snapshot",
  );
}

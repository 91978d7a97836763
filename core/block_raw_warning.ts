/**
 * QEMU's warning about a raw image whose format was probed, for `emu img` and the drives.
 *
 * @module
 */

/**
 * QEMU's warning for a raw image whose format was guessed and that is opened
 * for writing (its block 0 is then guarded): a drive, or a qemu-img command
 * that writes.
 *
 * @example
 * ```ts
 * import { probedRawWarning } from "./block_raw_warning.ts";
 * console.error(probedRawWarning("disk.img"));
 * ```
 */
export function probedRawWarning(path: string): string {
  return [
    `WARNING: Image format was not specified for '${path}' and probing guessed raw.`,
    "         Automatically detecting the format is dangerous for raw images, " +
    "write operations on block 0 will be restricted.",
    "         Specify the 'raw' format explicitly to remove the restrictions.",
  ].join("\n");
}

/**
 * The `-o` options of block formats as `emu img ... -o help` lists them
 * (QEMU's QemuOptDesc), and those of the host file under every format.
 *
 * @module
 */

/**
 * One `-o` option of a format or of the host file, as `-o help` lists it
 * (QEMU's QemuOptDesc): its name, how its value parses, and its help line.
 *
 * @example
 * ```ts
 * import type { BlockOptionDesc } from "./block_options.ts";
 * const opt: BlockOptionDesc = { name: "cluster_size", type: "size", help: "qcow2 cluster size" };
 * console.log(`${opt.name}=<${opt.type}>`); // cluster_size=<size>
 * ```
 */
export interface BlockOptionDesc {
  /** the key given to `-o` ("cluster_size") */
  name: string;
  /** how the value parses ("size" takes suffixes: 64k, 1M) */
  type: "string" | "bool" | "number" | "size";
  /** the text `-o help` shows after the name */
  help: string;
}

/**
 * The creation options of the host file under every format (QEMU's `file`
 * protocol): qemu-img lists them with a format's own when given a file name.
 */
export const HOST_FILE_CREATE_OPTIONS: readonly BlockOptionDesc[] = [
  { name: "size", type: "size", help: "Virtual disk size" },
  {
    name: "preallocation",
    type: "string",
    help: "Preallocation mode (allowed values: off, falloc, full)",
  },
  { name: "nocow", type: "bool", help: "Turn off copy-on-write (valid only on btrfs)" },
  {
    name: "extent_size_hint",
    type: "size",
    help: "Extent size hint for the image file, 0 to disable",
  },
];

/**
 * The qcow2 block format (QEMU's copy-on-write image format, versions 2 and
 * 3; docs/interop/qcow2.txt). The parts live in `qcow2/`: the header, L1/L2
 * entries, refcounts, the open image, creation and checking.
 *
 * @module
 */

import {
  type BlockDriver,
  type BlockFormatPlugin,
  type BlockOpenContext,
  EmuError,
  HostFile,
} from "../../plugin_block.ts";
import { Incompat, QCOW2_MAGIC, V3_HEADER_LENGTH } from "./qcow2/header.ts";
import { openHeader } from "./qcow2/open_header.ts";
import { readSnapshots } from "./qcow2/snapshot.ts";
import { Qcow2Image } from "./qcow2/image.ts";
import { createQcow2 } from "./qcow2/create.ts";
import { openQcow2Crypt } from "./qcow2/crypt.ts";
import { measureQcow2 } from "./qcow2/measure.ts";
import { QCOW2_AMEND_OPTIONS, QCOW2_CREATE_OPTIONS } from "./qcow2/options.ts";

async function open(ctx: BlockOpenContext): Promise<BlockDriver> {
  const { file, options } = ctx;
  // QEMU reads 112 bytes, then what the cluster holds: zeros past the end of the file
  const first = file.read(0, V3_HEADER_LENGTH);
  const bits = new DataView(first.buffer).getUint32(20);
  const head = bits >= 9 && bits <= 21 ? file.read(0, 2 ** bits) : first;
  const writable = !options.readOnly || !!options.snapshot;
  const header = openHeader(head, { check: options.check, writable, noIo: options.noIo });
  if (!options.check && header.nbSnapshots) {
    readSnapshots(file, header.snapshotsOffset, header.nbSnapshots);
  }
  const backing = header.backingFile && !options.noBacking
    ? await ctx.openBacking(header.backingFile, header.backingFormat)
    : undefined;
  const img = new Qcow2Image(file, header, backing, writable);
  try {
    img.crypt = openQcow2Crypt(file, header, options);
  } catch (e) {
    img.backing?.close(); // the caller closes the file
    throw e;
  }
  // as QEMU's, the data file's name is taken from the working directory, not the image's
  if (header.dataFile !== undefined && !options.noIo) {
    try {
      img.dataFile = HostFile.open(header.dataFile, { readOnly: !writable });
    } catch (e) {
      img.backing?.close(); // the caller closes the file
      throw e;
    }
  }
  if (writable && !options.check && header.incompatible & Incompat.DIRTY) repairDirty(img);
  return img;
}

/**
 * Recounts the refcounts of an image left dirty by lazy refcounts, as QEMU
 * does on opening it for writing; the check clears the dirty bit once no
 * corruption is left.
 */
function repairDirty(img: Qcow2Image): void {
  const result = img.check("all", () => {});
  if (result.corruptions || result.checkErrors || result.failure !== undefined) {
    img.backing?.close(); // the caller closes the file
    throw new EmuError(
      `${img.file.path}: the image is dirty and ${result.corruptions} corruptions could not be repaired`,
      "inspect it with emu img check",
    );
  }
}

/** The qcow2 format plugin. */
const plugin: BlockFormatPlugin = {
  kind: "block",
  name: "qcow2",
  apiVersion: { min: 2, cur: 2 },
  description: "QEMU copy-on-write image, versions 2 and 3",
  probe: (head) =>
    head.length >= 8 && new DataView(head.buffer, head.byteOffset).getUint32(0) === QCOW2_MAGIC &&
      new DataView(head.buffer, head.byteOffset).getUint32(4) >= 2
      ? 100
      : 0,
  open,
  create: createQcow2,
  createOptions: QCOW2_CREATE_OPTIONS,
  amendOptions: QCOW2_AMEND_OPTIONS,
  measure: measureQcow2,
};
export default plugin;

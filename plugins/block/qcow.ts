/**
 * The qcow block format: QEMU's first copy-on-write image (version 1, block/qcow.c), which
 * qemu-img still reads and writes. The parts live in `qcow/`: the header, the open image.
 * Its AES encryption is read and written with the key of `encrypt.key-secret`.
 *
 * @module
 */

import {
  type BlockCreateOptions,
  type BlockDriver,
  type BlockFormatPlugin,
  type BlockOpenContext,
  EmuError,
  HostFile,
  keySecret,
} from "../../plugin_block.ts";
import { qcowAesCipher, refuseAesInSystem } from "./luks/sector_cipher.ts";
import { createCryptMethod } from "./luks/create_options.ts";
import { HEADER_LENGTH, newImage, parseHeader, QCOW_MAGIC } from "./qcow/header.ts";
import { QcowImage } from "./qcow/image.ts";

async function open(ctx: BlockOpenContext): Promise<BlockDriver> {
  const { file, options } = ctx;
  const header = parseHeader(file.read(0, HEADER_LENGTH), (at, n) => file.read(at, n));
  // an L1 table longer than one read of QEMU's block layer (BDRV_REQUEST_MAX_BYTES) fails to load
  if (header.l1Size * 8 > 0x7ffffe00) {
    throw new EmuError(`Could not open '${file.path}': Input/output error`);
  }
  if (header.cryptMethod && !options.noIo) refuseAesInSystem("qcow", options);
  const cipher = header.cryptMethod && !options.noIo
    ? qcowAesCipher(keySecret(options.driverOptions?.["encrypt.key-secret"], "encrypt.key-secret"))
    : undefined;
  const backing = header.backingFile && !options.noBacking
    ? await ctx.openBacking(header.backingFile, undefined)
    : undefined;
  return new QcowImage(file, header, backing, cipher);
}

function create(path: string, options: BlockCreateOptions): Promise<void> {
  for (const [k, value] of Object.entries(options.options)) {
    if (k.startsWith("encrypt")) continue;
    // the host file's options: accepted, and no trace of them in the 560-byte file, as in QEMU
    if (k === "preallocation" && !["off", "falloc", "full", "metadata"].includes(value)) {
      throw new EmuError(`invalid parameter value: ${value}`);
    }
    if (!["preallocation", "nocow", "extent_size_hint"].includes(k)) {
      throw new EmuError(`Invalid parameter '${k}'`);
    }
  }
  const file = HostFile.create(path, options.cache);
  try {
    // the host file refuses it once made, as QEMU's: an empty file is left
    if (options.options.preallocation === "metadata") {
      throw new EmuError("Unsupported preallocation mode: metadata");
    }
    const cryptMethod = createCryptMethod(options.options, ["aes"]);
    file.write(0, newImage(options.size, options.backingFile || undefined, cryptMethod));
  } finally {
    file.close();
  }
  return Promise.resolve();
}

/** The qcow format plugin. */
const plugin: BlockFormatPlugin = {
  kind: "block",
  name: "qcow",
  apiVersion: { min: 2, cur: 2 },
  description: "QEMU's first copy-on-write image (qcow version 1)",
  probe: (head) =>
    head.length >= 8 && new DataView(head.buffer, head.byteOffset).getUint32(0) === QCOW_MAGIC &&
      new DataView(head.buffer, head.byteOffset).getUint32(4) === 1
      ? 100
      : 0,
  open,
  create,
  createOptions: [
    { name: "size", type: "size", help: "Virtual disk size" },
    { name: "backing_file", type: "string", help: "File name of a base image" },
    { name: "backing_fmt", type: "string", help: "Format of the backing image" },
    {
      name: "encryption",
      type: "bool",
      help: "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)",
    },
    { name: "encrypt.format", type: "string", help: "Encrypt the image, format choices: 'aes'" },
    {
      name: "encrypt.key-secret",
      type: "string",
      help: "ID of the secret that provides the AES encryption key",
    },
  ],
};
export default plugin;

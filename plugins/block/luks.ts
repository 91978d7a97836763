/**
 * The luks block format: a LUKS (version 1) volume in a file, as QEMU's `luks` driver
 * (block/crypto.c) reads and writes it: the header and key slots, then the encrypted
 * payload, sector `n` of the disk encrypted with IV `n`. `info` describes the header without
 * the key; the data needs the passphrase of `key-secret` (`--image-opts`).
 *
 * @module
 */

import {
  type BlockCreateOptions,
  type BlockDriver,
  type BlockExtent,
  type BlockFormatPlugin,
  type BlockMeasure,
  type BlockOpenContext,
  EmuError,
  HostFile,
  type ImageDescription,
  keySecret,
  type Preallocation,
} from "../../plugin_block.ts";
import { readDecrypted, SECTOR, type SectorCipher, wholeSectors } from "./luks/sector_cipher.ts";
import { checkLuksHeader, unlockLuks } from "./luks/luks_unlock.ts";
import { describeLuks } from "./luks/luks_info.ts";
import { luksCreateSpec, luksPayloadOffset, newLuksHeader } from "./luks/luks_create.ts";

/** The bytes of the header that `info` and the unlocking read first. */
const HEAD_BYTES = 4096;

/**
 * An open luks image; without a cipher (opened for `info`) its data cannot be read.
 *
 * @example
 * ```ts ignore
 * const disk = await openImage("driver=luks,file.filename=d.luks,key-secret=s0", { imageOpts: true });
 * ```
 */
export class LuksImage implements BlockDriver {
  readonly format = "luks";

  constructor(
    readonly file: HostFile,
    readonly payloadOffset: number,
    readonly cipher?: SectorCipher,
  ) {}

  get size(): number {
    return Math.max(0, this.file.size - this.payloadOffset);
  }

  #cipher(): SectorCipher {
    if (!this.cipher) throw new EmuError(`${this.file.path}: opened without its key`);
    return this.cipher;
  }

  read(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const n = Math.max(0, Math.min(length, this.size - offset));
    const read = (at: number, k: number) => this.file.read(at, k);
    if (n) out.set(readDecrypted(this.#cipher(), read, this.payloadOffset + offset, n, offset));
    return out;
  }

  write(offset: number, data: Uint8Array): void {
    if (offset + data.length > this.size) {
      throw new EmuError(`${this.file.path}: write past the end of the disk`);
    }
    const [at, whole] = wholeSectors(offset, data, (o, n) => this.read(o, n));
    const sealed = whole.slice();
    this.#cipher().encrypt(at / SECTOR, sealed);
    this.file.write(this.payloadOffset + at, sealed);
  }

  writeZeroes(offset: number, length: number): void {
    this.write(offset, new Uint8Array(length));
  }

  /** All data, as QEMU's luks driver reports it (no host offsets). */
  status(offset: number, length: number): BlockExtent {
    const n = Math.max(0, Math.min(length, this.size - offset));
    return { start: offset, length: n, present: true, data: true, zero: false, depth: 0 };
  }

  resize(size: number, preallocation: Preallocation = "off"): void {
    if (preallocation !== "off") {
      throw new EmuError(`Unsupported preallocation mode: ${preallocation}`);
    }
    const old = this.size;
    this.file.truncate(this.payloadOffset + size);
    if (size > old) this.writeZeroes(old, size - old); // the growth reads as zeros, encrypted
  }

  describe(): ImageDescription {
    // the qcow2 `encrypt` block's fields, but for its format
    const { format: _, ...data } = describeLuks(this.file.read(0, HEAD_BYTES));
    return { dirty: false, encrypted: true, formatSpecific: { type: "luks", data } };
  }

  flush(): void {
    this.file.sync();
  }

  close(): void {
    this.file.close();
  }
}

function open(ctx: BlockOpenContext): Promise<BlockDriver> {
  const { file, options } = ctx;
  const head = file.read(0, HEAD_BYTES);
  const payload = checkLuksHeader(head).payloadOffset;
  // QEMU's size of a payload past the end of the file: negative
  if (payload > file.size) {
    throw new EmuError("Could not refresh total sector count: Input/output error");
  }
  if (options.noIo) return Promise.resolve(new LuksImage(file, payload));
  const password = keySecret(options.driverOptions?.["key-secret"], "key-secret");
  const read = (at: number, n: number) => file.read(at, n);
  const luks = unlockLuks(head, read, file.size, password);
  return Promise.resolve(new LuksImage(file, luks.payloadOffset, luks.cipher));
}

const CREATE_OPTIONS = [
  "cipher-alg",
  "cipher-mode",
  "hash-alg",
  "iter-time",
  "ivgen-alg",
  "ivgen-hash-alg",
  "key-secret",
];

/** A new volume: the header with one key slot, then the payload (zeros on disk), as QEMU's. */
function create(path: string, options: BlockCreateOptions): Promise<void> {
  const o = options.options;
  const unknown = Object.keys(o).find((k) => !CREATE_OPTIONS.includes(k));
  if (unknown) throw new EmuError(`Invalid parameter '${unknown}'`);
  if (options.backingFile) throw new EmuError("luks images have no backing file (-b)");
  const password = keySecret(o["key-secret"], "key-secret");
  const { head, payloadOffset } = newLuksHeader(password, luksCreateSpec(o));
  const file = HostFile.create(path, options.cache);
  try {
    file.write(0, head);
    file.truncate(payloadOffset + Math.ceil(options.size / SECTOR) * SECTOR);
  } finally {
    file.close();
  }
  return Promise.resolve();
}

/** A volume's size: its header's and key slots', then the disk's (all of it, on disk). */
function measure(o: Record<string, string>, size: number, source?: BlockDriver): BlockMeasure {
  keySecret(o["key-secret"], "key-secret"); // QEMU makes the header: the key first
  const payload = luksPayloadOffset(luksCreateSpec(o).keyBytes);
  const required = payload + Math.ceil((source?.size ?? size) / SECTOR) * SECTOR;
  return { required, fullyAllocated: required };
}

/** The luks format plugin. */
const plugin: BlockFormatPlugin = {
  kind: "block",
  name: "luks",
  apiVersion: { min: 2, cur: 2 },
  description: "LUKS (version 1) encrypted volume",
  // LUKS version 1 only, as QEMU's probe: a version 2 volume is guessed raw
  probe: (head) =>
    head.length >= 8 && new TextDecoder().decode(head.subarray(0, 4)) === "LUKS" &&
      head[4] === 0xba && head[5] === 0xbe && head[6] === 0 && head[7] === 1
      ? 100
      : 0,
  open,
  create,
  measure,
  createOptions: [
    { name: "cipher-alg", type: "string", help: "Name of encryption cipher algorithm" },
    { name: "cipher-mode", type: "string", help: "Name of encryption cipher mode" },
    { name: "hash-alg", type: "string", help: "Name of encryption hash algorithm" },
    { name: "iter-time", type: "number", help: "Time to spend in PBKDF in milliseconds" },
    { name: "ivgen-alg", type: "string", help: "Name of IV generator algorithm" },
    { name: "ivgen-hash-alg", type: "string", help: "Name of IV generator hash algorithm" },
    {
      name: "key-secret",
      type: "string",
      help: "ID of the secret that provides the keyslot passphrase",
    },
    { name: "size", type: "size", help: "Virtual disk size" },
  ],
};
export default plugin;

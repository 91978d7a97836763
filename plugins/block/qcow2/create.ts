/**
 * Creating qcow2 images (`emu img create -f qcow2`), with qemu-img's `-o`
 * options: `cluster_size`, `compat`, `lazy_refcounts`, `refcount_bits`,
 * `preallocation`, `backing_file`, `backing_fmt`.
 *
 * The layout is QEMU's: header, refcount table, one refcount block, L1
 * table; anything larger is allocated through the refcount code as the
 * image grows.
 *
 * @module
 */

import {
  type BlockCreateOptions,
  EmuError,
  HostFile,
  keySecret,
  parseImageSize,
} from "../../../plugin_block.ts";
import {
  Autoclear,
  be64,
  Compat,
  headerCluster,
  Incompat,
  type Qcow2Header,
  V3_HEADER_LENGTH,
} from "./header.ts";
import { Qcow2Image } from "./image.ts";
import { createCryptMethod } from "../luks/create_options.ts";
import { luksCreateSpec, luksOptions, newLuksHeader } from "../luks/luks_create.ts";

const KNOWN_OPTIONS = [
  "cluster_size",
  "compat",
  "lazy_refcounts",
  "refcount_bits",
  "preallocation",
  "backing_file",
  "backing_fmt",
  "compression_type",
  "extended_l2",
  "data_file",
  "data_file_raw",
  "nocow", // the host file's: nothing to do on a file system without copy-on-write
  "extent_size_hint",
];

/** The qcow2 creation options after checking, in qemu-img's terms. */
export interface Qcow2CreateSettings {
  clusterBits: number;
  version: 2 | 3;
  lazyRefcounts: boolean;
  refcountOrder: number;
  preallocation: "off" | "metadata" | "falloc" | "full";
}

/** Checks `-o` options as qemu-img does; errors quote the option. */
export function qcow2Settings(o: Record<string, string>): Qcow2CreateSettings {
  for (const k of Object.keys(o)) {
    if (!KNOWN_OPTIONS.includes(k) && !k.startsWith("encrypt")) {
      throw new EmuError(`Invalid parameter '${k}'`, "see emu img create -o help");
    }
  }
  const cs = parseImageSize(o.cluster_size ?? "65536");
  const clusterBits = Math.log2(cs);
  if (!Number.isInteger(clusterBits) || clusterBits < 9 || clusterBits > 21) {
    throw new EmuError(
      "Cluster size must be a power of two between 512 and 2048k",
      "pass -o cluster_size=65536",
    );
  }
  const compat = o.compat ?? "1.1";
  if (compat !== "0.10" && compat !== "1.1" && compat !== "v2" && compat !== "v3") {
    throw new EmuError(`Invalid compatibility level: '${compat}'`, "use compat=0.10 or compat=1.1");
  }
  const version = compat === "0.10" || compat === "v2" ? 2 : 3;
  const lazyRefcounts = onOff(o.lazy_refcounts, "lazy_refcounts");
  const bits = Number(o.refcount_bits ?? "16");
  const refcountOrder = Math.log2(bits);
  if (!Number.isInteger(refcountOrder) || refcountOrder > 6) {
    throw new EmuError("Refcount width must be a power of two and may not exceed 64 bits");
  }
  if (version === 2 && (lazyRefcounts || bits !== 16)) {
    throw new EmuError(
      lazyRefcounts
        ? "Lazy refcounts only supported with compatibility level 1.1 and above (use compat=1.1 or greater)"
        : "Different refcount widths than 16 bits require compatibility level 1.1 or above (use compat=1.1 or greater)",
    );
  }
  const preallocation = o.preallocation ?? "off";
  if (!["off", "metadata", "falloc", "full"].includes(preallocation)) {
    throw new EmuError(
      `Parameter 'preallocation' does not accept value '${preallocation}'`,
      "use off, metadata, falloc or full",
    );
  }
  if ((o.compression_type ?? "zlib") !== "zlib") {
    throw new EmuError("only compression_type=zlib is supported");
  }
  if (onOff(o.extended_l2, "extended_l2")) throw new EmuError("extended_l2=on is not supported");
  return {
    clusterBits,
    version,
    lazyRefcounts,
    refcountOrder,
    preallocation: preallocation as Qcow2CreateSettings["preallocation"],
  };
}

function onOff(v: string | undefined, name: string): boolean {
  if (v === undefined || v === "off" || v === "false") return false;
  if (v === "on" || v === "true") return true;
  throw new EmuError(`Parameter '${name}' expects 'on' or 'off'`);
}

/**
 * The data file `-o data_file=NAME` asks for, made as QEMU makes it (the disk's size, empty),
 * and its name and bits set in `header`.
 */
function newDataFile(header: Qcow2Header, options: BlockCreateOptions): HostFile | undefined {
  const { data_file: name, data_file_raw: raw } = options.options;
  const rawOn = onOff(raw, "data_file_raw");
  if (name === undefined) {
    if (rawOn) throw new EmuError("data-file-raw requires data-file");
    return undefined;
  }
  if (header.version === 2) {
    throw new EmuError(
      "External data files are only supported with compatibility level 1.1 and above " +
        "(use version=v3 or greater)",
    );
  }
  header.dataFile = name;
  header.incompatible |= Incompat.DATA_FILE;
  if (rawOn) header.autoclear |= Autoclear.DATA_FILE_RAW;
  const file = HostFile.create(name, options.cache);
  file.truncate(Math.ceil(options.size / 512) * 512);
  return file;
}

/** Creates a qcow2 image at `path`. */
export function createQcow2(path: string, options: BlockCreateOptions): Promise<void> {
  const s = qcow2Settings(options.options);
  const cryptMethod = createCryptMethod(options.options, ["aes", "luks"]);
  const cs = 2 ** s.clusterBits;
  const header: Qcow2Header = {
    version: s.version,
    backingFileOffset: 0,
    backingFileSize: 0,
    clusterBits: s.clusterBits,
    size: 0,
    cryptMethod,
    l1Size: 0,
    l1TableOffset: 0,
    refcountTableOffset: cs,
    refcountTableClusters: 1,
    nbSnapshots: 0,
    snapshotsOffset: 0,
    incompatible: 0,
    compatible: s.lazyRefcounts ? Compat.LAZY_REFCOUNTS : 0,
    autoclear: 0,
    refcountOrder: s.refcountOrder,
    headerLength: s.version === 3 ? V3_HEADER_LENGTH : 72,
    compressionType: 0,
    backingFile: options.backingFile,
    backingFormat: options.backingFormat,
    otherExtensions: [],
  };
  const dataFile = newDataFile(header, options);
  const file = HostFile.create(path, options.cache);
  // whole clusters, as QEMU writes them: the header's, the refcount table's and its block's
  file.write(0, headerCluster(header, cs));
  const tables = new Uint8Array(2 * cs);
  tables.set(be64(2 * cs));
  file.write(cs, tables);
  const img = new Qcow2Image(file, header, undefined, true);
  img.dataFile = dataFile;
  for (let c = 0; c < 3; c++) img.refcounts.set(c, 1);
  try {
    img.resize(Math.ceil(options.size / 512) * 512, s.preallocation); // QEMU counts whole sectors
  } catch (e) {
    img.close();
    if (!(e instanceof EmuError)) throw e;
    throw new EmuError(`Could not resize image: ${e.message}`, e.hint);
  }
  if (cryptMethod === 2) addLuksHeader(img, options.options);
  img.close();
  return Promise.resolve();
}

/**
 * A new LUKS header in clusters of its own after the L1 table, named by the CRYPTO extension, as
 * QEMU's qcow2 keeps the LUKS header of an `encrypt.format=luks` image.
 */
function addLuksHeader(img: Qcow2Image, o: Record<string, string>): void {
  const password = keySecret(o["encrypt.key-secret"], "encrypt.key-secret");
  const { head, payloadOffset } = newLuksHeader(password, luksCreateSpec(luksOptions(o)));
  const cs = img.clusterSize, n = Math.ceil(payloadOffset / cs);
  const offset = img.refcounts.alloc(n);
  const area = new Uint8Array(n * cs); // written whole, zeros too, as QEMU's
  area.set(head);
  img.file.write(offset, area);
  img.header.crypto = { offset, length: payloadOffset };
  img.file.write(0, headerCluster(img.header, cs));
}

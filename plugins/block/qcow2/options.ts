/**
 * qcow2's `-o` options with qemu-img's help texts (QEMU's qcow2_create_opts
 * and qcow2_amend_opts): what `-o help` lists, and the value types `amend`
 * parses with.
 *
 * @module
 */

import type { BlockOptionDesc } from "../../../plugin_block.ts";

const desc = (name: string, type: BlockOptionDesc["type"], help: string): BlockOptionDesc => ({
  name,
  type,
  help,
});

const SIZE = desc("size", "size", "Virtual disk size");
const COMPAT = desc("compat", "string", "Compatibility level (v2 [0.10] or v3 [1.1])");
const BACKING_FILE = desc("backing_file", "string", "File name of a base image");
const BACKING_FMT = desc("backing_fmt", "string", "Image format of the base image");
const DATA_FILE = desc("data_file", "string", "File name of an external data file");
const DATA_FILE_RAW = desc(
  "data_file_raw",
  "bool",
  "The external data file must stay valid as a raw image",
);
const ITER_TIME = desc("encrypt.iter-time", "number", "Time to spend in PBKDF in milliseconds");
const LAZY_REFCOUNTS = desc("lazy_refcounts", "bool", "Postpone refcount updates");
const REFCOUNT_BITS = desc("refcount_bits", "number", "Width of a reference count entry in bits");

/** The options of `create` and `convert -O qcow2`, in QEMU's order. */
export const QCOW2_CREATE_OPTIONS: readonly BlockOptionDesc[] = [
  SIZE,
  COMPAT,
  BACKING_FILE,
  BACKING_FMT,
  DATA_FILE,
  DATA_FILE_RAW,
  desc(
    "encryption",
    "bool",
    "Encrypt the image with format 'aes'. (Deprecated in favor of encrypt.format=aes)",
  ),
  desc("encrypt.format", "string", "Encrypt the image, format choices: 'aes', 'luks'"),
  desc("encrypt.key-secret", "string", "ID of secret providing qcow AES key or LUKS passphrase"),
  desc("encrypt.cipher-alg", "string", "Name of encryption cipher algorithm"),
  desc("encrypt.cipher-mode", "string", "Name of encryption cipher mode"),
  desc("encrypt.ivgen-alg", "string", "Name of IV generator algorithm"),
  desc("encrypt.ivgen-hash-alg", "string", "Name of IV generator hash algorithm"),
  desc("encrypt.hash-alg", "string", "Name of encryption hash algorithm"),
  ITER_TIME,
  desc("cluster_size", "size", "qcow2 cluster size"),
  desc(
    "preallocation",
    "string",
    "Preallocation mode (allowed values: off, metadata, falloc, full)",
  ),
  LAZY_REFCOUNTS,
  REFCOUNT_BITS,
  desc("compression_type", "string", "Compression method used for image cluster compression"),
  desc("extended_l2", "bool", "Extended L2 tables"),
];

/** The options of `amend`, in QEMU's order. */
export const QCOW2_AMEND_OPTIONS: readonly BlockOptionDesc[] = [
  SIZE,
  COMPAT,
  BACKING_FILE,
  BACKING_FMT,
  DATA_FILE,
  DATA_FILE_RAW,
  LAZY_REFCOUNTS,
  REFCOUNT_BITS,
  desc("encrypt.keyslot", "number", "Select a single keyslot to modify explicitly"),
  desc("encrypt.state", "string", "Select new state of affected keyslots (active/inactive)"),
  desc("encrypt.old-secret", "string", "Select all keyslots that match this password"),
  desc(
    "encrypt.new-secret",
    "string",
    "New secret to set in the matching keyslots. Empty string to erase",
  ),
  ITER_TIME,
];

/**
 * The header of a qcow (version 1) image, QEMU's original copy-on-write format (block/qcow.c):
 * 48 big-endian bytes, then the backing file's name, then the L1 table.
 *
 * @module
 */

import { EmuError } from "../../../plugin_block.ts";

/** "QFI\xfb", as qcow2's. */
export const QCOW_MAGIC = 0x514649fb;
/** The header's length. */
export const HEADER_LENGTH = 48;
/** The L2 entry bit of a compressed cluster (its size in the bits below it). */
export const COMPRESSED = 1n << 63n;

/** What the header holds. */
export interface QcowHeader {
  size: number;
  clusterBits: number;
  l2Bits: number;
  /** 0 none, 1 AES */
  cryptMethod: number;
  l1Offset: number;
  /** entries of the L1 table */
  l1Size: number;
  backingFile?: string;
}

/** Reads and checks the header of `head` (the file's first bytes), with QEMU's errors. */
export function parseHeader(head: Uint8Array, readName: (at: number, n: number) => Uint8Array) {
  const v = new DataView(head.buffer, head.byteOffset, head.length);
  if (head.length < HEADER_LENGTH || v.getUint32(0) !== QCOW_MAGIC) {
    throw new EmuError("Image not in qcow format");
  }
  const version = v.getUint32(4);
  if (version !== 1) {
    throw new EmuError(
      `qcow (v1) does not support qcow version ${version}`,
      version === 2 || version === 3 ? "Try the 'qcow2' driver instead." : undefined,
    );
  }
  const size = v.getBigUint64(24), clusterBits = v.getUint8(32), l2Bits = v.getUint8(33);
  if (size <= 1n) throw new EmuError("Image size is too small (must be at least 2 bytes)");
  if (clusterBits < 9 || clusterBits > 16) {
    throw new EmuError("Cluster size must be between 512 and 64k");
  }
  if (l2Bits < 6 || l2Bits > 13) throw new EmuError("L2 table size must be between 512 and 64k");
  const cryptMethod = v.getUint32(36);
  if (cryptMethod > 1) throw new EmuError("invalid encryption method in qcow header");
  const shift = BigInt(clusterBits + l2Bits);
  const l1Size = (size + (1n << shift) - 1n) >> shift;
  if (size > 2n ** 64n - 1n - (1n << shift) || l1Size > BigInt((2 ** 31 - 1) >> 3)) {
    throw new EmuError("Image too large");
  }
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new EmuError("Image too large");
  const header: QcowHeader = {
    size: Number(size),
    clusterBits,
    l2Bits,
    cryptMethod,
    l1Offset: Number(v.getBigUint64(40)),
    l1Size: Number(l1Size),
  };
  const nameOffset = v.getBigUint64(8), nameLength = v.getUint32(16);
  if (nameOffset) {
    if (nameLength > 1023) throw new EmuError("Backing file name too long");
    const name = readName(Number(nameOffset), nameLength);
    header.backingFile = new TextDecoder().decode(name).replace(/\0.*$/s, "");
  }
  return header;
}

/**
 * A new image's header and empty L1 table, as QEMU's qcow_co_create lays them out: 4 KiB
 * clusters and 512-entry L2 tables, or with a backing file 512-byte clusters and 4096-entry
 * tables; the L1 table after the header and the name, 8-aligned, written in whole sectors.
 */
export function newImage(size: number, backingFile?: string, cryptMethod = 0): Uint8Array {
  const name = new TextEncoder().encode(backingFile ?? "");
  const [clusterBits, l2Bits] = backingFile ? [9, 12] : [12, 9];
  const l1Offset = (HEADER_LENGTH + name.length + 7) & ~7;
  const l1Bytes = Number(
    (BigInt(size) + (1n << BigInt(clusterBits + l2Bits)) - 1n) >>
      BigInt(clusterBits + l2Bits),
  ) * 8;
  const out = new Uint8Array(l1Offset + Math.ceil(l1Bytes / 512) * 512);
  const v = new DataView(out.buffer);
  v.setUint32(0, QCOW_MAGIC);
  v.setUint32(4, 1);
  if (backingFile) {
    v.setBigUint64(8, BigInt(HEADER_LENGTH));
    v.setUint32(16, name.length);
    out.set(name, HEADER_LENGTH);
  }
  v.setBigUint64(24, BigInt(size));
  v.setUint8(32, clusterBits);
  v.setUint8(33, l2Bits);
  v.setUint32(36, cryptMethod);
  v.setBigUint64(40, BigInt(l1Offset));
  return out;
}

/**
 * Unlocking a LUKS (version 1) header with a passphrase, as QEMU's crypto/block-luks.c: each
 * active key slot's PBKDF2 key decrypts its anti-forensic stripes, merged into a candidate
 * master key that the header's digest confirms. The header is untrusted: its key slots are
 * checked to lie in the header area, and the PBKDF2 work it asks for is bounded.
 *
 * @module
 */

import { createHash, pbkdf2Sync } from "node:crypto";
import { EmuError } from "../../../plugin_block.ts";
import { SECTOR, SectorCipher } from "./sector_cipher.ts";
import { SLOT_ACTIVE, text } from "./luks_info.ts";

/** QEMU's only stripe count. */
export const STRIPES = 4000;
/** The hashes QEMU's LUKS takes (and node:crypto has). */
const HASHES = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512", "ripemd160"];
/** The LUKS header proper, before the key material. */
const HEADER_BYTES = 592;
/**
 * The most PBKDF2 iterations a header may ask for in all (its active slots' and the master
 * key digest's): some 30 s of SHA-256 here, and fifty times what qemu-img 7.2's default
 * `iter-time` of 2 s gives on this machine's cores.
 */
export const MAX_ITERATIONS = 2 ** 25;

/** What an unlocked LUKS header gives: the data cipher and where the data starts. */
export interface LuksVolume {
  cipher: SectorCipher;
  payloadOffset: number;
}

interface Slot {
  iterations: number;
  salt: Uint8Array;
  offset: number;
}

/**
 * The anti-forensic merge (AFmerge): all stripes XORed, each diffused by the hash before the
 * next.
 *
 * @example
 * ```ts ignore
 * const key = afMerge(material, 64, "sha256");
 * ```
 */
export function afMerge(material: Uint8Array, keyBytes: number, hash: string): Uint8Array {
  let d: Uint8Array = new Uint8Array(keyBytes);
  for (let i = 0; i < STRIPES - 1; i++) {
    const stripe = material.subarray(i * keyBytes, (i + 1) * keyBytes);
    for (let j = 0; j < keyBytes; j++) d[j] ^= stripe[j];
    d = diffuse(d, hash);
  }
  const last = material.subarray((STRIPES - 1) * keyBytes);
  return d.map((b, j) => b ^ last[j]);
}

/** Each digest-long piece of `d` replaced by the hash of its index (big-endian) and itself. */
function diffuse(d: Uint8Array, hash: string): Uint8Array {
  const out = new Uint8Array(d.length);
  const size = createHash(hash).digest().length;
  for (let i = 0, at = 0; at < d.length; i++, at += size) {
    const piece = d.subarray(at, at + size);
    const index = new Uint8Array(4);
    new DataView(index.buffer).setUint32(0, i);
    const h = createHash(hash).update(index).update(piece).digest();
    out.set(new Uint8Array(h).subarray(0, piece.length), at);
  }
  return out;
}

/** The key slots' places, checked as QEMU checks them: in the header area, none overlapping. */
function checkSlots(v: DataView, keyBytes: number, payloadSectors: number): void {
  const sectors = Math.ceil(STRIPES * keyBytes / SECTOR);
  const starts = Array.from({ length: 8 }, (_, i) => v.getUint32(208 + i * 48 + 40));
  for (let i = 0; i < 8; i++) {
    const stripes = v.getUint32(208 + i * 48 + 44);
    if (stripes !== STRIPES) {
      throw new EmuError(`Keyslot ${i} is corrupted (stripes ${stripes} != ${STRIPES})`);
    }
    if (starts[i] < Math.ceil(HEADER_BYTES / SECTOR)) {
      throw new EmuError(`Keyslot ${i} is overlapping with the LUKS header`);
    }
    if (starts[i] + sectors > payloadSectors) {
      throw new EmuError(`Keyslot ${i} is overlapping with the encrypted payload`);
    }
    const j = starts.findIndex((s, k) =>
      k > i && s < starts[i] + sectors && starts[i] < s + sectors
    );
    if (j > 0) throw new EmuError(`Keyslots ${i} and ${j} are overlapping in the header`);
  }
}

/**
 * Checks the LUKS header `b` as QEMU does before it describes or unlocks it (its key slots
 * within the header, its cipher known), and returns its fields.
 *
 * @example
 * ```ts ignore
 * const h = checkLuksHeader(file.read(0, 4096));
 * console.log(h.payloadOffset); // 2068480
 * ```
 */
export function checkLuksHeader(b: Uint8Array) {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length < HEADER_BYTES || text(b, 0, 4) !== "LUKS" || v.getUint16(4) !== 0xbabe) {
    throw new EmuError("Volume is not in LUKS format");
  }
  if (v.getUint16(6) !== 1) throw new EmuError(`LUKS version ${v.getUint16(6)} is not supported`);
  const keyBytes = v.getUint32(108), payloadSectors = v.getUint32(104);
  checkSlots(v, keyBytes, payloadSectors);
  const cipherName = text(b, 8, 32), [mode, ivgenSpec = ""] = text(b, 40, 32).split("-");
  const aesBytes = mode === "xts" ? keyBytes / 2 : keyBytes;
  if (cipherName !== "aes" || ![16, 24, 32].includes(aesBytes)) {
    throw new EmuError(
      `Algorithm '${cipherName}' with key size ${aesBytes} bytes not supported`,
      "Denemu has AES only",
    );
  }
  const hash = text(b, 72, 32);
  if (!HASHES.includes(hash)) throw new EmuError(`Unsupported LUKS hash ${hash}`);
  const [ivgen, ivgenHash] = ivgenSpec.split(":");
  const slots: Slot[] = [];
  for (let i = 0; i < 8; i++) {
    const at = 208 + i * 48;
    if (v.getUint32(at) !== SLOT_ACTIVE) continue;
    const offset = v.getUint32(at + 40) * SECTOR;
    slots.push({
      iterations: v.getUint32(at + 4),
      salt: b.subarray(at + 8, at + 40),
      offset,
    });
  }
  const spec = { mode, ivgen, ivgenHash };
  return { v, hash, keyBytes, slots, spec, payloadOffset: payloadSectors * SECTOR };
}

/** The PBKDF2 work of unlocking `h`, refused past `MAX_ITERATIONS` (QEMU would try for hours). */
function checkWork(h: ReturnType<typeof checkLuksHeader>): void {
  const work = h.slots.reduce((n, s) => n + s.iterations, h.v.getUint32(164));
  if (work > MAX_ITERATIONS) {
    throw new EmuError(
      `LUKS header asks for ${work} PBKDF2 iterations, more than ${MAX_ITERATIONS}`,
      "the header is hostile or damaged",
    );
  }
}

/**
 * Unlocks the LUKS header `head` (its first `HEADER_BYTES` or more) with `password`; key
 * material is read through `readAt`, within `areaBytes` of the header's start.
 *
 * @example
 * ```ts ignore
 * const vol = unlockLuks(file.read(0, 592), (at, n) => file.read(at, n), file.size, pass);
 * ```
 */
export function unlockLuks(
  head: Uint8Array,
  readAt: (at: number, n: number) => Uint8Array,
  areaBytes: number,
  password: Uint8Array,
): LuksVolume {
  const h = checkLuksHeader(head);
  checkWork(h);
  const digest = head.subarray(112, 132), digestSalt = head.subarray(132, 164);
  for (const slot of h.slots) {
    if (slot.offset + STRIPES * h.keyBytes > areaBytes) {
      throw new EmuError("Request for data outside of extension header");
    }
    const slotKey = pbkdf2Sync(password, slot.salt, slot.iterations, h.keyBytes, h.hash);
    const material = readAt(slot.offset, STRIPES * h.keyBytes).slice();
    new SectorCipher(new Uint8Array(slotKey), h.spec).decrypt(0, material);
    const key = afMerge(material, h.keyBytes, h.hash);
    const check = pbkdf2Sync(key, digestSalt, h.v.getUint32(164), 20, h.hash);
    if (new Uint8Array(check).every((b, i) => b === digest[i])) {
      return { cipher: new SectorCipher(key, h.spec), payloadOffset: h.payloadOffset };
    }
  }
  throw new EmuError("Invalid password, cannot unlock any keyslot");
}

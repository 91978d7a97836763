/**
 * A new LUKS (version 1) header with one key slot, as QEMU's crypto/block-luks.c makes one: a
 * random master key, AF-split into 4000 stripes that the passphrase's PBKDF2 key encrypts,
 * its digest, and the PBKDF2 iterations timed to take `iter-time` milliseconds here.
 *
 * @module
 */

import { createHash, pbkdf2Sync, randomBytes, randomUUID } from "node:crypto";
import { EmuError } from "../../../plugin_block.ts";
import { SECTOR, SectorCipher } from "./sector_cipher.ts";
import { SLOT_ACTIVE } from "./luks_info.ts";
import { afMerge, STRIPES } from "./luks_unlock.ts";

/** What QEMU's `cipher-alg`, `cipher-mode`, `ivgen-alg`, ... and `iter-time` ask for. */
export interface LuksCreateSpec {
  keyBytes: number;
  mode: string;
  ivgen: string;
  ivgenHash?: string;
  hash: string;
  iterTimeMs: number;
}

/** A free key slot (LUKS_KEY_DISABLED). */
const SLOT_FREE = 0x0000dead;
/** Where the first key slot's material starts, and how each is aligned (QEMU's). */
const KEY_ALIGN = 4096;
/** The fewest iterations QEMU gives a key slot or the master key digest. */
const MIN_ITERATIONS = 1000;

/** PBKDF2 iterations of `hash` deriving `bytes` bytes that take `ms` milliseconds here. */
function timedIterations(hash: string, bytes: number, ms: number, divisor = 1): number {
  pbkdf2Sync("warm", "up", 1, bytes, hash); // the first call loads the hash
  const probe = 1 << 16, start = performance.now();
  pbkdf2Sync("probe", "salt", probe, bytes, hash);
  const perMs = probe / Math.max(performance.now() - start, 0.001);
  return Math.max(MIN_ITERATIONS, Math.floor(perMs * ms / divisor));
}

/**
 * Where the payload of a new LUKS volume with `keyBytes`-byte keys starts: after the header
 * and eight key slots.
 *
 * @example
 * ```ts
 * import { luksPayloadOffset } from "./luks_create.ts";
 * console.log(luksPayloadOffset(64)); // 2068480
 * ```
 */
export function luksPayloadOffset(keyBytes: number): number {
  return KEY_ALIGN + 8 * Math.ceil(STRIPES * keyBytes / KEY_ALIGN) * KEY_ALIGN;
}

/** The AF split of `key` (AFsplit): random stripes whose merge is the key. */
function afSplit(key: Uint8Array, hash: string): Uint8Array {
  const n = key.length, out = new Uint8Array(randomBytes(STRIPES * n));
  const merged = afMerge(out, n, hash); // the merge of the random stripes, last one included
  const last = out.subarray((STRIPES - 1) * n);
  // the last stripe is what makes the merge the key: merged ^ last ^ last' = key
  for (let j = 0; j < n; j++) last[j] ^= merged[j] ^ key[j];
  return out;
}

function putText(b: Uint8Array, at: number, s: string): void {
  b.set(new TextEncoder().encode(s), at);
}

/**
 * The header and key material of a new LUKS volume for `password` (what there is to write
 * of the bytes before the payload: the rest are zeros), and the payload's offset.
 *
 * @example
 * ```ts ignore
 * const { head, payloadOffset } = newLuksHeader(pass, { keyBytes: 64, mode: "xts", ... });
 * ```
 */
export function newLuksHeader(
  password: Uint8Array,
  spec: LuksCreateSpec,
): { head: Uint8Array; payloadOffset: number } {
  const { keyBytes, hash } = spec;
  createHash(hash); // an unknown hash fails here, before the work
  const slotBytes = Math.ceil(STRIPES * keyBytes / KEY_ALIGN) * KEY_ALIGN;
  const payloadOffset = luksPayloadOffset(keyBytes);
  const head = new Uint8Array(payloadOffset), v = new DataView(head.buffer);
  const key = new Uint8Array(randomBytes(keyBytes));
  putText(head, 0, "LUKS");
  v.setUint16(4, 0xbabe);
  v.setUint16(6, 1);
  putText(head, 8, "aes");
  const ivgen = spec.ivgenHash ? `${spec.ivgen}:${spec.ivgenHash}` : spec.ivgen;
  putText(head, 40, spec.mode === "ecb" ? "ecb" : `${spec.mode}-${ivgen}`);
  putText(head, 72, hash);
  v.setUint32(104, payloadOffset / SECTOR);
  v.setUint32(108, keyBytes);
  const digestSalt = new Uint8Array(randomBytes(32));
  const mkIterations = timedIterations(hash, 20, spec.iterTimeMs, 8); // /8: as cryptsetup
  head.set(new Uint8Array(pbkdf2Sync(key, digestSalt, mkIterations, 20, hash)), 112);
  head.set(digestSalt, 132);
  v.setUint32(164, mkIterations);
  putText(head, 168, randomUUID());
  for (let i = 0; i < 8; i++) {
    const at = 208 + i * 48, keyOffset = KEY_ALIGN + i * slotBytes;
    v.setUint32(at, i ? SLOT_FREE : SLOT_ACTIVE);
    v.setUint32(at + 40, keyOffset / SECTOR);
    v.setUint32(at + 44, STRIPES);
    if (i) continue;
    const salt = new Uint8Array(randomBytes(32));
    const iterations = timedIterations(hash, keyBytes, spec.iterTimeMs);
    v.setUint32(at + 4, iterations);
    head.set(salt, at + 8);
    const slotKey = new Uint8Array(pbkdf2Sync(password, salt, iterations, keyBytes, hash));
    const material = afSplit(key, hash);
    new SectorCipher(slotKey, spec).encrypt(0, material);
    head.set(material, keyOffset);
  }
  // the free slots' places stay holes, as QEMU leaves them
  return { head: head.subarray(0, KEY_ALIGN + STRIPES * keyBytes), payloadOffset };
}

/**
 * The `encrypt.*` options of a qcow2 image as a luks volume's (`encrypt.` left out).
 *
 * @example
 * ```ts
 * import { luksOptions } from "./luks_create.ts";
 * console.log(luksOptions({ "encrypt.iter-time": "10", "size": "1M" })); // { "iter-time": "10" }
 * ```
 */
export function luksOptions(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(o).filter(([k]) => k.startsWith("encrypt.")).map(([k, v]) => [k.slice(8), v]),
  );
}

/**
 * The LUKS creation options `o` (QEMU's names, without `encrypt.`), checked, with QEMU's
 * defaults: aes-256, xts, plain64, sha256, 2000 ms.
 *
 * @example
 * ```ts
 * import { luksCreateSpec } from "./luks_create.ts";
 * console.log(luksCreateSpec({}).keyBytes); // 64
 * ```
 */
export function luksCreateSpec(o: Record<string, string | undefined>): LuksCreateSpec {
  const alg = o["cipher-alg"] ?? "aes-256", mode = o["cipher-mode"] ?? "xts";
  const bits = { "aes-128": 128, "aes-192": 192, "aes-256": 256 }[alg];
  if (!bits) throw new EmuError(`Parameter 'cipher-alg' does not accept value '${alg}'`);
  if (!["xts", "cbc", "ecb"].includes(mode)) {
    throw new EmuError(`Parameter 'cipher-mode' does not accept value '${mode}'`);
  }
  const ivgen = o["ivgen-alg"] ?? "plain64";
  const iterTimeMs = Number(o["iter-time"] ?? 2000);
  if (!Number.isInteger(iterTimeMs) || iterTimeMs <= 0) {
    throw new EmuError(`Parameter 'iter-time' expects uint64`);
  }
  return {
    keyBytes: bits / 8 * (mode === "xts" ? 2 : 1),
    mode,
    ivgen,
    ivgenHash: ivgen === "essiv" ? o["ivgen-hash-alg"] ?? "sha256" : undefined,
    hash: o["hash-alg"] ?? "sha256",
    iterTimeMs,
  };
}

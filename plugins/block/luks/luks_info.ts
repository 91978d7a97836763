/**
 * What qemu-img info shows of a LUKS (version 1) header, a `luks` image's or the one a qcow2
 * image encrypted with `encrypt.format=luks` holds: its algorithms, key slots and payload offset, in QEMU's JSON
 * names (QCryptoBlockInfoLUKS). Nothing here needs the key, nor decrypts anything.
 *
 * @module
 */

import { EmuError } from "../../../plugin_block.ts";

/** A key slot in use (LUKS_KEY_ENABLED); a free one holds 0x0000dead. */
export const SLOT_ACTIVE = 0x00ac71f3;
const SECTOR = 512;

/**
 * A NUL-padded ASCII field of the header.
 *
 * @example
 * ```ts
 * import { text } from "./luks_info.ts";
 * console.log(text(new TextEncoder().encode("aes\0\0"), 0, 5)); // "aes"
 * ```
 */
export function text(b: Uint8Array, at: number, n: number): string {
  const s = b.subarray(at, at + n);
  const nul = s.indexOf(0);
  return new TextDecoder().decode(nul < 0 ? s : s.subarray(0, nul));
}

/** QEMU's name of cipher `name` with `keyBytes` of key (XTS keys are two keys). */
function cipherAlg(name: string, mode: string, keyBytes: number): string {
  const bits = (mode === "xts" ? keyBytes / 2 : keyBytes) * 8;
  return name === "cast5"
    ? "cast5-128"
    : ["aes", "serpent", "twofish"].includes(name)
    ? `${name}-${bits}`
    : name;
}

/**
 * The `encrypt` object of qemu-img info for the LUKS header `b`.
 *
 * @example
 * ```ts ignore
 * const info = describeLuks(file.read(h.crypto.offset, h.crypto.length));
 * console.log(info["cipher-alg"], info["payload-offset"]); // "aes-256" 2068480
 * ```
 */
export function describeLuks(b: Uint8Array): Record<string, unknown> {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (b.length < 592 || text(b, 0, 4) !== "LUKS" || v.getUint16(6) !== 1) {
    throw new EmuError("Volume is not in LUKS format");
  }
  const [mode, ivgen = ""] = text(b, 40, 32).split("-");
  const [ivgenAlg, ivgenHash] = ivgen.split(":");
  const slots = Array.from({ length: 8 }, (_, i) => {
    const at = 208 + i * 48, active = v.getUint32(at) === SLOT_ACTIVE;
    const keyOffset = v.getUint32(at + 40) * SECTOR;
    return active
      ? {
        "active": true,
        "iters": v.getUint32(at + 4),
        "key-offset": keyOffset,
        "stripes": v.getUint32(at + 44),
      }
      : { "active": false, "key-offset": keyOffset };
  });
  return {
    "ivgen-alg": ivgenAlg,
    "hash-alg": text(b, 72, 32),
    "cipher-alg": cipherAlg(text(b, 8, 32), mode, v.getUint32(108)),
    "uuid": text(b, 168, 40),
    ...(ivgenHash ? { "ivgen-hash-alg": ivgenHash } : {}), // where qemu-img has it
    "format": "luks",
    "cipher-mode": mode,
    "slots": slots,
    "payload-offset": v.getUint32(104) * SECTOR,
    "master-key-iters": v.getUint32(164),
  };
}

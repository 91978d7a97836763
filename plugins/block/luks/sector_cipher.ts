/**
 * Sector ciphers of QEMU's block encryption (crypto/block.c): AES in CBC, XTS or ECB mode over
 * 512-byte sectors, each sector's IV made from its number (ivgen `plain`, `plain64`, `essiv`).
 * node:crypto gives AES-ECB; CBC and XTS are built on it here (Deno's node:crypto has no XTS).
 *
 * @module
 */

import { createCipheriv, createDecipheriv, createHash } from "node:crypto";
import { type BlockOpenOptions, EmuError } from "../../../plugin_block.ts";

/** The sector size of QEMU's block encryption. */
export const SECTOR = 512;
const BLOCK = 16;

/** One AES key both ways, block by block (ECB, no padding). */
class Aes {
  readonly #enc;
  readonly #dec;
  constructor(key: Uint8Array) {
    if (![16, 24, 32].includes(key.length)) {
      throw new EmuError(`Unsupported AES key length ${key.length * 8}`);
    }
    const alg = `aes-${key.length * 8}-ecb`;
    this.#enc = createCipheriv(alg, key, null).setAutoPadding(false);
    this.#dec = createDecipheriv(alg, key, null).setAutoPadding(false);
  }
  encrypt(b: Uint8Array): Uint8Array {
    return new Uint8Array(this.#enc.update(b));
  }
  decrypt(b: Uint8Array): Uint8Array {
    return new Uint8Array(this.#dec.update(b));
  }
}

function xorInto(dst: Uint8Array, src: Uint8Array): void {
  for (let i = 0; i < dst.length; i++) dst[i] ^= src[i];
}

/** The XTS tweaks of a sector: the first from the IV, each next one times x in GF(2^128). */
function xtsTweaks(first: Uint8Array, length: number): Uint8Array {
  const t = new Uint8Array(length);
  t.set(first);
  for (let at = BLOCK; at < length; at += BLOCK) {
    let carry = 0;
    for (let i = 0; i < BLOCK; i++) {
      const b = t[at - BLOCK + i];
      t[at + i] = ((b << 1) | carry) & 0xff;
      carry = b >> 7;
    }
    if (carry) t[at] ^= 0x87;
  }
  return t;
}

/** How a cipher of QEMU's names is set: `aes-256`, `xts`, `plain64` (and essiv's hash). */
export interface CipherSpec {
  mode: string;
  ivgen: string;
  ivgenHash?: string;
}

/**
 * A sector cipher: `decrypt`/`encrypt` change whole sectors in place, the first numbered
 * `sector` (for the IV).
 *
 * @example
 * ```ts
 * import { SectorCipher } from "./sector_cipher.ts";
 * const c = new SectorCipher(new Uint8Array(16), { mode: "cbc", ivgen: "plain64" });
 * const data = new Uint8Array(512);
 * c.encrypt(7, data);
 * c.decrypt(7, data);
 * console.log(data.every((b) => b === 0)); // true
 * ```
 */
export class SectorCipher {
  readonly #main: Aes;
  readonly #tweak?: Aes;
  readonly #essiv?: Aes;
  readonly #mode: string;
  readonly #ivgen: string;

  constructor(key: Uint8Array, spec: CipherSpec) {
    if (!["cbc", "xts", "ecb"].includes(spec.mode)) {
      throw new EmuError(`Unsupported cipher mode ${spec.mode}`);
    }
    if (!["plain", "plain64", "essiv"].includes(spec.ivgen) && spec.mode !== "ecb") {
      throw new EmuError(`Unsupported IV generator ${spec.ivgen}`);
    }
    this.#mode = spec.mode;
    this.#ivgen = spec.ivgen;
    const half = key.length / 2;
    this.#main = new Aes(spec.mode === "xts" ? key.subarray(0, half) : key);
    if (spec.mode === "xts") this.#tweak = new Aes(key.subarray(half));
    if (spec.ivgen === "essiv") {
      const hash = spec.ivgenHash ?? "sha256";
      this.#essiv = new Aes(new Uint8Array(createHash(hash).update(key).digest()));
    }
  }

  /** The IV of sector `n`: its number, little-endian (32 bits for `plain`), essiv encrypted. */
  #iv(n: number): Uint8Array {
    const iv = new Uint8Array(BLOCK);
    const v = new DataView(iv.buffer);
    if (this.#ivgen === "plain") v.setUint32(0, n >>> 0, true);
    else v.setBigUint64(0, BigInt(n), true);
    return this.#essiv ? this.#essiv.encrypt(iv) : iv;
  }

  decrypt(sector: number, data: Uint8Array): void {
    for (let at = 0; at < data.length; at += SECTOR) {
      this.#sector(sector + at / SECTOR, data.subarray(at, at + SECTOR), false);
    }
  }

  encrypt(sector: number, data: Uint8Array): void {
    for (let at = 0; at < data.length; at += SECTOR) {
      this.#sector(sector + at / SECTOR, data.subarray(at, at + SECTOR), true);
    }
  }

  #sector(n: number, s: Uint8Array, encrypt: boolean): void {
    const aes = this.#main;
    if (this.#mode === "ecb") s.set(encrypt ? aes.encrypt(s) : aes.decrypt(s));
    else if (this.#mode === "xts") {
      const t = xtsTweaks(this.#tweak!.encrypt(this.#iv(n)), s.length);
      xorInto(s, t);
      s.set(encrypt ? aes.encrypt(s) : aes.decrypt(s));
      xorInto(s, t);
    } else if (encrypt) {
      let prev = this.#iv(n);
      for (let at = 0; at < s.length; at += BLOCK) {
        const b = s.subarray(at, at + BLOCK);
        xorInto(b, prev);
        prev = aes.encrypt(b);
        b.set(prev);
      }
    } else {
      const chain = new Uint8Array(s.length);
      chain.set(this.#iv(n));
      chain.set(s.subarray(0, s.length - BLOCK), BLOCK);
      s.set(aes.decrypt(s));
      xorInto(s, chain);
    }
  }
}

/**
 * Refuses the old AES of a `format` image opened for a system emulator, in QEMU's words.
 *
 * @example
 * ```ts ignore
 * if (header.cryptMethod === 1) refuseAesInSystem("qcow2", options);
 * ```
 */
export function refuseAesInSystem(format: string, options: BlockOpenOptions): void {
  if (!options.system) return;
  throw new EmuError(
    `Use of AES-CBC encrypted ${format} images is no longer supported in system emulators`,
    `You can use 'qemu-img convert' to convert your image to an alternative supported ` +
      `format, such as unencrypted ${format}, or raw with the LUKS format instead.`,
  );
}

/**
 * The cipher of qcow's and qcow2's old AES encryption (QEMU's `qcow` crypto format): AES-128
 * CBC, plain64 IVs, the key the secret's first 16 bytes padded with zeros.
 *
 * @example
 * ```ts
 * import { qcowAesCipher } from "./sector_cipher.ts";
 * const c = qcowAesCipher(new TextEncoder().encode("abc"));
 * ```
 */
export function qcowAesCipher(password: Uint8Array): SectorCipher {
  const key = new Uint8Array(16);
  key.set(password.subarray(0, 16));
  return new SectorCipher(key, { mode: "cbc", ivgen: "plain64" });
}

/**
 * Decrypts (or encrypts) `length` bytes of `data` that begin `offset` bytes into an encrypted
 * stream whose sector `n` has IV `n`: the bytes read (through `readAt`) are widened to whole
 * sectors first.
 *
 * @example
 * ```ts ignore
 * const bytes = readDecrypted(cipher, (at, n) => file.read(at, n), 1000, 24, 1000);
 * ```
 */
export function readDecrypted(
  cipher: SectorCipher,
  readAt: (at: number, n: number) => Uint8Array,
  at: number,
  length: number,
  ivOffset: number,
): Uint8Array {
  const skip = ivOffset % SECTOR;
  const whole = Math.ceil((skip + length) / SECTOR) * SECTOR;
  const raw = readAt(at - skip, whole).slice();
  cipher.decrypt((ivOffset - skip) / SECTOR, raw);
  return raw.subarray(skip, skip + length);
}

/**
 * A write of `data` at `offset` widened to whole sectors, as QEMU's block layer hands one to
 * a driver that takes only sectors: the bytes around it as `read` gives them now.
 *
 * @example
 * ```ts
 * import { wholeSectors } from "./sector_cipher.ts";
 * const [at, bytes] = wholeSectors(10, new Uint8Array(4), (o, n) => new Uint8Array(n));
 * console.log(at, bytes.length); // 0 512
 * ```
 */
export function wholeSectors(
  offset: number,
  data: Uint8Array,
  read: (at: number, n: number) => Uint8Array,
): [number, Uint8Array] {
  const start = offset - offset % SECTOR;
  const end = Math.ceil((offset + data.length) / SECTOR) * SECTOR;
  if (start === offset && end === offset + data.length) return [offset, data];
  const whole = read(start, end - start);
  whole.set(data, offset - start);
  return [start, whole];
}

/**
 * The encryption of a qcow2 image's data clusters, as QEMU's qcow2 driver keys it: the old
 * AES (crypt method 1, each sector's IV its guest offset) or LUKS (method 2, the header in
 * the file's CRYPTO extension, each sector's IV its host offset).
 *
 * @module
 */

import { type BlockOpenOptions, type HostFile, keySecret } from "../../../plugin_block.ts";
import {
  qcowAesCipher,
  refuseAesInSystem,
  SECTOR,
  type SectorCipher,
} from "../luks/sector_cipher.ts";
import { unlockLuks } from "../luks/luks_unlock.ts";
import type { Qcow2Header } from "./header.ts";

/** An open image's cipher, and whether its IVs count host sectors (LUKS) or guest ones. */
export interface Qcow2Crypt {
  cipher: SectorCipher;
  physical: boolean;
}

/**
 * The cipher of image `h` from the secret its open options name; none if the image is not
 * encrypted or is opened only to describe it.
 *
 * @example
 * ```ts ignore
 * img.crypt = openQcow2Crypt(file, header, { driverOptions: { "encrypt.key-secret": "s0" } });
 * ```
 */
export function openQcow2Crypt(
  file: HostFile,
  h: Qcow2Header,
  options: BlockOpenOptions,
): Qcow2Crypt | undefined {
  if (!h.cryptMethod || options.noIo) return undefined;
  if (h.cryptMethod === 1) refuseAesInSystem("qcow2", options);
  const password = keySecret(options.driverOptions?.["encrypt.key-secret"], "encrypt.key-secret");
  if (h.cryptMethod === 1) return { cipher: qcowAesCipher(password), physical: false };
  const { offset, length } = h.crypto!;
  const read = (at: number, n: number) => file.read(offset + at, n);
  const luks = unlockLuks(read(0, Math.min(length, 4096)), read, length, password);
  return { cipher: luks.cipher, physical: true };
}

/**
 * `data` (whole sectors) as stored at host offset `host`, guest offset `guest`: encrypted
 * with `crypt` if there is one.
 *
 * @example
 * ```ts ignore
 * file.write(host, sealed(img.crypt, host, guest, data));
 * ```
 */
export function sealed(
  crypt: Qcow2Crypt | undefined,
  host: number,
  guest: number,
  data: Uint8Array,
): Uint8Array {
  if (!crypt) return data;
  const out = data.slice();
  crypt.cipher.encrypt((crypt.physical ? host : guest) / SECTOR, out);
  return out;
}

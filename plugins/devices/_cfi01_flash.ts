/**
 * The command state machine of a CFI parallel flash with the Intel/Sharp
 * command set, as QEMU's `pflash_cfi01` models it: read array, read status
 * (0x70), read identifier (0x90), CFI query (0x98), clear status (0x50),
 * block erase (0x20, confirmed by 0xd0), word program (0x40/0x10), buffered
 * write (0xe8) and block lock bits (0x60; accepted, not enforced).
 *
 * It behaves as QEMU 7.2 does, quirks included, so that a guest sees the same
 * values on both: an erase happens at the 0x20 write (0xd0 only confirms),
 * programming overwrites bits instead of only clearing them, clear status
 * leaves the status register 0 (not "ready") until the next operation, and a
 * buffered write buffers the write block of the word count's address (QEMU
 * 7.2 as Debian ships it, with the update buffer of QEMU 9.0 backported but
 * not its later fix): words outside that block are program errors, and
 * any pending program error makes the confirm drop the buffer.
 *
 * The bank is `bankWidth` bytes wide and made of `deviceWidth`-byte chips in
 * parallel (the virt board: 4 and 2), each answering queries on its lanes.
 *
 * @module
 */

/** A bank's geometry and identity. */
export interface CfiGeometry {
  /** bytes in the bank */
  size: number;
  /** bytes per erase block of the bank */
  sectorLength: number;
  /** bytes per bus cycle of the whole bank */
  bankWidth: number;
  /** bytes per cycle of one chip */
  deviceWidth: number;
  /** manufacturer and device identifier codes */
  id0: number;
  id1: number;
}

/** Status register bits. */
export const CfiStatus = {
  READY: 0x80,
  ERASE_ERROR: 0x20,
  PROGRAM_ERROR: 0x10,
} as const;

/** Where the bank's contents live, and where changed bytes go. */
export interface CfiStore {
  /** the bank's bytes (read array mode reads them) */
  readonly bytes: Uint8Array;
  /** Called after `[offset, offset + length)` changed: write it through to the drive. */
  changed(offset: number, length: number): void;
  /** true when writes must fail (a read-only drive) */
  readonly readOnly: boolean;
}

const CFI_TABLE_SIZE = 0x52;

/**
 * The CFI query table one chip answers (QEMU's for a uniform Intel part).
 *
 * @example
 * ```ts
 * import { cfiTable } from "./_cfi01_flash.ts";
 * const t = cfiTable({ size: 32 << 20, sectorLength: 256 << 10, bankWidth: 4, deviceWidth: 2,
 *   id0: 0x89, id1: 0x18 });
 * console.log(String.fromCharCode(t[0x10], t[0x11], t[0x12]), t[0x27]); // QRY 24
 * ```
 */
export function cfiTable(g: CfiGeometry): Uint8Array {
  const chips = g.bankWidth / g.deviceWidth;
  const blocks = g.size / g.sectorLength;
  const chipSector = g.sectorLength / chips;
  const t = new Uint8Array(CFI_TABLE_SIZE);
  t.set([0x51, 0x52, 0x59], 0x10); // "QRY"
  t.set([0x01, 0x00, 0x31, 0x00], 0x13); // Intel command set; extended table at 0x31
  // Vcc range, no Vpp, then the typical and maximum timeouts (powers of two)
  t.set([0x45, 0x55, 0x00, 0x00, 0x07, 0x07, 0x0a, 0x00, 0x04, 0x04, 0x04, 0x00], 0x1b);
  t[0x27] = Math.log2(chipSector * blocks); // chip size
  t[0x28] = 0x02; // x8/x16 interface
  t[0x2a] = g.bankWidth === 1 ? 0x08 : 0x0b; // write buffer size (power of two)
  t[0x2c] = 0x01; // one uniform erase region:
  t[0x2d] = (blocks - 1) & 0xff;
  t[0x2e] = ((blocks - 1) >> 8) & 0xff;
  t[0x2f] = (chipSector >> 8) & 0xff;
  t[0x30] = (chipSector >> 16) & 0xff;
  t.set([0x50, 0x52, 0x49, 0x31, 0x30], 0x31); // "PRI", version 1.0
  t[0x3f] = 0x01; // one protection field
  return t;
}

/**
 * One flash bank's registers: `read`/`write` take an offset in the bank and
 * an access of 1, 2 or 4 bytes (little-endian).
 *
 * @example
 * ```ts
 * import { CfiFlash } from "./_cfi01_flash.ts";
 * const bytes = new Uint8Array(1 << 20);
 * const f = new CfiFlash({ size: bytes.length, sectorLength: 1 << 16, bankWidth: 4,
 *   deviceWidth: 2, id0: 0x89, id1: 0x18 }, { bytes, changed: () => {}, readOnly: false });
 * f.write(0, 4, 0x98);
 * console.log(f.read(0x10 * 4, 4).toString(16)); // 510051 ("Q" from each chip)
 * f.write(0, 4, 0xff);
 * f.write(8, 4, 0x40);
 * f.write(8, 4, 0x12345678);
 * f.write(0, 4, 0xff);
 * console.log(f.read(8, 4).toString(16)); // 12345678
 * ```
 */
export class CfiFlash {
  /** write cycle of the current command (0: a new command) */
  wcycle = 0;
  /** the current command (0: read array) */
  cmd = 0;
  status = CfiStatus.READY as number;
  /** words left in a buffered write */
  counter = 0;
  /** where the buffer of a buffered write goes (-1: no buffered write) */
  blkOffset = -1;
  /** the buffer: its write block's bytes, with the words written so far */
  readonly blkBytes: Uint8Array;
  readonly #table: Uint8Array;
  /** bytes one buffered write flushes to the drive */
  readonly #writeBlock: number;
  /** how far query addresses are shifted: one query index per bank word */
  readonly #shift: number;

  constructor(readonly geometry: CfiGeometry, readonly store: CfiStore) {
    this.#table = cfiTable(geometry);
    const chips = geometry.bankWidth / geometry.deviceWidth;
    this.#writeBlock = (1 << this.#table[0x2a]) * chips;
    this.blkBytes = new Uint8Array(this.#writeBlock);
    this.#shift = Math.log2(geometry.bankWidth);
  }

  /** Whether the state is one the commands can be in (a loaded snapshot is untrusted input). */
  validState(): boolean {
    const byte = (v: number) => Number.isInteger(v) && v >= 0 && v < 256;
    const block = this.blkBytes.length, at = this.blkOffset;
    const blockOk = at === -1 ||
      (Number.isInteger(at) && at >= 0 && at % block === 0 && at + block <= this.geometry.size);
    return byte(this.cmd) && byte(this.status) && [0, 1, 2, 3].includes(this.wcycle) &&
      Number.isInteger(this.counter) && blockOk;
  }

  /** Power-on state: read array mode, ready. */
  reset(): void {
    this.cmd = this.wcycle = 0;
    this.status = CfiStatus.READY;
    this.blkOffset = -1;
  }

  /** A read of `width` bytes at `offset`. */
  read(offset: number, width: number): number {
    switch (this.cmd) {
      case 0x10:
      case 0x20:
      case 0x40:
      case 0x60:
      case 0x70:
      case 0xe8:
        return this.#statusRead(width);
      case 0x90:
        return this.#perChip(this.#identifier(offset >> this.#shift));
      case 0x98: {
        const index = offset >> this.#shift;
        return this.#perChip(index < this.#table.length ? this.#table[index] : 0);
      }
    }
    this.cmd = this.wcycle = 0;
    return this.#data(offset, width);
  }

  #data(offset: number, width: number): number {
    const b = this.store.bytes;
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + (b[offset + i] ?? 0);
    return v;
  }

  /** The status register of every chip the access covers. */
  #statusRead(width: number): number {
    const bits = this.geometry.deviceWidth * 8;
    let v = this.status;
    for (let shift = bits; shift + bits <= width * 8; shift += bits) v |= this.status << shift;
    return v >>> 0;
  }

  /** Identifier codes: manufacturer at index 0, device at 1 (lock bits are not modelled). */
  #identifier(index: number): number {
    switch (index & 0xff) {
      case 0:
        return this.geometry.id0;
      case 1:
        return this.geometry.id1;
    }
    return 0;
  }

  /** One chip's answer repeated on every chip's lanes of the bank. */
  #perChip(answer: number): number {
    const bits = this.geometry.deviceWidth * 8;
    let v = answer;
    for (let at = bits; at < this.geometry.bankWidth * 8; at += bits) {
      v = (v & ~(((1 << bits) - 1) << at)) | (answer << at);
    }
    return v >>> 0;
  }

  /** A write of `width` bytes at `offset`: a command, or data of the command in progress. */
  write(offset: number, width: number, value: number): void {
    const ok = this.wcycle === 0
      ? this.#command(offset, value & 0xff)
      : this.#cycle(offset, width, value >>> 0);
    if (!ok) this.cmd = this.wcycle = 0; // back to read array mode
  }

  /** The first cycle of a command; false sends the bank back to read array mode. */
  #command(offset: number, cmd: number): boolean {
    switch (cmd) {
      case 0x10:
      case 0x40:
      case 0x60:
      case 0x98:
        break;
      case 0x20:
        this.#erase(offset);
        break;
      case 0x50:
        this.status = 0;
        return false;
      case 0x70:
      case 0x90:
        this.cmd = cmd;
        return true;
      case 0xe8:
        this.status |= CfiStatus.READY;
        break;
      default: // 0x00, 0xff, 0xf0 (an AMD probe) and anything unknown
        return false;
    }
    this.wcycle = 1;
    this.cmd = cmd;
    return true;
  }

  #erase(offset: number): void {
    const at = offset & ~(this.geometry.sectorLength - 1);
    if (this.store.readOnly) this.status |= CfiStatus.ERASE_ERROR;
    else {
      this.store.bytes.fill(0xff, at, at + this.geometry.sectorLength);
      this.store.changed(at, this.geometry.sectorLength);
    }
    this.status |= CfiStatus.READY;
  }

  /** A later cycle of the current command; false sends the bank back to read array mode. */
  #cycle(offset: number, width: number, value: number): boolean {
    const cmd = value & 0xff;
    switch (this.cmd) {
      case 0x10:
      case 0x40:
        this.#program(offset, width, value);
        this.wcycle = 0;
        return true;
      case 0x20:
      case 0x60: // 0xd0 confirms an erase; 0xd0 and 0x01 clear and set lock bits
        if (cmd !== 0xd0 && !(this.cmd === 0x60 && cmd === 0x01)) return false;
        this.wcycle = 0;
        this.status |= CfiStatus.READY;
        return true;
      case 0x98:
        return cmd !== 0xff; // query mode lasts until read array
      case 0xe8:
        return this.#buffered(offset, width, value);
    }
    return false;
  }

  /**
   * Buffered write: the word count (the write block of its address is copied
   * to the buffer), the words (into the buffer; one outside its block is a
   * program error), then 0xd0 stores the buffer unless an error is pending.
   */
  #buffered(offset: number, width: number, value: number): boolean {
    if (this.wcycle === 1) {
      this.counter = value % 2 ** (this.geometry.deviceWidth * 8);
      this.wcycle = 2;
      this.blkOffset = offset & ~(this.#writeBlock - 1);
      this.blkBytes.set(
        this.store.bytes.subarray(this.blkOffset, this.blkOffset + this.#writeBlock),
      );
      return true;
    }
    if (this.wcycle === 3) {
      const confirmed = (value & 0xff) === 0xd0 && !(this.status & CfiStatus.PROGRAM_ERROR);
      if (confirmed) {
        this.store.bytes.set(this.blkBytes, this.blkOffset);
        this.store.changed(this.blkOffset, this.#writeBlock);
        this.wcycle = 0;
        this.status |= CfiStatus.READY;
      }
      this.blkOffset = -1;
      return confirmed;
    }
    const inside = offset >= this.blkOffset && offset + width <= this.blkOffset + this.#writeBlock;
    if (this.store.readOnly || this.blkOffset < 0 || !inside) {
      this.status |= CfiStatus.PROGRAM_ERROR;
    } else {
      const at = offset - this.blkOffset;
      for (let i = 0; i < width; i++) this.blkBytes[at + i] = (value >>> (8 * i)) & 0xff;
    }
    this.status |= CfiStatus.READY;
    if (this.counter === 0) this.wcycle = 3;
    this.counter--;
    return true;
  }

  /** Word program: stores `width` bytes of `value` and writes them to the drive. */
  #program(offset: number, width: number, value: number): void {
    if (this.store.readOnly) this.status |= CfiStatus.PROGRAM_ERROR;
    else {
      const b = this.store.bytes;
      for (let i = 0; i < width; i++) b[offset + i] = (value >>> (8 * i)) & 0xff;
      this.store.changed(offset, width);
    }
    this.status |= CfiStatus.READY;
  }
}

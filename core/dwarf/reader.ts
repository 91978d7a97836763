/**
 * A bounds-checked reader of DWARF data: fixed-width little-endian integers,
 * LEB128, strings, unit lengths (32- and 64-bit DWARF) and the attribute
 * forms line tables use. Every read past the end is an error made by the
 * caller's `fail`, never a RangeError.
 *
 * @module
 */

/** DW_FORM_* codes a version 5 line table header may use. */
const DW_FORM = {
  block2: 0x03,
  block4: 0x04,
  data2: 0x05,
  data4: 0x06,
  data8: 0x07,
  string: 0x08,
  block: 0x09,
  block1: 0x0a,
  data1: 0x0b,
  sdata: 0x0d,
  strp: 0x0e,
  udata: 0x0f,
  data16: 0x1e,
  lineStrp: 0x1f,
} as const;

/**
 * Reads DWARF data from `bytes`.
 *
 * @example
 * ```ts
 * import { DwarfReader } from "./reader.ts";
 * const r = new DwarfReader(new Uint8Array([0xe5, 0x8e, 0x26]), {}, (m) => new Error(m));
 * console.log(r.uleb()); // 624485
 * ```
 */
export class DwarfReader {
  pos = 0;
  readonly #dv: DataView;
  readonly #end: number;

  constructor(
    readonly bytes: Uint8Array,
    readonly strings: { lineStr?: Uint8Array | null; str?: Uint8Array | null },
    readonly fail: (message: string) => Error,
    end = bytes.length,
  ) {
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#end = Math.min(end, bytes.length);
  }

  /** A reader of this one's bytes from `pos` up to `end`. */
  sub(end: number): DwarfReader {
    const r = new DwarfReader(this.bytes, this.strings, this.fail, end);
    r.pos = this.pos;
    return r;
  }

  get done(): boolean {
    return this.pos >= this.#end;
  }

  /** An error at the current position. */
  error(message: string): Error {
    return this.fail(`${message} (at offset ${this.pos})`);
  }

  #need(n: number): number {
    if (n < 0 || this.pos + n > this.#end) throw this.error("truncated");
    const at = this.pos;
    this.pos += n;
    return at;
  }

  u8(): number {
    return this.bytes[this.#need(1)];
  }
  i8(): number {
    return this.#dv.getInt8(this.#need(1));
  }
  u16(): number {
    return this.#dv.getUint16(this.#need(2), true);
  }
  u32(): number {
    return this.#dv.getUint32(this.#need(4), true);
  }
  u64(): bigint {
    return this.#dv.getBigUint64(this.#need(8), true);
  }

  /** An address of `size` bytes (DW_LNE_set_address). */
  address(size: number): bigint {
    if (size === 8) return this.u64();
    if (size === 4) return BigInt(this.u32());
    throw this.error(`address size ${size}`);
  }

  /** A section offset of the unit's offset size. */
  offset(size: 4 | 8): number {
    return size === 4 ? this.u32() : Number(this.u64());
  }

  uleb(): number {
    let v = 0, shift = 0;
    for (;;) {
      const b = this.u8();
      if (shift < 53) v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (!(b & 0x80)) return v;
    }
  }

  sleb(): number {
    let v = 0, shift = 0, b: number;
    do {
      b = this.u8();
      if (shift < 53) v += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b & 0x80);
    return (b & 0x40) && shift < 53 ? v - 2 ** shift : v;
  }

  /** A NUL-terminated UTF-8 string. */
  cstring(): string {
    const start = this.pos;
    while (this.pos < this.#end && this.bytes[this.pos] !== 0) this.pos++;
    if (this.pos >= this.#end) throw this.error("unterminated string");
    return new TextDecoder().decode(this.bytes.subarray(start, this.pos++));
  }

  /** A unit's length field: where the unit ends, and whether it is 64-bit DWARF. */
  unitLength(): { end: number; offsetSize: 4 | 8 } {
    let length = this.u32(), offsetSize: 4 | 8 = 4;
    if (length === 0xffffffff) {
      length = Number(this.u64());
      offsetSize = 8;
    } else if (length >= 0xfffffff0) throw this.error(`reserved unit length ${hex(length)}`);
    if (this.pos + length > this.#end) throw this.error("unit longer than its section");
    return { end: this.pos + length, offsetSize };
  }

  /** A value of form `form`: a string, a number, or null for blocks (MD5 sums). */
  form(form: number, offsetSize: 4 | 8): string | bigint | null {
    switch (form) {
      case DW_FORM.string:
        return this.cstring();
      case DW_FORM.lineStrp:
        return this.#stringAt(this.strings.lineStr, this.offset(offsetSize), ".debug_line_str");
      case DW_FORM.strp:
        return this.#stringAt(this.strings.str, this.offset(offsetSize), ".debug_str");
      case DW_FORM.udata:
        return BigInt(this.uleb());
      case DW_FORM.sdata:
        return BigInt(this.sleb());
      case DW_FORM.data1:
        return BigInt(this.u8());
      case DW_FORM.data2:
        return BigInt(this.u16());
      case DW_FORM.data4:
        return BigInt(this.u32());
      case DW_FORM.data8:
        return this.u64();
      case DW_FORM.data16:
        this.#need(16);
        return null;
      case DW_FORM.block1:
      case DW_FORM.block2:
      case DW_FORM.block4:
      case DW_FORM.block:
        this.#need(this.#blockLength(form));
        return null;
      default:
        throw this.error(`form ${hex(form)} is not supported in a line table header`);
    }
  }

  /** The length field of a block form. */
  #blockLength(form: number): number {
    if (form === DW_FORM.block1) return this.u8();
    if (form === DW_FORM.block2) return this.u16();
    return form === DW_FORM.block4 ? this.u32() : this.uleb();
  }

  #stringAt(section: Uint8Array | null | undefined, off: number, name: string): string {
    if (!section) throw this.error(`a string in ${name}, which the file does not have`);
    if (off >= section.length) throw this.error(`string offset ${off} past the end of ${name}`);
    let end = off;
    while (end < section.length && section[end] !== 0) end++;
    return new TextDecoder().decode(section.subarray(off, end));
  }
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

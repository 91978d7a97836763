/**
 * The section headers of an ELF file, by name (`.debug_line`, `.rodata`...):
 * what debug information and string tables are read from. Loading needs only
 * the program headers (`core/elf.ts`); sections are optional, so a file whose
 * section table is missing or malformed simply has none.
 *
 * @module
 */

import type { ElfFile } from "./elf.ts";

/** One section header, with its name. */
export interface ElfSection {
  name: string;
  /** sh_type (1 = PROGBITS, 8 = NOBITS) */
  type: number;
  /** sh_flags (2 = ALLOC, 4 = EXECINSTR) */
  flags: number;
  /** sh_addr: its address before relocation (0 when not loaded) */
  addr: bigint;
  /** where its bytes are in the file */
  offset: number;
  size: number;
}

/** sh_type of a section without bytes in the file (`.bss`). */
const SHT_NOBITS = 8;

/**
 * The sections of `elf` (none when it has no valid section table).
 *
 * @example
 * ```ts ignore
 * const line = readSections(elf).find((s) => s.name === ".debug_line");
 * ```
 */
export function readSections(elf: ElfFile): ElfSection[] {
  const b = elf.bytes, is64 = elf.elfClass === 2;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < (is64 ? 64 : 52)) return [];
  const shoff = Number(is64 ? dv.getBigUint64(40, true) : BigInt(dv.getUint32(32, true)));
  const shentsize = dv.getUint16(is64 ? 58 : 46, true);
  const shnum = dv.getUint16(is64 ? 60 : 48, true);
  const shstrndx = dv.getUint16(is64 ? 62 : 50, true);
  if (!shoff || shentsize !== (is64 ? 64 : 40) || shoff + shnum * shentsize > b.length) return [];
  const word = (o: number, off32: number, off64: number) =>
    is64 ? dv.getBigUint64(o + off64, true) : BigInt(dv.getUint32(o + off32, true));
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return {
      nameOff: dv.getUint32(o, true),
      type: dv.getUint32(o + 4, true),
      flags: Number(word(o, 8, 8)),
      addr: word(o, 12, 16),
      offset: Number(word(o, 16, 24)),
      size: Number(word(o, 20, 32)),
    };
  });
  const names = raw[shstrndx];
  const dec = new TextDecoder();
  const nameAt = (off: number) => {
    const start = (names?.offset ?? b.length) + off;
    let end = start;
    while (end < b.length && b[end] !== 0) end++;
    return start < b.length ? dec.decode(b.subarray(start, end)) : "";
  };
  return raw
    .filter((s) => s.type === SHT_NOBITS || s.offset + s.size <= b.length)
    .map(({ nameOff, ...s }) => ({ name: nameAt(nameOff), ...s }));
}

/** The bytes of section `name` of `elf`, or null when it has none with bytes. */
export function sectionBytes(elf: ElfFile, name: string): Uint8Array | null {
  const s = readSections(elf).find((x) => x.name === name && x.type !== SHT_NOBITS);
  return s ? elf.bytes.subarray(s.offset, s.offset + s.size) : null;
}

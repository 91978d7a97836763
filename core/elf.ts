/**
 * ELF32/ELF64 little-endian parser with strict validation: every malformed
 * file is rejected with a one-line {@linkcode EmuError} naming the problem.
 *
 * @module
 */

import { EmuError } from "./errors.ts";

/** ELF file types this parser accepts. */
export const ET_EXEC = 2, ET_DYN = 3;
/** Program header types. */
export const PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_PHDR = 6, PT_GNU_STACK = 0x6474e551;
/** Segment permission flags. */
export const PF_X = 1, PF_W = 2, PF_R = 4;

/**
 * One program header.
 *
 * @example
 * ```ts
 * import { parseElf, PF_X } from "./elf.ts";
 * const elf = parseElf(Deno.readFileSync("tests/guests/bin/hello.static.O2"), "hello");
 * const text = elf.loads.find((s) => s.flags & PF_X)!;
 * console.log(text.vaddr <= elf.entry && elf.entry < text.vaddr + text.memsz); // true
 * ```
 */
export interface ElfSegment {
  /** p_type (1 = PT_LOAD) */
  type: number;
  /** p_flags: PF_X, PF_W, PF_R */
  flags: number;
  /** p_offset: where its bytes start in the file */
  offset: number;
  /** p_vaddr: its address before relocation */
  vaddr: bigint;
  /** p_paddr: where a boot loader puts it (QEMU's load_elf) */
  paddr: bigint;
  /** p_filesz: bytes from the file */
  filesz: number;
  /** p_memsz: bytes in memory (the rest is zero) */
  memsz: bigint;
  /** p_align */
  align: bigint;
}

/**
 * One symbol of `.symtab` (or `.dynsym`).
 *
 * @example
 * ```ts ignore
 * const fns = m.symbols.filter((s: ElfSymbol) => s.type === 2 && s.size > 0n);
 * ```
 */
export interface ElfSymbol {
  /** the symbol's name */
  name: string;
  /** its address (as loaded, from a machine) */
  value: bigint;
  /** its size in bytes (0 when unknown) */
  size: bigint;
  /** STT_* type (2 = function, 1 = object) */
  type: number;
  /** its section's index (0 undefined, 0xff00 and above reserved: absolute, common) */
  shndx?: number;
}

/**
 * A parsed and validated ELF file.
 *
 * @example
 * ```ts
 * import { parseElf } from "./elf.ts";
 * const elf = parseElf(Deno.readFileSync("tests/guests/bin/hello.static.O2"), "hello");
 * console.log(elf.machine, elf.elfClass, elf.interp); // 243 2 null
 * ```
 */
export interface ElfFile {
  /** the file's bytes */
  bytes: Uint8Array;
  /** 1 = ELF32, 2 = ELF64 */
  elfClass: 1 | 2;
  /** e_type: {@linkcode ET_EXEC} or {@linkcode ET_DYN} */
  type: number;
  /** e_machine (243 = RISC-V) */
  machine: number;
  /** e_flags */
  flags: number;
  /** e_entry */
  entry: bigint;
  /** e_phoff: where the program headers start */
  phoff: number;
  /** e_phentsize: the size of one program header */
  phentsize: number;
  /** e_phnum: how many program headers there are */
  phnum: number;
  /** every program header */
  segments: ElfSegment[];
  /** the PT_LOAD segments, in address order */
  loads: ElfSegment[];
  /** the PT_INTERP path, or null for static programs */
  interp: string | null;
}

/** Largest address span of all PT_LOAD segments together (1 GiB). */
export const MAX_IMAGE_SPAN = 1n << 30n;

/**
 * How the file {@linkcode parseElf} checks will be loaded.
 *
 * @example
 * ```ts
 * import { parseElf } from "./elf.ts";
 * const bytes = Deno.readFileSync("tests/guests/bin/hello.static.O2");
 * const elf = parseElf(bytes, "hello", { pageMapped: false }); // a boot loader copies segments
 * console.log(elf.loads.length > 0); // true
 * ```
 */
export interface ParseElfOptions {
  /**
   * Segments will be mapped page by page with their permissions (a Linux
   * loader: the default). Then a segment's address and file offset must be
   * congruent modulo the page size, and segments with different permissions
   * must not share a page, and the entry point must be inside one. A boot
   * loader copying segments into RAM (an ELF linked with `-N`; QEMU's
   * load_elf, whose reset vector jumps to DRAM whatever e_entry says) passes
   * false.
   */
  pageMapped?: boolean;
}

/**
 * Parses and validates an ELF executable or shared object. `name` prefixes
 * every error message.
 *
 * @example
 * ```ts ignore
 * import { parseElf } from "./elf.ts";
 * const elf = parseElf(Deno.readFileSync("prog"), "prog");
 * console.log(elf.entry.toString(16), elf.interp);
 * ```
 */
export function parseElf(
  bytes: Uint8Array,
  name: string,
  opts: ParseElfOptions = {},
): ElfFile {
  const fail: Fail = (what) => {
    throw new EmuError(`${name}: invalid ELF file: ${what}`);
  };
  if (bytes.length < 4) fail("truncated (shorter than the ELF magic)");
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new EmuError(`${name}: not an ELF file (bad magic)`);
  }
  const header = readHeader(bytes, fail);
  const segments = readSegments(bytes, header);
  const loads = segments.filter((s) => s.type === PT_LOAD);
  checkLoads(loads, bytes.length, header, opts.pageMapped ?? true, fail);
  return { ...header, segments, loads, interp: readInterp(bytes, segments, fail) };
}

/** Reports a validation failure; never returns. */
type Fail = (what: string) => never;

/** The ELF header's fields, checked. */
type ElfHeader = Omit<ElfFile, "segments" | "loads" | "interp">;

/** Reads and checks the identification bytes and the ELF header. */
function readHeader(bytes: Uint8Array, fail: Fail): ElfHeader {
  if (bytes.length < 16) fail("truncated identification bytes");
  const cls = bytes[4];
  if (cls !== 1 && cls !== 2) fail(`wrong class ${cls} (expected 1 for ELF32 or 2 for ELF64)`);
  if (bytes[5] !== 1) fail(`unsupported data encoding ${bytes[5]} (only little-endian)`);
  if (bytes[6] !== 1) fail(`unsupported ELF version ${bytes[6]}`);
  const is64 = cls === 2;
  const ehsize = is64 ? 64 : 52;
  if (bytes.length < ehsize) fail(`truncated header (${bytes.length} of ${ehsize} bytes)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (o: number) => dv.getUint16(o, true);
  const u32 = (o: number) => dv.getUint32(o, true);
  const addr = (o: number) => is64 ? dv.getBigUint64(o, true) : BigInt(dv.getUint32(o, true));
  const type = u16(16), machine = u16(18);
  if (type !== ET_EXEC && type !== ET_DYN) {
    fail(`type ${type} is not an executable (ET_EXEC) or shared object (ET_DYN)`);
  }
  if (u32(20) !== 1) fail(`unsupported e_version ${u32(20)}`);
  const phoffBig = addr(is64 ? 32 : 28);
  const phentsize = u16(is64 ? 54 : 42), phnum = u16(is64 ? 56 : 44);
  const headerSize = u16(is64 ? 52 : 40);
  if (headerSize !== ehsize) {
    fail(`header size ${headerSize} does not match ELF${is64 ? 64 : 32} (wrong class?)`);
  }
  const wantPhent = is64 ? 56 : 32;
  if (phnum === 0) fail("no program headers");
  if (phentsize !== wantPhent) fail(`program header size ${phentsize} (expected ${wantPhent})`);
  if (phoffBig + BigInt(phnum * phentsize) > BigInt(bytes.length)) {
    fail("program headers extend past the end of the file (truncated)");
  }
  return {
    bytes,
    elfClass: cls as 1 | 2,
    type,
    machine,
    flags: u32(is64 ? 48 : 36),
    entry: addr(24),
    phoff: Number(phoffBig),
    phentsize,
    phnum,
  };
}

/** Reads every program header (the header check made sure they lie inside the file). */
function readSegments(bytes: Uint8Array, h: ElfHeader): ElfSegment[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => dv.getUint32(o, true);
  const u64 = (o: number) => dv.getBigUint64(o, true);
  const segments: ElfSegment[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const o = h.phoff + i * h.phentsize;
    segments.push(
      h.elfClass === 2
        ? {
          type: u32(o),
          flags: u32(o + 4),
          offset: safeNumber(u64(o + 8)),
          vaddr: u64(o + 16),
          paddr: u64(o + 24),
          filesz: safeNumber(u64(o + 32)),
          memsz: u64(o + 40),
          align: u64(o + 48),
        }
        : {
          type: u32(o),
          offset: u32(o + 4),
          vaddr: BigInt(u32(o + 8)),
          paddr: BigInt(u32(o + 12)),
          filesz: u32(o + 16),
          memsz: BigInt(u32(o + 20)),
          flags: u32(o + 24),
          align: BigInt(u32(o + 28)),
        },
    );
  }
  return segments;
}

/** Checks the PT_LOAD segments: inside the file and the address space, in order; the entry. */
function checkLoads(
  loads: ElfSegment[],
  fileSize: number,
  h: ElfHeader,
  pageMapped: boolean,
  fail: Fail,
): void {
  if (loads.length === 0) fail("no loadable (PT_LOAD) segments");
  const addrLimit = h.elfClass === 2 ? 1n << 56n : 1n << 32n;
  let prevEnd = -1n, prevFlags = 0;
  for (const [i, s] of loads.entries()) {
    const what = `PT_LOAD segment ${i}`;
    if (s.offset < 0 || s.filesz < 0 || s.offset + s.filesz > fileSize) {
      fail(
        `${what} lies outside the file (offset ${hexField(s.offset)}, size ${
          hexField(s.filesz)
        }, file size 0x${fileSize.toString(16)})`,
      );
    }
    if (BigInt(s.filesz) > s.memsz) fail(`${what} has filesz > memsz`);
    if (s.vaddr + s.memsz > addrLimit) fail(`${what} extends past the address space`);
    if (s.memsz > MAX_IMAGE_SPAN) fail(`${what} is too large (${s.memsz} bytes)`);
    // an alignment that is not a power of two is ignored, as Linux ignores it
    if (isLoadAlignment(s.align) && s.align > MAX_IMAGE_SPAN) {
      fail(`${what} alignment 0x${s.align.toString(16)} is too large`);
    }
    if (pageMapped && ((s.vaddr - BigInt(s.offset)) & 0xfffn) !== 0n) {
      fail(`${what} address and file offset are not congruent modulo the page size`);
    }
    if (s.vaddr < prevEnd) fail(`${what} overlaps the previous one or is out of order`);
    const sharesPage = (s.vaddr & ~0xfffn) < ((prevEnd + 0xfffn) & ~0xfffn);
    if (pageMapped && i > 0 && sharesPage && s.flags !== prevFlags) {
      fail(`${what} overlaps the previous one in memory (shares a page with other permissions)`);
    }
    prevEnd = s.vaddr + s.memsz;
    prevFlags = s.flags;
  }
  const lo = loads[0].vaddr, hi = prevEnd;
  if (hi - lo > MAX_IMAGE_SPAN) fail(`segments span too much address space (${hi - lo} bytes)`);
  if (pageMapped && !loads.some((s) => h.entry >= s.vaddr && h.entry < s.vaddr + s.memsz)) {
    fail(`entry point 0x${h.entry.toString(16)} is outside every loadable segment`);
  }
}

/** The PT_INTERP path, checked, or null when there is none. */
function readInterp(bytes: Uint8Array, segments: ElfSegment[], fail: Fail): string | null {
  const interps = segments.filter((s) => s.type === PT_INTERP);
  if (interps.length > 1) fail("more than one PT_INTERP");
  if (interps.length === 0) return null;
  const s = interps[0];
  if (s.offset + s.filesz > bytes.length) fail("PT_INTERP lies outside the file");
  if (s.filesz < 2 || s.filesz > 4096) fail(`PT_INTERP has a bad size ${s.filesz}`);
  const raw = bytes.subarray(s.offset, s.offset + s.filesz);
  if (raw[raw.length - 1] !== 0) fail("PT_INTERP is not NUL-terminated");
  if (raw.indexOf(0) !== raw.length - 1) fail("PT_INTERP has an embedded NUL");
  return new TextDecoder().decode(raw.subarray(0, raw.length - 1));
}

/** A file offset or size for a message: {@linkcode safeNumber}'s -1 means "past 2^53". */
/**
 * Whether a PT_LOAD's p_align asks for an alignment: a power of two above 1
 * (Linux ignores any other value, as qemu-user loads such programs).
 *
 * @example
 * ```ts
 * import { isLoadAlignment } from "./elf.ts";
 * console.log(isLoadAlignment(0x1000n), isLoadAlignment(0x3000n)); // true false
 * ```
 */
export function isLoadAlignment(align: bigint): boolean {
  return align > 1n && (align & (align - 1n)) === 0n;
}

function hexField(v: number): string {
  return v < 0 ? "over 2^53" : `0x${v.toString(16)}`;
}

function safeNumber(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
}

/**
 * Reads the symbols of `.symtab` (falling back to `.dynsym` unless `dynsym`
 * is false) from section headers; returns [] when there are none or they are
 * malformed.
 *
 * @example
 * ```ts ignore
 * import { parseElf, readSymbols } from "./elf.ts";
 * const syms = readSymbols(parseElf(Deno.readFileSync("prog"), "prog"));
 * console.log(syms.find((s) => s.name === "main")?.value);
 * ```
 */
export function readSymbols(elf: ElfFile, dynsym = true): ElfSymbol[] {
  const b = elf.bytes, is64 = elf.elfClass === 2;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  try {
    const shoff = Number(is64 ? dv.getBigUint64(40, true) : BigInt(dv.getUint32(32, true)));
    const shentsize = dv.getUint16(is64 ? 58 : 46, true);
    const shnum = dv.getUint16(is64 ? 60 : 48, true);
    if (!shoff || shentsize !== (is64 ? 64 : 40) || shoff + shnum * shentsize > b.length) return [];
    const sec = (i: number) => {
      const o = shoff + i * shentsize;
      const n = (off32: number, off64: number) =>
        is64 ? Number(dv.getBigUint64(o + off64, true)) : dv.getUint32(o + off32, true);
      return {
        type: dv.getUint32(o + 4, true),
        offset: n(16, 24),
        size: n(20, 32),
        link: dv.getUint32(o + (is64 ? 40 : 24), true),
      };
    };
    const secs = Array.from({ length: shnum }, (_, i) => sec(i));
    const tab = secs.find((s) => s.type === 2) ??
      (dynsym ? secs.find((s) => s.type === 11) : undefined);
    if (!tab || tab.link >= shnum) return [];
    const strs = secs[tab.link];
    const entsize = is64 ? 24 : 16;
    const out: ElfSymbol[] = [];
    const dec = new TextDecoder();
    for (
      let o = tab.offset;
      o + entsize <= tab.offset + tab.size && o + entsize <= b.length;
      o += entsize
    ) {
      const nameOff = dv.getUint32(o, true);
      const info = is64 ? b[o + 4] : b[o + 12];
      const value = is64 ? dv.getBigUint64(o + 8, true) : BigInt(dv.getUint32(o + 4, true));
      const size = is64 ? dv.getBigUint64(o + 16, true) : BigInt(dv.getUint32(o + 8, true));
      const start = strs.offset + nameOff;
      if (start >= b.length) continue;
      let end = start;
      while (end < b.length && b[end] !== 0) end++;
      const name = dec.decode(b.subarray(start, end));
      const shndx = dv.getUint16(o + (is64 ? 6 : 14), true);
      if (name) out.push({ name, value, size, type: info & 0xf, shndx });
    }
    return out;
  } catch {
    return [];
  }
}

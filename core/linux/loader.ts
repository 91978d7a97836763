/**
 * The program loader: maps an ELF's PT_LOAD segments with their real
 * permissions (PIE at a fixed base, like QEMU), loads the interpreter, sets
 * up the break, the stack with argv/envp/auxv per the psABI, and the
 * signal-return trampoline page.
 *
 * Layout (64-bit guests): non-PIE programs at their link address, PIE
 * programs at 0x4000000000 (aarch64: 0x5500000000, as qemu-aarch64); mmap
 * searches start above the program (PIE: 32 MiB above its break, leaving
 * room for brk); the 8 MiB stack, the interpreter and the trampoline page
 * take the first free ranges there.
 *
 * @module
 */

import {
  type ElfFile,
  ET_DYN,
  MAX_IMAGE_SPAN,
  PF_R,
  PF_W,
  PF_X,
  PT_GNU_STACK,
  PT_PHDR,
} from "../elf.ts";
import { EmuError } from "../errors.ts";
import { type GuestMemory, Perm } from "../guest_memory.ts";
import { PAGE, pageDown, pageUp } from "./mm.ts";
import type { AddressSpace } from "./mm.ts";

/** Auxiliary vector keys. */
export const AT = {
  NULL: 0,
  PHDR: 3,
  PHENT: 4,
  PHNUM: 5,
  PAGESZ: 6,
  BASE: 7,
  FLAGS: 8,
  ENTRY: 9,
  UID: 11,
  EUID: 12,
  GID: 13,
  EGID: 14,
  PLATFORM: 15,
  HWCAP: 16,
  CLKTCK: 17,
  SECURE: 23,
  RANDOM: 25,
  HWCAP2: 26,
  EXECFN: 31,
} as const;

/** Room kept free for brk above a PIE program. */
export const BRK_RESERVE = 32n << 20n;

/** Where an ELF image ended up. */
export interface LoadedImage {
  bias: bigint;
  entry: bigint;
  /** guest address of the program headers */
  phdr: bigint;
  /** first byte after the highest segment */
  end: bigint;
}

/**
 * The PIE load base for 64- or 32-bit guests (QEMU's TASK_UNMAPPED_BASE), or the machine's own
 * (`mmapBase`: qemu-aarch64's is 0x5500000000).
 *
 * @example
 * ```ts
 * import { mmapBaseFor } from "./loader.ts";
 * console.log(mmapBaseFor(2).toString(16)); // "4000000000"
 * console.log(mmapBaseFor(2, 0x5500000000n).toString(16)); // "5500000000"
 * ```
 */
export function mmapBaseFor(elfClass: 1 | 2, mmapBase?: bigint): bigint {
  return mmapBase ?? (elfClass === 2 ? 0x4000000000n : 0x40000000n);
}

function permsOf(flags: number): number {
  return (flags & PF_R ? Perm.R : 0) | (flags & PF_W ? Perm.W : 0) | (flags & PF_X ? Perm.X : 0);
}

/**
 * Maps the PT_LOAD segments of `elf` at `bias` (0 for ET_EXEC) with their
 * permissions; pages shared by two segments get both segments' permissions.
 *
 * @example
 * ```ts ignore
 * const img = loadImage(addressSpace, parseElf(bytes, "prog"), 0n);
 * ```
 */
export function loadImage(
  as: AddressSpace,
  elf: ElfFile,
  bias: bigint,
  file: ImageFile | null = null,
): LoadedImage {
  const mem = as.mem;
  const pagePerms = new Map<bigint, number>();
  for (const s of elf.loads) {
    const start = pageDown(s.vaddr + bias), end = pageUp(s.vaddr + bias + s.memsz);
    for (let a = start; a < end; a += PAGE) {
      if (!pagePerms.has(a)) as.mapPages(a, PAGE, Perm.R | Perm.W);
      pagePerms.set(a, (pagePerms.get(a) ?? 0) | permsOf(s.flags));
    }
    if (s.filesz > 0) {
      mem.writeBytes(s.vaddr + bias, elf.bytes.subarray(s.offset, s.offset + s.filesz), true);
      const fileEnd = pageUp(s.vaddr + bias + BigInt(s.filesz));
      const offset = BigInt(s.offset) & ~(PAGE - 1n);
      if (file) as.setSource(start, fileEnd - start, { ...file, offset, shared: false });
    }
  }
  for (const [a, p] of pagePerms) mem.protect(a, PAGE, p);
  reserveHoles(as, elf, bias);
  const last = elf.loads[elf.loads.length - 1];
  const phdrSeg = elf.segments.find((s) => s.type === PT_PHDR);
  let phdr = 0n;
  if (phdrSeg) phdr = phdrSeg.vaddr + bias;
  else {
    const holder = elf.loads.find((s) =>
      elf.phoff >= s.offset && elf.phoff + elf.phnum * elf.phentsize <= s.offset + s.filesz
    );
    if (holder) phdr = holder.vaddr + BigInt(elf.phoff - holder.offset) + bias;
  }
  return { bias, entry: elf.entry + bias, phdr, end: last.vaddr + last.memsz + bias };
}

/**
 * Maps the pages between an image's segments without access, as qemu-user reserves the whole
 * span of an image before it maps the segments (so mmap does not fill the holes, and
 * /proc/self/maps shows them as `---p`). A hole larger than an image may span stays unmapped.
 */
function reserveHoles(as: AddressSpace, elf: ElfFile, bias: bigint): void {
  for (let i = 1; i < elf.loads.length; i++) {
    const prev = elf.loads[i - 1], next = elf.loads[i];
    const from = pageUp(prev.vaddr + prev.memsz + bias), to = pageDown(next.vaddr + bias);
    if (from < to && to - from <= MAX_IMAGE_SPAN && as.isFree(from, to - from)) {
      as.mapPages(from, to - from, 0); // PROT_NONE
    }
  }
}

/** The file an image is loaded from, as /proc/self/maps names it. */
export interface ImageFile {
  /** its guest path */
  name: string;
  dev: bigint;
  ino: bigint;
}

/** The {@linkcode ImageFile} of host file `host`, known to the guest as `name`. */
export function imageFile(name: string, host: string): ImageFile {
  try {
    const st = Deno.statSync(host);
    return { name, dev: BigInt(st.dev ?? 0), ino: BigInt(st.ino ?? 0) };
  } catch {
    return { name, dev: 0n, ino: 0n };
  }
}

/** The span of address space an image needs, from its first page. */
export function imageSpan(elf: ElfFile): { lo: bigint; size: bigint } {
  const lo = pageDown(elf.loads[0].vaddr);
  const last = elf.loads[elf.loads.length - 1];
  return { lo, size: pageUp(last.vaddr + last.memsz) - lo };
}

/**
 * Loads an ELF where mmap would place it (ET_DYN; with `brkRoom` more bytes free above it) or at
 * its link address (ET_EXEC). A p_align above the page size is not kept,
 * as qemu-user 7.2 does not keep it: aarch64's ld.so (p_align 64 KiB) lands
 * on the page after the stack, where qemu-aarch64 puts it.
 */
export function loadAnywhere(
  as: AddressSpace,
  elf: ElfFile,
  file: ImageFile | null = null,
  brkRoom = 0n,
): LoadedImage {
  if (elf.type !== ET_DYN) return loadImage(as, elf, 0n, file);
  const { lo, size } = imageSpan(elf);
  return loadImage(as, elf, as.findVma(size + brkRoom) - lo, file);
}

/** Everything the initial stack holds. */
export interface StackContents {
  argv: string[];
  env: string[];
  execfn: string;
  /** 16 bytes for AT_RANDOM */
  random: Uint8Array;
  /** auxv entries except AT_RANDOM, AT_EXECFN and AT_NULL (added here) */
  auxv: [number, bigint][];
  /** AT_PLATFORM string, if any */
  platform?: string;
}

/**
 * Maps the stack below `top` and writes argc, argv, envp and auxv per the
 * psABI; returns the initial stack pointer (16-byte aligned, at argc).
 *
 * @example
 * ```ts ignore
 * const sp = buildStack(mem, top, 8, { argv: ["prog"], env: [], execfn: "prog", random, auxv: [] });
 * ```
 */
export function buildStack(
  mem: GuestMemory,
  top: bigint,
  ptrSize: 4 | 8,
  c: StackContents,
): bigint {
  const enc = new TextEncoder();
  let sp = top - BigInt(ptrSize);
  const putString = (s: string): bigint => {
    const b = enc.encode(s + "\0");
    sp -= BigInt(b.length);
    mem.writeBytes(sp, b, true);
    return sp;
  };
  const execfn = putString(c.execfn);
  const envp = [...c.env].reverse().map(putString).reverse();
  const argv = [...c.argv].reverse().map(putString).reverse();
  const platform = c.platform ? putString(c.platform) : 0n;
  sp = sp & ~15n;
  sp -= 16n;
  const random = sp;
  mem.writeBytes(random, c.random.subarray(0, 16), true);
  const auxv: [number, bigint][] = [...c.auxv];
  if (platform) auxv.push([AT.PLATFORM, platform]);
  auxv.push([AT.RANDOM, random], [AT.SECURE, 0n], [AT.EXECFN, execfn], [AT.NULL, 0n]);
  auxv.sort((x, y) => order(x[0]) - order(y[0]));
  const words: bigint[] = [BigInt(c.argv.length), ...argv, 0n, ...envp, 0n];
  for (const [k, v] of auxv) words.push(BigInt(k), v);
  sp -= BigInt(words.length * ptrSize);
  sp &= ~15n;
  const buf = new Uint8Array(words.length * ptrSize);
  const dv = new DataView(buf.buffer);
  words.forEach((w, i) => {
    if (ptrSize === 8) dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true);
    else dv.setUint32(i * 4, Number(BigInt.asUintN(32, w)), true);
  });
  mem.writeBytes(sp, buf, true);
  return sp;
}

// QEMU's auxv order: PHDR PHENT PHNUM PAGESZ BASE FLAGS ENTRY UID EUID GID EGID HWCAP CLKTCK
// RANDOM SECURE EXECFN HWCAP2 PLATFORM (where Linux has one), then AT_NULL.
const ORDER = [3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 25, 23, 31, 26, 15, 0];
function order(k: number): number {
  const i = ORDER.indexOf(k);
  return i < 0 ? ORDER.length - 1 : i;
}

/**
 * The stack size for `-s SIZE`: at least 128 KiB and whole pages, as QEMU's loader makes it, and
 * within the guest's memory ceiling (8 MiB without `-s`).
 *
 * @example
 * ```ts
 * import { stackSize } from "./loader.ts";
 * console.log(stackSize(1000n, 1n << 31n), stackSize(undefined, 1n << 31n)); // 131072n 8388608n
 * ```
 */
export function stackSize(requested: bigint | undefined, memoryLimit: bigint): bigint {
  if (requested === undefined) return 8n << 20n;
  const size = pageUp(requested > 32n * PAGE ? requested : 32n * PAGE);
  if (size + PAGE > memoryLimit) {
    throw new EmuError(`stack size ${requested} bytes is over the guest's memory ceiling`);
  }
  return size;
}

/**
 * Maps the stack (`as.stackSize`, 8 MiB unless `-s` says, plus a PROT_NONE guard page) at the
 * first free place from `from`, executable when `exec` (the program's PT_GNU_STACK asks).
 */
export function mapStack(as: AddressSpace, exec = false): bigint {
  const size = as.stackSize;
  const base = as.findVma(size + PAGE);
  as.mapPages(base, PAGE, 0);
  as.mapPages(base + PAGE, size, Perm.R | Perm.W | (exec ? Perm.X : 0));
  as.stack = { lo: base + PAGE, hi: base + PAGE + size };
  return as.stack.hi;
}

/**
 * Whether `elf` asks for an executable stack: its PT_GNU_STACK has PF_X (no
 * PT_GNU_STACK: not executable, riscv's default).
 */
export function wantsExecStack(elf: ElfFile): boolean {
  const s = elf.segments.find((s) => s.type === PT_GNU_STACK);
  return s !== undefined && (s.flags & PF_X) !== 0;
}

/** Maps one read+execute page holding `code`; returns its address. */
export function mapTrampoline(as: AddressSpace, code: Uint8Array): bigint {
  const at = as.findVma(PAGE);
  as.mapPages(at, PAGE, Perm.R | Perm.X);
  as.mem.writeBytes(at, code, true);
  return at;
}

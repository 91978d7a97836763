/**
 * Boot-time placement for the virt board, following QEMU's RISC-V boot
 * rules: images (ELF by program headers, else raw), the reset vector in the
 * mask ROM, OpenSBI's `fw_dynamic_info`, and where the kernel, initrd and
 * device tree go in DRAM.
 *
 * @module
 */

import {
  EmuError,
  GuestFault,
  hex,
  type ModuleList,
  parseElf,
  type PhysicalBus,
} from "../../../plugin.ts";

const MiB = 1n << 20n;
const EM_RISCV = 243;

/** Where an image landed. */
export interface LoadedImage {
  /** lowest loaded address */
  low: bigint;
  /** one past the highest loaded address */
  high: bigint;
  elf: boolean;
}

/** `v` rounded up to a multiple of `align` (a power of two). */
export function alignUp(v: bigint, align: bigint): bigint {
  return (v + align - 1n) & ~(align - 1n);
}

/** `v` rounded down to a multiple of `align` (a power of two). */
export function alignDown(v: bigint, align: bigint): bigint {
  return v & ~(align - 1n);
}

function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c &&
    bytes[3] === 0x46;
}

function write(bus: PhysicalBus, what: string, addr: bigint, data: Uint8Array, name: string): void {
  try {
    bus.loadImage(addr, data, name);
  } catch (e) {
    if (!(e instanceof GuestFault)) throw e;
    throw new EmuError(
      `${what}: [${hex(addr)}, ${
        hex(addr + BigInt(data.length))
      }) is not inside the machine's memory`,
      "raise -m, or check that the image is built for this board's DRAM at 0x80000000",
    );
  }
}

/**
 * Loads an ELF by its PT_LOAD segments at their physical addresses (zeroing the rest of each),
 * or a raw image at `rawAddr`. An ELF image is added to `image.modules`
 * (as file `image.path`).
 *
 * @example
 * ```ts ignore
 * const fw = loadImage(bus, await Deno.readFile("fw_jump.bin"), "-bios fw_jump.bin", 0x80000000n);
 * console.log(hex(fw.high));
 * ```
 */
export function loadImage(
  bus: PhysicalBus,
  bytes: Uint8Array,
  what: string,
  rawAddr: bigint,
  image?: { path: string; modules?: ModuleList },
): LoadedImage {
  if (!isElf(bytes)) {
    write(bus, what, rawAddr, bytes, image?.path ?? what);
    const high = rawAddr + BigInt(bytes.length);
    return { low: rawAddr, high, elf: false };
  }
  // Copied into RAM, not mapped: a -N (OMAGIC) kernel boots, as on qemu-system-riscv64.
  const elf = parseElf(bytes, what, { pageMapped: false });
  if (elf.machine !== EM_RISCV) {
    throw new EmuError(`${what}: not a RISC-V ELF (e_machine ${elf.machine})`);
  }
  if (image) image.modules?.add(image.path, elf, 0n, "system");
  let low = -1n, high = 0n;
  for (const s of elf.loads) {
    if (s.memsz === 0n) continue;
    const data = new Uint8Array(Number(s.memsz));
    data.set(bytes.subarray(s.offset, s.offset + s.filesz));
    // QEMU's name of the ROM blob (info roms): the file and the program header's index
    const name = `${image?.path ?? what} ELF program header segment ${elf.segments.indexOf(s)}`;
    // at its physical address, as QEMU's load_elf (p_vaddr may be where the MMU maps it)
    write(bus, what, s.paddr, data, name);
    if (low < 0n || s.paddr < low) low = s.paddr;
    if (s.paddr + s.memsz > high) high = s.paddr + s.memsz;
  }
  return { low, high, elf: true };
}

/**
 * Where a kernel goes after firmware that ends at `firmwareEnd`: the next
 * 2 MiB boundary (rv64).
 */
export function kernelStart(firmwareEnd: bigint): bigint {
  return alignUp(firmwareEnd, 2n * MiB);
}

/** Where the initrd goes: halfway into RAM, at most 512 MiB above the kernel. */
export function initrdStart(kernelLow: bigint, ramSize: bigint): bigint {
  const half = ramSize / 2n;
  return kernelLow + (half < 512n * MiB ? half : 512n * MiB);
}

/** Where the device tree goes: the last 2 MiB-aligned spot that holds it below the end of DRAM. */
export function fdtAddress(dramEnd: bigint, fdtSize: number): bigint {
  return alignDown(dramEnd - BigInt(fdtSize), 2n * MiB);
}

// RISC-V instruction encoders for the reset vector.
const I = (imm: number, rs1: number, f3: number, rd: number, op: number) =>
  ((imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op) >>> 0;
const T0 = 5, A0 = 10, A1 = 11, A2 = 12, ZERO = 0;
const CSR_MHARTID = 0xf14;
/** Bytes of the reset vector; `fw_dynamic_info` follows it. */
export const RESET_VECTOR_SIZE = 40;

/**
 * The reset vector, as QEMU's: a0 = mhartid, a1 = the FDT address,
 * a2 = the address of `fw_dynamic_info` (right after this code), then a
 * jump to `startAddr`. Both addresses are stored as data words after the
 * code.
 *
 * @example
 * ```ts
 * import { resetVector } from "./boot.ts";
 * console.log(resetVector(0x80000000n, 0x8fe00000n).length); // 40
 * ```
 */
export function resetVector(startAddr: bigint, fdtAddr: bigint): Uint8Array {
  const words = [
    (T0 << 7 | 0x17) >>> 0, // auipc t0, 0
    I(RESET_VECTOR_SIZE, T0, 0, A2, 0x13), // addi a2, t0, 40: &fw_dynamic_info
    I(CSR_MHARTID, ZERO, 2, A0, 0x73), // csrr a0, mhartid
    I(32, T0, 3, A1, 0x03), // ld a1, 32(t0): the FDT address
    I(24, T0, 3, T0, 0x03), // ld t0, 24(t0): the start address
    I(0, T0, 0, ZERO, 0x67), // jr t0
  ];
  const out = new Uint8Array(RESET_VECTOR_SIZE);
  const dv = new DataView(out.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  dv.setBigUint64(24, startAddr, true);
  dv.setBigUint64(32, fdtAddr, true);
  return out;
}

/** OpenSBI's fw_dynamic_info magic ("OSBI") and the version QEMU writes. */
const FW_DYNAMIC_MAGIC = 0x4942534fn, FW_DYNAMIC_VERSION = 2n;
/** Privilege mode of the next stage: supervisor. */
const NEXT_MODE_S = 1n;

/**
 * OpenSBI's `fw_dynamic_info` (rv64): magic, version, the next stage's
 * address and mode (S), options, boot hart. fw_jump ignores it; fw_dynamic
 * jumps to `nextAddr`.
 *
 * @example
 * ```ts
 * import { fwDynamicInfo } from "./boot.ts";
 * console.log(fwDynamicInfo(0x80200000n).length); // 48
 * ```
 */
export function fwDynamicInfo(nextAddr: bigint): Uint8Array {
  const out = new Uint8Array(48);
  const dv = new DataView(out.buffer);
  [FW_DYNAMIC_MAGIC, FW_DYNAMIC_VERSION, nextAddr, NEXT_MODE_S, 0n, 0n].forEach((v, i) =>
    dv.setBigUint64(i * 8, v, true)
  );
  return out;
}

/**
 * QEMU 7.2's virt device tree is a 1 MiB blob (its `fdt` ROM, as `info roms` shows it) whatever
 * the tree's size: that is the room its overlap check counts.
 */
const FDT_ROM_SIZE = MiB;

/**
 * Refuses images that overlap, as QEMU does before it starts ("Some ROM regions are
 * overlapping"): a kernel loaded where the device tree goes in a small RAM, an initrd over the
 * kernel. `images` are the bus's, named as QEMU names its ROMs; the generated device tree (`fdt`,
 * unless `-dtb` gave it) spans {@linkcode FDT_ROM_SIZE}.
 *
 * @example
 * ```ts
 * import { checkOverlaps } from "./boot.ts";
 * const kernel = { addr: 0x80000000n, data: new Uint8Array(0x944), name: "k.elf" };
 * checkOverlaps([kernel, { addr: 0x80200000n, data: new Uint8Array(64), name: "fdt" }], true);
 * try {
 *   checkOverlaps([kernel, { addr: 0x80000000n, data: new Uint8Array(64), name: "fdt" }], true);
 * } catch (e) {
 *   console.log((e as Error).message.split(":")[0]); // Some ROM regions are overlapping
 * }
 * ```
 */
export function checkOverlaps(
  images: readonly { addr: bigint; data: Uint8Array; name?: string }[],
  generatedFdt: boolean,
): void {
  const spans = images.map(({ addr, data, name = "image" }) => {
    const size = BigInt(data.length);
    const room = generatedFdt && name === "fdt" && size < FDT_ROM_SIZE ? FDT_ROM_SIZE : size;
    return { name, lo: addr, hi: addr + room };
  }).filter((s) => s.hi > s.lo).sort((a, b) => a.lo < b.lo ? -1 : a.lo > b.lo ? 1 : 0);
  for (let i = 1; i < spans.length; i++) {
    const [a, b] = [spans[i - 1], spans[i]];
    if (b.lo >= a.hi) continue;
    throw new EmuError(
      `Some ROM regions are overlapping: ${a.name} (${hex(a.lo)}-${hex(a.hi)}) and ${b.name} ` +
        `(${hex(b.lo)}-${hex(b.hi)})`,
      "raise -m, or load the images where they do not overlap",
    );
  }
}

/**
 * The monitor's `info mem`: hart 0's page tables as QEMU 7.2's RISC-V
 * `hmp_info_mem` (target/riscv/monitor.c) prints them, one line per run of
 * leaf PTEs that map contiguous virtual to contiguous physical pages with the
 * same attribute byte: `vaddr paddr size attr`, attr as `rwxugad`; on RV32
 * vaddr and size have 8 digits, as qemu-system-riscv32 prints them.
 *
 * @module
 */

/** A paging scheme as the walk needs it. */
interface Scheme {
  levels: number;
  /** index bits per level */
  idxBits: number;
  /** bytes per PTE */
  pteSize: number;
}

const PAGE_SHIFT = 12n;
const PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8;
const ATTR_CHARS = ["r", "w", "x", "u", "g", "a", "d"];
const hex = (v: bigint, digits: number) => BigInt.asUintN(64, v).toString(16).padStart(digits, "0");

/** satp's MODE (RV64) to its scheme; RV32's Sv32 is `mode` 1 of its 1-bit field. */
const RV64_SCHEMES: Record<number, Scheme> = {
  8: { levels: 3, idxBits: 9, pteSize: 8 },
  9: { levels: 4, idxBits: 9, pteSize: 8 },
  10: { levels: 5, idxBits: 9, pteSize: 8 },
};
const SV32: Scheme = { levels: 2, idxBits: 10, pteSize: 4 };

/** The run of leaf pages being gathered, and the walk's reading of physical memory. */
interface Walk {
  read: (addr: bigint, size: number) => bigint;
  vaBits: number;
  /** hex digits of a virtual address and a size (QEMU's target_ulong); paddr has 16 */
  digits: number;
  lines: string[];
  vbase: bigint;
  pbase: bigint;
  lastPaddr: bigint;
  lastSize: bigint;
  lastAttr: number;
}

/**
 * `info mem` for a hart whose satp is `satp` (`xlen` 32 or 64), reading PTEs
 * with `read` (physical, little-endian; absent memory reads as 0, as QEMU's
 * `cpu_physical_memory_read` gives).
 *
 * @example
 * ```ts
 * import { infoMem } from "./monitor_mem.ts";
 * console.log(infoMem(0n, 64, () => 0n)); // No translation or protection
 * ```
 */
export function infoMem(
  satp: bigint,
  xlen: 32 | 64,
  read: (addr: bigint, size: number) => bigint,
): string {
  const scheme = xlen === 32
    ? ((satp >> 31n) & 1n ? SV32 : undefined)
    : RV64_SCHEMES[Number((satp >> 60n) & 0xfn)];
  if (!scheme) return "No translation or protection";
  const ppn = xlen === 32 ? satp & 0x3fffffn : satp & ((1n << 44n) - 1n);
  const digits = xlen / 4, dashes = "-".repeat(digits);
  const w: Walk = {
    read,
    vaBits: Number(PAGE_SHIFT) + scheme.levels * scheme.idxBits,
    digits,
    lines: [
      `${"vaddr".padEnd(digits)} paddr            ${"size".padEnd(digits)} attr`,
      `${dashes} ---------------- ${dashes} -------`,
    ],
    vbase: -1n,
    pbase: -1n,
    lastPaddr: -1n,
    lastSize: 0n,
    lastAttr: 0,
  };
  walkTable(w, scheme, ppn << PAGE_SHIFT, 0n, scheme.levels - 1);
  printRun(w);
  return w.lines.join("\r\n");
}

/**
 * The table at `base` mapping from `start`, a level down at each pointer. As in QEMU, a run
 * also ends at the first leaf of each table walked (its own `lastStart` begins at -1).
 */
function walkTable(w: Walk, s: Scheme, base: bigint, start: bigint, level: number): void {
  const pageSize = 1n << (PAGE_SHIFT + BigInt(level * s.idxBits));
  let lastStart = -1n;
  for (let idx = 0; idx < 1 << s.idxBits; idx++, start += pageSize) {
    const pte = w.read(base + BigInt(idx * s.pteSize), s.pteSize);
    const paddr = BigInt.asUintN(64, (pte >> 10n) << PAGE_SHIFT);
    const attr = Number(pte & 0xffn);
    if (!(attr & PTE_V)) continue;
    if (!(attr & (PTE_R | PTE_W | PTE_X))) {
      if (level > 0) walkTable(w, s, paddr, start, level - 1);
      continue;
    }
    if (
      w.lastAttr !== attr || w.lastPaddr + w.lastSize !== paddr ||
      lastStart + w.lastSize !== start
    ) {
      printRun(w);
      w.vbase = start;
      w.pbase = paddr;
      w.lastAttr = attr;
    }
    lastStart = start;
    w.lastPaddr = paddr;
    w.lastSize = pageSize;
  }
}

/** Prints the run gathered so far (none before the first leaf), its address made canonical. */
function printRun(w: Walk): void {
  const size = w.lastPaddr + w.lastSize - w.pbase;
  const top = 1n << BigInt(w.vaBits - 1);
  if (w.vbase < 0n || w.vbase >= top * 2n || size === 0n) return;
  // QEMU makes an RV64 address canonical (sign-extended from the top VA bit)
  const vaddr = w.digits === 16 && w.vbase & top ? w.vbase - top * 2n : w.vbase;
  const attr = ATTR_CHARS.map((c, b) => w.lastAttr & (2 << b) ? c : "-").join("");
  w.lines.push(`${hex(vaddr, w.digits)} ${hex(w.pbase, 16)} ${hex(size, w.digits)} ${attr}`);
}

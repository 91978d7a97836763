/**
 * The `-d page` log item of user mode, as qemu-riscv64 7.2 writes it: the
 * guest's page map once the program is loaded (with the image's addresses
 * after it), then again after each mmap and each brk that maps pages. A map
 * is QEMU's `page_dump`: a header, then one `start-end size prot` line per
 * run of pages with the same protection that are all anonymous or all from
 * files (QEMU keeps that apart in its page flags). QEMU's lines about the
 * host (`host mmap_min_addr`, `guest_base`, where it put the guest) and the
 * maps after its loader's own mmaps are not written: Denemu has no host
 * mapping, and its loader maps the images without mmap calls.
 *
 * @module
 */

import type { ElfFile } from "../elf.ts";
import type { LinuxProcess } from "./process.ts";
import { PAGE } from "./mm.ts";

const PERM_CHARS = ["r", "w", "x"];
const hex16 = (v: bigint) => v.toString(16).padStart(16, "0");

/** `p`'s page map as QEMU's `page_dump` prints it. */
function pageDump(p: LinuxProcess): string[] {
  const lines = ["start            end              size             prot"];
  const pns = [...p.mem.pages.keys()].sort((x, y) => x - y);
  const kind = (pn: number) => `${p.as.permsOf(pn)}${p.as.sources.get(pn)?.ino ? "f" : "a"}`;
  for (let i = 0, j: number; i < pns.length; i = j) {
    const k = kind(pns[i]);
    for (j = i + 1; j < pns.length && pns[j] === pns[j - 1] + 1 && kind(pns[j]) === k;) j++;
    const lo = BigInt(pns[i]) * PAGE, hi = BigInt(pns[j - 1] + 1) * PAGE;
    const perms = p.as.permsOf(pns[i]);
    const prot = PERM_CHARS.map((c, b) => perms & (1 << b) ? c : "-").join("");
    lines.push(`${hex16(lo)}-${hex16(hi)} ${hex16(hi - lo)} ${prot}`);
  }
  return lines;
}

/**
 * Writes `p`'s page map after `operation` ("mmap", "binary load") when `-d page` asks for it.
 *
 * @example
 * ```ts ignore
 * logPageLayout(p, "mmap");
 * ```
 */
export function logPageLayout(p: LinuxProcess, operation: string): void {
  if (!p.log?.categories.has("page")) return;
  p.log.write([`page layout changed following ${operation}`, ...pageDump(p)].join("\n"));
}

/** Where the program's image and its first stack are, for the `binary load` map. */
export interface LoadedProgram {
  elf: ElfFile;
  bias: bigint;
  /** the first instruction run (the interpreter's entry for a dynamic program) */
  entry: bigint;
  /** the initial stack pointer, at argc */
  sp: bigint;
  argc: number;
  envc: number;
}

/**
 * Writes the `binary load` map and QEMU's lines about the image (its code and
 * data ranges from the PT_LOAD segments, the break at the end of the last,
 * the stack's argv, envp and auxv) when `-d page` asks for it. QEMU 7.2
 * prints `start_brk` as 0, never having set it: so does this.
 */
export function logBinaryLoad(p: LinuxProcess, img: LoadedProgram): void {
  if (!p.log?.categories.has("page")) return;
  logPageLayout(p, "binary load");
  const ptr = BigInt(p.cpu.target.xlen / 8);
  let startCode = -1n, endCode = 0n, startData = -1n, endData = 0n, brk = 0n;
  for (const s of img.elf.loads) {
    const start = s.vaddr + img.bias, fileEnd = start + BigInt(s.filesz);
    const memEnd = start + s.memsz;
    if (s.flags & 1) { // PF_X
      if (startCode < 0n || start < startCode) startCode = start;
      if (fileEnd > endCode) endCode = fileEnd;
    }
    if (s.flags & 2) { // PF_W
      if (startData < 0n || start < startData) startData = start;
      if (fileEnd > endData) endData = fileEnd;
    }
    if (memEnd > brk) brk = memEnd;
  }
  const argv = img.sp + ptr, env = argv + ptr * BigInt(img.argc + 1);
  const fields: [string, bigint][] = [
    ["start_brk", 0n],
    ["end_code", endCode],
    ["start_code", startCode],
    ["start_data", startData],
    ["end_data", endData],
    ["start_stack", img.sp],
    ["brk", brk],
    ["entry", img.entry],
    ["argv_start", argv],
    ["env_start", env],
    ["auxv_start", env + ptr * BigInt(img.envc + 1)],
  ];
  p.log.write(fields.map(([name, v]) => `${name.padEnd(11)} 0x${hex16(v)}`).join("\n"));
}

/**
 * ELF symbols and image bounds as a machine reports them: to scripts
 * (`symbol`, `symbolAt`), to tool plugins (`ToolContext.symbol`, `binary`)
 * and to the hooks' disassembly.
 *
 * @module
 */

import { type ElfFile, type ElfSymbol, readSymbols } from "../elf.ts";
import type { ToolBinary } from "../plugin.ts";

/** The named symbols of `elf`, moved by `bias` (a PIE's load address). */
export function loadedSymbols(elf: ElfFile, bias = 0n): ElfSymbol[] {
  return readSymbols(elf).filter((s) => s.name !== "" && !s.name.startsWith("$")).map((s) =>
    bias && s.value ? { ...s, value: s.value + bias } : s
  );
}

/** The image's path and executable range as loaded (QEMU's start_code/end_code). */
export function loadedBounds(elf: ElfFile, bias: bigint, path: string): ToolBinary | undefined {
  const exec = elf.loads.filter((s) => s.flags & 1); // PF_X
  const segs = exec.length ? exec : elf.loads;
  if (!segs.length) return undefined;
  const start = segs.reduce((a, s) => s.vaddr < a ? s.vaddr : a, segs[0].vaddr);
  const end = segs.reduce((a, s) => s.vaddr + s.memsz > a ? s.vaddr + s.memsz : a, 0n);
  return { path, start: start + bias, end: end + bias, entry: elf.entry + bias };
}

/** The function symbol containing `pc`, as `name+0xoff`, if any. */
export function symbolAt(symbols: ElfSymbol[], pc: bigint): string | undefined {
  let best: ElfSymbol | undefined;
  for (const s of symbols) {
    if (s.value <= pc && pc < s.value + (s.size || 1n) && (!best || s.value > best.value)) {
      best = s;
    }
  }
  if (!best) return undefined;
  return pc === best.value ? best.name : `${best.name}+0x${(pc - best.value).toString(16)}`;
}

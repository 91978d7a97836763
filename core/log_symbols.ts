/**
 * The function names of QEMU's logs (`-d in_asm`'s `IN:` line, `-d exec`'s
 * Trace lines): QEMU 7.2 keeps, of each image its ELF loader loads, the
 * defined `STT_FUNC` symbols of `.symtab`, sorted by address, and finds an
 * address by binary search among their `[value, value + size)` ranges. A
 * size-0 function names nothing in user mode; in system mode it reaches the
 * next function. Of aliases (one address, several names) the search's first
 * hit wins, so the table is kept in QEMU's order: the filter moves the last
 * symbol into each dropped one's place, then a stable sort (glibc's qsort is
 * a merge sort), then glibc's bsearch.
 *
 * @module
 */

import { type ElfFile, type ElfSymbol, readSymbols } from "./elf.ts";

const STT_FUNC = 2;
const SHN_LORESERVE = 0xff00;

/** How QEMU's loader treats size-0 functions: `user` drops them, `system` sizes them to the next. */
export type LogSymbolKind = "user" | "system";

/**
 * One image's symbols as QEMU's logs see them.
 *
 * @example
 * ```ts
 * import { parseElf } from "./elf.ts";
 * import { LogSymbols } from "./log_symbols.ts";
 * const path = "tests/guests/bin/hello.static.O2";
 * const t = new LogSymbols(parseElf(Deno.readFileSync(path), path), 0n, "user");
 * console.log(t.nameAt(t.address("main")! + 4n)); // main
 * ```
 */
export class LogSymbols {
  readonly #syms: ElfSymbol[];

  /** The table of `elf` loaded `bias` bytes above its link addresses. */
  constructor(elf: ElfFile, bias: bigint, kind: LogSymbolKind) {
    const syms = readSymbols(elf, false);
    let n = syms.length;
    for (let i = 0; i < n;) {
      const s = syms[i];
      if (s.type === STT_FUNC && s.shndx !== 0 && (s.shndx ?? 0) < SHN_LORESERVE) i++;
      else if (i < --n) syms[i] = syms[n];
    }
    syms.length = n;
    this.#syms = syms.map((s) => ({ ...s, value: s.value + bias }))
      .sort((a, b) => a.value < b.value ? -1 : a.value > b.value ? 1 : 0);
    if (kind === "system") {
      for (const [i, s] of this.#syms.entries()) {
        const next = this.#syms[i + 1];
        if (s.size === 0n && next) s.size = next.value - s.value;
      }
    }
  }

  /** The address of function `name`, if it is in the table. */
  address(name: string): bigint | undefined {
    return this.#syms.find((s) => s.name === name)?.value;
  }

  /** The name of the function whose range holds `pc`, found as glibc's bsearch finds it. */
  nameAt(pc: bigint): string | undefined {
    let lo = 0, hi = this.#syms.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1, s = this.#syms[mid];
      if (pc < s.value) hi = mid;
      else if (pc >= s.value + s.size) lo = mid + 1;
      else return s.name;
    }
    return undefined;
  }
}

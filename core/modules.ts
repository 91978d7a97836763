/**
 * Loaded modules: the ELF images in a guest's address space. In user mode the
 * program, its dynamic loader and each shared library (seen when the loader
 * maps a file with execute permission); in system mode the `-bios`,
 * `-kernel` and loader ELF images. Each has its path, where it was loaded,
 * its segments and its symbols; observers hear of each module as it is
 * mapped (the hooks' `module_load` event). Tools that name code (`drcov`,
 * call traces, coverage) use this list instead of the main program alone.
 *
 * @module
 */

import { type ElfFile, type ElfSymbol, readSymbols } from "./elf.ts";
import { LogSymbols } from "./log_symbols.ts";

const PF_X = 1;

/**
 * A loaded segment of a module, at its run-time address.
 *
 * @example
 * ```ts
 * import { createMachine } from "../mod.ts";
 * const m = await createMachine({ program: "tests/guests/bin/hello.static.O2" });
 * const text = m.modules.list[0].segments.find((s) => s.flags & 1); // PF_X
 * console.log(text!.start < text!.end); // true
 * ```
 */
export interface ModuleSegment {
  /** its first address */
  start: bigint;
  /** first address after it */
  end: bigint;
  /** ELF PF_* bits: 1 execute, 2 write, 4 read */
  flags: number;
}

/**
 * One ELF image as loaded.
 *
 * @example
 * ```ts
 * import { createMachine } from "../mod.ts";
 * const m = await createMachine({ program: "tests/guests/bin/hello.static.O2" });
 * const main = m.modules.list[0];
 * console.log(main.path.endsWith("hello.static.O2"), main.symbolAt(main.entry)); // true _start
 * ```
 */
export class LoadedModule {
  /** the lowest address of its executable segments (QEMU's start_code) */
  readonly start: bigint;
  /** the first address after its executable segments (end_code) */
  readonly end: bigint;
  /** its entry point at run time */
  readonly entry: bigint;
  /** its PT_LOAD segments at run time */
  readonly segments: ModuleSegment[];
  #symbols: ElfSymbol[] | null = null;
  #logSymbols: LogSymbols | undefined;

  /** Describes `elf`, loaded at `bias`, as module `id` of a list. */
  constructor(
    /** position in the module list (drcov's module id) */
    readonly id: number,
    /** host path of the file */
    readonly path: string,
    /** what was added to the ELF's addresses when it was loaded (0 for fixed-address images) */
    readonly bias: bigint,
    readonly elf: ElfFile,
    /** how QEMU's ELF loader would read its symbols for the logs; none for an mmapped library */
    readonly logKind?: "user" | "system",
  ) {
    this.segments = elf.loads.map((s) => ({
      start: s.vaddr + bias,
      end: s.vaddr + s.memsz + bias,
      flags: s.flags,
    }));
    const exec = this.segments.filter((s) => s.flags & PF_X);
    const code = exec.length ? exec : this.segments;
    this.start = code.reduce((a, s) => s.start < a ? s.start : a, code[0]?.start ?? bias);
    this.end = code.reduce((a, s) => s.end > a ? s.end : a, this.start);
    this.entry = elf.entry + bias;
  }

  /** Its named symbols, at their run-time addresses. */
  get symbols(): ElfSymbol[] {
    this.#symbols ??= readSymbols(this.elf)
      .filter((s) => s.name !== "" && !s.name.startsWith("$"))
      .map((s) => (this.bias && s.value ? { ...s, value: s.value + this.bias } : s));
    return this.#symbols;
  }

  /** The function at `pc` as QEMU's `-d` logs name it (none in an image QEMU's loader did not load). */
  logNameAt(pc: bigint): string | undefined {
    if (this.logKind) this.#logSymbols ??= new LogSymbols(this.elf, this.bias, this.logKind);
    return this.#logSymbols?.nameAt(pc);
  }

  /** Whether `pc` is in one of its segments. */
  contains(pc: bigint): boolean {
    return this.segments.some((s) => pc >= s.start && pc < s.end);
  }

  /** The symbol containing `pc`, as `name` or `name+0xoff`, if any. */
  symbolAt(pc: bigint): string | undefined {
    let best: ElfSymbol | undefined;
    for (const s of this.symbols) {
      if (s.value <= pc && pc < s.value + (s.size || 1n) && (!best || s.value > best.value)) {
        best = s;
      }
    }
    if (!best) return undefined;
    return pc === best.value ? best.name : `${best.name}+0x${(pc - best.value).toString(16)}`;
  }
}

/**
 * Hears of each module as it is loaded.
 *
 * @example
 * ```ts
 * import { createMachine } from "../mod.ts";
 * const m = await createMachine({ program: "tests/guests/bin/hello.dynamic.O2" });
 * const paths: string[] = [];
 * m.modules.observers.push({ onLoad: (mod) => void paths.push(mod.path) });
 * for await (const _ of m.run());
 * // the program and its interpreter were loaded by createMachine, libc at run time:
 * console.log(paths.map((p) => p.split("/").at(-1))); // [ "libc.so.6" ]
 * ```
 */
export interface ModuleObserver {
  /** Called after `module` is added to the list. */
  onLoad(module: LoadedModule): void;
}

/**
 * The modules of one address space, in load order (the main program first).
 *
 * @example
 * ```ts
 * import { createMachine } from "../mod.ts";
 * const m = await createMachine({ program: "tests/guests/bin/hello.dynamic.O2" });
 * m.hooks.on("module_load", (e) => console.log("loaded", e.module.path));
 * for await (const _ of m.run());
 * console.log(m.modules.list.length, m.symbolAt(m.symbol("puts")!)); // 3 puts
 * ```
 */
export class ModuleList {
  readonly #list: LoadedModule[] = [];
  /** Told of every module added from now on. */
  readonly observers: ModuleObserver[] = [];

  /** The modules, in load order. */
  get list(): readonly LoadedModule[] {
    return this.#list;
  }

  /**
   * Adds the image of `elf` (host file `path`) loaded with `bias`, unless it is there already;
   * `logKind` when an ELF loader loaded it (not the guest's mmap), as QEMU's logs know it.
   */
  add(path: string, elf: ElfFile, bias: bigint, logKind?: "user" | "system"): LoadedModule {
    const known = this.#list.find((m) => m.path === path && m.bias === bias);
    if (known) return known;
    const m = new LoadedModule(this.#list.length, path, bias, elf, logKind);
    this.#list.push(m);
    for (const o of this.observers) o.onLoad(m);
    return m;
  }

  /** The module with a segment containing `pc`. */
  at(pc: bigint): LoadedModule | undefined {
    return this.#list.find((m) => m.contains(pc));
  }

  /** The address of symbol `name`: the first module (in load order) that defines it. */
  symbol(name: string): bigint | undefined {
    for (const m of this.#list) {
      const s = m.symbols.find((s) => s.name === name && s.value !== 0n);
      if (s) return s.value;
    }
    return undefined;
  }

  /** The symbol containing `pc` in whichever module holds it, as `name+0xoff`. */
  symbolAt(pc: bigint): string | undefined {
    return this.at(pc)?.symbolAt(pc);
  }

  /** The function QEMU's `-d` logs name at `pc` (`IN: name`), searching the latest image first. */
  logSymbolAt(pc: bigint): string | undefined {
    for (let i = this.#list.length - 1; i >= 0; i--) {
      const name = this.#list[i].logNameAt(pc);
      if (name !== undefined) return name;
    }
    return undefined;
  }
}

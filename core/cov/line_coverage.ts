/**
 * Source coverage of guest runs (afl-cov's job): every translated block gets
 * an inline counter (a scoreboard entry, no call into JS), the counts are
 * spread over the block's instructions, and each instruction's address is
 * looked up in its module's DWARF line table. A line's count is the largest
 * count of its instructions; a function's is the count of its entry; a
 * conditional branch's are the counts of its block's two exits.
 * Modules without a line table are reported by symbol: functions and the
 * blocks reached in them.
 *
 * @module
 */

import { linesAt, type LineTable, parseLineTable } from "../dwarf/line_table.ts";
import { sectionBytes } from "../elf_sections.ts";
import type { Hooks } from "../hooks/hooks.ts";
import type { Scoreboard } from "../hooks/scoreboard.ts";
import type { LoadedModule } from "../modules.ts";
import type { BranchCount } from "./branches.ts";

/** STT_FUNC. */
const FUNCTION = 2;

/** Counts of every block translated while it is installed, kept across snapshot restores. */
export class BlockCounts {
  readonly #blocks = new Map<string, { insns: bigint[]; counter: Scoreboard }>();

  /**
   * Installs the counters on `hooks` (before the code to count is translated).
   *
   * @example
   * ```ts ignore
   * const counts = new BlockCounts(m.hooks);
   * await m.runToExit();
   * console.log(counts.instructions().size, "instructions ran");
   * ```
   */
  constructor(hooks: Hooks) {
    hooks.onTranslate((tb) => {
      const key = `${tb.pc}:${tb.insns.length}`;
      let b = this.#blocks.get(key);
      if (!b) {
        b = { insns: tb.insns.map((i) => i.pc), counter: hooks.scoreboard() };
        this.#blocks.set(key, b);
      }
      tb.inlineAdd(b.counter, 1n);
    });
  }

  /** How often each instruction address ran (addresses that never ran are absent). */
  instructions(): Map<bigint, bigint> {
    const out = new Map<bigint, bigint>();
    for (const b of this.#blocks.values()) {
      const n = b.counter.get();
      if (n === 0n) continue;
      for (const pc of b.insns) out.set(pc, (out.get(pc) ?? 0n) + n);
    }
    return out;
  }

  /** Start addresses of the blocks translated, with their counts. */
  blocks(): Map<bigint, bigint> {
    const out = new Map<bigint, bigint>();
    for (const b of this.#blocks.values()) {
      out.set(b.insns[0], (out.get(b.insns[0]) ?? 0n) + b.counter.get());
    }
    return out;
  }
}

/** Line and function counts of one source file. */
export interface FileCoverage {
  /** the path the line table gives (relative paths as the compiler saw them) */
  path: string;
  /** line -> count, for every line that has code (0: never ran) */
  lines: Map<number, bigint>;
  functions: { name: string; line: number; count: bigint }[];
  /** conditional branches: the line of the branching instruction, the times each way was taken */
  branches: { line: number; taken: bigint[] }[];
}

/** A module without a line table: its functions by symbol. */
export interface SymbolCoverage {
  module: string;
  functions: { name: string; address: bigint; count: bigint; blocks: number; blocksHit: number }[];
}

/** What {@linkcode lineCoverage} finds. */
export interface CoverageReport {
  files: FileCoverage[];
  withoutLines: SymbolCoverage[];
}

/** The line table of `m`, or null when it has none (no `-g`) or it cannot be read. */
export function moduleLineTable(m: LoadedModule): LineTable | null {
  const line = sectionBytes(m.elf, ".debug_line");
  if (!line) return null;
  return parseLineTable(line, {
    lineStr: sectionBytes(m.elf, ".debug_line_str"),
    str: sectionBytes(m.elf, ".debug_str"),
  });
}

/**
 * Line coverage of `modules` from `counts`.
 *
 * @example
 * ```ts ignore
 * const report = lineCoverage(m.modules.list, counts);
 * for (const f of report.files) console.log(f.path, [...f.lines.values()].filter((n) => n > 0n).length);
 * ```
 */
export function lineCoverage(
  modules: readonly LoadedModule[],
  counts: BlockCounts,
  branches: readonly BranchCount[] = [],
): CoverageReport {
  const insns = counts.instructions(), blocks = counts.blocks();
  const files = new Map<string, FileCoverage>();
  const report: CoverageReport = { files: [], withoutLines: [] };
  for (const m of modules) {
    const table = moduleLineTable(m);
    if (!table || table.rows.length === 0) {
      report.withoutLines.push(symbolCoverage(m, insns, blocks));
      continue;
    }
    const file = (path: string) => {
      let f = files.get(path);
      if (!f) files.set(path, f = { path, lines: new Map(), functions: [], branches: [] });
      return f;
    };
    // every line with code, hit or not
    for (const row of table.rows) if (!row.end) file(table.files[row.file]).lines.set(row.line, 0n);
    for (const [pc, n] of insns) {
      if (pc < m.start || pc >= m.end) continue;
      for (const at of linesAt(table, pc - m.bias)) {
        const lines = file(at.file).lines;
        if (n > (lines.get(at.line) ?? 0n)) lines.set(at.line, n);
      }
    }
    for (const b of branches) {
      if (b.at < m.start || b.at >= m.end) continue;
      const at = linesAt(table, b.at - m.bias).at(-1);
      if (at) file(at.file).branches.push({ line: at.line, taken: b.taken });
    }
    for (const s of m.symbols) {
      if (s.type !== FUNCTION || s.size === 0n) continue;
      const at = linesAt(table, s.value - m.bias)[0];
      if (at) {
        file(at.file).functions.push({
          name: s.name,
          line: at.line,
          count: insns.get(s.value) ?? 0n,
        });
      }
    }
  }
  report.files = [...files.values()].sort((a, b) => a.path < b.path ? -1 : 1);
  return report;
}

function symbolCoverage(
  m: LoadedModule,
  insns: Map<bigint, bigint>,
  blocks: Map<bigint, bigint>,
): SymbolCoverage {
  const functions = m.symbols
    .filter((s) => s.type === FUNCTION && s.size > 0n)
    .map((s) => {
      const inside = [...blocks].filter(([pc]) => pc >= s.value && pc < s.value + s.size);
      return {
        name: s.name,
        address: s.value,
        count: insns.get(s.value) ?? 0n,
        blocks: inside.length,
        blocksHit: inside.filter(([, n]) => n > 0n).length,
      };
    });
  return { module: m.path, functions };
}

/**
 * The lcov tracefile format (`.info`, as `geninfo` writes it and `genhtml`
 * reads it; see lcov's geninfo(1) man page): one record per source file with
 * its functions (`FN`, `FNDA`, `FNF`, `FNH`), branches (`BRDA`, `BRF`, `BRH`)
 * and lines (`DA`, `LF`, `LH`).
 *
 * @module
 */

import type { FileCoverage } from "./line_coverage.ts";

/**
 * The tracefile text of `files` (test name `name`).
 *
 * @example
 * ```ts
 * import { lcovInfo } from "./lcov.ts";
 * const lines = new Map([[3, 2n], [4, 0n]]);
 * const info = lcovInfo([{ path: "/src/a.c", lines, functions: [], branches: [] }]);
 * console.log(info.includes("DA:3,2\nDA:4,0\nLF:2\nLH:1")); // true
 * ```
 */
export function lcovInfo(files: readonly FileCoverage[], name = ""): string {
  const out: string[] = [];
  for (const f of files) {
    out.push(`TN:${name}`, `SF:${f.path}`);
    const fns = [...f.functions].sort((a, b) => a.line - b.line);
    for (const fn of fns) out.push(`FN:${fn.line},${fn.name}`);
    for (const fn of fns) out.push(`FNDA:${fn.count},${fn.name}`);
    out.push(`FNF:${fns.length}`, `FNH:${fns.filter((fn) => fn.count > 0n).length}`);
    const branches = [...f.branches].sort((a, b) => a.line - b.line);
    let found = 0, hit = 0;
    branches.forEach((b, block) => {
      b.taken.forEach((n, i) => out.push(`BRDA:${b.line},${block},${i},${n}`));
      found += b.taken.length;
      hit += b.taken.filter((n) => n > 0n).length;
    });
    if (found) out.push(`BRF:${found}`, `BRH:${hit}`);
    const lines = [...f.lines].sort((a, b) => a[0] - b[0]);
    for (const [line, n] of lines) out.push(`DA:${line},${n}`);
    out.push(`LF:${lines.length}`, `LH:${lines.filter(([, n]) => n > 0n).length}`);
    out.push("end_of_record");
  }
  return out.join("\n") + "\n";
}

/**
 * A coverage report of one guest run: which functions of the program ran,
 * how many of their bytes, and the share of all function symbols reached.
 * Optionally also writes a drcov log (through the drcov tool plugin) for
 * Lighthouse.
 *
 * Usage: deno run -A scripts/coverage.ts [--drcov FILE] [--all] <guest> [args...]
 *
 * ```
 * $ deno run -A scripts/coverage.ts tests/guests/bin/hello.static.O2
 * program: tests/guests/bin/hello.static.O2 (exit status 0)
 * functions reached: 78 of 842 (9.3%)
 * blocks executed: 657 (9812 bytes of code)
 * address             bytes  covered  function
 * 0x1052a             24/24   100.0%  main
 * ```
 *
 * @module
 */

import { createMachine, type Scoreboard } from "../mod.ts";

const USAGE = "usage: deno run -A scripts/coverage.ts [--drcov FILE] [--all] <guest> [args...]";

/** One function's coverage. */
export interface FunctionCoverage {
  name: string;
  address: bigint;
  size: number;
  /** bytes of the function inside executed blocks */
  covered: number;
}

/**
 * Per-function coverage from executed blocks (start, size): the bytes of each
 * function that some executed block covered.
 *
 * @example
 * ```ts
 * import { functionCoverage } from "./coverage.ts";
 * const f = functionCoverage([{ name: "f", value: 0x100n, size: 8n, type: 2 }], [[0x100n, 4]]);
 * console.log(f[0].covered); // 4
 * ```
 */
export function functionCoverage(
  symbols: readonly { name: string; value: bigint; size: bigint; type: number }[],
  blocks: [start: bigint, size: number][],
): FunctionCoverage[] {
  const out: FunctionCoverage[] = [];
  const seen = new Set<bigint>();
  for (const s of symbols) {
    if (s.type !== 2 || s.size === 0n || seen.has(s.value)) continue; // STT_FUNC, one name per address
    seen.add(s.value);
    const bytes = new Uint8Array(Number(s.size));
    for (const [start, size] of blocks) {
      const lo = start - s.value, hi = lo + BigInt(size);
      if (hi <= 0n || lo >= s.size) continue;
      bytes.fill(1, Number(lo < 0n ? 0n : lo), Number(hi > s.size ? s.size : hi));
    }
    out.push({
      name: s.name,
      address: s.value,
      size: bytes.length,
      covered: bytes.reduce((n, b) => n + b, 0),
    });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : 1));
}

if (import.meta.main) {
  const argv = [...Deno.args];
  let drcov: string | undefined, all = false;
  while (argv[0]?.startsWith("--")) {
    const flag = argv.shift()!;
    if (flag === "--drcov") drcov = argv.shift();
    else if (flag === "--all") all = true;
    else argv.unshift("-"); // unknown flag: print the usage
  }
  if (!argv.length || argv[0] === "-") {
    console.error(USAGE);
    Deno.exit(2);
  }
  const [program, ...args] = argv;
  const m = await createMachine({
    program,
    args,
    stdout: "capture",
    plugins: drcov ? [`drcov,filename=${drcov}`] : [],
  });
  // One inline counter per translated block: no JS call while the guest runs.
  const blocks = new Map<string, { pc: bigint; size: number; sb: Scoreboard }>();
  m.hooks.onTranslate((tb) => {
    const key = `${tb.pc}:${tb.size}`;
    let b = blocks.get(key);
    if (!b) blocks.set(key, b = { pc: tb.pc, size: tb.size, sb: m.hooks.scoreboard() });
    tb.inlineAdd(b.sb, 1n);
  });
  const status = await m.runToExit();
  const ran = [...blocks.values()].filter((b) => b.sb.get() > 0n);
  const symbols = m.modules.list[0]?.symbols ?? []; // the program's, at their run-time (PIE) addresses
  const funcs = functionCoverage(symbols, ran.map((b) => [b.pc, b.size]));
  const reached = funcs.filter((f) => f.covered > 0);
  const pct = (a: number, b: number) => (b ? (100 * a / b).toFixed(1) : "0.0");
  const codeBytes = ran.reduce((n, b) => n + b.size, 0);
  console.log(`program: ${program} (exit status ${status})`);
  console.log(
    `functions reached: ${reached.length} of ${funcs.length} (${
      pct(reached.length, funcs.length)
    }%)`,
  );
  console.log(`blocks executed: ${ran.length} (${codeBytes} bytes of code)`);
  console.log("address             bytes  covered  function");
  for (const f of all ? funcs : reached) {
    const bytes = `${f.covered}/${f.size}`.padStart(12);
    const share = `${pct(f.covered, f.size)}%`.padStart(7);
    console.log(`0x${f.address.toString(16).padEnd(10)} ${bytes}  ${share}  ${f.name}`);
  }
  if (drcov) console.log(`drcov log written to ${drcov}`);
}

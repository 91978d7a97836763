/**
 * `emu cov`: the source coverage of a corpus (afl-cov's job). Each input runs
 * through the whole-program harness with a counter on every block; the
 * counts go through the DWARF line tables of the program and its libraries.
 *
 * ```text
 * emu cov -i CORPUS -o REPORT [-t insns] [--plot plot_data] -- prog [args...]   (@@ = the input)
 * ```
 *
 * REPORT gets `coverage.info` (lcov's tracefile, for genhtml and other lcov
 * tools), `index.html` (Denemu's own report) and, when lcov's `genhtml` is
 * installed, `genhtml/index.html`.
 *
 * @module
 */

import { resolve } from "node:path";
import { EmuError } from "../core/errors.ts";
import { htmlReport } from "../core/cov/html.ts";
import { lcovInfo } from "../core/cov/lcov.ts";
import { BlockCounts, type CoverageReport, lineCoverage } from "../core/cov/line_coverage.ts";
import { BranchCounts } from "../core/cov/branches.ts";
import { createUserHarness } from "../core/linux/fuzz_harness.ts";
import type { LinuxProcess } from "../core/linux/process.ts";
import { readSeeds } from "./fuzz_seeds.ts";
import { readOption } from "./options.ts";

const USAGE = `usage: emu cov -i CORPUS -o REPORT [options] -- prog [args...]

  -i dir          the inputs (e.g. a campaign's OUT/default/queue)
  -o dir          where the report goes: coverage.info (lcov), index.html,
                  genhtml/ (when lcov's genhtml is installed)
  -t insns        instructions each input may run (default 1000000000)
  --plot file     plot_data of the campaign, for its plots (default: next to -i)

@@ in the program's arguments is the input file; without @@ it is stdin.`;

/** What {@linkcode coverageReport} needs. */
export interface CovOptions {
  corpus: string;
  output: string;
  program: string;
  args: string[];
  budget: number;
  /** a campaign's plot_data (null: none) */
  plotData: string | null;
}

/** The process the corpus ran in, and its counts. */
interface Counted {
  p: LinuxProcess;
  counts: BlockCounts;
  branches: BranchCounts;
}

/** Runs every input of the corpus and counts the blocks and branches each runs. */
async function countCorpus(o: CovOptions): Promise<Counted> {
  const inputs = readSeeds(o.corpus);
  let got: Counted | null = null;
  const harness = await createUserHarness({
    program: o.program,
    args: o.args,
    inputPath: "/.denemu/cur_input",
    wholeProgram: true,
    setup: (p) =>
      got = { p, counts: new BlockCounts(p.hooks), branches: new BranchCounts(p.hooks) },
  });
  for (const input of inputs) await harness.run(input.data, o.budget);
  return got!;
}

/** Paths made absolute (against the current directory), and whether each source can be read. */
function resolveSources(report: CoverageReport): Map<string, string | null> {
  const sources = new Map<string, string | null>();
  for (const f of report.files) {
    f.path = resolve(f.path);
    try {
      sources.set(f.path, Deno.readTextFileSync(f.path));
    } catch {
      sources.set(f.path, null);
    }
  }
  return sources;
}

/** genhtml's report of `info` in `dir`; a one-line note of why when it cannot. */
async function genhtml(info: string, dir: string): Promise<string> {
  try {
    const r = await new Deno.Command("genhtml", {
      args: ["--quiet", "--branch-coverage", "--output-directory", dir, info],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (r.success) return `${dir}/index.html`;
    return `genhtml failed: ${new TextDecoder().decode(r.stderr).trim().split("\n")[0]}`;
  } catch {
    return "genhtml not installed (Debian lcov): only Denemu's report";
  }
}

/** Why a report has no source file: none in the line tables, or none found where they say. */
function noSources(report: { files: { path: string }[] }): string {
  const [first] = report.files;
  if (!first) return "no source files (the program has no line tables: build it with -g)";
  return `no source files found: the line tables name ${report.files.length} (${first.path}, ...)` +
    " (a relative path is resolved from the current directory: run emu cov in the build's)";
}

/**
 * Writes the coverage report of `o.corpus`; resolves to a summary line.
 *
 * @example
 * ```ts ignore
 * console.log(await coverageReport({
 *   corpus: "out/default/queue", output: "cov", program: "prog", args: ["@@"],
 *   budget: 1e9, plotData: null,
 * }));
 * ```
 */
export async function coverageReport(o: CovOptions): Promise<string> {
  const { p, counts, branches } = await countCorpus(o);
  const report = lineCoverage(p.modules.list, counts, branches.branches());
  const sources = resolveSources(report);
  Deno.mkdirSync(`${o.output}/files`, { recursive: true });
  const readable = report.files.filter((f) => sources.get(f.path) !== null);
  const info = `${o.output}/coverage.info`;
  Deno.writeTextFileSync(info, lcovInfo(readable));
  const title = `Coverage of ${o.corpus} on ${o.program.split("/").pop()}`;
  for (const page of htmlReport(report, (f) => sources.get(f) ?? null, o.plotData, title)) {
    Deno.writeTextFileSync(`${o.output}/${page.path}`, page.html);
  }
  const lines = readable.flatMap((f) => [...f.lines.values()]);
  const hit = lines.filter((n) => n > 0n).length;
  const where = readable.length ? await genhtml(info, `${o.output}/genhtml`) : noSources(report);
  return `${hit} of ${lines.length} lines in ${readable.length} source files; ` +
    `${o.output}/index.html, ${info}; ${where}`;
}

function plotNextTo(corpus: string): string | null {
  try {
    return Deno.readTextFileSync(`${corpus}/../plot_data`);
  } catch {
    return null;
  }
}

/** Reads `emu cov` arguments. */
export function parseCovArgs(argv: string[]): CovOptions {
  const o: Partial<CovOptions> = { budget: 1_000_000_000 };
  let plot: string | undefined;
  let i = 0;
  while (i < argv.length && argv[i] !== "--" && argv[i].startsWith("-")) {
    const opt = readOption(argv, i, new Set(["i", "o", "t", "plot"]), "cov");
    i = opt.next;
    if (opt.name === "i") o.corpus = opt.value;
    else if (opt.name === "o") o.output = opt.value;
    else if (opt.name === "plot") plot = opt.value;
    else if (opt.name === "t" && Number(opt.value) > 0) o.budget = Number(opt.value);
    else throw new EmuError(`-${opt.name}: not an option of emu cov`, "see emu cov -h");
  }
  if (argv[i] === "--") i++;
  if (!o.corpus || !o.output || i >= argv.length) throw new EmuError(USAGE.split("\n")[0]);
  let plotData = plotNextTo(o.corpus);
  if (plot !== undefined) {
    try {
      plotData = Deno.readTextFileSync(plot);
    } catch {
      throw new EmuError(`--plot ${plot}: cannot read this file`);
    }
  }
  return { ...o, plotData, program: argv[i], args: argv.slice(i + 1) } as CovOptions;
}

/** `emu cov`; resolves to the exit status. */
export async function covCommand(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  console.log(`emu cov: ${await coverageReport(parseCovArgs(argv))}`);
  return 0;
}

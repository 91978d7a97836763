/**
 * `emu tmin` and `emu cmin`: afl-tmin and afl-cmin on Denemu's harnesses.
 *
 * ```text
 * emu tmin -i crashfile -o smaller [-t insns] -- prog [args...]   (@@ = the input file)
 * emu cmin -i corpus -o smaller_corpus [-t insns] [-C|-A] [-e] -- prog [args...]
 * ```
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { cmin, type CminRuns, tmin } from "../core/fuzz/minimize.ts";
import { createUserHarness } from "../core/linux/fuzz_harness.ts";
import { memoryLimit } from "./fuzz_args.ts";
import { readSeeds } from "./fuzz_seeds.ts";
import { expandShortOptions, readOption } from "./options.ts";

/** Default budget per run (afl-tmin's default timeout is 1 s; this is about as long). */
const DEFAULT_BUDGET = 1_000_000_000;

interface ToolArgs {
  input: string;
  output: string;
  budget: number;
  /** `-m`: the guest's memory ceiling (none: the default), as emu fuzz -m */
  maxMemory?: bigint;
  /** emu cmin's -C (crashing inputs only) and -A (crashes and timeouts too), as afl-cmin's */
  runs: CminRuns;
  /** -e: map entries only, hit counts ignored */
  edgesOnly: boolean;
  program: string;
  args: string[];
}

/** The flags each command takes (-Q: Denemu is binary-only, as afl-*'s QEMU mode). */
const FLAGS: Record<string, string[]> = { tmin: ["Q"], cmin: ["Q", "C", "A", "e"] };

/** What `emu tmin -h` and `emu cmin -h` print. */
const USAGE: Record<string, string> = {
  tmin: `usage: emu tmin -i FILE -o FILE [options] -- prog [args...]   (like afl-tmin -Q)

  -i file         the input to minimise (a crash, or any input: its path is kept)
  -o file         where the smaller input goes
  -t insns        instructions each run may take (default 1000000000)
  -m MB|none      most memory the guest may map (as emu fuzz -m)
  -Q              accepted: Denemu is always binary-only

@@ in the program's arguments is the input file; without @@ it is stdin.`,
  cmin: `usage: emu cmin -i DIR -o DIR [options] -- prog [args...]   (like afl-cmin -Q)

  -i dir          the corpus
  -o dir          where the inputs kept are copied
  -t insns        instructions each run may take (default 1000000000)
  -m MB|none      most memory the guest may map (as emu fuzz -m)
  -C              keep crashing inputs only
  -A              keep crashing inputs too
  -e              edges only: hit counts are ignored
  -Q              accepted: Denemu is always binary-only

@@ in the program's arguments is the input file; without @@ it is stdin.`,
};

/** Whether the options before `--` ask for the help. */
function wantsHelp(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "-h" || a === "--help");
}

/**
 * `-t N` (`N+` too, which AFL++'s tools take): instructions per run.
 *
 * @example
 * ```ts
 * import { instructions } from "./fuzz_tools.ts";
 * console.log(instructions("5000+")); // 5000
 * ```
 */
export function instructions(v: string): number {
  const n = Number(v.endsWith("+") ? v.slice(0, -1) : v);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new EmuError(`-t ${v}: not a number of instructions`);
  }
  return n;
}

function parse(given: string[], command: string): ToolArgs {
  const a: Partial<ToolArgs> = { budget: DEFAULT_BUDGET, runs: "ok", edgesOnly: false };
  const withValue = new Set(["i", "o", "t", "m"]);
  const argv = expandShortOptions(given, new Set([...withValue, ...FLAGS[command]]), withValue);
  let i = 0;
  while (i < argv.length && argv[i] !== "--" && argv[i].startsWith("-")) {
    const o = readOption(argv, i, withValue, command);
    i = o.next;
    if (o.name === "i") a.input = o.value;
    else if (o.name === "o") a.output = o.value;
    else if (o.name === "t") a.budget = instructions(o.value!);
    else if (o.name === "m") a.maxMemory = memoryLimit(o.value!);
    else if (!FLAGS[command].includes(o.name)) {
      const flags = FLAGS[command].map((f) => `-${f}`).join(", ");
      throw new EmuError(
        `-${o.name}: not an option of emu ${command}`,
        `use -i, -o, -t, -m, ${flags}`,
      );
    } else if (o.name === "C") a.runs = "crashes";
    else if (o.name === "A") a.runs = "any";
    else if (o.name === "e") a.edgesOnly = true;
  }
  if (argv[i] === "--") i++;
  if (!a.input || !a.output || i >= argv.length) {
    throw new EmuError(USAGE[command].split("\n")[0], `see emu ${command} -h`);
  }
  return { ...a, program: argv[i], args: argv.slice(i + 1) } as ToolArgs;
}

function harness(a: ToolArgs) {
  return createUserHarness({
    program: a.program,
    args: a.args,
    inputPath: "/.denemu/cur_input",
    maxMemory: a.maxMemory,
  });
}

/** `emu tmin`; resolves to the exit status. */
export async function tminCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE.tmin);
    return 0;
  }
  const a = parse(argv, "tmin");
  let input: Uint8Array;
  try {
    input = Deno.readFileSync(a.input);
  } catch {
    throw new EmuError(`-i ${a.input}: cannot read this file`);
  }
  // afl-tmin's "Zero-sized input file.": nothing to minimize, and no output written
  if (!input.length) throw new EmuError(`-i ${a.input}: zero-sized input file`);
  const { data, kind } = await tmin(await harness(a), input, a.budget);
  try {
    Deno.writeFileSync(a.output, data);
  } catch (e) {
    throw new EmuError(`-o ${a.output}: cannot write this file (${(e as Error).name})`);
  }
  console.log(`emu tmin: ${input.length} -> ${data.length} bytes (${kind} kept), in ${a.output}`);
  return 0;
}

/**
 * Refuses an -o of `emu cmin` that holds anything (the -i directory itself, say), as afl-cmin
 * does: the inputs kept would mix with what was there, or be copied onto themselves.
 */
function emptyOutput(dir: string): void {
  let entries: Iterable<Deno.DirEntry>;
  try {
    entries = Deno.readDirSync(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new EmuError(`-o ${dir}: not a directory it can use (${(e as Error).name})`);
  }
  for (const _ of entries) {
    throw new EmuError(`-o ${dir}: exists and is not empty - delete it first`);
  }
}

/** `emu cmin`; resolves to the exit status. */
export async function cminCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE.cmin);
    return 0;
  }
  const a = parse(argv, "cmin");
  const inputs = readSeeds(a.input);
  emptyOutput(a.output);
  const kept = await cmin(await harness(a), inputs, a);
  try {
    Deno.mkdirSync(a.output, { recursive: true });
    for (const name of kept) Deno.copyFileSync(`${a.input}/${name}`, `${a.output}/${name}`);
  } catch (e) {
    throw new EmuError(`-o ${a.output}: cannot write the inputs kept (${(e as Error).name})`);
  }
  console.log(`emu cmin: ${inputs.length} -> ${kept.length} inputs, in ${a.output}`);
  return 0;
}

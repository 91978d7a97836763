/**
 * `emu showmap`: afl-showmap in its QEMU mode (`-Q`) on Denemu's harnesses.
 * It runs a Linux program on one input (stdin) or on each file of `-i DIR`
 * and writes the edge map as afl-showmap writes it, with its flags, its
 * messages and its exit status (2: the last run crashed, 1: it timed out).
 * The map is the one `emu fuzz` judges, from the same harness (the
 * in-memory, persistent or whole-program one, chosen as `emu fuzz` chooses)
 * and the same edge ids.
 *
 * ```text
 * emu showmap -o FILE [options] -- prog [args...]           (the input is stdin)
 * emu showmap -i DIR -o DIR|-C -o FILE [options] -- prog [args...]   (@@ = the input file)
 * ```
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { classifyMap, formatMap, type MapValues, TupleCount } from "../core/fuzz/showmap.ts";
import type { FuzzTarget } from "../core/fuzz/target.ts";
import { ensureDirectory, isDirectory } from "../core/fuzz/output.ts";
import { createUserHarness } from "../core/linux/fuzz_harness.ts";
import { HARNESS_SETTERS, type HarnessArgs, harnessOptions, mapSizeFromEnv } from "./fuzz_args.ts";
import { readSeeds } from "./fuzz_seeds.ts";
import { instructions } from "./fuzz_tools.ts";
import { applyOption, expandShortOptions, type OptionSetters, valueOptions } from "./options.ts";

const USAGE = `usage: emu showmap -o FILE [options] -- prog [args...]   (like afl-showmap -Q)

  -o file         where the map goes (- is stdout): one id:value line per edge hit
  -i dir          run each file of dir (or of dir/queue); -o is then a directory that gets
                  one map per input, named as the input; @@ in the arguments is the input
  -C              with -i: one map of every edge any input hit (-o is a file), and a summary
  -q              no messages, and the program's output dropped
  -e              edges only: every value is 1
  -r              raw hit counts (default: afl-showmap's classes 1-8)
  -s              do not classify the map (as -r)
  -b              binary: the whole map as bytes, with AFL's bucket bits (as in fuzz_bitmap)
  -t insns|none   timeout in guest instructions (default 1000000000)
  -m MB|none      most memory the guest may map (suffix K, M, G)
  -Q, -c          accepted: Denemu is always binary-only and writes no core dumps
  --map-size N    map bytes (power of two; default AFL_MAP_SIZE, else 65536)
  --entry, --persistent-addr, --persistent-ret, --whole-program, -L, -E VAR=val,
  --root, -accel  as for emu fuzz

Without -i the input is stdin (afl-showmap refuses @@ there too). Exit status: 2 if the
(last) run crashed, 1 if it timed out, else 0.`;

/** Instructions per run by default (afl-tmin's one second, roughly; afl-showmap has none). */
const DEFAULT_BUDGET = 1_000_000_000;
/** `-t none`: as good as no limit. */
const NO_BUDGET = Number.MAX_SAFE_INTEGER;
/** Where the `@@` file appears in the guest (as for emu tmin and cmin). */
const INPUT_PATH = "/.denemu/cur_input";

/** Parsed `emu showmap` arguments. */
export interface ShowmapArgs extends HarnessArgs {
  output?: string;
  input?: string;
  collect: boolean;
  quiet: boolean;
  values: MapValues;
  /** `-s`: the counts as they are, whatever -e or -b say */
  noClassify: boolean;
  binary: boolean;
  budget: number;
}

function values(a: ShowmapArgs, v: MapValues, flag: string): void {
  if (a.values === "edges" || (a.values === "raw" && v === "edges")) {
    throw new EmuError(`-${flag}: -e and -r are mutually exclusive`);
  }
  a.values = v;
}

const SETTERS: OptionSetters<ShowmapArgs> = {
  ...HARNESS_SETTERS,
  o: (a, v) => a.output = v,
  i: (a, v) => a.input = v,
  C: (a) => {
    a.collect = true;
    a.quiet = true;
  },
  q: (a) => a.quiet = true,
  e: (a) => values(a, "edges", "e"),
  r: (a) => values(a, "raw", "r"),
  s: (a) => a.noClassify = true,
  b: (a) => a.binary = true,
  t: (a, v) => a.budget = budget(v),
  E: (a, v) => a.env.push(v),
  Q: () => {},
  c: () => {},
};
const WITH_VALUE = valueOptions(SETTERS);
const NAMES = new Set(Object.keys(SETTERS));

function budget(v: string): number {
  return v === "none" ? NO_BUDGET : instructions(v);
}

/**
 * Reads `emu showmap` arguments.
 *
 * @example
 * ```ts
 * import { parseShowmapArgs } from "./showmap.ts";
 * const a = parseShowmapArgs(["-q", "-e", "-o", "map", "--", "prog"]);
 * console.log(a.output, a.values, a.quiet); // map edges true
 * ```
 */
export function parseShowmapArgs(given: string[]): ShowmapArgs {
  const argv = expandShortOptions(given, NAMES, WITH_VALUE);
  const a: ShowmapArgs = {
    collect: false,
    quiet: false,
    values: "human",
    noClassify: false,
    binary: false,
    budget: DEFAULT_BUDGET,
    mapSize: mapSizeFromEnv(),
    wholeProgram: false,
    env: [],
    accel: "jit",
    program: "",
    args: [],
  };
  let i = 0;
  while (i < argv.length && argv[i] !== "--" && argv[i].startsWith("-") && argv[i] !== "-") {
    i = applyOption(argv, i, SETTERS, WITH_VALUE, "showmap", a);
  }
  if (argv[i] === "--") i++;
  if (!a.output) throw new EmuError("no output", "pass -o FILE (or -o DIR with -i)");
  if (i >= argv.length) throw new EmuError("no program", "end with -- prog [args...]");
  if (a.collect && !a.input) throw new EmuError("-C needs -i", "pass -i DIR");
  a.program = argv[i];
  a.args = argv.slice(i + 1);
  if (!a.input && a.args.includes("@@")) {
    throw new EmuError("@@ syntax is not supported without -i", "the input is stdin");
  }
  // -C counts every edge hit by any input, whatever -e or -r say (as afl-showmap)
  if (a.collect || a.noClassify) a.values = "raw";
  if (a.binary && a.values === "human") a.values = "binary";
  return a;
}

/** What afl-showmap prints unless quiet: `[*]`/`[+]` lines on stdout. */
class Messages {
  constructor(readonly quiet: boolean) {}
  say(line: string): void {
    if (!this.quiet) console.log(line);
  }
}

/** How the last run ended, for the messages and the exit status. */
interface RunEnd {
  crashed: boolean;
  timedOut: boolean;
}

/** Runs one input; leaves its classified map in a copy, which it returns. */
async function runOne(
  target: FuzzTarget,
  a: ShowmapArgs,
  data: Uint8Array,
  msg: Messages,
): Promise<{ map: Uint8Array; end: RunEnd }> {
  msg.say("-- Program output begins --");
  const { outcome } = await target.run(data, a.budget);
  const t = target.trace;
  const map = t.host.u8.slice(t.address, t.address + t.size);
  classifyMap(map, a.values);
  msg.say("-- Program output ends --");
  if (outcome.kind === "hang") msg.say("\n+++ Program timed off +++");
  if (outcome.kind === "crash") msg.say(`\n+++ Program killed by signal ${outcome.signal} +++`);
  return { map, end: { crashed: outcome.kind === "crash", timedOut: outcome.kind === "hang" } };
}

/** Writes a map where afl-showmap would: `-` is stdout, anything else a file replaced. */
function writeMap(path: string, map: Uint8Array, a: ShowmapArgs, count: TupleCount): void {
  let bytes: Uint8Array;
  if (a.binary) {
    count.tuples = map.reduce((n, v) => n + (v ? 1 : 0), 0);
    bytes = map;
  } else bytes = new TextEncoder().encode(formatMap(map, count));
  try {
    if (path === "-") Deno.stdout.writeSync(bytes);
    else Deno.writeFileSync(path, bytes);
  } catch (e) {
    throw new EmuError(`-o ${path}: cannot write (${(e as Error).message.split("\n")[0]})`);
  }
}

/**
 * `-i DIR`: each input's map (or with -C their union); returns how the last
 * run ended and the number of runs.
 */
async function runDirectory(
  target: FuzzTarget,
  a: ShowmapArgs,
  msg: Messages,
  count: TupleCount,
): Promise<{ end: RunEnd; runs: number }> {
  let dir = a.input!;
  if (isDirectory(`${dir}/queue`)) dir = `${dir}/queue`;
  const announce = new Messages(Deno.env.get("AFL_QUIET") !== undefined);
  announce.say(`[*] Reading from directory '${dir}'...`);
  if (!a.collect) ensureDirectory(a.output!);
  const union = new Uint8Array(a.mapSize);
  let end: RunEnd = { crashed: false, timedOut: false }, runs = 0;
  for (const input of readSeeds(dir)) {
    if (input.data.length === 0) continue; // afl-showmap skips empty files too
    const run = await runOne(target, a, input.data, msg);
    end = run.end;
    runs++;
    if (!a.collect) writeMap(`${a.output}/${input.name}`, run.map, a, count);
    else {
      count.add(run.map);
      run.map.forEach((v, i) => v && (union[i] = 1));
    }
  }
  msg.say(`[+] Processed ${runs} input files.`);
  if (a.collect) writeMap(a.output!, union, a, count);
  return { end, runs };
}

/** Runs `emu showmap`; resolves to afl-showmap's exit status. */
export async function showmapCommand(argv: string[]): Promise<number> {
  if (argv.includes("-h") || argv.includes("--help")) {
    console.log(USAGE);
    return 0;
  }
  const a = parseShowmapArgs(argv);
  const msg = new Messages(a.quiet);
  msg.say(`[*] Executing '${a.program}'...`);
  const target = await createUserHarness({
    ...harnessOptions(a, INPUT_PATH),
    output: !a.quiet && !a.input,
  });
  const count = new TupleCount();
  let end: RunEnd, runs = 1;
  if (a.input) ({ end, runs } = await runDirectory(target, a, msg, count));
  else {
    const stdin = Deno.stdin.isTerminal() ? new Uint8Array() : await readAll(Deno.stdin.readable);
    const run = await runOne(target, a, stdin, msg);
    writeMap(a.output!, run.map, a, count);
    end = run.end;
  }
  if (!count.tuples) throw new EmuError("No instrumentation detected", "no edge was hit");
  // -C prints its summary even though it is quiet otherwise (as afl-showmap)
  const summary = new Messages(a.quiet && !a.collect);
  summary.say(
    `[+] Captured ${count.tuples} tuples (map size ${a.mapSize}, highest value ` +
      `${count.highest}, total values ${count.total}) in '${a.output}'.`,
  );
  if (a.collect) {
    summary.say(
      `[+] A coverage of ${count.tuples} edges were achieved out of ${a.mapSize} existing ` +
        `(${(count.tuples * 100 / a.mapSize).toFixed(2)}%) with ${runs} input files.`,
    );
  }
  return (end.crashed ? 2 : 0) + (end.timedOut ? 1 : 0);
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The AFL_* environment variables `emu fuzz` reads as afl-fuzz 4.04c does
 * (AFL_MAP_SIZE, AFL_AUTORESUME and AFL_TMPDIR are read where they apply).
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { editDistance } from "./edit_distance.ts";

/** What the environment asks of a campaign. */
export interface FuzzEnv {
  /** AFL_NO_UI: status lines, not the screen, even on a terminal */
  noUi: boolean;
  /** AFL_BENCH_UNTIL_CRASH: stop at the first crash */
  untilCrash: boolean;
  /** AFL_EXIT_WHEN_DONE: stop once the campaign is exhausted */
  whenDone: boolean;
  /** AFL_EXIT_ON_TIME: stop after this many seconds without a new path */
  exitOnTime?: number;
  /** AFL_NO_CRASH_README unset: `crashes/README.txt` is written */
  crashReadme: boolean;
  /** AFL_CRASH_EXITCODE: the exit status (0-255) that counts as a crash */
  crashExit?: number;
  /** AFL_INPUT_LEN_MIN/MAX: `-g`/`-G` when those are not given */
  minLength?: number;
  maxLength?: number;
}

function count(name: string): number | undefined {
  const v = Deno.env.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
    throw new EmuError(`${name}=${v}: not a number`, "give a whole number");
  }
  return n;
}

/**
 * AFL_CRASH_EXITCODE as afl-fuzz reads it: a number from -127 to 128 (strtol: its leading
 * digits), the exit status it stands for (-1 is 255).
 */
function crashExitCode(): number | undefined {
  const v = Deno.env.get("AFL_CRASH_EXITCODE");
  if (v === undefined) return undefined;
  const n = Number(/^\s*[-+]?\d+/.exec(v)?.[0] ?? 0);
  if (n < -127 || n > 128) {
    throw new EmuError(`Invalid crash exitcode, expected -127 to 128, but got ${v}`);
  }
  return n & 0xff;
}

/**
 * Reads the environment.
 *
 * @example
 * ```ts
 * import { fuzzEnv } from "./fuzz_env.ts";
 * console.log(fuzzEnv().crashReadme); // true unless AFL_NO_CRASH_README is set
 * ```
 */
export function fuzzEnv(): FuzzEnv {
  const set = (name: string) => Deno.env.get(name) !== undefined;
  return {
    noUi: set("AFL_NO_UI"),
    untilCrash: set("AFL_BENCH_UNTIL_CRASH"),
    whenDone: set("AFL_EXIT_WHEN_DONE"),
    exitOnTime: count("AFL_EXIT_ON_TIME") || undefined,
    crashReadme: !set("AFL_NO_CRASH_README"),
    crashExit: crashExitCode(),
    minLength: count("AFL_INPUT_LEN_MIN"),
    maxLength: count("AFL_INPUT_LEN_MAX"),
  };
}

/**
 * afl-fuzz 4.04c's variables that change what it does, but name what
 * Denemu has not (or does its own way): setting one gets a warning.
 */
const IGNORED: Record<string, string> = {
  AFL_HANG_TMOUT: "-t, in guest instructions, is the hang timeout too",
  AFL_KILL_SIGNAL: "no child process is killed: runs are restored from a snapshot",
  AFL_DISABLE_TRIM: "every new queue entry is trimmed",
  AFL_CUSTOM_MUTATOR_LIBRARY: "there are no custom mutators",
  AFL_CUSTOM_MUTATOR_ONLY: "there are no custom mutators",
  AFL_PYTHON_MODULE: "there are no custom mutators",
  AFL_PRELOAD: "give the program -E LD_PRELOAD=LIB",
  AFL_TARGET_ENV: "give the program -E VAR=value",
  AFL_STATSD: "there are no StatsD metrics",
  AFL_SHUFFLE_QUEUE: "the queue is walked in order",
  AFL_SYNC_TIME: "workers sync every 5 seconds",
  AFL_FORCE_UI: "the status screen needs a terminal",
  AFL_BENCH_JUST_ONE: "use -E 1",
};

/**
 * The names (without `AFL_`) of every variable afl-fuzz 4.04c knows, its own and those of AFL++'s
 * other tools and compilers, as it lists them to warn of a mistyped one.
 */
const AFL_NAMES = new Set(
  `
  ALIGNED_ALLOC ALLOW_TMP ANALYZE_HEX AS AS_FORCE_INSTRUMENT AUTORESUME BENCH_JUST_ONE
  BENCH_UNTIL_CRASH CAL_FAST CC CC_COMPILER CMIN_ALLOW_ANY CMIN_CRASHES_ONLY CMPLOG_ONLY_NEW
  CODE_END CODE_START COMPCOV_BINNAME COMPCOV_LEVEL CRASH_EXITCODE CS_CUSTOM_BIN
  CUSTOM_MUTATOR_LIBRARY CUSTOM_MUTATOR_ONLY CXX CYCLE_SCHEDULES DEBUG DEBUG_CHILD
  DEBUG_CHILD_OUTPUT DEBUG_GDB DISABLE_LLVM_INSTRUMENTATION DISABLE_TRIM DONT_OPTIMIZE
  DRIVER_STDERR_DUPLICATE_FILENAME DUMB_FORKSRV EARLY_FORKSERVER ENTRYPOINT EXIT_ON_SEED_ISSUES
  EXIT_ON_TIME EXIT_WHEN_DONE EXPAND_HAVOC_NOW FAST_CAL FORCE_UI FORKSRV_INIT_TMOUT
  FRIDA_DEBUG_MAPS FRIDA_DRIVER_NO_HOOK FRIDA_EXCLUDE_RANGES FRIDA_INST_CACHE_SIZE
  FRIDA_INST_COVERAGE_ABSOLUTE FRIDA_INST_COVERAGE_FILE FRIDA_INST_DEBUG_FILE FRIDA_INST_INSN
  FRIDA_INST_JIT FRIDA_INST_NO_CACHE FRIDA_INST_NO_OPTIMIZE FRIDA_INST_NO_PREFETCH
  FRIDA_INST_NO_PREFETCH_BACKPATCH FRIDA_INST_RANGES FRIDA_INST_REGS_FILE FRIDA_INST_SEED
  FRIDA_INST_TRACE FRIDA_INST_TRACE_UNIQUE FRIDA_INST_UNSTABLE_COVERAGE_FILE FRIDA_JS_SCRIPT
  FRIDA_OUTPUT_STDERR FRIDA_OUTPUT_STDOUT FRIDA_PERSISTENT_ADDR FRIDA_PERSISTENT_CNT
  FRIDA_PERSISTENT_DEBUG FRIDA_PERSISTENT_HOOK FRIDA_PERSISTENT_RET FRIDA_STALKER_ADJACENT_BLOCKS
  FRIDA_STALKER_IC_ENTRIES FRIDA_STALKER_NO_BACKPATCH FRIDA_STATS_FILE FRIDA_STATS_INTERVAL
  FRIDA_TRACEABLE FRIDA_VERBOSE FUZZER_ARGS GCC_ALLOWLIST GCC_BLOCKLIST GCC_DENYLIST
  GCC_INSTRUMENT_FILE GCC_OUT_OF_LINE GCC_SKIP_NEVERZERO GCC_WHITELIST GCJ GDB HANG_TMOUT HARDEN
  IGNORE_PROBLEMS IGNORE_UNKNOWN_ENVS IMPORT_FIRST INPUT_LEN_MAX INPUT_LEN_MIN INST_LIBS
  INST_RATIO I_DONT_CARE_ABOUT_MISSING_CRASHES KEEP_ASSEMBLY KEEP_TIMEOUTS KEEP_TRACES
  KILL_SIGNAL LD_HARD_FAIL LD_LIMIT_MB LD_NO_CALLOC_OVER LD_PASSTHROUGH LD_PRELOAD LD_VERBOSE
  LLVM_ALLOWLIST LLVM_AUTODICTIONARY LLVM_BLOCKLIST LLVM_CALLER LLVM_CMPLOG LLVM_CTX LLVM_CTX_K
  LLVM_DENYLIST LLVM_DICT2FILE LLVM_DOCUMENT_IDS LLVM_INSTRIM LLVM_INSTRIM_LOOPHEAD
  LLVM_INSTRIM_SKIPSINGLEBLOCK LLVM_INSTRUMENT LLVM_INSTRUMENT_FILE LLVM_LAF_ALL
  LLVM_LAF_SPLIT_COMPARES LLVM_LAF_SPLIT_COMPARES_BITW LLVM_LAF_SPLIT_FLOATS
  LLVM_LAF_SPLIT_SWITCHES LLVM_LAF_TRANSFORM_COMPARES LLVM_LTO_AUTODICTIONARY
  LLVM_LTO_DONTWRITEID LLVM_LTO_STARTID LLVM_MAP_ADDR LLVM_MAP_DYNAMIC LLVM_NGRAM_SIZE
  LLVM_NOT_ZERO LLVM_SKIPSINGLEBLOCK LLVM_SKIP_NEVERZERO LLVM_THREADSAFE_INST LLVM_USE_TRACE_PC
  LLVM_WHITELIST MAPSIZE MAP_SIZE MAX_DET_EXTRAS NGRAM_SIZE NOOPT NO_AFFINITY NO_ARITH
  NO_AUTODICT NO_BUILTIN NO_COLOR NO_COLOUR NO_CPU_RED NO_CRASH_README NO_FORKSRV NO_PYTHON
  NO_SNAPSHOT NO_STARTUP_CALIBRATION NO_UI NO_X86 PASSTHROUGH PATH PERFORMANCE_FILE
  PERSISTENT_RECORD PIZZA_MODE POST_LIBRARY PRELOAD PRINT_FILENAMES PYTHON_MODULE QEMU_COMPCOV
  QEMU_COMPCOV_DEBUG QEMU_CUSTOM_BIN QEMU_DEBUG_MAPS QEMU_DISABLE_CACHE QEMU_DRIVER_NO_HOOK
  QEMU_EXCLUDE_RANGES QEMU_FORCE_DFL QEMU_INST_RANGES QEMU_PERSISTENT_ADDR QEMU_PERSISTENT_CNT
  QEMU_PERSISTENT_EXITS QEMU_PERSISTENT_GPR QEMU_PERSISTENT_HOOK QEMU_PERSISTENT_MEM
  QEMU_PERSISTENT_RET QEMU_PERSISTENT_RETADDR_OFFSET QEMU_SNAPSHOT QEMU_TRACK_UNSTABLE QUIET
  RANDOM_ALLOC_CANARY REAL_LD REAL_PATH SHUFFLE_QUEUE SKIP_BIN_CHECK SKIP_CPUFREQ SKIP_CRASHES
  SKIP_OSSFUZZ STATSD STATSD_HOST STATSD_PORT STATSD_TAGS_FLAVOR SYNC_TIME TARGET_ENV
  TESTCACHE_ENTRIES TESTCACHE_SIZE TMIN_EXACT TMPDIR TOKEN_FILE TRACE_PC TRY_AFFINITY
  UNTRACER_FILE USE_ASAN USE_CFISAN USE_FASAN USE_LSAN USE_MSAN USE_QASAN USE_TRACE_PC USE_TSAN
  USE_UBSAN WINE_PATH
`.trim().split(/\s+/).map((n) => `AFL_${n}`),
);

/** `name=value` for an AFL_ variable afl-fuzz does not know, with the known name nearest it. */
function mistyped(name: string, value: string): string {
  let best = "", bestDistance = 4;
  for (const known of AFL_NAMES) {
    const d = editDistance(name, known);
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return `mistyped AFL environment variable ${name}=${value}${
    best ? ` (did you mean ${best}?)` : ""
  }`;
}

/**
 * The variables of {@linkcode IGNORED} set in `env`, each with why, and as afl-fuzz 4.04c warns of
 * them (AFL_IGNORE_UNKNOWN_ENVS or not), the AFL_ variables it does not know.
 *
 * @example
 * ```ts
 * import { ignoredVariables } from "./fuzz_env.ts";
 * console.log(ignoredVariables({ AFL_STATSD: "1" })); // [ "AFL_STATSD (there are no StatsD metrics)" ]
 * console.log(ignoredVariables({ AFL_NO_UIX: "1" }));
 * // [ "mistyped AFL environment variable AFL_NO_UIX=1 (did you mean AFL_NO_UI?)" ]
 * ```
 */
export function ignoredVariables(env: Record<string, string> = Deno.env.toObject()): string[] {
  const ignored = Object.keys(IGNORED).filter((k) => k in env).map((k) => `${k} (${IGNORED[k]})`);
  const unknown = Object.keys(env).filter((k) => k.startsWith("AFL_") && !AFL_NAMES.has(k));
  return [...ignored, ...unknown.sort().map((k) => mistyped(k, env[k]))];
}

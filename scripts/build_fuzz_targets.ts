// Rebuilds the fuzz targets with planted bugs (tests/fuzz/src/*.c) for
// riscv64 Linux, static, into tests/fuzz/bin/. The binaries are committed so
// the tests need only Deno. Needs riscv64-linux-gnu-gcc (Debian
// gcc-riscv64-linux-gnu). Run: deno task fuzztargets [NAME...] (default: all)
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CC = "riscv64-linux-gnu-gcc";

/** The targets: one planted bug each (see the comment at the top of each source). */
export const FUZZ_TARGETS = ["bytes", "magic32", "strcmp", "checksum", "state", "switch"];
/** Targets the harness, showmap and fuzz flag tests use (see each source; exitcode: AFL_CRASH_EXITCODE). */
export const HARNESS_TARGETS = ["leak", "loop", "pathname", "exitcode"];
/**
 * Debug builds for `emu cov` (`-O0 -g`, DWARF 5 as gcc emits by default, and
 * DWARF 4), named `SOURCE.FLAVOUR`. Source paths in their line tables are
 * relative to the repository (`-fdebug-prefix-map`), so they resolve in any checkout.
 */
export const DEBUG_TARGETS: Record<string, string[]> = {
  "state.dwarf5": ["-O0", "-g"],
  "state.dwarf4": ["-O0", "-gdwarf-4"],
};
/** Dynamic builds: their `strcmp` and `memcmp` are libc.so's (cmplog hooks them by symbol there). */
export const DYNAMIC_TARGETS: Record<string, string[]> = { "strcmp.dynamic": ["-O1"] };
/**
 * A dynamic program whose fuzzed function is in a shared library of its
 * own, both `-O0 -g`: `emu cov` reads the library's line table. The library
 * is found next to the program (`$ORIGIN` run path).
 */
export const SHARED_TARGETS: Record<string, { library: string; main: string }> = {
  "state.shared": { library: "libstate.so", main: "shared_main" },
};
const DEBUG_FLAGS = ["-O0", "-g", "-Wl,--build-id=none"];

async function cc(name: string, args: string[]): Promise<void> {
  const prefixMap = `-fdebug-prefix-map=${ROOT.replace(/\/$/, "")}=.`;
  const out = await new Deno.Command(CC, {
    args: [prefixMap, ...args],
    cwd: ROOT,
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
  console.log(`built tests/fuzz/bin/${name}`);
}

async function buildShared(name: string): Promise<void> {
  const [source] = name.split("."), { library, main } = SHARED_TARGETS[name];
  const lib = ["-DNO_MAIN", "-fPIC", "-shared", "-o", `tests/fuzz/bin/${library}`];
  await cc(library, [...DEBUG_FLAGS, ...lib, `tests/fuzz/src/${source}.c`]);
  await cc(name, [
    ...DEBUG_FLAGS,
    "-Wl,-rpath,$ORIGIN",
    "-o",
    `tests/fuzz/bin/${name}`,
    `tests/fuzz/src/${main}.c`,
    "-Ltests/fuzz/bin",
    `-l${library.replace(/^lib|\.so$/g, "")}`,
  ]);
}

async function build(name: string): Promise<void> {
  if (SHARED_TARGETS[name]) return buildShared(name);
  const [source, flavour] = name.split(".");
  const flags = flavour ? DEBUG_TARGETS[name] ?? DYNAMIC_TARGETS[name] : ["-O1"];
  if (!flags) throw new Error(`${name}: not a fuzz target`);
  await cc(name, [
    ...flags,
    ...DYNAMIC_TARGETS[name] ? [] : ["-static"],
    "-o",
    `tests/fuzz/bin/${name}`,
    `tests/fuzz/src/${source}.c`,
  ]);
}

if (import.meta.main) {
  try {
    const names = Deno.args.length ? Deno.args : [
      ...FUZZ_TARGETS,
      ...HARNESS_TARGETS,
      ...Object.keys(DEBUG_TARGETS),
      ...Object.keys(SHARED_TARGETS),
    ];
    for (const t of names) await build(t);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      console.error(`${CC} not found: install gcc-riscv64-linux-gnu (Debian)`);
      Deno.exit(1);
    }
    throw e;
  }
}

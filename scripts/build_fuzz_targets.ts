// Rebuilds the fuzz targets with planted bugs (tests/fuzz/src/*.c) for
// riscv64 Linux, static, into tests/fuzz/bin/. The binaries are committed so
// the tests need only Deno. Needs riscv64-linux-gnu-gcc (Debian
// gcc-riscv64-linux-gnu). Run: deno task fuzztargets [NAME...] (default: all)
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CC = "riscv64-linux-gnu-gcc";

/** The targets: one planted bug each (see the comment at the top of each source). */
export const FUZZ_TARGETS = ["bytes", "magic32", "strcmp", "checksum", "state", "switch"];
/** Targets the harness tests use (no planted bug; see each source). */
export const HARNESS_TARGETS = ["leak"];
/**
 * Debug builds for `emu cov` (`-O0 -g`, DWARF 5 as gcc emits by default, and
 * DWARF 4), named `SOURCE.FLAVOUR`. Source paths in their line tables are
 * relative to the repository (`-fdebug-prefix-map`), so they resolve in any checkout.
 */
export const DEBUG_TARGETS: Record<string, string[]> = {
  "state.dwarf5": ["-O0", "-g"],
  "state.dwarf4": ["-O0", "-gdwarf-4"],
};

async function build(name: string): Promise<void> {
  const [source, flavour] = name.split(".");
  const flags = flavour ? DEBUG_TARGETS[name] : ["-O1"];
  if (!flags) throw new Error(`${name}: not a fuzz target`);
  const args = [
    ...flags,
    `-fdebug-prefix-map=${ROOT.replace(/\/$/, "")}=.`,
    "-static",
    "-o",
    `tests/fuzz/bin/${name}`,
    `tests/fuzz/src/${source}.c`,
  ];
  const out = await new Deno.Command(CC, { args, cwd: ROOT, stderr: "piped" }).output();
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
  console.log(`built tests/fuzz/bin/${name}`);
}

if (import.meta.main) {
  try {
    const names = Deno.args.length
      ? Deno.args
      : [...FUZZ_TARGETS, ...HARNESS_TARGETS, ...Object.keys(DEBUG_TARGETS)];
    for (const t of names) await build(t);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      console.error(`${CC} not found: install gcc-riscv64-linux-gnu (Debian)`);
      Deno.exit(1);
    }
    throw e;
  }
}

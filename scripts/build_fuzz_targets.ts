// Rebuilds the fuzz targets with planted bugs (tests/fuzz/src/*.c) for
// riscv64 Linux, static, into tests/fuzz/bin/. The binaries are committed so
// the tests need only Deno. Needs riscv64-linux-gnu-gcc (Debian
// gcc-riscv64-linux-gnu). Run: deno task fuzztargets [NAME...] (default: all)
import { fileURLToPath } from "node:url";

const DIR = fileURLToPath(new URL("../tests/fuzz/", import.meta.url));
const CC = "riscv64-linux-gnu-gcc";

/** The targets: one planted bug each (see the comment at the top of each source). */
export const FUZZ_TARGETS = ["bytes", "magic32", "strcmp", "checksum", "state"];
/** Targets the harness tests use (no planted bug; see each source). */
export const HARNESS_TARGETS = ["leak"];

async function build(name: string): Promise<void> {
  const args = ["-O1", "-static", "-o", `${DIR}bin/${name}`, `${DIR}src/${name}.c`];
  const out = await new Deno.Command(CC, { args, stderr: "piped" }).output();
  if (!out.success) throw new Error(`${name}: ${new TextDecoder().decode(out.stderr)}`);
  console.log(`built tests/fuzz/bin/${name}`);
}

if (import.meta.main) {
  try {
    const names = Deno.args.length ? Deno.args : [...FUZZ_TARGETS, ...HARNESS_TARGETS];
    for (const t of names) await build(t);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      console.error(`${CC} not found: install gcc-riscv64-linux-gnu (Debian)`);
      Deno.exit(1);
    }
    throw e;
  }
}

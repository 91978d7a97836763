// Where mmap, mremap and brk put memory in user mode, against qemu-riscv64 and qemu-aarch64 7.2
// in the same run: tests/guests/src/c/mmap_layout.c (static, and dynamic with -L) prints every
// address it gets, then /proc/self/maps (file names left out: QEMU shows host paths), and both
// emulators write their `-d page` log. The output must be the same, and the page log from the
// program's load on (QEMU's lines before it are about its host). Both run with an empty
// environment, as Denemu's guests get one, so that the stacks match.
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { installed } from "./util/installed.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
const LIMIT_MS = 120_000;

const CASES = [
  { qemu: "qemu-riscv64", bin: "mmap_layout.static.O2" },
  { qemu: "qemu-riscv64", bin: "mmap_layout.dynamic.O2" },
  { qemu: "qemu-aarch64", bin: "aarch64/mmap_layout.static.O2" },
  { qemu: "qemu-aarch64", bin: "aarch64/mmap_layout.dynamic.O2" },
];

/** Runs `cmd` in a fresh directory with `-d page` logging to a file there: its stdout and log. */
async function run(cmd: string[]): Promise<{ stdout: string; log: string }> {
  const dir = await Deno.makeTempDir({ prefix: "denemu-mmap-layout-" });
  try {
    const [exe, ...rest] = cmd;
    const out = await new Deno.Command(exe, {
      args: [...rest.slice(0, -1), "-d", "page", "-D", `${dir}/page.log`, rest.at(-1)!],
      cwd: dir,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(LIMIT_MS),
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    ok(out.success, `${exe} failed: ${stdout}${new TextDecoder().decode(out.stderr)}`);
    return { stdout, log: await Deno.readTextFile(`${dir}/page.log`) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The page maps of a log from the program's load on, without those that show a mapping the
 * host kernel placed (QEMU's brk asks for its next pages without MAP_FIXED: when a mapping is
 * there already, the host puts them near its own libraries, where its ASLR says, and QEMU
 * logs that before it unmaps them).
 */
function pageMaps(log: string): string[] {
  const from = log.indexOf("page layout changed following binary load");
  ok(from >= 0, log);
  return log.slice(from).split(/(?=page layout changed)/)
    .filter((map) => !/^00007f/m.test(map));
}

for (const { qemu, bin } of CASES) {
  const sysroot = `/usr/${qemu.slice(5)}-linux-gnu`;
  const skipped = installed(qemu) ? "" : ` (skipped: ${qemu} not installed)`;
  if (skipped) console.log(`mmap_layout_peer_test: ${bin}${skipped}`);
  Deno.test({
    name: `${bin}: mmap, mremap and brk addresses and -d page as ${qemu}${skipped}`,
    ignore: skipped !== "",
    async fn() {
      const prog = BIN + bin;
      const theirs = await run([qemu, "-L", sysroot, prog]);
      const ours = await run([Deno.execPath(), "run", "-A", MOD, "user", "-L", sysroot, prog]);
      const want = theirs.stdout.split("\n");
      assertEquals(ours.stdout.split("\n"), want);
      ok(want.length > 60 && want.includes("moved data: kept"), theirs.stdout);
      const wantMaps = pageMaps(theirs.log), gotMaps = pageMaps(ours.log);
      assertEquals(gotMaps, wantMaps);
      ok(wantMaps.length > 20, theirs.log);
    },
  });
}

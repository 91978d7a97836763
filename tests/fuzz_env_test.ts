// The AFL_* environment variables `emu fuzz` honours as afl-fuzz does:
// AFL_BENCH_UNTIL_CRASH ends the campaign at its first crash,
// AFL_EXIT_WHEN_DONE when it is exhausted, AFL_NO_UI prints status lines
// instead of the screen on a terminal; those it has no use for get a warning.
import assert from "node:assert/strict";
import { FUZZ_LIMIT_MS } from "./util/afl.ts";

const dec = new TextDecoder();

/** `emu fuzz` on `target` with `env`, through `wrap` if given (magic32's bug falls in about a second). */
async function fuzz(
  env: Record<string, string>,
  seconds: number,
  wrap?: string[],
  target = "magic32",
) {
  const inDir = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  await Deno.writeTextFile(`${inDir}/seed`, "AAAAAAAA");
  const argv = [Deno.execPath(), "run", "-A", "mod.ts", "fuzz", "-i", inDir, "-o", out];
  argv.push("-V", `${seconds}`, "-s", "1", "--", `tests/fuzz/bin/${target}`, "@@");
  const cmd = wrap ? [...wrap, argv.join(" "), "/dev/null"] : argv;
  const signal = AbortSignal.timeout(FUZZ_LIMIT_MS);
  const r = await new Deno.Command(cmd[0], { args: cmd.slice(1), env, stdout: "piped", signal })
    .output();
  const stats = await Deno.readTextFile(`${out}/default/fuzzer_stats`);
  for (const d of [inDir, out]) await Deno.remove(d, { recursive: true });
  const field = (k: string) => Number(new RegExp(`^${k}\\s*: (\\d+)`, "m").exec(stats)?.[1]);
  return {
    code: r.code,
    out: dec.decode(r.stdout),
    runTime: field("run_time"),
    crashes: field("saved_crashes"),
    cyclesWoFinds: field("cycles_wo_finds"),
  };
}

Deno.test("emu fuzz: AFL_BENCH_UNTIL_CRASH ends the campaign at its first crash, as afl-fuzz", async () => {
  // Before: the variable was not read and the campaign ran its whole -V 60.
  const r = await fuzz({ AFL_BENCH_UNTIL_CRASH: "1" }, 60);
  assert.equal(r.code, 0, r.out);
  assert.equal(r.crashes, 1);
  assert(r.runTime < 45, `ran ${r.runTime} s of the 60 s asked`);
});

Deno.test("emu fuzz: AFL_EXIT_WHEN_DONE ends an exhausted campaign (100 cycles without a find), as afl-fuzz", async () => {
  // leak's one path is found by its seed: about 26,000 executions make 100 cycles
  const r = await fuzz({ AFL_EXIT_WHEN_DONE: "1" }, 120, undefined, "leak");
  assert.equal(r.code, 0, r.out);
  assert.equal(r.cyclesWoFinds, 101);
  assert(r.runTime < 100, `ran ${r.runTime} s of the 120 s asked`);
});

Deno.test({
  name: "emu fuzz: AFL_NO_UI prints status lines, not the screen, on a terminal",
  ignore: !(await new Deno.Command("sh", { args: ["-c", "command -v script"] }).output()).success,
  async fn() {
    // util-linux's script gives the campaign a terminal
    const script = ["script", "-qec"];
    const screen = await fuzz({}, 2, script);
    assert(screen.out.includes("\x1b[H"), "no status screen on a terminal");
    const lines = await fuzz({ AFL_NO_UI: "1" }, 2, script);
    assert(!lines.out.includes("\x1b["), JSON.stringify(lines.out));
    assert.match(lines.out, /emu fuzz: .* execs/);
  },
});

Deno.test("emu fuzz: afl-fuzz's variables that name what Denemu lacks are warned about, not silently ignored", async () => {
  // before: AFL_KILL_SIGNAL and the others were not read and the campaign said nothing
  const inDir = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  await Deno.writeTextFile(`${inDir}/seed`, "AAAAAAAA");
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "mod.ts",
      "fuzz",
      "-i",
      inDir,
      "-o",
      out,
      "-V",
      "1",
      "--",
      "tests/fuzz/bin/leak",
      "@@",
    ],
    env: { AFL_KILL_SIGNAL: "9", AFL_HANG_TMOUT: "500" },
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(FUZZ_LIMIT_MS),
  }).output();
  for (const d of [inDir, out]) await Deno.remove(d, { recursive: true });
  const err = dec.decode(r.stderr);
  assert.equal(r.code, 0, err);
  assert.match(err, /^emu fuzz: warning: ignoring AFL_KILL_SIGNAL \(no child process is killed/m);
  assert.match(err, /^emu fuzz: warning: ignoring AFL_HANG_TMOUT \(-t, in guest instructions/m);
});

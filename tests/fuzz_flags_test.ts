// afl-fuzz's flags on `emu fuzz`'s command line, beside afl-fuzz on a native
// build of the same target in the same run: -T (the banner, and fuzzer_stats'
// execs_per_sec and execs_ps_last_min beside it), -G and -g (the
// longest and shortest input run), and the flags that change nothing here
// (-d, -Z, -D, -p) run as they do there, where a bad -p, -l, -E or -S/-M
// name, a second -T, -i, -o, -S/-M or a -m too small is refused as afl-fuzz refuses it.
import assert from "node:assert/strict";
import { AFL_ENV, aflTest, aflWorkspace, FUZZ_LIMIT_MS, missingAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_flags_test");
const dec = new TextDecoder();

/** Runs `cmd args...` with AFL_ENV; its exit status and stderr. */
async function run(cmd: string, args: string[]) {
  const r = await new Deno.Command(cmd, {
    args,
    env: AFL_ENV,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(FUZZ_LIMIT_MS),
  }).output();
  return { code: r.code, err: dec.decode(r.stderr) };
}

/** The sizes of `node`'s queue entries, by id; the seed is the first. */
function sizes(node: string): number[] {
  return [...Deno.readDirSync(`${node}/queue`)].map((e) => e.name)
    .filter((n) => n.startsWith("id:")).sort().map((n) => Deno.statSync(`${node}/queue/${n}`).size);
}

/** A temporary directory with a seed and a native build of state.c; afl-fuzz and emu fuzz on it. */
async function setUp() {
  const { dir, bin } = await aflWorkspace("state");
  const fuzzers = {
    afl: (flags: string[], o: string) =>
      run("afl-fuzz", ["-i", `${dir}/in`, "-o", o, "-V", "2", ...flags, "--", bin, "@@"]),
    den: (flags: string[], o: string) =>
      run(Deno.execPath(), [
        ...["run", "-A", "mod.ts", "fuzz", "-i", `${dir}/in`, "-o", o, "-V", "2", ...flags],
        ...["--", "tests/fuzz/bin/state", "@@"],
      ]),
  };
  return { dir, bin, fuzzers };
}

Deno.test({
  ...aflTest(`afl-fuzz's -T, -G, -g, -d, -Z, -D, -p as afl-fuzz reads them`, missing),
  async fn() {
    const { dir, bin, fuzzers } = await setUp();
    for (const [name, fuzz] of Object.entries(fuzzers)) {
      // before: every one of these flags was an unknown option
      const long = await fuzz(
        ["-T", "banner 1", "-G", "4", "-d", "-Z", "-p", "explore"],
        `${dir}/G`,
      );
      assert.equal(long.code, 0, `${name}: ${long.err}`);
      const stats = await Deno.readTextFile(`${dir}/G/default/fuzzer_stats`);
      assert.match(stats, /^afl_banner +: banner 1$/m, name);
      // execs_per_sec is the campaign's average, execs_ps_last_min 0 in its first minute
      // (before: both were Denemu's speed of the last second)
      const field = (k: string) => Number(new RegExp(`^${k} +: ([\\d.]+)`, "m").exec(stats)?.[1]);
      assert.equal(field("execs_ps_last_min"), 0, name);
      const average = field("execs_done") / field("run_time");
      assert(Math.abs(field("execs_per_sec") / average - 1) < 0.5, `${name}: ${stats}`);
      const cut = sizes(`${dir}/G/default`);
      assert(cut.length > 1 && cut[0] === 4 && cut.every((n) => n <= 4), `${name}: ${cut}`);
      const short = await fuzz(["-g", "12", "-D"], `${dir}/g`);
      assert.equal(short.code, 0, `${name}: ${short.err}`);
      // before: Denemu's banner was the program's file name, afl-fuzz's the program as given
      const program = name === "afl" ? bin : "tests/fuzz/bin/state";
      const banner = (await Deno.readTextFile(`${dir}/g/default/fuzzer_stats`)).split("\n")
        .find((l) => l.startsWith("afl_banner"));
      assert.equal(banner, `afl_banner        : ${program}`);
      const padded = sizes(`${dir}/g/default`);
      assert(padded.length > 1 && padded[0] === 8, `${name}: ${padded}`);
      assert(padded.slice(1).every((n) => n >= 12), `${name}: ${padded}`);
      await Deno.remove(`${dir}/G`, { recursive: true });
      await Deno.remove(`${dir}/g`, { recursive: true });
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest(
    `bad -p, -l, -E, -S/-M names and repeated -T, -i, -o, -S/-M are refused, as afl-fuzz`,
    missing,
  ),
  async fn() {
    const { dir, fuzzers } = await setUp();
    for (const [name, fuzz] of Object.entries(fuzzers)) {
      // before: all but -p, -l and -T ran (the last -i, -o, -S won; -S ../esc wrote outside -o)
      for (
        const bad of [
          ["-p", "bogus"],
          ["-l", "9"],
          ["-T", "a", "-T", "b"],
          ["-S", "../esc"],
          ["-S", "a.b"],
          ["-S", "x".repeat(25)],
          ["-M", "a", "-S", "b"],
          ["-E", "-5"],
          ["-i", `${dir}/in`],
          ["-o", `${dir}/bad2`],
          // before: Denemu's guest did not fit, "internal error: errno 12", exit 70
          ["-m", "3"],
        ]
      ) {
        assert.equal((await fuzz(bad, `${dir}/bad`)).code, 1, `${name} ${bad.join(" ")}`);
      }
      assert.throws(() => Deno.statSync(`${dir}/esc`), Deno.errors.NotFound);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  ...aflTest(
    `-f: the program reads its input from the file named; @@ is passed as is, as afl-fuzz`,
    missing,
  ),
  async fn() {
    const { dir, bin } = await setUp();
    const cur = `${dir}/cur`;
    // Denemu runs the whole program (its main opens argv[1]), not LLVMFuzzerTestOneInput in memory
    const fuzz = (o: string, program: string, arg: string) => {
      const common = ["-i", `${dir}/in`, "-o", `${dir}/${o}`, "-V", "2", "-f", cur];
      return program === bin ? run("afl-fuzz", [...common, "--", bin, arg]) : run(Deno.execPath(), [
        "run",
        "-A",
        "mod.ts",
        "fuzz",
        "--whole-program",
        ...common,
        "--",
        program,
        arg,
      ]);
    };
    // before: -f was an unknown option
    for (const [o, program] of [["afl", bin], ["den", "tests/fuzz/bin/state"]]) {
      const r = await fuzz(o, program, cur);
      assert.equal(r.code, 0, `${o}: ${r.err}`);
      // new entries: the mutated inputs reached the program through the file
      assert(sizes(`${dir}/${o}/default`).length > 1, o);
    }
    // with -f, afl-fuzz passes @@ as is: the program fails to open "@@" and never reads an input
    // (it fuzzes on, finding nothing; Denemu refuses a program that never reads its input)
    const afl = await fuzz("afl@@", bin, "@@");
    assert.equal(afl.code, 0, afl.err);
    assert.equal(sizes(`${dir}/afl@@/default`).length, 1); // the seed alone
    const den = await fuzz("den@@", "tests/fuzz/bin/state", "@@");
    assert.equal(den.code, 1, den.err);
    assert.match(den.err, /never read its input/);
    await Deno.remove(dir, { recursive: true });
  },
});

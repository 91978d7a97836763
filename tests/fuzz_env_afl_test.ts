// afl-fuzz 4.04c's environment variables that a campaign script sets, beside afl-fuzz on a native
// build of the same target in the same run: AFL_NO_CRASH_README (no crashes/README.txt),
// AFL_EXIT_ON_TIME (stop that many seconds after the last new path, once there is one) and
// AFL_INPUT_LEN_MAX (-G's default), AFL_CRASH_EXITCODE (an exit status that is a crash), and the
// warning for a mistyped AFL_ variable.
import assert from "node:assert/strict";
import {
  AFL_ENV,
  aflOutput,
  aflTest,
  aflWorkspace,
  FUZZ_LIMIT_MS,
  missingAfl,
} from "./util/afl.ts";

const missing = await missingAfl("fuzz_env_afl_test");

/** afl-fuzz and emu fuzz on `target` with `env`, for at most `seconds`: their output dirs. */
async function both(target: string, env: Record<string, string>, seconds: number) {
  const { dir, bin } = await aflWorkspace(target);
  const args = (o: string) => ["-i", `${dir}/in`, "-o", `${dir}/${o}`, "-V", `${seconds}`, "--"];
  const run = async (cmd: string, argv: string[]) => {
    const signal = AbortSignal.timeout(FUZZ_LIMIT_MS);
    const r = await new Deno.Command(cmd, { args: argv, env: { ...AFL_ENV, ...env }, signal })
      .output();
    assert.equal(r.code, 0, `${cmd} ${argv.join(" ")}`);
  };
  await run("afl-fuzz", [...args("afl"), bin, "@@"]);
  await run(Deno.execPath(), [
    "run",
    "-A",
    "mod.ts",
    "fuzz",
    ...args("den"),
    `tests/fuzz/bin/${target}`,
    "@@",
  ]);
  return { dir, nodes: { afl: `${dir}/afl/default`, den: `${dir}/den/default` } };
}

function stat(node: string, key: string): number {
  const stats = Deno.readTextFileSync(`${node}/fuzzer_stats`);
  return Number(new RegExp(`^${key}\\s*: (\\d+)`, "m").exec(stats)?.[1]);
}

function names(path: string): string[] {
  return [...Deno.readDirSync(path)].map((e) => e.name).sort();
}

Deno.test(
  aflTest("emu fuzz: AFL_NO_CRASH_README leaves crashes/README.txt out, as afl-fuzz", missing),
  async () => {
    // pathname crashes on an input starting with '!': both find it in seconds
    const env = { AFL_BENCH_UNTIL_CRASH: "1", AFL_NO_CRASH_README: "1" };
    const { dir, nodes } = await both("pathname", env, 60);
    for (const [name, node] of Object.entries(nodes)) {
      const crashes = names(`${node}/crashes`);
      // before: Denemu wrote README.txt with the first crash all the same
      assert(
        crashes.length === 1 && crashes[0].startsWith("id:000000,sig:11,"),
        `${name}: ${crashes}`,
      );
    }
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  aflTest(
    "emu fuzz: AFL_EXIT_ON_TIME ends a campaign idle that long after a find, as afl-fuzz",
    missing,
  ),
  async () => {
    // magic32's short inputs and its crash come at once, then nothing new: both stop early
    const found = await both("magic32", { AFL_EXIT_ON_TIME: "2" }, 40);
    for (const [name, node] of Object.entries(found.nodes)) {
      assert(stat(node, "last_find") > 0, `${name}: no find`);
      assert(stat(node, "run_time") < 30, `${name} ran ${stat(node, "run_time")} s`);
    }
    await Deno.remove(found.dir, { recursive: true });
    // leak's one path is its seed's: without a find the campaign runs its -V
    const none = await both("leak", { AFL_EXIT_ON_TIME: "1" }, 5);
    for (const [name, node] of Object.entries(none.nodes)) {
      assert.equal(stat(node, "last_find"), 0, name);
      assert(stat(node, "run_time") >= 4, `${name} ran ${stat(node, "run_time")} s`);
    }
    await Deno.remove(none.dir, { recursive: true });
  },
);

Deno.test(
  aflTest("emu fuzz: AFL_INPUT_LEN_MAX cuts the inputs run as -G does, as afl-fuzz", missing),
  async () => {
    const { dir, nodes } = await both("state", { AFL_INPUT_LEN_MAX: "4" }, 3);
    for (const [name, node] of Object.entries(nodes)) {
      const sizes = names(`${node}/queue`).filter((n) => n.startsWith("id:"))
        .map((n) => Deno.statSync(`${node}/queue/${n}`).size);
      // the seed (8 bytes) is kept as it is; before: Denemu's finds grew past 4 bytes
      assert(sizes.length > 1 && sizes.slice(1).every((n) => n <= 4), `${name}: ${sizes}`);
    }
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  aflTest("emu fuzz: a mistyped AFL_ variable gets a warning naming it, as afl-fuzz", missing),
  async () => {
    const { dir, bin } = await aflWorkspace("leak");
    const args = (o: string) => ["-i", `${dir}/in`, "-o", `${dir}/${o}`, "-E", "20", "--"];
    // afl-fuzz 4.04c warns with AFL_IGNORE_UNKNOWN_ENVS set too
    const env = {
      AFL_NO_UIX: "1",
      AFL_FAST_CAL: "1",
      AFL_CMPLOG_ONLY_NEW: "1",
      AFL_IGNORE_UNKNOWN_ENVS: "1",
    };
    const afl = await aflOutput("afl-fuzz", [...args("afl"), bin, "@@"], env);
    const den = await aflOutput(
      Deno.execPath(),
      ["run", "-A", "mod.ts", "fuzz", ...args("den"), "tests/fuzz/bin/leak", "@@"],
      env,
    );
    for (const [name, r] of Object.entries({ afl, den })) {
      assert.equal(r.code, 0, `${name}: ${r.err}`);
      const text = r.out + r.err;
      // before: Denemu said nothing; the variables afl-fuzz knows get no such warning
      assert.match(text, /[Mm]istyped.*AFL_NO_UIX=1/, name);
      assert.match(text, /did you mean AFL_NO_UI\?/i, name);
      assert.doesNotMatch(text, /[Mm]istyped.*AFL_(FAST_CAL|CMPLOG_ONLY_NEW|IGNORE)/, name);
    }
    await Deno.remove(dir, { recursive: true });
  },
);

Deno.test(
  aflTest(
    "emu fuzz: AFL_CRASH_EXITCODE makes an exit status a crash (sig:00), as afl-fuzz",
    missing,
  ),
  async () => {
    // exitcode exits with status 3 when its input's first byte is not 'A'
    for (const [env, expected] of [[{ AFL_CRASH_EXITCODE: "3" }, 1], [{}, 0]] as const) {
      const { dir, nodes } = await both("exitcode", env, 2);
      for (const [name, node] of Object.entries(nodes)) {
        const crashes = names(`${node}/crashes`).filter((n) => n.startsWith("id:"));
        // before: Denemu warned that it ignored AFL_CRASH_EXITCODE, and saved no crash
        assert.equal(Math.min(crashes.length, 1), expected, `${name} ${JSON.stringify(env)}`);
        assert(crashes.every((n) => n.includes(",sig:00,")), `${name}: ${crashes}`);
      }
      await Deno.remove(dir, { recursive: true });
    }
    // a status out of range stops both, in afl-fuzz's words
    const { dir, bin } = await aflWorkspace("exitcode");
    const args = (o: string) => ["-i", `${dir}/in`, "-o", `${dir}/${o}`, "-V", "1", "--"];
    const env = { AFL_CRASH_EXITCODE: "200" };
    const afl = await aflOutput("afl-fuzz", [...args("afl"), bin, "@@"], env);
    const den = await aflOutput(
      Deno.execPath(),
      ["run", "-A", "mod.ts", "fuzz", ...args("den"), "tests/fuzz/bin/exitcode", "@@"],
      env,
    );
    for (const [name, r] of Object.entries({ afl, den })) {
      assert.equal(r.code, 1, `${name}: ${r.err}`);
      assert.match(r.out + r.err, /Invalid crash exitcode, expected -127 to 128, but got 200/);
    }
    await Deno.remove(dir, { recursive: true });
  },
);

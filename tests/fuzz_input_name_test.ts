// The name `@@` stands for, beside afl-fuzz 4 on a native build of the same target in the same
// run: `.cur_input` in the worker's directory, with `-e`'s extension, in AFL_TMPDIR when set;
// an AFL_TMPDIR that is not a directory and an extension with a
// `/` are refused, as afl-fuzz cannot create the file there. The target (tests/fuzz/src/
// pathname.c) crashes when its input's path contains its second argument: a seed that crashes
// stops both fuzzers, one that does not lets both run.
import assert from "node:assert/strict";
import { aflOutput, aflTest, aflWorkspace, missingAfl } from "./util/afl.ts";

const missing = await missingAfl("fuzz_input_name_test");

/** Runs `cmd args...` with AFL_ENV and `env`: its exit status and output. */
async function run(cmd: string, args: string[], env: Record<string, string>) {
  const r = await aflOutput(cmd, args, env);
  return { code: r.code, out: r.out + r.err };
}

/** afl-fuzz and emu fuzz with `flags` and `env` on a target that crashes if @@ holds `needle`. */
async function both(flags: string[], env: Record<string, string>, needle: string) {
  const { dir, bin } = await aflWorkspace("pathname");
  await Deno.mkdir(`${dir}/tmp`);
  const at = (s: string) => s.replaceAll("DIR", dir);
  const [f, e] = [
    flags.map(at),
    Object.fromEntries(Object.entries(env).map(([k, v]) => [k, at(v)])),
  ];
  const common = (o: string) => ["-i", `${dir}/in`, "-o", o, "-V", "1", ...f, "--"];
  try {
    const afl = await run("afl-fuzz", [...common(`${dir}/afl`), bin, "@@", at(needle)], e);
    const den = await run(Deno.execPath(), [
      ...["run", "-A", "mod.ts", "fuzz", ...common(`${dir}/den`)],
      ...["tests/fuzz/bin/pathname", "@@", at(needle)],
    ], e);
    return { afl, den };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Both fuzzers ran (the seed did not crash: the name holds no `needle`). */
async function bothRun(flags: string[], env: Record<string, string>, needle: string) {
  const { afl, den } = await both(flags, env, needle);
  assert.equal(afl.code, 0, afl.out);
  assert.equal(den.code, 0, den.out);
}

/** Both fuzzers stopped at the seed, which crashed: the name holds `needle`. */
async function bothCrash(flags: string[], env: Record<string, string>, needle: string) {
  const { afl, den } = await both(flags, env, needle);
  assert.notEqual(afl.code, 0, afl.out);
  assert.match(afl.out, /results in a crash/);
  assert.notEqual(den.code, 0, den.out);
  assert.match(den.out, /every seed input crashes the program/);
}

Deno.test(
  aflTest("emu fuzz: @@ is OUT/default/.cur_input, as afl-fuzz names it", missing),
  async () => {
    await bothCrash([], {}, "/default/.cur_input");
    await bothRun([], {}, ".cur_input.");
  },
);

Deno.test(
  aflTest("emu fuzz -e EXT: @@ is .cur_input.EXT, as afl-fuzz names it", missing),
  async () => {
    // before: -e was an unknown option
    await bothCrash(["-e", "png"], {}, "/default/.cur_input.png");
    await bothRun(["-e", "png"], {}, ".cur_input.jpg");
  },
);

Deno.test(
  aflTest("emu fuzz: AFL_TMPDIR holds .cur_input (with -e's extension), as afl-fuzz", missing),
  async () => {
    // before: AFL_TMPDIR was not read and @@ stayed in OUT/default
    await bothCrash([], { AFL_TMPDIR: "DIR/tmp" }, "DIR/tmp/.cur_input");
    await bothCrash(["-e", "txt"], { AFL_TMPDIR: "DIR/tmp" }, "DIR/tmp/.cur_input.txt");
  },
);

Deno.test(
  aflTest(
    "emu fuzz: an AFL_TMPDIR that is no directory, or -e with a /, is refused as afl-fuzz refuses it",
    missing,
  ),
  async () => {
    for (const [flags, env] of [[[], { AFL_TMPDIR: "DIR/none" }], [["-e", "a/b"], {}]] as const) {
      const { afl, den } = await both([...flags], env, "never");
      assert.notEqual(afl.code, 0, afl.out);
      assert.match(afl.out, /Unable to create '.*\.cur_input/);
      assert.notEqual(den.code, 0, den.out);
      assert.match(den.out, /^emu: Unable to create '.*\.cur_input/m);
    }
  },
);

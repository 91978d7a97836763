// `emu fuzz` on the command line: one-line messages for bad input, a short
// campaign whose output directory Debian's afl-whatsup and afl-plot (AFL++)
// accept, and resuming it with -i -. The AFL++ tools' checks are skipped, with
// the reason, when they are not installed.
import assert from "node:assert/strict";
import { FUZZ_LIMIT_MS } from "./util/afl.ts";

const dec = new TextDecoder();

/** `emu fuzz ARGS`, or another command when `args` starts with tmin or cmin. */
async function emu(args: string[]) {
  const command = args[0] === "tmin" || args[0] === "cmin" ? [] : ["fuzz"];
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "mod.ts", ...command, ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(FUZZ_LIMIT_MS),
  }).output();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

async function tempInputs(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir();
  for (const [n, t] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${n}`, t);
  return dir;
}

async function has(tool: string): Promise<boolean> {
  const r = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
    .output();
  return r.success;
}

/** Exit status 1, the error on the last line, no stack trace (warnings before it are fine). */
function oneLine(r: { code: number; err: string }, pattern: RegExp) {
  assert.equal(r.code, 1, r.err);
  const lines = r.err.trim().split("\n");
  assert(lines.every((l) => l.startsWith("emu")), r.err);
  assert.match(lines[lines.length - 1], pattern);
}

Deno.test("emu fuzz: bad input gets one clear line", async () => {
  const out = await Deno.makeTempDir();
  const empty = await tempInputs({});
  const crashing = await tempInputs({ a: "FUZZ", b: "FUZZZ" });
  const seed = await tempInputs({ a: "AAAA" });
  oneLine(await emu(["-o", out, "--", "tests/fuzz/bin/bytes"]), /no input directory/);
  oneLine(await emu(["-i", `${out}/nope`, "-o", out, "--", "tests/fuzz/bin/bytes"]), /no such/);
  oneLine(await emu(["-i", empty, "-o", out, "--", "tests/fuzz/bin/bytes"]), /no input files/);
  oneLine(
    await emu(["-i", crashing, "-o", `${out}/c`, "--", "tests/fuzz/bin/bytes", "@@"]),
    /every seed input crashes/,
  );
  oneLine(
    await emu(["-i", seed, "-o", `${out}/h`, "--", "tests/guests/bin/hello.static.O2", "@@"]),
    /never read its input/,
  );
  await Deno.mkdir(`${out}/busy/default/queue`, { recursive: true });
  await Deno.writeTextFile(`${out}/busy/default/fuzzer_stats`, `fuzzer_pid        : ${Deno.pid}\n`);
  oneLine(await emu(["-i", seed, "-o", `${out}/busy`, "--", "tests/fuzz/bin/bytes"]), /in use/);
  oneLine(
    await emu(["-i", "-", "-o", `${out}/none`, "--", "tests/fuzz/bin/bytes"]),
    /nothing to resume/,
  );
  for (const d of [out, empty, crashing, seed]) await Deno.remove(d, { recursive: true });
});

Deno.test("emu fuzz: a campaign's directory works with afl-whatsup and afl-plot, and resumes", async () => {
  const out = await Deno.makeTempDir();
  // magic32's bug falls in well under a second (its magic is a token from the binary)
  const seed = await tempInputs({ seed: "AAAAAAAA" });
  const r = await emu([
    "-i",
    seed,
    "-o",
    out,
    "-V",
    "6",
    "-s",
    "1",
    "--",
    "tests/fuzz/bin/magic32",
    "@@",
  ]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /emu fuzz: .* execs .* 1 crashes/);
  const dir = `${out}/default`;
  for (const f of ["fuzzer_stats", "plot_data", "cmdline", "crashes/README.txt"]) {
    await Deno.stat(`${dir}/${f}`);
  }
  // afl-plot draws with gnuplot (Debian gnuplot-nox)
  for (const needs of [["afl-whatsup"], ["afl-plot", "gnuplot"]]) {
    const tool = needs[0];
    const missing = [];
    for (const t of needs) if (!(await has(t))) missing.push(t);
    if (missing.length) {
      console.warn(`fuzz_cli_test: SKIPPING the ${tool} check: ${missing} not installed`);
      continue;
    }
    if (tool === "afl-whatsup") {
      const w = await new Deno.Command("afl-whatsup", { args: ["-d", out], stdout: "piped" })
        .output();
      const text = dec.decode(w.stdout);
      assert.match(text, /Crashes saved : 1/, text);
      assert.match(text, /Total execs : [1-9]/, text);
      // its timeout_ratio reads exec_timeout as ms (-t is in instructions, written as ms)
      assert.doesNotMatch(text, /timeout_ratio/, text);
    } else {
      const plot = await Deno.makeTempDir();
      const p = await new Deno.Command("afl-plot", { args: [dir, plot], stdout: "piped" })
        .output();
      assert(p.success, dec.decode(p.stdout));
      await Deno.stat(`${plot}/index.html`);
      await Deno.stat(`${plot}/edges.png`);
      await Deno.remove(plot, { recursive: true });
    }
  }
  const before = [...Deno.readDirSync(`${dir}/queue`)].length;
  const again = await emu(["-i", "-", "-o", out, "-V", "1", "--", "tests/fuzz/bin/magic32", "@@"]);
  assert.equal(again.code, 0, again.err);
  const after = [...Deno.readDirSync(`${dir}/queue`)].length;
  assert(after >= before, `resumed queue has ${after} entries, had ${before}`);
  assert.equal([...Deno.readDirSync(`${dir}/crashes`)].length, 2); // README + the crash, kept
  for (const d of [out, seed]) await Deno.remove(d, { recursive: true });
});

Deno.test("emu tmin shrinks a crash to the bytes that matter; emu cmin drops redundant inputs", async () => {
  const dir = await tempInputs({
    crash: "xxhelloyyyyyyyyyy!!qqqqqqqqqqqqqqqq",
    a: "AAAA",
    b: "BBBB",
    h1: "hel",
    h2: "hexx",
  });
  const state = ["--", "tests/fuzz/bin/state", "@@"];
  const t = await emu(["tmin", "-i", `${dir}/crash`, "-o", `${dir}/min`, ...state]);
  assert.equal(t.code, 0, t.err);
  assert.equal(await Deno.readTextFile(`${dir}/min`), "hello!!");
  await Deno.remove(`${dir}/min`);
  await Deno.remove(`${dir}/crash`);
  const c = await emu(["cmin", "-i", dir, "-o", `${dir}/out`, ...state]);
  assert.equal(c.code, 0, c.err);
  // before: -o = -i copied each input onto itself, an internal error; afl-cmin's words now
  oneLine(await emu(["cmin", "-i", dir, "-o", dir, ...state]), /-o .*: exists and is not empty/);
  oneLine(await emu(["tmin", "-i", `${dir}/a`, "-o", dir, ...state]), /-o .*: cannot write/);
  // before: an empty input "minimized" to an empty file; afl-tmin refuses it
  await Deno.writeFile(`${dir}/empty`, new Uint8Array());
  oneLine(await emu(["tmin", "-i", `${dir}/empty`, "-o", `${dir}/m`, ...state]), /zero-sized/);
  await Deno.remove(`${dir}/empty`);
  const kept = [...Deno.readDirSync(`${dir}/out`)].map((e) => e.name).sort();
  // "AAAA" and "BBBB" run alike; "hel" reaches a state "hexx" does not and vice versa
  assert.equal(kept.length, 3, `${kept}`);
  assert(kept.includes("h1") && kept.includes("h2"), `${kept}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("emu fuzz: Ctrl-C ends the campaign with a summary, and every find is on disk", async () => {
  const out = await Deno.makeTempDir();
  const seed = await tempInputs({ seed: "AAAA" });
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "mod.ts",
      "fuzz",
      "-i",
      seed,
      "-o",
      out,
      "--",
      "tests/fuzz/bin/state",
      "@@",
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(FUZZ_LIMIT_MS), // a campaign that ignores SIGINT
  }).spawn();
  // wait until the campaign runs (fuzzer_stats appears), then interrupt it
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      await Deno.stat(`${out}/default/fuzzer_stats`);
      break;
    } catch {
      // not yet
    }
  }
  await new Promise((r) => setTimeout(r, 1500));
  child.kill("SIGINT");
  const r = await child.output();
  assert.equal(r.code, 0, dec.decode(r.stderr));
  assert.match(dec.decode(r.stdout), /emu fuzz: .* execs/);
  const stats = await Deno.readTextFile(`${out}/default/fuzzer_stats`);
  const count = Number(/^corpus_count\s*: (\d+)/m.exec(stats)?.[1]);
  const ids = [...Deno.readDirSync(`${out}/default/queue`)].filter((e) => e.name.startsWith("id:"));
  assert.equal(ids.length, count);
  for (const d of [out, seed]) await Deno.remove(d, { recursive: true });
});

Deno.test("emu fuzz -j 2 runs a main and a secondary worker in one sync directory", async () => {
  const out = await Deno.makeTempDir();
  const seed = await tempInputs({ seed: "AAAA" });
  const r = await emu([
    "-j",
    "2",
    "-i",
    seed,
    "-o",
    out,
    "-V",
    "4",
    "--",
    "tests/fuzz/bin/state",
    "@@",
  ]);
  assert.equal(r.code, 0, r.err);
  await Deno.stat(`${out}/default/is_main_node`);
  for (const w of ["default", "default2"]) {
    const stats = await Deno.readTextFile(`${out}/${w}/fuzzer_stats`);
    assert.match(stats, /^execs_done\s*: [1-9]/m, w);
  }
  for (const d of [out, seed]) await Deno.remove(d, { recursive: true });
});

Deno.test("emu fuzz takes afl-fuzz's -E (executions) and -m (memory limit, MB or none)", async () => {
  const seed = await tempInputs({ a: "AAAA" });
  const out = await Deno.makeTempDir();
  try {
    for (const m of ["64", "none"]) {
      const r = await emu([
        "-i",
        seed,
        "-o",
        `${out}/${m}`,
        "-E",
        "300",
        "-m",
        m,
        "--",
        "tests/fuzz/bin/bytes",
        "@@",
      ]);
      assert.equal(r.code, 0, r.err);
      const stats = await Deno.readTextFile(`${out}/${m}/default/fuzzer_stats`);
      const execs = Number(/^execs_done\s*: (\d+)/m.exec(stats)?.[1]);
      // afl-fuzz stops near the count too: the check comes between batches of executions
      assert(execs >= 300 && execs < 2000, `execs_done ${execs}`);
    }
    // -E VAR=value still sets the guest's environment, as for emu user
    const r = await emu([
      "-i",
      seed,
      "-o",
      `${out}/env`,
      "-E",
      "A=1",
      "-E",
      "200",
      "--",
      "tests/fuzz/bin/bytes",
      "@@",
    ]);
    assert.equal(r.code, 0, r.err);
    oneLine(
      await emu(["-i", seed, "-o", `${out}/bad`, "-m", "lots", "--", "tests/fuzz/bin/bytes"]),
      /-m lots/,
    );
  } finally {
    for (const d of [out, seed]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("emu fuzz takes afl-fuzz's -t N+ (seeds that time out are skipped)", async () => {
  const seed = await tempInputs({ a: "AAAA" });
  const out = await Deno.makeTempDir();
  try {
    const r = await emu([
      "-i",
      seed,
      "-o",
      out,
      "-t",
      "100000+",
      "-E",
      "100",
      "--",
      "tests/fuzz/bin/bytes",
      "@@",
    ]);
    assert.equal(r.code, 0, r.err);
    const stats = await Deno.readTextFile(`${out}/default/fuzzer_stats`);
    assert.match(stats, /^execs_done\s*: [1-9]/m);
  } finally {
    for (const d of [out, seed]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("emu fuzz starts afresh over a campaign of under 25 minutes and keeps a longer one, as afl-fuzz", async () => {
  const seed = await tempInputs({ a: "AAAA" });
  const out = await Deno.makeTempDir();
  try {
    const run = () => emu(["-i", seed, "-o", out, "-E", "50", "--", "tests/fuzz/bin/bytes", "@@"]);
    assert.equal((await run()).code, 0);
    await Deno.writeTextFile(`${out}/default/crashes/id:000000,sig:06,old`, "x");
    const again = await run(); // a short campaign's results go (afl-fuzz's OUTPUT_GRACE)
    assert.equal(again.code, 0, again.err);
    // (afl-fuzz writes crashes/README.txt with a campaign's first crash: none here)
    assert.deepEqual([...Deno.readDirSync(`${out}/default/crashes`)].map((e) => e.name), []);
    const stats = `${out}/default/fuzzer_stats`;
    const text = await Deno.readTextFile(stats);
    const start = Number(/^start_time\s*: (\d+)/m.exec(text)![1]);
    await Deno.writeTextFile(
      stats,
      text.replace(/^last_update\s*: \d+/m, `last_update       : ${start + 26 * 60}`),
    );
    oneLine(await run(), /more than 25 minutes/);
  } finally {
    for (const d of [out, seed]) await Deno.remove(d, { recursive: true });
  }
});

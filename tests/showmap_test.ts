// `emu showmap` beside afl-showmap, and `emu fuzz`'s output directory beside afl-fuzz's, in the
// same run. afl-showmap runs native afl-clang-fast builds of the same sources (this AFL++
// package has no QEMU mode: no afl-qemu-trace), so edge ids differ (AFL++'s are per build);
// what is compared is what both must agree on: the count classes of a loop of known length,
// which inputs share a path, the file formats, messages and exit status, and that a
// campaign's fuzz_bitmap is what showmap -C finds over its queue.
import assert from "node:assert/strict";
import { missingAfl, runAfl } from "./util/afl.ts";

const missing = await missingAfl("showmap_test");
const ignore = missing.length > 0;
const skipped = ignore ? ` (skipped: ${missing} not installed)` : "";
const dec = new TextDecoder();

// deno-lint-ignore no-control-regex
const ANSI = /\x1b(\[[0-9;?]*[a-zA-Z]|\)B)/g;

interface Run {
  code: number;
  out: string;
}

/**
 * Runs `cmd args`, `stdin` its input (an open pipe never closed: a program that reads it
 * waits for ever).
 */
async function run(
  cmd: string,
  args: string[],
  stdin?: Uint8Array | "open",
  env: Record<string, string> = {},
): Promise<Run> {
  const child = new Deno.Command(cmd, {
    args,
    env: {
      AFL_NO_UI: "1",
      AFL_SKIP_CPUFREQ: "1",
      AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES: "1",
      ...env,
    },
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin instanceof Uint8Array) {
    const w = child.stdin.getWriter();
    await w.write(stdin);
    await w.close();
  }
  const r = await child.output();
  if (stdin === "open") await child.stdin.close();
  // afl's colours and cursor codes off
  const out = dec.decode(r.stdout).replace(ANSI, "");
  return { code: r.code, out: out + dec.decode(r.stderr) };
}

type Tool = (
  args: string[],
  stdin?: Uint8Array | "open",
  env?: Record<string, string>,
) => Promise<Run>;
const emuShowmap: Tool = (args, stdin, env) =>
  run(Deno.execPath(), ["run", "-A", "mod.ts", "showmap", ...args], stdin, env);
const aflShowmap: Tool = (args, stdin, env) => run("afl-showmap", args, stdin, env);

/** The values of a text map, without its ids. */
const values = (map: string) => map.trim().split("\n").filter(Boolean).map((l) => l.split(":")[1]);
/** The values of a map other than 1, sorted (a loop's counts). */
const counts = (map: string) => values(map).filter((v) => v !== "1").sort();

async function native(dir: string, name: string): Promise<string> {
  // -O0: one block per source condition, as gcc -O1 keeps them for RISC-V
  await runAfl("afl-clang-fast", ["-O0", "-o", `${dir}/${name}`, `tests/fuzz/src/${name}.c`]);
  return `${dir}/${name}`;
}

Deno.test({
  name: `emu showmap: count classes (default, -b, -e, -r) of a loop, as afl-showmap${skipped}`,
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const loop = await native(dir, "loop");
    // The same count, the same class. gcc's rotated loop takes its back edge N-2 times for
    // input N, clang's -O0 loop N times. Debian's afl-showmap 4.04c writes no line for
    // counts that are not 1, 2, 3 or a power of two in its default mode (its class table
    // fills only those); Denemu writes the documented class (4-7: 4, 8-15: 5...) for every
    // count, so the counts compared are those.
    for (const [n, flags] of [[4, []], [16, []], [128, []], [32, ["-e"]], [12, ["-r"]]] as const) {
      const afl = await aflShowmap(["-q", ...flags, "-o", "-", "--", loop], new Uint8Array([n]));
      const den = await emuShowmap(
        ["-q", ...flags, "-o", "-", "--", "tests/fuzz/bin/loop"],
        new Uint8Array([n + 2]),
      );
      assert.equal(den.code, afl.code);
      assert.deepEqual(counts(den.out), counts(afl.out), `${n} ${flags}`);
      assert.equal(counts(den.out).length, flags[0] === "-e" ? 0 : 1);
    }
    // -b: the map as bytes, each count as AFL's bucket bit; as long as the map
    const afl = await aflShowmap(
      ["-q", "-b", "-o", `${dir}/a.bin`, "--", loop],
      new Uint8Array([20]),
    );
    const den = await emuShowmap(
      ["-q", "-b", "-o", `${dir}/d.bin`, "--map-size", "4096", "--", "tests/fuzz/bin/loop"],
      new Uint8Array([22]),
    );
    assert.equal(den.code + afl.code, 0, den.out + afl.out);
    const bytes = (f: string) => [...Deno.readFileSync(f)].filter((b) => b > 1);
    assert.deepEqual(bytes(`${dir}/d.bin`), bytes(`${dir}/a.bin`));
    assert.deepEqual(bytes(`${dir}/d.bin`), [32]);
    assert.equal(Deno.statSync(`${dir}/d.bin`).size, 4096);
    await Deno.remove(dir, { recursive: true });
  },
});

const CAPTURED =
  /^\[\+\] Captured (\d+) tuples \(map size \d+, highest value (\d+), total values (\d+)\) in '(.*)'\.$/m;

Deno.test({
  name:
    `emu showmap: one input on stdin: messages, exit status, -e/-r, @@ refused, as afl-showmap${skipped}`,
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const bytes = await native(dir, "bytes");
    const enc = new TextEncoder();
    for (const [input, status] of [["AAAA", 0], ["FUZZ", 2]] as const) {
      const afl = await aflShowmap(["-o", `${dir}/a`, "--", bytes], enc.encode(input));
      const den = await emuShowmap(
        ["-o", `${dir}/d`, "--", "tests/fuzz/bin/bytes"],
        enc.encode(input),
      );
      for (const r of [afl, den]) {
        assert.equal(r.code, status, r.out);
        assert.match(r.out, /^-- Program output begins --$/m);
        assert.match(r.out, /^-- Program output ends --$/m);
        assert.equal(/\+\+\+ Program killed by signal 6 \+\+\+/.test(r.out), status === 2);
      }
      const [a, d] = [CAPTURED.exec(afl.out)!, CAPTURED.exec(den.out)!];
      assert.deepEqual([a[2], a[4]], ["1", `${dir}/a`]);
      assert.deepEqual([d[2], d[4]], ["1", `${dir}/d`]);
      // the tuples counted are the lines written
      assert.equal(Number(d[1]), values(Deno.readTextFileSync(`${dir}/d`)).length);
      assert.match(Deno.readTextFileSync(`${dir}/d`), /^(\d{6}:[1-8]\n)+$/);
    }
    for (const r of [await aflShowmap(["-q", "-o", "-", "--", bytes], enc.encode("AAAA"))]) {
      assert.equal(r.out.trim().split("\n").length, values(r.out).length); // -q: the map alone
    }
    const q = await emuShowmap(["-q", "-o", "-", "--", "tests/fuzz/bin/bytes"], enc.encode("AAAA"));
    assert.match(q.out, /^(\d{6}:1\n)+$/);
    // a timeout (afl-showmap's -t is in ms, Denemu's in guest instructions). afl-showmap's
    // source and usage say exit status 1; Debian's 4.04c exits 2 (it counts the kill that
    // ends the run as a crash). Denemu follows the source.
    const slow = [
      await aflShowmap(["-t", "100", "-o", `${dir}/a`, "--", bytes], "open"),
      await emuShowmap(
        ["-t", "300", "-o", `${dir}/d`, "--", "tests/fuzz/bin/loop"],
        new Uint8Array([255]),
      ),
    ];
    assert.deepEqual(slow.map((r) => r.code), [2, 1], slow[0].out + slow[1].out);
    for (const r of slow) assert.match(r.out, /^\+\+\+ Program timed off \+\+\+$/m);
    // afl-showmap refuses @@ without -i, and -e with -r
    for (const args of [["-o", "-", "--", "X", "@@"], ["-e", "-r", "-o", "-", "--", "X"]]) {
      const afl = await aflShowmap(args.map((x) => x === "X" ? bytes : x));
      const den = await emuShowmap(args.map((x) => x === "X" ? "tests/fuzz/bin/bytes" : x));
      assert.equal(afl.code, 1, afl.out);
      assert.equal(den.code, 1, den.out);
      assert.equal(den.out.trim().split("\n").length, 1, den.out);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

/** Groups the files of a map directory by content: inputs that took the same path. */
function samePath(dir: string): string[][] {
  const by = new Map<string, string[]>();
  for (const e of [...Deno.readDirSync(dir)].sort((a, b) => a.name < b.name ? -1 : 1)) {
    const text = Deno.readTextFileSync(`${dir}/${e.name}`);
    by.set(text, [...by.get(text) ?? [], e.name]);
  }
  return [...by.values()].sort();
}

Deno.test({
  name:
    `emu showmap -i DIR: -o DIR (one map per input) and -C (their union), as afl-showmap${skipped}`,
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const bytes = await native(dir, "bytes");
    await Deno.mkdir(`${dir}/in`);
    const inputs = ["AAAA", "BBBB", "FAAA", "FBBB", "FUAA", "FUZA", "FUZZ"];
    inputs.forEach((x, i) => Deno.writeTextFileSync(`${dir}/in/${i}_${x}`, x));
    Deno.writeTextFileSync(`${dir}/in/9_empty`, ""); // skipped
    const afl = await aflShowmap(["-i", `${dir}/in`, "-o", `${dir}/a`, "--", bytes, "@@"]);
    const den = await emuShowmap(
      ["-i", `${dir}/in`, "-o", `${dir}/d`, "--", "tests/fuzz/bin/bytes", "@@"],
    );
    // the exit status is the last run's: 9_empty does not run, 6_FUZZ crashes
    assert.deepEqual([den.code, afl.code], [2, 2], den.out + afl.out);
    for (const r of [afl, den]) {
      assert.match(r.out, /^\[\+\] Processed 7 input files\.$/m);
    }
    for (const maps of ["a", "d"]) assert.throws(() => Deno.statSync(`${dir}/${maps}/9_empty`));
    // the same inputs share a path: AAAA and BBBB, FAAA and FBBB
    assert.deepEqual(samePath(`${dir}/d`), samePath(`${dir}/a`));
    assert.equal(samePath(`${dir}/d`).length, 5);
    // -C: every id any input hit, once, with the figures of its summary
    const union = (maps: string) =>
      new Set(
        [...Deno.readDirSync(maps)].flatMap((e) =>
          Deno.readTextFileSync(`${maps}/${e.name}`).trim().split("\n").map((l) => l.split(":")[0])
        ),
      );
    for (const [r, tool, maps] of [[afl, aflShowmap, "a"], [den, emuShowmap, "d"]] as const) {
      const prog = tool === aflShowmap ? bytes : "tests/fuzz/bin/bytes";
      const c = await tool(["-C", "-i", `${dir}/in`, "-o", `${dir}/${maps}.cov`, "--", prog, "@@"]);
      assert.equal(c.code, r.code, c.out);
      const text = Deno.readTextFileSync(`${dir}/${maps}.cov`);
      const ids = text.trim().split("\n").map((l) => l.split(":")[0]);
      assert.deepEqual(new Set(ids), union(`${dir}/${maps}`));
      assert.deepEqual(new Set(values(text)), new Set(["1"]));
      const m =
        /A coverage of (\d+) edges were achieved out of \d+ existing \([\d.]+%\) with 7 input files\./
          .exec(c.out);
      assert(m, c.out);
      assert.equal(Number(m[1]), ids.length);
      assert.equal(Number(CAPTURED.exec(c.out)![1]), ids.length);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

/** The ids a fuzz_bitmap marks seen (bytes not 0xff). */
const seen = (file: string) =>
  [...Deno.readFileSync(file)].flatMap((b, i) => b === 0xff ? [] : [String(i).padStart(6, "0")]);

Deno.test({
  name: `emu fuzz writes fuzz_bitmap, fuzzer_setup and cmdline as afl-fuzz does${skipped}`,
  ignore,
  async fn() {
    const dir = await Deno.makeTempDir();
    const bytes = await native(dir, "bytes");
    await Deno.mkdir(`${dir}/in`);
    Deno.writeTextFileSync(`${dir}/in/seed`, "AAAA");
    await runAfl("afl-fuzz", ["-i", `${dir}/in`, "-o", `${dir}/afl`, "-V", "2", "--", bytes, "@@"]);
    const emu = ["run", "-A", "mod.ts", "fuzz", "-i", `${dir}/in`, "-o", `${dir}/den`, "-E", "300"];
    // AFL_MAP_SIZE sets the map of both, as for AFL++'s tools
    const mapSize = { AFL_MAP_SIZE: "4096" };
    await runAfl(Deno.execPath(), [...emu, "--", "tests/fuzz/bin/bytes", "@@"], mapSize);
    for (
      const [out, prog, tool] of [["afl", bytes, aflShowmap], [
        "den",
        "tests/fuzz/bin/bytes",
        emuShowmap,
      ]] as const
    ) {
      const d = `${dir}/${out}/default`;
      // cmdline: the fuzzed program and its arguments, one a line
      assert.equal(Deno.readTextFileSync(`${d}/cmdline`), `${prog}\n@@\n`);
      // fuzzer_setup: the AFL_ variables set, then the command line quoted for a shell
      const setup = Deno.readTextFileSync(`${d}/fuzzer_setup`).split("\n");
      assert.equal(setup[0], "# environment variables:");
      assert(setup.includes("AFL_NO_UI=1"), setup.join("\n"));
      const cmd = setup[setup.indexOf("# command line:") + 1];
      assert.match(cmd, new RegExp(`^'[^']*' .* '--' '${prog}' '@@'$`));
      // fuzz_bitmap: the ids the queue reached, as showmap -C finds them, edges_found of them
      const stats = Deno.readTextFileSync(`${d}/fuzzer_stats`);
      const edges = Number(/^edges_found\s*: (\d+)/m.exec(stats)![1]);
      const c = await tool(
        ["-C", "-i", d, "-o", `${dir}/${out}.cov`, "--", prog, "@@"],
        undefined,
        mapSize,
      );
      const ids = Deno.readTextFileSync(`${dir}/${out}.cov`).trim().split("\n").map((l) =>
        l.split(":")[0]
      );
      assert.deepEqual(seen(`${d}/fuzz_bitmap`), ids, c.out);
      assert.equal(ids.length, edges);
    }
    // Denemu's map is AFL_MAP_SIZE bytes; afl-fuzz's the build's map rounded up to 64
    assert.equal(Deno.statSync(`${dir}/den/default/fuzz_bitmap`).size, 4096);
    assert.equal(Deno.statSync(`${dir}/afl/default/fuzz_bitmap`).size % 64, 0);
    await Deno.remove(dir, { recursive: true });
  },
});

// `emu cov` and the DWARF line tables under it: rows equal to binutils'
// objdump on DWARF 5 and DWARF 4 builds, line counts that agree with gcov on
// a native build of the same source (in the program and in a shared library), an lcov file genhtml renders, and a
// one-line error for a malformed line table. Peers missing: the check is
// skipped with the reason.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { parseElf } from "../core/elf.ts";
import { sectionBytes } from "../core/elf_sections.ts";
import { DwarfError, type LineTable, parseLineTable } from "../core/dwarf/line_table.ts";
import { installed } from "./util/installed.ts";

const BIN = "tests/fuzz/bin";
const OBJDUMP = "riscv64-linux-gnu-objdump";
const dec = new TextDecoder();

function lineTable(path: string): LineTable {
  const elf = parseElf(Deno.readFileSync(path), path);
  return parseLineTable(sectionBytes(elf, ".debug_line")!, {
    lineStr: sectionBytes(elf, ".debug_line_str"),
    str: sectionBytes(elf, ".debug_str"),
  });
}

/** `file line 0xaddress` of every row but sequence ends. */
function rowsOf(t: LineTable): string[] {
  return t.rows.filter((r) => !r.end).map((r) =>
    `${t.files[r.file].split("/").pop()} ${r.line} 0x${r.address.toString(16)}`
  );
}

Deno.test("line tables: DWARF 5 and DWARF 4 rows equal objdump's decoded lines", async (t) => {
  for (const v of [5, 4]) {
    const path = `${BIN}/state.dwarf${v}`;
    const rows = rowsOf(lineTable(path));
    assert(rows.length > 40, `${path}: ${rows.length} rows`);
    assert(lineTable(path).files.includes("tests/fuzz/src/state.c"));
    if (!installed(OBJDUMP)) {
      console.warn(`cov_test: SKIPPING the objdump comparison: ${OBJDUMP} not installed`);
      continue;
    }
    await t.step(`DWARF ${v}`, async () => {
      const r = await new Deno.Command(OBJDUMP, { args: ["--dwarf=decodedline", path] }).output();
      const expected = dec.decode(r.stdout).split("\n").map((l) => l.trim().split(/\s+/))
        .filter((c) => c.length >= 3 && /^0x/.test(c[2]) && c[1] !== "-")
        .map((c) => `${c[0]} ${c[1]} 0x${BigInt(c[2]).toString(16)}`);
      assertEquals(rows, expected);
    });
  }
});

Deno.test("line tables: a truncated or corrupted .debug_line is a DwarfError", () => {
  const elf = parseElf(Deno.readFileSync(`${BIN}/state.dwarf5`), "state");
  const line = sectionBytes(elf, ".debug_line")!;
  for (const bad of [line.subarray(0, 30), line.map((b, i) => i === 4 ? 9 : b)]) {
    assert.throws(() => parseLineTable(bad, {}), DwarfError);
  }
});

async function emu(...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), { args: ["run", "-A", "mod.ts", ...args] })
    .output();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** gcov's counts of `source` after running the native build on each input: line -> count or null (no code). */
async function gcovCounts(source: string, inputs: string[]): Promise<Map<number, number | null>> {
  const dir = await Deno.makeTempDir();
  for (const f of [source, "harness.h"]) Deno.copyFileSync(`tests/fuzz/src/${f}`, `${dir}/${f}`);
  const cc = await new Deno.Command("gcc", {
    args: ["--coverage", "-O0", "-o", "prog", source],
    cwd: dir,
  }).output();
  assert(cc.success, dec.decode(cc.stderr));
  for (const input of inputs) await new Deno.Command(`${dir}/prog`, { args: [input] }).output();
  const g = await new Deno.Command("gcov", { args: ["-t", source], cwd: dir }).output();
  await Deno.remove(dir, { recursive: true });
  const counts = new Map<number, number | null>();
  for (const l of dec.decode(g.stdout).split("\n")) {
    const m = /^\s*([-#\d*]+):\s*(\d+):/.exec(l);
    if (!m || m[2] === "0") continue;
    const n = m[1].replace("*", "");
    counts.set(Number(m[2]), n === "-" ? null : n === "#####" ? 0 : Number(n));
  }
  return counts;
}

/** Checks that the lines an lcov `record` of `source` says ran are those gcov counts for `inputs`. */
async function assertLinesAgreeWithGcov(record: string, source: string, inputs: string[]) {
  if (!installed("gcov") || !installed("gcc")) {
    console.warn("cov_test: SKIPPING the gcov comparison: gcc or gcov not installed");
    return;
  }
  const ours = new Map(
    [...record.matchAll(/^DA:(\d+),(\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]),
  );
  assert(ours.size > 0, record);
  const theirs = await gcovCounts(source, inputs);
  for (const [line, n] of theirs) {
    if (n === null) continue;
    assertEquals(
      (ours.get(line) ?? 0) > 0,
      n > 0,
      `${source}:${line}: gcov ${n}, emu cov ${ours.get(line)}`,
    );
  }
  for (const [line, n] of ours) {
    if (n > 0) assert(theirs.get(line) !== 0, `${source}:${line}: gcov never ran it, emu cov ${n}`);
  }
}

/** `emu cov` of a build of state.c on three inputs: its output, the corpus and the report dir. */
async function covOfState(program: string) {
  const corpus = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  const inputs = { a: "AAAA", b: "hhel", c: "xhello.." };
  for (const [k, v] of Object.entries(inputs)) Deno.writeTextFileSync(`${corpus}/${k}`, v);
  const r = await emu("cov", "-i", corpus, "-o", out, "--", `${BIN}/${program}`, "@@");
  assert.equal(r.code, 0, r.err);
  return { r, corpus, out, inputs: Object.keys(inputs).map((k) => `${corpus}/${k}`) };
}

Deno.test("emu cov: lines hit agree with gcov on a native build; genhtml renders the lcov file", async () => {
  const { r, corpus, out, inputs } = await covOfState("state.dwarf5");
  assert.match(r.out, /emu cov: \d+ of \d+ lines in 2 source files/);
  const info = Deno.readTextFileSync(`${out}/coverage.info`);
  const record = info.split("end_of_record").find((rec) => rec.includes("state.c"))!;
  assert.match(record, /^FNDA:3,LLVMFuzzerTestOneInput$/m);
  // the loop's condition (line 7) went both ways; the branch to the bug (line 17) never ran
  assert.match(record, /^BRDA:7,\d+,0,[1-9]\d*\nBRDA:7,\d+,1,[1-9]\d*$/m);
  assert.match(record, /^BRF:\d+\nBRH:\d+$/m);
  assert(Deno.readTextFileSync(`${out}/index.html`).includes("state.c"));
  await assertLinesAgreeWithGcov(record, "state.c", inputs);
  if (!installed("genhtml")) {
    console.warn("cov_test: SKIPPING the genhtml check: lcov not installed");
  } else {
    assert.match(r.out, /genhtml\/index\.html/);
    const html = await Deno.makeTempDir();
    const g = await new Deno.Command("genhtml", {
      args: ["--branch-coverage", "-o", html, `${out}/coverage.info`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert(g.success, dec.decode(g.stderr));
    assert.match(dec.decode(g.stdout), /lines\.*: [\d.]+% \(\d+ of \d+ lines\)/);
    assert.match(dec.decode(g.stdout), /branches\.*: [\d.]+% \(\d+ of \d+ branches\)/);
    await Deno.remove(html, { recursive: true });
  }
  await Deno.remove(corpus, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

Deno.test("emu cov: the line table of a shared library built with -g; its lines agree with gcov", async () => {
  // state.shared's main (harness.h) calls LLVMFuzzerTestOneInput in libstate.so (state.c)
  const { corpus, out, inputs } = await covOfState("state.shared");
  const records = Deno.readTextFileSync(`${out}/coverage.info`).split("end_of_record");
  const record = records.find((rec) => /^SF:.*\/tests\/fuzz\/src\/state\.c$/m.test(rec));
  assert(record, "no record of the library's source");
  assert.match(record, /^FNDA:3,LLVMFuzzerTestOneInput$/m);
  assert(
    records.some((rec) => /^SF:.*harness\.h$/m.test(rec)),
    "no record of the program's source",
  );
  await assertLinesAgreeWithGcov(record, "state.c", inputs);
  await Deno.remove(corpus, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

Deno.test("emu cov: a program without a line table is reported by function; bad arguments get one line", async () => {
  const corpus = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  Deno.writeTextFileSync(`${corpus}/a`, "hello");
  const r = await emu("cov", "-i", corpus, "-o", out, "--", `${BIN}/state`, "@@");
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /0 of 0 lines in 0 source files; .*no line tables: build it with -g/);
  const index = Deno.readTextFileSync(`${out}/index.html`);
  assert.match(index, /no line table: functions by symbol/);
  assert.match(index, /<td>LLVMFuzzerTestOneInput<\/td><td>0x[0-9a-f]+<\/td><td class="n">1<\/td>/);
  const bad = await emu("cov", "-i", `${corpus}/missing`, "-o", out, "--", `${BIN}/state`, "@@");
  assertEquals([bad.code, bad.err.trim().split("\n").length], [1, 1]);
  await Deno.remove(corpus, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

Deno.test("emu cov away from the build directory says where it looked for the sources", async () => {
  const corpus = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  Deno.writeTextFileSync(`${corpus}/a`, "hello");
  const args = ["run", "-A", `${Deno.cwd()}/mod.ts`, "cov", "-i", corpus, "-o", out, "--"];
  const r = await new Deno.Command(Deno.execPath(), {
    args: [...args, `${Deno.cwd()}/${BIN}/state.dwarf5`, "@@"],
    cwd: corpus,
  }).output();
  assert.equal(r.code, 0, dec.decode(r.stderr));
  assert.match(
    dec.decode(r.stdout),
    new RegExp(`no source files found: the line tables name 2 \\(${corpus}/tests/fuzz/src/`),
  );
  await Deno.remove(corpus, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

Deno.test("emu fuzz --cov writes the queue's coverage at the end, with the campaign's plots", async () => {
  const seeds = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  Deno.writeTextFileSync(`${seeds}/a`, "AAAAAAAA");
  const r = await emu(
    ..."fuzz -i SEEDS -o OUT -V 2 -s 1 --cov OUT/cov --".split(" ").map((a) =>
      a.replace("SEEDS", seeds).replace("OUT", out)
    ),
    `${BIN}/state.dwarf5`,
    "@@",
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /emu cov: \d+ of \d+ lines in 2 source files/);
  const index = Deno.readTextFileSync(`${out}/cov/index.html`);
  assert.match(index, /<svg[^>]*aria-label="edges found"/);
  assert.match(index, /<svg[^>]*aria-label="execs\/s"/);
  await Deno.remove(seeds, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

Deno.test("emu cov: the HTML report renders in headless chromium", async () => {
  if (!installed("chromium")) {
    console.warn("cov_test: SKIPPING the browser check: chromium not installed (Debian chromium)");
    return;
  }
  const corpus = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  Deno.writeTextFileSync(`${corpus}/a`, "hhel");
  const r = await emu("cov", "-i", corpus, "-o", out, "--", `${BIN}/state.dwarf5`, "@@");
  assert.equal(r.code, 0, r.err);
  const page = `file://${await Deno.realPath(out)}/files/1.html`;
  const shot = await new Deno.Command("chromium", {
    args: [
      ...["--headless", "--no-sandbox", "--disable-gpu", "--window-size=900,700"],
      ...[`--screenshot=${out}/shot.png`, "--dump-dom", page],
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  const dom = dec.decode(shot.stdout);
  // the browser parsed the page: the source and its counts are in its DOM
  assert.match(dom, /<tr class="hit"><td class="n">7<\/td><td class="n">\d+<\/td>/);
  assert.match(dom, /<tr class="miss"><td class="n">17<\/td>/);
  const png = Deno.readFileSync(`${out}/shot.png`);
  assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47]); // "PNG"
  await Deno.remove(corpus, { recursive: true });
  await Deno.remove(out, { recursive: true });
});

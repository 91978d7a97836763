// `emu fuzz` on hostile or damaged input: an output directory tampered with between runs (a
// directory where an input file belongs, files where directories belong), a resume (`-i -`)
// that fails, seeds over AFL's MAX_FILE, and dictionary lines that are not AFL's format. Each
// case was a host exception ("internal error") or lost the queue before its fix.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { loadDictionary, parseDictionary } from "../core/fuzz/dictionary.ts";
import { EmuError } from "../mod.ts";
import { FUZZ_LIMIT_MS } from "./util/afl.ts";

const TARGET = "tests/fuzz/bin/bytes";

/** `emu fuzz ARGS -- bytes` for a second, seed 1. */
async function fuzz(...args: string[]) {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "mod.ts", "fuzz", "-V", "1", "-s", "1", ...args, "--", TARGET],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(FUZZ_LIMIT_MS),
  }).output();
  return { code: r.code, err: new TextDecoder().decode(r.stderr) };
}

/** A campaign's output directory (made once) copied to a fresh place. */
let campaign: string | null = null;
async function freshCampaign(): Promise<string> {
  if (!campaign) {
    campaign = await Deno.makeTempDir({ prefix: "denemu-fuzz-hostile-" });
    await Deno.mkdir(`${campaign}/in`);
    await Deno.writeTextFile(`${campaign}/in/seed`, "abcd");
    const r = await fuzz("-i", `${campaign}/in`, "-o", `${campaign}/out`);
    assert.equal(r.code, 0, r.err);
  }
  const copy = await Deno.makeTempDir({ prefix: "denemu-fuzz-hostile-" });
  await new Deno.Command("cp", { args: ["-r", `${campaign}/out`, copy] }).output();
  return `${copy}/out`;
}

globalThis.addEventListener("unload", () => {
  if (campaign) Deno.removeSync(campaign, { recursive: true });
});

const queueSize = (out: string) => [...Deno.readDirSync(`${out}/default/queue`)].length;

Deno.test("emu fuzz -i -: a tampered output directory is one line, or what is not ours is left alone", async () => {
  const cases: [string, (d: string) => void, RegExp | null][] = [
    ["a directory named like a crash", (d) => Deno.mkdirSync(`${d}/crashes/id:000099`), null],
    ["queue is a file", (d) => {
      Deno.removeSync(`${d}/queue`, { recursive: true });
      Deno.writeTextFileSync(`${d}/queue`, "x");
    }, /^emu: .*\/default\/queue is not a directory \(remove it, or pick another -o\)$/],
    ["crashes is a file", (d) => {
      Deno.removeSync(`${d}/crashes`, { recursive: true });
      Deno.writeTextFileSync(`${d}/crashes`, "x");
    }, /^emu: .*\/default\/crashes is not a directory/],
  ];
  for (const [what, tamper, error] of cases) {
    const out = await freshCampaign();
    tamper(`${out}/default`);
    const r = await fuzz("-i", "-", "-o", out);
    if (error) {
      assert.equal(r.code, 1, `${what}: ${r.err}`);
      assert.match(r.err.trim(), error, what);
    } else assert.equal(r.code, 0, `${what}: ${r.err}`);
    await Deno.remove(`${out}/..`, { recursive: true });
  }
  const file = await Deno.makeTempFile();
  const r = await fuzz("-i", `${campaign}/in`, "-o", file);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err.trim(), /^emu: .*\/default: cannot create \(Not a directory/);
  await Deno.remove(file);
});

Deno.test("emu fuzz -i -: a resume that fails keeps the queue for the next one (AFL++'s _resume)", async () => {
  const out = await freshCampaign();
  const before = queueSize(out);
  const failed = await fuzz("-i", "-", "-o", out, "-t", "1"); // every input times out now
  assert.equal(failed.code, 1, failed.err);
  assert.match(failed.err, /no usable seed input \(0 crash, \d+ time out\)/);
  const resumed = await fuzz("-i", "-", "-o", out);
  assert.equal(resumed.code, 0, resumed.err);
  assert(queueSize(out) >= before, `queue: ${before} -> ${queueSize(out)}`);
  assert.deepEqual(Deno.readDirSync(`${out}/default`).some((e) => e.name === "_resume"), false);
  await Deno.remove(`${out}/..`, { recursive: true });
});

Deno.test("emu fuzz: a seed over AFL's MAX_FILE (1 MiB) is read partially, saying so", async () => {
  const dir = await Deno.makeTempDir({ prefix: "denemu-fuzz-hostile-" });
  try {
    await Deno.mkdir(`${dir}/in`);
    await Deno.writeFile(`${dir}/in/big`, new Uint8Array(3 << 20));
    const r = await fuzz("-i", `${dir}/in`, "-o", `${dir}/out`);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /^emu fuzz: -i .*\/in\/big is over 1048576 bytes: partial reading$/m);
    for (const e of Deno.readDirSync(`${dir}/out/default/queue`)) {
      assert(Deno.statSync(`${dir}/out/default/queue/${e.name}`).size <= 1 << 20, e.name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("-x: lines that are not AFL's dictionary format are skipped with a warning naming the line, as afl-fuzz", () => {
  const bad: [string, RegExp][] = [
    ['a="\xff"\n', /^d:1: unescaped byte: skipped$/],
    ['a="\x01"\n', /^d:1: unescaped byte: skipped$/],
    ['kw=""\n', /^d:1: token of 0 bytes/],
    [`kw="${"x".repeat(129)}"\n`, /^d:1: token of 129 bytes/],
    ["kw=abc\n", /^d:1: not a dictionary line/],
    ['"unterminated\n', /^d:1: not a dictionary line/],
    ['k w="x"\n', /^d:1: not a dictionary line/],
  ];
  for (const [text, why] of bad) {
    const warnings: string[] = [];
    assert.deepEqual(parseDictionary(`${text}ok="y"\n`, "d", 0, (w) => warnings.push(w)), [
      new Uint8Array([0x79]),
    ]);
    assert.equal(warnings.length, 1, text);
    assert.match(warnings[0], why);
  }
  // a bad escape loses its backslash (afl-fuzz reads "\r\n" as "rn")
  const warnings: string[] = [];
  const [rn] = parseDictionary('"\\r\\n"\n', "d", 0, (w) => warnings.push(w));
  assert.equal(new TextDecoder().decode(rn), "rn");
  assert.deepEqual(warnings, Array(2).fill("d:1: bad escape (not \\xNN): its backslash dropped"));
  const text = '# c\n\nkw@3 = "a\\"b\\\\\\x00"\n"plain"\n';
  assert.equal(parseDictionary(text, "d").length, 1); // kw@3 is above level 0
  const good = parseDictionary(text, "d", 3);
  assert.deepEqual(good.map((t) => [...t]), [[0x61, 0x22, 0x62, 0x5c, 0], [
    ...new TextEncoder().encode("plain"),
  ]]);
});

Deno.test("-x: a device is refused (/dev/zero was read until memory ran out)", () => {
  assert.throws(
    () => loadDictionary("/dev/zero"),
    (e) => e instanceof EmuError && /^-x \/dev\/zero: not a file or a directory$/.test(e.message),
  );
});

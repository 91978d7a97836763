// Hostile record/replay logs (`-icount rr=replay,rrfile=FILE`): a log cut short or with entries
// whose payloads are not what their kind holds (found by the `replay` self-fuzzer, which
// scripts/selffuzz/replay.ts is) gets a one-line error naming the entry, never a host exception.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { createMachine, EmuError } from "../mod.ts";
import { editLog, type Entry } from "../scripts/selffuzz/replay.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
/** Entry kinds as the log numbers them. */
const TTY = 4, FILE = 3, STAT = 6, DIR = 7;
const SCRIPT =
  "statx -100 data.txt 0\nopen -100 d1 0200000 0\ngetdents 0\nopen -100 data.txt 0 0\n";

/** A root with a file and a directory, in a fresh temp dir. */
function tree(): string {
  const root = Deno.makeTempDirSync({ prefix: "denemu-rr-hostile-" });
  Deno.writeTextFileSync(`${root}/data.txt`, "data\n");
  Deno.mkdirSync(`${root}/d1`);
  return root;
}

/** Runs fsscript on `SCRIPT` under a fresh root, recording into or replaying from `file`. */
async function run(mode: "record" | "replay", file: string): Promise<void> {
  const root = tree();
  try {
    const m = await createMachine({
      program: `${BIN}fsscript.static.O2`,
      argv0: "fsscript",
      root,
      stdin: SCRIPT,
      stdout: () => {},
      rr: { mode, file, storeFiles: true },
    });
    try {
      for await (const _ of m.run()) { /* to the end */ }
    } finally {
      await m.close();
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

const text = (e: Entry) => new TextDecoder().decode(e.payload);
const setText = (e: Entry, s: string) => e.payload = new TextEncoder().encode(s);
const entry = (entries: Entry[], kind: number) => entries.find((e) => e.kind === kind)!;

Deno.test("rr: entries whose payload is not what their kind holds are a one-line EmuError", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "denemu-rr-hostile-" });
  try {
    const good = `${dir}/good.rr`, bad = `${dir}/bad.rr`;
    await run("record", good);
    await run("replay", good); // the log as recorded replays
    const log = Deno.readFileSync(good);
    const cases: [(h: Record<string, unknown>, es: Entry[]) => void, RegExp][] = [
      [(_, es) => setText(entry(es, TTY), '[{"isTty":fal'), /corrupted tty entry \(.*JSON/],
      [(_, es) => setText(entry(es, TTY), "[{},{},{}]"), /tty entry \(isTty is not/],
      [(_, es) => setText(entry(es, TTY), "[]"), /tty entry \(0 streams\)/],
      [
        (_, es) => setText(entry(es, STAT), text(entry(es, STAT)).replace(/"mode":\d+,/, "")),
        /stat entry \(the stat's mode is not an integer\)/,
      ],
      [
        (_, es) =>
          setText(entry(es, STAT), text(entry(es, STAT)).replace(/"dev":"\d+"/, '"dev":"x"')),
        /stat entry \(the stat's dev is not an integer\)/,
      ],
      [(_, es) => setText(entry(es, STAT), '{"errno":99999}'), /stat entry \(errno 99999\)/],
      [(_, es) => setText(entry(es, STAT), "null"), /stat entry \(the result is not an object\)/],
      [
        (_, es) =>
          setText(
            entry(es, DIR),
            text(entry(es, DIR)).replace(/"entries":\[.*\]\]/, '"entries":7'),
          ),
        /dir entry \(the listing is not a list\)/,
      ],
      [
        (_, es) =>
          setText(
            entry(es, DIR),
            text(entry(es, DIR)).replace(/"entries":\[\[/, '"entries":[["a",[],4],['),
          ),
        /dir entry \(a listed inode is not an integer\)/,
      ],
      [
        (_, es) => entry(es, FILE).payload = entry(es, FILE).payload.slice(0, 3),
        /file entry \(its record is cut/,
      ],
      [(_, es) => entry(es, FILE).payload[3] = 0x7f, /file entry \(its record is cut/],
      [
        (_, es) => setText(entry(es, FILE), "\x02\0\0\0{}"),
        /file entry \(the path is not a string\)/,
      ],
      [(h) => h.identity = null, /not a Denemu record\/replay log \(bad header\)/],
      [(h) => h.identity = { mode: 1 }, /not a Denemu record\/replay log \(bad header\)/],
    ];
    for (const [edit, expected] of cases) {
      Deno.writeFileSync(bad, editLog(log, edit));
      const error = await run("replay", bad).then(() => null, (e) => e);
      assert(error instanceof EmuError, `${expected}: ${error?.stack ?? "no error"}`);
      assert.match(error.message, expected);
      assert(!error.message.includes("\n"), error.message);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("emu user -icount rr=replay: a cut or corrupted log is one line on stderr, exit 1", async () => {
  const root = tree();
  try {
    const emu = async (rr: string) => {
      const o = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", MOD, "user", "--root", root, "-icount", rr, `${BIN}fsscript.static.O2`],
        cwd: root,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      return { code: o.code, err: new TextDecoder().decode(o.stderr) };
    };
    const log = `${root}/run.rr`;
    assert.equal((await emu(`rr=record,rrfile=${log}`)).code, 0);
    const recorded = Deno.readFileSync(log);
    Deno.writeFileSync(log, recorded.slice(0, recorded.length - 3));
    const cut = await emu(`rr=replay,rrfile=${log}`);
    assert.equal(cut.code, 1, cut.err);
    assert.match(
      cut.err,
      /^emu: rrfile=.*: not a Denemu record\/replay log \(bad entry at byte \d+\) \(record it again\)\n$/,
    );
    Deno.writeFileSync(log, editLog(recorded, (_, es) => setText(entry(es, TTY), "{")));
    const corrupted = await emu(`rr=replay,rrfile=${log}`);
    assert.equal(corrupted.code, 1, corrupted.err);
    assert.match(
      corrupted.err,
      /^emu: rrfile: a corrupted tty entry \(.*\) \(record it again\)\n$/,
    );
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

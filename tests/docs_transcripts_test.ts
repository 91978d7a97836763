// The shell transcripts of README.md and docs/*.md are tested examples: in a fenced block, a
// line `$ command` (continued by a trailing `\`) is followed by the output the command prints,
// up to the next `$ ` line or the end of the block; a `$ command &` before a gdb command is its
// stub, run in the background on a free port, whose output follows gdb's. `emu` stands for `deno run -A mod.ts` and
// `$H` for the hello program, as docs/tools.md says. A `...` line in the output stands for
// lines left out, and `...` in a line any text (a path); a line's `\r` (a serial console's) is
// what a terminal shows, nothing. The commands of one block run in turn in one scratch directory
// that links to the repository's files. Skipped, with the reason printed: the img walk-through
// (tests/img_readme_test.ts runs it beside qemu-img), a gdb command without a stub, a command
// with a `...` placeholder in it, and one that names a peer's file (/usr/lib/...) or a program
// (gdb-multiarch) that is not installed.
import { deepStrictEqual as assertEquals } from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = "tests/guests/bin/hello.static.O2";

export interface Transcript {
  /** the index of its fenced block in the file */
  block: number;
  line: number;
  command: string;
  output: string[];
  /** a gdb session's stub: the `... &` command before it in its block */
  stub?: string;
  skip?: string;
}

const hasGdb = new Deno.Command("sh", { args: ["-c", "command -v gdb-multiarch"], stdout: "null" })
  .outputSync().success;

/** The peers' files (OpenSBI, U-Boot) and programs (gdb) a command needs that are not installed. */
function missingFiles(command: string): string[] {
  const gdb = command.includes("gdb-multiarch") && !hasGdb ? ["gdb-multiarch"] : [];
  const files = [...command.matchAll(/\/usr\/lib\/\S+/g)].map((m) => m[0]).filter((path) => {
    try {
      Deno.statSync(path);
      return false;
    } catch {
      return true;
    }
  });
  return [...gdb, ...files];
}

/** The transcripts of a Markdown text. */
export function transcripts(markdown: string): Transcript[] {
  const out: Transcript[] = [];
  const lines = markdown.split("\n");
  let skipBlock: string | undefined;
  let block = 0;
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith("```")) continue;
    block++;
    const before = lines[i - 2] ?? "";
    skipBlock = before.includes("tests/img_readme_test.ts runs it")
      ? "run by tests/img_readme_test.ts"
      : undefined;
    let current: Transcript | undefined;
    let stub: string | undefined;
    while (++i < lines.length && !lines[i].startsWith("```")) {
      const line = lines[i];
      if (line.startsWith("$ ")) {
        let command = line.slice(2);
        const start = i + 1;
        while (command.endsWith("\\") && i + 1 < lines.length) command += "\n" + lines[++i];
        if (command.trimEnd().endsWith("&")) {
          stub = command.trimEnd().slice(0, -1);
          continue;
        }
        current = { block, line: start, command, output: [] };
        if (stub) [current.stub, stub] = [stub, undefined];
        const missing = missingFiles(command + (current.stub ?? ""));
        if (skipBlock) current.skip = skipBlock;
        else if (command.includes("...")) current.skip = "the command has a placeholder";
        else if (command.startsWith("gdb") && !current.stub) {
          current.skip = "no stub started before";
        } else if (missing.length) current.skip = `${missing} missing`;
        out.push(current);
      } else if (current) current.output.push(line);
    }
  }
  return out;
}

/** Whether a printed line is a stated one, where `...` in it stands for any text. */
function lineMatches(stated: string, printed: string): boolean {
  if (!stated.includes("...")) return stated === printed;
  const parts = stated.split("...").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${parts.join(".*")}$`).test(printed);
}

/** Whether `printed` is what `stated` says, where each `...` line in `stated` matches any lines. */
export function matches(stated: string[], printed: string[]): boolean {
  const gap = stated.indexOf("...");
  if (gap < 0) {
    return stated.length === printed.length && stated.every((l, k) => lineMatches(l, printed[k]));
  }
  if (gap > printed.length || !stated.slice(0, gap).every((l, k) => lineMatches(l, printed[k]))) {
    return false;
  }
  const rest = stated.slice(gap + 1);
  for (let from = gap; from <= printed.length; from++) {
    if (matches(rest, printed.slice(from))) return true;
  }
  return false;
}

/** `command` as bash runs it here: `emu` and `$H` as the docs use them. */
const shell = (command: string) =>
  command.replace(/^deno task emu /, "emu ").replace(/\$H\b/g, HELLO);

/**
 * A gdb session: the stub in the background on a free port, gdb (retrying until the stub listens),
 * then what the stub printed, as the docs show it.
 */
function session(stub: string, gdb: string): string {
  const port = stub.match(/(?:-g |tcp::)(\d+)/)?.[1];
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const free = String(l.addr.port);
  l.close();
  const onPort = (c: string) => port ? c.replaceAll(new RegExp(`\\b${port}\\b`, "g"), free) : c;
  const retry = `gdb-multiarch -iex "set tcp auto-retry on" -iex "set tcp connect-timeout 60"`;
  return `{ ${onPort(shell(stub))}\n} >.stub_out 2>&1 &\n` +
    `{ ${onPort(gdb).replace(/^gdb-multiarch/, retry)}\n} 2>&1\nwait\ncat .stub_out`;
}

/** Runs a transcript in `dir`; its output and errors. */
async function run(t: Transcript, dir: string): Promise<string[]> {
  const body = t.stub ? session(t.stub, t.command) : `{ ${shell(t.command)}\n} 2>&1`;
  const script = `emu() { "${Deno.execPath()}" run -A mod.ts "$@"; }\n${body}`;
  const out = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd: dir,
    stdin: "null",
    signal: AbortSignal.timeout(120_000),
  }).output();
  return new TextDecoder().decode(out.stdout).trimEnd().split("\n").map((l) =>
    l.replace(/\r$/, "")
  );
}

/**
 * A scratch directory that sees every top-level file and directory of the repository, with a copy
 * of each guest program `commands` name (`tests/.../bin/...`, `$H`). A static glibc program reads
 * its own path (`/proc/self/exe`, the resolved one) at start-up, so the counts the tools print
 * depend on that path's length: the copies give every checkout paths of one length, that of
 * `/work/wt-readme4/tests/...`, where the docs' counts were made.
 */
function scratch(commands: string[]): string {
  const dir = tempDirOfLength(16);
  for (const e of Deno.readDirSync(ROOT)) Deno.symlinkSync(`${ROOT}${e.name}`, `${dir}/${e.name}`);
  const programs = commands.flatMap((c) => [...shell(c).matchAll(/\btests\/[\w/]*bin\/[\w./-]+/g)]);
  for (const [program] of programs) copyInto(dir, program);
  return dir;
}

/** A new directory in /tmp whose path has `length` characters. */
function tempDirOfLength(length: number): string {
  for (;;) {
    const name = crypto.randomUUID().replaceAll("-", "").slice(0, length - "/tmp/t".length);
    try {
      Deno.mkdirSync(`/tmp/t${name}`);
      return `/tmp/t${name}`;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
  }
}

/** Makes `rel` in `dir` a copy of the repository's file, its directories real ones of links. */
function copyInto(dir: string, rel: string): void {
  const parts = rel.split("/");
  for (let i = 1; i <= parts.length; i++) {
    const at = `${dir}/${parts.slice(0, i).join("/")}`;
    if (!Deno.lstatSync(at).isSymlink) continue;
    const original = `${ROOT}${parts.slice(0, i).join("/")}`;
    Deno.removeSync(at);
    if (i === parts.length) {
      Deno.copyFileSync(original, at);
      return;
    }
    Deno.mkdirSync(at);
    for (const e of Deno.readDirSync(original)) {
      Deno.symlinkSync(`${original}/${e.name}`, `${at}/${e.name}`);
    }
  }
}

const files = [
  "README.md",
  ...[...Deno.readDirSync(`${ROOT}docs`)].filter((e) => e.name.endsWith(".md")).map((e) =>
    `docs/${e.name}`
  ).sort(),
];

for (const file of files) {
  const blocks = Map.groupBy(transcripts(Deno.readTextFileSync(`${ROOT}${file}`)), (t) => t.block);
  for (const ts of blocks.values()) {
    for (const t of ts.filter((t) => t.skip)) {
      console.log(`docs_transcripts_test: ${file}:${t.line} skipped: ${t.skip}`);
    }
    const runnable = ts.filter((t) => !t.skip);
    if (!runnable.length) continue;
    Deno.test(`${file}:${runnable[0].line}: the transcript prints what it says`, async (ctx) => {
      const dir = scratch(runnable.flatMap((t) => [t.stub ?? "", t.command]));
      try {
        for (const t of runnable) {
          await ctx.step(`${t.line}: $ ${t.command.split("\n")[0]}`, async () => {
            const printed = await run(t, dir);
            const stated = t.output.join("\n").trimEnd().split("\n");
            if (!matches(stated, printed)) assertEquals(printed, stated);
          });
        }
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    });
  }
}

Deno.test("transcripts: a `...` line stands for any lines, and only there", () => {
  assertEquals(matches(["a", "...", "z"], ["a", "b", "c", "z"]), true);
  assertEquals(matches(["a", "..."], ["a"]), true);
  assertEquals(matches(["a", "...", "z"], ["a", "b"]), false);
  assertEquals(matches(["a", "b"], ["a", "c"]), false);
  assertEquals(matches(["a", "...", "c", "...", "e"], ["a", "b", "c", "d", "e"]), true);
  assertEquals(matches(["a", "...", "c", "...", "e"], ["a", "b", "d", "e"]), false);
  assertEquals(matches(["0, .../hello"], ["0, /work/x/hello"]), true);
  assertEquals(matches(["0, .../hello"], ["1, /work/x/hello"]), false);
  const md = "```\n$ emu user $H\nHi\n$ a \\\n  b\n```\n";
  assertEquals(transcripts(md), [
    { block: 1, line: 2, command: "emu user $H", output: ["Hi"] },
    { block: 1, line: 4, command: "a \\\n  b", output: [] },
  ]);
  const gdb = "```\n$ emu user -g 1234 $H &\n$ gdb-multiarch -batch\nbye\n```\n";
  assertEquals(transcripts(gdb).map((t) => [t.stub, t.command, t.skip]), [
    ["emu user -g 1234 $H ", "gdb-multiarch -batch", hasGdb ? undefined : "gdb-multiarch missing"],
  ]);
});

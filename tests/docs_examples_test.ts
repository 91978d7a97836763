// Every ```ts block of README.md and docs/*.md is a tested example: it runs,
// and when it ends with `// ` comment lines, those are its output. Blocks
// marked ```ts ignore are sketches of internals (not runnable alone) and are
// skipped. Peers a block needs (OpenSBI, U-Boot) skip it when missing.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const MOD = new URL("mod.ts", ROOT).href;

/** The ```ts blocks of a Markdown text, with the line each starts on. */
export function tsBlocks(markdown: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```ts") continue;
    const start = i + 1;
    while (++i < lines.length && lines[i].trim() !== "```");
    out.push({ line: start, code: lines.slice(start, i).join("\n") });
  }
  return out;
}

/** The output a block states in its trailing `// ` comment lines. */
function statedOutput(code: string): string[] {
  const lines = code.trimEnd().split("\n");
  const out: string[] = [];
  while (lines.length && lines[lines.length - 1].startsWith("// ")) {
    out.unshift(lines.pop()!.slice(3));
  }
  return out;
}

const files = [
  "README.md",
  ...[...Deno.readDirSync(new URL("docs/", ROOT))].filter((e) => e.name.endsWith(".md")).map((e) =>
    `docs/${e.name}`
  ).sort(),
];

for (const file of files) {
  const text = Deno.readTextFileSync(new URL(file, ROOT));
  for (const { line, code } of tsBlocks(text)) {
    const needs = [...code.matchAll(/"(\/usr\/lib\/[^"]+)"/g)].map((m) => m[1]);
    const missing = needs.filter((p) => {
      try {
        Deno.statSync(p);
        return false;
      } catch {
        return true;
      }
    });
    Deno.test({
      name: `${file}:${line}: the example runs and prints what it says`,
      ignore: missing.length > 0,
      async fn() {
        const script = Deno.makeTempFileSync({ suffix: ".ts" });
        try {
          Deno.writeTextFileSync(
            script,
            code.replace(/from "(\.\.?\/)+mod\.ts"/g, `from "${MOD}"`),
          );
          const out = await new Deno.Command(Deno.execPath(), {
            args: ["run", "-A", `--config=${new URL("deno.json", ROOT).pathname}`, script],
            cwd: ROOT.pathname,
            stdin: "null",
            signal: AbortSignal.timeout(120_000),
          }).output();
          const dec = new TextDecoder();
          assertEquals(out.code, 0, dec.decode(out.stderr));
          const stated = statedOutput(code);
          const printed = dec.decode(out.stdout).trimEnd().split("\n");
          if (stated.length) assertEquals(printed, stated);
        } finally {
          Deno.removeSync(script);
        }
      },
    });
    if (missing.length) {
      console.log(`docs_examples_test: ${file}:${line} skipped: ${missing} missing`);
    }
  }
}

Deno.test("the docs have runnable examples", () => {
  const count = files.reduce(
    (n, f) => n + tsBlocks(Deno.readTextFileSync(new URL(f, ROOT))).length,
    0,
  );
  assert(count >= 4, `${count}`);
});

// `emu bundle`: a script outside the repository that imports mod.ts by path
// is bundled with an embedded program and data file; the bundle, copied
// alone to a new empty directory, prints exactly what the script printed
// (the guest reads the embedded files; a built-in tool plugin is found by
// name inside the bundle). A file the script names but the bundle does not
// embed is checked against its hash: once changed, the run is refused with
// a message naming it. The modules Denemu imports on demand (system mode here) are in it too.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { parseBundleArgs } from "../cli/bundle.ts";

const MOD = new URL("../mod.ts", import.meta.url).pathname;
const WORLD = new URL("./guests/bin/world.static.O2", import.meta.url).pathname;
const TIMER = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;

const SCRIPT = `import { createMachine, readInputFile } from "${MOD}";

const notes = new TextDecoder().decode(readInputFile("notes.txt")).trim();
const m = await createMachine({
  program: "world",
  args: ["data.txt"],
  stdin: notes + "\\n",
  seed: 7,
  plugins: ["insn", "./count_syscalls.ts"],
  pluginOutput: (text) => console.log("plugin:", text.trim()),
});
console.log("status", await m.runToExit(), "icount", m.icount);
console.log(m.stdout);
await m.close();
// system mode's half of createMachine is imported on demand: the bundle holds it too
const board = await createMachine({ system: { bios: "none", kernel: "timer.elf" } });
console.log("system status", await board.runToExit());
await board.close();
`;

/** A tool plugin of the experiment's own, loaded by path (bundled with --plugin). */
const TOOL = `import { PLUGIN_API_VERSION, type ToolPlugin } from "${
  new URL("../plugin.ts", import.meta.url).pathname
}";
let n = 0;
const tool: ToolPlugin = {
  kind: "tool",
  name: "count_syscalls",
  apiVersion: { min: PLUGIN_API_VERSION, cur: PLUGIN_API_VERSION },
  description: "counts syscalls",
  install(ctx) {
    ctx.hooks.on("syscall", () => n++);
    ctx.onExit(() => ctx.out(\`syscalls: \${n}\n\`));
  },
};
export default tool;
`;

async function deno(args: string[], cwd: string) {
  const o = await new Deno.Command(Deno.execPath(), { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const dec = new TextDecoder();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

Deno.test("a bundle copied alone to an empty directory prints what the script printed", async () => {
  const here = Deno.makeTempDirSync({ prefix: "denemu-exp-" });
  const there = Deno.makeTempDirSync({ prefix: "denemu-run-" });
  try {
    Deno.copyFileSync(WORLD, `${here}/world`);
    Deno.copyFileSync(TIMER, `${here}/timer.elf`);
    Deno.writeTextFileSync(`${here}/data.txt`, "the data the guest reads\n");
    Deno.writeTextFileSync(`${here}/notes.txt`, "a note the script reads\n");
    Deno.writeTextFileSync(`${here}/exp.ts`, SCRIPT);
    Deno.writeTextFileSync(`${here}/count_syscalls.ts`, TOOL);
    const direct = await deno(["run", "-A", "exp.ts"], here);
    assert.equal(direct.code, 0, direct.stderr);
    assert.match(
      direct.stdout,
      /plugin: cpu 0 insns: \d+\ntotal insns: \d+\nplugin: syscalls: \d+\nstatus 1 icount \d+\nstdin 1: a note/,
    );
    const args = ["bundle", "exp.ts", "-o", "exp.js", "--embed", "world", "--embed", "data.txt"];
    args.push("--embed", "timer.elf");
    args.push("--plugin", "./count_syscalls.ts");
    const built = await deno(["run", "-A", MOD, ...args], here);
    assert.equal(built.code, 0, built.stderr);
    Deno.copyFileSync(`${here}/exp.js`, `${there}/exp.js`);
    const bundled = await deno(["run", "-A", "exp.js"], there);
    assert.equal(bundled.stderr, "");
    assert.equal(bundled.stdout, direct.stdout);
    assert.deepEqual([...Deno.readDirSync(there)].map((e) => e.name), ["exp.js"]);
    const manifest = JSON.parse((await deno(["run", "-A", "exp.js", "--manifest"], there)).stdout);
    assert.deepEqual(
      manifest.files.map((f: { path: string; embedded: boolean }) => [f.path, f.embedded]),
      [["world", true], ["data.txt", true], ["timer.elf", true], ["notes.txt", false]],
    );
    assert.deepEqual(manifest.seeds, ["7"]);
    assert.ok(manifest.plugins.includes("targets/riscv/mod.ts"));
    // the file not embedded is checked against its hash before the run
    Deno.writeTextFileSync(`${here}/notes.txt`, "another note\n");
    const refused = await deno(["run", "-A", "exp.js"], there);
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, "");
    assert.match(
      refused.stderr,
      /^experiment bundle: notes\.txt: not the file the experiment was bundled with \(sha256 \w+\.\.\., expected \w+\.\.\.\)\n$/,
    );
  } finally {
    Deno.removeSync(here, { recursive: true });
    Deno.removeSync(there, { recursive: true });
  }
});

Deno.test("emu bundle arguments", () => {
  assert.deepEqual(parseBundleArgs(["s.ts", "-o", "x.js", "--embed", "a", "--plugin", "./p.ts"]), {
    help: false,
    script: "s.ts",
    output: "x.js",
    embed: ["a"],
    plugins: ["./p.ts"],
  });
  assert.throws(() => parseBundleArgs(["a.ts", "b.ts"]), /one script only/);
  assert.throws(() => parseBundleArgs(["a.ts", "--zip"]), /unknown option --zip/);
});

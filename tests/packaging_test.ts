// Denemu as a package: imported from an http URL, the built-in plugin index,
// no download of what a command does not use, and the version.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { pluginIndexJson } from "../scripts/gen_plugin_index.ts";
import config from "../deno.json" with { type: "json" };

const ROOT = new URL("../", import.meta.url);
const dec = new TextDecoder();

/** Runs deno with `args` (killed after `ms`); returns status and output. */
async function deno(args: string[], env: Record<string, string> = {}, ms = 60_000) {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    cwd: ROOT.pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill(), ms);
  const out = await child.output();
  clearTimeout(timer);
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("core/plugin_index.json lists the built-in plugins on disk (run deno task plugins)", async () => {
  assertEquals(
    Deno.readTextFileSync(new URL("core/plugin_index.json", ROOT)),
    await pluginIndexJson(),
  );
});

Deno.test("mod.ts imported from an http URL runs a program and finds the built-in plugins", async () => {
  const files = Deno.realPathSync(ROOT.pathname);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..")) return new Response("no", { status: 403 });
    try {
      const type = path.endsWith(".json") ? "application/json" : "application/typescript";
      return new Response(Deno.readFileSync(files + path), { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}/`;
    const script = `import { createMachine } from "${base}mod.ts";
import { builtinTargets } from "${base}plugin.ts";
const m = await createMachine({ program: "tests/guests/bin/hello.static.O2", plugins: ["insn"], pluginOutput: () => {} });
for await (const _ of m.run());
console.log(JSON.stringify([m.stdout, builtinTargets()]));`;
    const r = await deno(["eval", "--no-config", "--reload=" + base, script]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(JSON.parse(r.stdout), ["Hello, world!\n", ["aarch64", "riscv"]]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("a first run downloads only what it uses (not esbuild-wasm)", async () => {
  // A fresh Deno cache holding only the JIT's wasmbuilder: a run that may not
  // download anything (--cached-only) must work.
  const info = JSON.parse((await deno(["info", "--json"])).stdout);
  const fresh = Deno.makeTempDirSync();
  try {
    const pkg = "npm/registry.npmjs.org/wasmbuilder";
    await Deno.mkdir(`${fresh}/${pkg}`, { recursive: true });
    const src = `${info.npmCache}/registry.npmjs.org/wasmbuilder`;
    const cp = await new Deno.Command("cp", { args: ["-r", `${src}/.`, `${fresh}/${pkg}`] })
      .output();
    assert(cp.success, "no wasmbuilder in the Deno cache: run deno task check first");
    const r = await deno(["run", "--cached-only", "-A", "mod.ts", "--version"], {
      DENO_DIR: fresh,
    });
    assertEquals(r.code, 0, r.stderr);
  } finally {
    Deno.removeSync(fresh, { recursive: true });
  }
});

Deno.test("emu --version and -version print the version of deno.json", async () => {
  for (const flag of ["--version", "-version"]) {
    const r = await deno(["run", "-A", "mod.ts", flag]);
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.startsWith(`emu version ${config.version}`), r.stdout);
  }
});

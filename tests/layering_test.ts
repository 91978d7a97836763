// The dependency rules of the codebase, checked on the import statements:
// scripts and plugins -> mod.ts -> core; core names no target and no plugin;
// the modes (core/linux, core/system) do not import each other; the engine
// (the rest of core but the mode-assembling faces) imports no mode; targets
// and plugins reach core only through plugin.ts (or mod.ts, plugin_target.ts, plugin_block.ts).
// SPDX-License-Identifier: GPL-3.0-or-later
import { deepStrictEqual as assertEquals } from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Every .ts file under `dir` (repository relative). */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(new URL(dir, ROOT))) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...tsFiles(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The repository-relative paths `file` imports or re-exports (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = Deno.readTextFileSync(new URL(file, ROOT));
  const found: string[] = [];
  const re = /^\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"|^\s*import\s+"(\.[^"]+)"/gm;
  for (const m of text.matchAll(re)) {
    const spec = m[1] ?? m[2];
    found.push(new URL(spec, new URL(file, ROOT)).href.slice(ROOT.href.length));
  }
  return found;
}

/** `file -> import` for every import of `files` that `bad` rejects. */
function violations(files: string[], bad: (file: string, dep: string) => boolean): string[] {
  return files.flatMap((f) => importsOf(f).filter((d) => bad(f, d)).map((d) => `${f} -> ${d}`));
}

const under = (dir: string) => (path: string) => path.startsWith(`${dir}/`);
const dirOf = (path: string) => path.slice(0, path.lastIndexOf("/"));
const core = tsFiles("core");
const isMode = (p: string) => under("core/linux")(p) || under("core/system")(p);
/** The faces that assemble modes from the engine (the plugin loader, the scripting API, gdb's bridges). */
const FACES = ["core/plugin.ts"];
const isEngine = (p: string) =>
  !isMode(p) && !FACES.includes(p) && !under("core/gdb")(p) && !under("core/machine")(p);

Deno.test("layering: core imports no target, plugin, script or mod.ts", () => {
  assertEquals(
    violations(core, (_, d) => !under("core")(d)),
    [],
  );
});

Deno.test("layering: core/linux and core/system do not import each other", () => {
  assertEquals(
    violations(core.filter(isMode), (f, d) => isMode(d) && dirOf(f) !== dirOf(d)),
    [],
  );
});

Deno.test("layering: the engine (and core/target.ts) imports no mode", () => {
  assertEquals(violations(core.filter(isEngine), (_, d) => isMode(d)), []);
});

Deno.test("layering: targets and plugins import only the entries (plugin.ts, plugin_target.ts, plugin_block.ts, mod.ts) and their own files", () => {
  const files = [...tsFiles("targets"), ...tsFiles("plugins")];
  const own = (f: string, d: string) => d.startsWith(f.split("/").slice(0, 2).join("/") + "/");
  const entry = (d: string) =>
    ["plugin.ts", "plugin_target.ts", "plugin_block.ts", "mod.ts"].includes(d);
  assertEquals(violations(files, (f, d) => !entry(d) && !own(f, d)), []);
});

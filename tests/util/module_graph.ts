// The modules `deno run` loads before an entry runs, for the tests that keep start-ups light.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/**
 * Modules `deno run` reads to start `entry` (repository relative): its
 * imports and literal `import()`s (those only with `dynamic`), not type-only
 * ones. Built-ins keep their `node:` names.
 */
export async function staticGraph(entry: string, dynamic = true): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, ROOT).pathname],
    stdout: "piped",
  }).output();
  assert.ok(out.success, `deno info ${entry} failed`);
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const deps = new Map(graph.modules.map((m) => [
    m.specifier,
    (m.dependencies ?? []).flatMap((d) =>
      d.code && (dynamic || !d.isDynamic) ? [d.code.specifier] : []
    ),
  ]));
  const seen = new Set<string>();
  const todo = [...graph.roots];
  while (todo.length) {
    const s = todo.pop()!;
    if (seen.has(s)) continue;
    seen.add(s);
    todo.push(...(deps.get(s) ?? []));
  }
  return [...seen].map((s) => s.startsWith(ROOT.href) ? s.slice(ROOT.href.length) : s).sort();
}

/**
 * `emu bundle script.ts -o exp.js [--embed FILE ...] [--plugin NAME ...]`:
 * one JavaScript file holding an experiment (the script, Denemu, every
 * built-in target and plugin, the plugins named with `--plugin`, the
 * embedded files and a manifest), so that `deno run -A exp.js` in an empty
 * directory prints what `deno run -A script.ts` printed. Bundled with
 * `npm:esbuild-wasm` in a subprocess (`bundle_build.ts`), so that nothing
 * else downloads it.
 *
 * The manifest lists the files the script names in string literals that
 * exist when bundling: embedded ones (`--embed`) are served from the bundle
 * at those paths (`core/host_files.ts`); the others are checked against
 * their hashes before the run (`core/bundle.ts`).
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import { sha256Hex } from "../core/host_files.ts";
import { builtinPlugins, ON_DEMAND_MODULES } from "../core/plugin.ts";
import type { BundledFile, BundleManifest } from "../core/bundle.ts";
import { VERSION } from "../core/version.ts";
import { readOption } from "./options.ts";
import type { BuildRequest } from "./bundle_build.ts";

const ROOT = new URL("../", import.meta.url);
const BUILD_STEP = new URL("bundle_build.ts", import.meta.url).pathname;

/** `emu bundle -h` text. */
export const BUNDLE_HELP =
  `usage: emu bundle script.ts -o exp.js [--embed FILE ...] [--plugin NAME ...]
Writes one JavaScript file holding the script, Denemu, its plugins and a manifest:
"deno run -A exp.js" runs the experiment anywhere ("deno run -A exp.js --manifest" shows it).

Options:
  -o FILE         the bundle to write
  --embed FILE    put FILE in the bundle, served at that path (repeatable); other files the
                  script names are checked against their hashes before the run
  --plugin NAME   also bundle this plugin module (a path the script passes; built-in targets
                  and plugins are always in)`;

/** Parsed `emu bundle` arguments. */
export interface BundleArgs {
  help: boolean;
  script?: string;
  output?: string;
  embed: string[];
  plugins: string[];
}

/**
 * Parses `emu bundle` arguments.
 *
 * @example
 * ```ts
 * import { parseBundleArgs } from "./bundle.ts";
 * console.log(parseBundleArgs(["x.ts", "-o", "x.js", "--embed", "in.txt"]).embed); // [ "in.txt" ]
 * ```
 */
export function parseBundleArgs(argv: string[]): BundleArgs {
  const r: BundleArgs = { help: false, embed: [], plugins: [] };
  for (let i = 0; i < argv.length;) {
    if (!argv[i].startsWith("-")) {
      if (r.script) throw new EmuError(`bundle: one script only (${r.script}, ${argv[i]})`);
      r.script = argv[i++];
      continue;
    }
    const { name, value, next } = readOption(argv, i, new Set(["o", "embed", "plugin"]), "bundle");
    i = next;
    if (name === "h" || name === "help") r.help = true;
    else if (name === "o") r.output = value;
    else if (name === "embed") r.embed.push(value!);
    else if (name === "plugin") r.plugins.push(value!);
    else throw new EmuError(`unknown option ${argv[i - 1]}`, "see emu bundle -h");
  }
  return r;
}

function readInput(path: string, what: string): Uint8Array {
  try {
    return Deno.readFileSync(path);
  } catch (e) {
    throw new EmuError(`${what} ${path}: cannot read (${(e as Error).message.split("\n")[0]})`);
  }
}

/** The files the script names in string literals that exist now (regular files). */
function namedFiles(source: string): string[] {
  const out = new Set<string>();
  for (const m of source.matchAll(/(["'`])([^"'`\n$]{1,4096})\1/g)) {
    const path = m[2];
    if (!/^[\w./-]+$/.test(path) || path.endsWith(".ts") || path.endsWith(".js")) continue;
    try {
      if (Deno.statSync(path).isFile) out.add(path);
    } catch {
      // not a file here
    }
  }
  return [...out];
}

/** Every built-in target and plugin, by its path relative to the project root. */
function builtinModules(): string[] {
  return [
    ...builtinPlugins("targets").map((n) => `targets/${n}/mod.ts`),
    ...builtinPlugins("plugins/machines").map((n) => `plugins/machines/${n}/mod.ts`),
    ...(["plugins/devices", "plugins/tools", "plugins/block"] as const).flatMap((folder) =>
      builtinPlugins(folder).map((n) => `${folder}/${n}.ts`)
    ),
  ];
}

function toBase64(data: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    bin += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

/** The entry module: checks and serves files, registers plugins, then runs the script. */
function entrySource(
  manifest: BundleManifest,
  scriptPath: string,
  files: Map<string, Uint8Array>,
  plugins: Map<string, string>,
): string {
  const lines = [
    `import { startBundle } from ${JSON.stringify(new URL("core/bundle.ts", ROOT).pathname)};`,
  ];
  const entries: string[] = [];
  [...plugins].forEach(([key, path], i) => {
    lines.push(`import * as plugin${i} from ${JSON.stringify(path)};`);
    entries.push(`${JSON.stringify(key)}: plugin${i}`);
  });
  const embedded = [...files].map(([p, d]) => `${JSON.stringify(p)}: "${toBase64(d)}"`);
  lines.push(
    `startBundle(${JSON.stringify(manifest)}, {${embedded.join(",")}}, {${entries.join(",")}});`,
    `await import(${JSON.stringify(scriptPath)});`,
  );
  return lines.join("\n");
}

/** Runs the esbuild step (`bundle_build.ts`) in a subprocess that writes no lock file. */
async function esbuild(req: BuildRequest): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-lock", "--no-config", "-A", "--quiet", BUILD_STEP],
    stdin: "piped",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(JSON.stringify(req)));
  await w.close();
  const o = await child.output();
  if (!o.success) {
    const why = new TextDecoder().decode(o.stderr).trim().split("\n")[0];
    throw new EmuError(`bundle: ${why}`);
  }
}

/**
 * Runs `emu bundle`; returns the exit status.
 *
 * @example
 * ```ts ignore
 * await bundleCommand(["exp.ts", "-o", "exp.js", "--embed", "data.txt"]);
 * ```
 */
export async function bundleCommand(argv: string[]): Promise<number> {
  const a = parseBundleArgs(argv);
  if (a.help) {
    console.log(BUNDLE_HELP);
    return 0;
  }
  if (!a.script || !a.output) {
    throw new EmuError("bundle: a script and -o FILE are needed", "see emu bundle -h");
  }
  const source = readInput(a.script, "script");
  const embedded = new Map(a.embed.map((p) => [p, readInput(p, "--embed")]));
  const named = namedFiles(new TextDecoder().decode(source)).filter((p) => !embedded.has(p));
  const files: BundledFile[] = [
    ...[...embedded].map(([path, d]) => ({ path, sha256: sha256Hex(d), embedded: true })),
    ...named.map((path) => ({ path, sha256: sha256Hex(readInput(path, "file")), embedded: false })),
  ];
  const plugins = new Map(builtinModules().map((p) => [p, new URL(p, ROOT).pathname]));
  for (const p of a.plugins) {
    plugins.set(
      p,
      /^[\w-]+$/.test(p) ? new URL(`plugins/tools/${p}.ts`, ROOT).pathname : Deno.realPathSync(p),
    );
  }
  const manifest: BundleManifest = {
    denemu: VERSION,
    directory: Deno.cwd(),
    script: { name: a.script.split("/").pop()!, sha256: sha256Hex(source) },
    files,
    seeds: [...new TextDecoder().decode(source).matchAll(/\bseed:\s*(\d+)n?\b/g)].map((m) => m[1]),
    plugins: [...plugins.keys()],
  };
  // the modules Denemu imports on demand are registered as the plugins are
  const modules = new Map([
    ...plugins,
    ...ON_DEMAND_MODULES.map((p): [string, string] => [p, new URL(p, ROOT).pathname]),
  ]);
  await esbuild({
    entry: entrySource(manifest, Deno.realPathSync(a.script), embedded, modules),
    resolveDir: Deno.cwd(),
    output: a.output,
    banner: `// Denemu ${VERSION} experiment bundle: deno run -A ${a.output.split("/").pop()}`,
  });
  const size = Deno.statSync(a.output).size;
  console.error(
    `${a.output}: ${(size / 1024).toFixed(0)} KiB, ${files.length} input file(s) ` +
      `(${embedded.size} embedded), ${plugins.size} plugin module(s)`,
  );
  return 0;
}

/**
 * The esbuild step of `emu bundle`, run by it as a subprocess with
 * `--no-lock --no-config`: so that `npm:esbuild-wasm` (pinned to one
 * version here) is downloaded only by someone who bundles, and is never
 * written into the project's lock file (a lock file entry would make every
 * first run of Denemu download it).
 *
 * Reads a {@linkcode BuildRequest} as JSON on stdin; writes the bundle, or
 * one line on stderr and exit status 1. `npm:` imports of the bundled code
 * (Denemu's wasmbuilder) come from Deno's npm cache.
 *
 * @module
 */

/** The esbuild that bundles (the one version the project uses). */
const ESBUILD = "npm:esbuild-wasm@0.28.2";

/** What `emu bundle` asks for. */
export interface BuildRequest {
  /** the entry module's source (TypeScript) */
  entry: string;
  /** where its relative imports resolve from */
  resolveDir: string;
  /** the bundle to write */
  output: string;
  /** the first line of the bundle */
  banner: string;
}

/** The parts of esbuild's plugin API used here. */
interface EsbuildPluginBuild {
  onResolve(opts: { filter: RegExp }, cb: (args: { path: string }) => { path: string }): void;
}

/** The parts of esbuild's API used here. */
interface Esbuild {
  build(opts: Record<string, unknown>): Promise<{ outputFiles: { contents: Uint8Array }[] }>;
  stop?(): void | Promise<void>;
}

/** esbuild's resolver for `npm:name@version`: the package in Deno's npm cache. */
async function npmCacheResolver() {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  const cache = JSON.parse(new TextDecoder().decode(out.stdout)).npmCache as string;
  return {
    name: "deno-npm-cache",
    setup(build: EsbuildPluginBuild) {
      build.onResolve({ filter: /^npm:/ }, (args) => {
        const m = /^npm:((?:@[^/]+\/)?[^@/]+)@([^/]+)(\/.*)?$/.exec(args.path);
        if (!m) throw new Error(`cannot read the specifier ${args.path}`);
        const dir = `${cache}/registry.npmjs.org/${m[1]}/${m[2]}`;
        const pkg = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`));
        const main = m[3] ? `.${m[3]}` : pkg.exports?.import ?? pkg.module ?? pkg.main;
        return { path: `${dir}/${main ?? "index.js"}` };
      });
    },
  };
}

async function build(req: BuildRequest): Promise<void> {
  const spec = ESBUILD; // not a literal import: no tool preloads it
  const esbuild = (await import(spec)) as Esbuild;
  try {
    const result = await esbuild.build({
      stdin: {
        contents: req.entry,
        resolveDir: req.resolveDir,
        loader: "ts",
        sourcefile: "bundle-entry.ts",
      },
      bundle: true,
      write: false,
      format: "esm",
      platform: "neutral",
      target: "esnext",
      define: { "import.meta.main": "false" }, // mod.ts must not start the CLI
      external: ["node:*"], // Deno provides them
      plugins: [await npmCacheResolver()],
      logLevel: "silent",
      banner: { js: req.banner },
    });
    Deno.writeFileSync(req.output, result.outputFiles[0].contents);
  } finally {
    await esbuild.stop?.();
  }
}

if (import.meta.main) {
  try {
    await build(JSON.parse(await new Response(Deno.stdin.readable).text()));
  } catch (e) {
    const first = (e as { errors?: { text: string }[] }).errors?.[0]?.text;
    console.error(first ?? (e as Error).message.split("\n")[0]);
    Deno.exit(1);
  }
}

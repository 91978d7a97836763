/**
 * What an experiment bundle (`emu bundle script.ts -o exp.js`) does before
 * its script runs: check the input files it did not embed against the
 * hashes in its manifest (a mismatch is refused with a message naming the
 * file), serve the embedded files at the paths the script names
 * (`host_files.ts`; relative ones from the directory it was bundled in,
 * which the guest also starts in, so it sees the same paths), and register the plugin modules it holds, so that
 * targets, machines, devices and tools found by name at run time come from
 * the bundle.
 *
 * @module
 */

import { embedFiles, setInputDirectory, sha256Hex } from "./host_files.ts";
import { registerBundledPlugins } from "./plugin.ts";

/** An input file of the experiment. */
export interface BundledFile {
  /** the path as the script names it (relative to the current directory, or absolute) */
  path: string;
  /** SHA-256 of its contents, hex */
  sha256: string;
  /** whether the bundle holds its contents (else it is checked on the running host) */
  embedded: boolean;
}

/** What an experiment bundle is: `deno run -A exp.js --manifest` prints it. */
export interface BundleManifest {
  /** the Denemu version inside */
  denemu: string;
  /** the directory it was bundled in: relative paths are read from it, a guest starts in it */
  directory: string;
  /** the script, by its file name, and its SHA-256 */
  script: { name: string; sha256: string };
  /** the input files: embedded ones and ones checked by hash */
  files: BundledFile[];
  /** the seeds the script gives (`seed: N`), in order; Denemu's default is 0 */
  seeds: string[];
  /** the plugin modules inside, by project path or reference */
  plugins: string[];
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Why the non-embedded input files of `manifest` cannot be used here (one
 * line naming the file), or null when all match their hashes.
 */
export function checkInputFiles(manifest: BundleManifest): string | null {
  for (const f of manifest.files) {
    if (f.embedded) continue;
    let data: Uint8Array;
    try {
      data = Deno.readFileSync(f.path.startsWith("/") ? f.path : `${manifest.directory}/${f.path}`);
    } catch (e) {
      return `${f.path}: the experiment needs this file (${(e as Error).message.split("\n")[0]})`;
    }
    const sha = sha256Hex(data);
    if (sha !== f.sha256) {
      return `${f.path}: not the file the experiment was bundled with ` +
        `(sha256 ${sha.slice(0, 16)}..., expected ${f.sha256.slice(0, 16)}...)`;
    }
  }
  return null;
}

/**
 * Prepares the run of a bundle's script: with `--manifest` as the only
 * argument, prints the manifest and exits; otherwise refuses (exit 1)
 * input files that differ from the manifest, then serves the embedded files
 * and registers the plugins.
 *
 * @example
 * ```ts ignore
 * startBundle(manifest, { "prog": "f0VMRgIBAQ..." }, { "targets/riscv/mod.ts": riscv });
 * ```
 */
export function startBundle(
  manifest: BundleManifest,
  files: Record<string, string>,
  plugins: Record<string, unknown>,
): void {
  if (Deno.args.length === 1 && Deno.args[0] === "--manifest") {
    console.log(JSON.stringify(manifest, null, 2));
    Deno.exit(0);
  }
  const problem = checkInputFiles(manifest);
  if (problem) {
    console.error(`experiment bundle: ${problem}`);
    Deno.exit(1);
  }
  setInputDirectory(manifest.directory);
  embedFiles(new Map(Object.entries(files).map(([path, b64]) => [path, fromBase64(b64)])));
  registerBundledPlugins(plugins);
}

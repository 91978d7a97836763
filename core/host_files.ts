/**
 * The one point where Denemu reads the input files a run names: the
 * program and its interpreter, the libraries the guest opens, firmware and
 * kernel images, files hashed for record/replay. Normally these are host
 * files; an experiment bundle (`emu bundle --embed FILE`) adds files of its
 * own, served at the paths the script names, before the script runs.
 *
 * @module
 */

import { sha256Hex } from "./sha256.ts";

const embedded = new Map<string, Uint8Array>();
const bundleTime = new Date(0);
let experimentDirectory: string | null = null;

/**
 * The directory relative input paths are read from, and a user-mode guest
 * starts in: the current directory, or in an experiment bundle the
 * directory it was bundled in (so a guest sees the same paths, and runs
 * the same instructions, wherever the bundle runs).
 *
 * @example
 * ```ts
 * import { inputDirectory } from "./host_files.ts";
 * console.log(inputDirectory() === Deno.cwd()); // true (outside a bundle)
 * ```
 */
export function inputDirectory(): string {
  return experimentDirectory ?? Deno.cwd();
}

/** Makes `dir` the {@linkcode inputDirectory} (an experiment bundle, before its script runs). */
export function setInputDirectory(dir: string): void {
  experimentDirectory = dir;
}

function absolute(path: string): string {
  const abs = path.startsWith("/") ? path : `${inputDirectory()}/${path}`;
  const out: string[] = [];
  for (const part of abs.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/**
 * Serves `files` (path as a script names it, relative to the
 * {@linkcode inputDirectory} or absolute, and contents) in front of the
 * host's files.
 *
 * @example
 * ```ts
 * import { embedFiles, readInputFile } from "./host_files.ts";
 * embedFiles(new Map([["greeting.txt", new TextEncoder().encode("hi")]]));
 * console.log(new TextDecoder().decode(readInputFile("greeting.txt"))); // hi
 * ```
 */
export function embedFiles(files: Map<string, Uint8Array>): void {
  for (const [path, data] of files) embedded.set(absolute(path), data);
}

/** The embedded contents at host path `path`, if a bundle embeds it. */
export function embeddedFile(path: string): Uint8Array | undefined {
  return embedded.size ? embedded.get(absolute(path)) : undefined;
}

/**
 * Reads the input file `path` (embedded or on the host); host errors are
 * Deno's (NotFound, PermissionDenied...). Scripts read their own input
 * files with it, so that an experiment bundle serves them too.
 *
 * @example
 * ```ts
 * import { readInputFile } from "./mod.ts";
 * console.log(readInputFile("deno.json").length > 0); // true
 * ```
 */
export function readInputFile(path: string): Uint8Array {
  return embeddedFile(path) ?? Deno.readFileSync(absolute(path));
}

/**
 * The first `length` bytes of input file `path` (fewer when it is shorter),
 * embedded or on the host, without reading the rest: a caller that only
 * looks at a header (an ELF magic) need not read a whole kernel image.
 *
 * @example
 * ```ts
 * import { readInputHead } from "./host_files.ts";
 * console.log(new TextDecoder().decode(readInputHead("deno.json", 1))); // {
 * ```
 */
export function readInputHead(path: string, length: number): Uint8Array {
  const data = embeddedFile(path);
  if (data) return data.subarray(0, length);
  using file = Deno.openSync(absolute(path));
  const head = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = file.readSync(head.subarray(got));
    if (n === null) break;
    got += n;
  }
  return head.subarray(0, got);
}

/** Deno.statSync of `path`, or the stat of an embedded file (a read-only regular file, runnable). */
export function statInputFile(path: string): Deno.FileInfo {
  const data = embeddedFile(path);
  if (!data) return Deno.statSync(absolute(path));
  return {
    isFile: true,
    isDirectory: false,
    isSymlink: false,
    size: data.length,
    mtime: bundleTime,
    atime: bundleTime,
    birthtime: bundleTime,
    ctime: bundleTime,
    dev: 0,
    ino: 0,
    mode: 0o100555, // read-only; runnable, as a program a guest execs
    nlink: 1,
    uid: 0,
    gid: 0,
    rdev: 0,
    blksize: 4096,
    blocks: Math.ceil(data.length / 512),
    isBlockDevice: false,
    isCharDevice: false,
    isFifo: false,
    isSocket: false,
  };
}

/** Deno.realPathSync of `path`; an embedded file is its own real path. */
export function realInputPath(path: string): string {
  return embeddedFile(path) ? absolute(path) : Deno.realPathSync(absolute(path));
}

/** The SHA-256 of input files (record/replay logs, bundle manifests); see `sha256.ts`. */
export { sha256Hex };

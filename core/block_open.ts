/**
 * Opening, probing and creating block images: the format guessed from an
 * image's first bytes as qemu-img guesses it, the backing chain opened
 * below, and errors in QEMU's words ("Could not open 'F': why").
 *
 * @module
 */

import { EmuError } from "./errors.ts";
import { builtinPlugins, loadBlockPlugin } from "./plugin.ts";
import { HostFile } from "./host_file.ts";
import type {
  BlockCreateOptions,
  BlockDriver,
  BlockFormatPlugin,
  BlockOpenContext,
  BlockOpenOptions,
} from "./block.ts";

/** Bytes read from the start of a file to probe its format (QEMU's BLOCK_PROBE_BUF_SIZE). */
export const PROBE_BYTES = 512;

/**
 * Guesses the format of the file at `path` from its first bytes, as
 * qemu-img does when `-f` is not given: the built-in format most sure of
 * itself wins.
 *
 * @example
 * ```ts ignore
 * console.log(await probeFormat("disk.qcow2")); // "qcow2"
 * ```
 */
export async function probeFormat(path: string): Promise<string> {
  return (await formatGuesser())(fileHead(path));
}

function fileHead(path: string): Uint8Array {
  const f = HostFile.open(path, { readOnly: true });
  try {
    return f.read(0, PROBE_BYTES);
  } finally {
    f.close();
  }
}

/** What the built-in format most sure of itself makes of an image's first bytes ("raw" if none). */
async function formatGuesser(): Promise<(head: Uint8Array) => string> {
  const names = builtinPlugins("plugins/block");
  const plugins = await Promise.all(names.map(loadBlockPlugin));
  return (head) => {
    let best = "raw", score = 0;
    plugins.forEach((plugin, i) => {
      const s = plugin.probe(head);
      if (s > score) [best, score] = [names[i], s];
    });
    return best;
  };
}

/**
 * Opens the image at `path` with its backing chain. Backing files are opened
 * read-only; a chain that comes back to a file already open is refused.
 * Errors are qemu-img's: "Could not open 'PATH': " and why.
 *
 * @example
 * ```ts ignore
 * const disk = await openImage("disk.qcow2", { format: "qcow2", snapshot: true });
 * disk.write(0, new Uint8Array(512)); // kept in memory
 * disk.close();
 * ```
 */
export async function openImage(
  path: string,
  options: BlockOpenOptions = {},
): Promise<BlockDriver> {
  return await explained(`Could not open '${path}': `, () => {
    if (!options.imageOpts) return openLayer(path, options);
    const { filename, driver, rest } = imageOptsSpec(path);
    return openLayer(filename, { ...options, format: driver, driverOptions: rest });
  });
}

/**
 * An `--image-opts` name split: the host file (`file.filename`), the format (`driver`) and
 * the format's options.
 */
function imageOptsSpec(spec: string) {
  const rest: Record<string, string> = {};
  for (const kv of spec.split(",")) {
    const eq = kv.indexOf("=");
    rest[eq < 0 ? kv : kv.slice(0, eq)] = eq < 0 ? "on" : kv.slice(eq + 1);
  }
  const { driver, "file.filename": filename, "file.driver": fileDriver = "file" } = rest;
  for (const k of ["driver", "file.filename", "file.driver"]) delete rest[k];
  if (filename === undefined) throw new EmuError("Must specify either driver or file");
  if (fileDriver !== "file") throw new EmuError(`Unknown protocol driver '${fileDriver}'`);
  return { filename, driver, rest };
}

/**
 * {@linkcode openImage} for a device's drive: errors say why after `owner`,
 * the option that named the image, as qemu-system's do
 * ("-drive file=d.qcow2: Unsupported qcow2 version 4").
 *
 * @example
 * ```ts ignore
 * const disk = await openDriveImage("-drive file=disk.qcow2", "disk.qcow2", { format: "qcow2" });
 * ```
 */
export async function openDriveImage(
  owner: string,
  path: string,
  options: BlockOpenOptions = {},
): Promise<BlockDriver> {
  return await explained(`${owner}: `, () => {
    // a -drive opens with auto-read-only: a directory fails QEMU's check, not the open for writing
    if (statOrUndefined(path)?.isDirectory) {
      throw new EmuError(`'file' driver requires '${path}' to be a regular file`);
    }
    return openLayer(path, { ...options, system: true });
  });
}

/**
 * Opens an image and its backing chain; errors say why, without naming the
 * image (qemu-img create's words for the backing file it reads the size of).
 *
 * @example
 * ```ts ignore
 * const base = await openLayer("base.qcow2", { readOnly: true });
 * ```
 */
export async function openLayer(path: string, options: BlockOpenOptions): Promise<BlockDriver> {
  // as QEMU: an unknown driver is refused before the file is opened, the file before it is probed
  const named = options.format === undefined
    ? undefined
    : await formatPlugin(options.format, (f) => `Unknown driver '${f}'`);
  const file = HostFile.open(path, {
    readOnly: !!options.readOnly && !options.snapshot,
    overlay: options.snapshot,
    ignoreFlushes: options.cache === "unsafe",
  });
  try {
    const real = Deno.realPathSync(path);
    const chain = options.chain ?? [];
    if (chain.includes(real)) {
      throw new EmuError(
        `backing chain loop (${[...chain, real].join(" -> ")})`,
        "fix the backing file name with emu img rebase -u",
      );
    }
    const guessFormat = named ? undefined : await formatGuesser();
    const plugin = named ?? await loadBlockPlugin(guessFormat!(file.read(0, PROBE_BYTES)));
    const ctx: BlockOpenContext = {
      file,
      options,
      openBacking: (name, fmt) =>
        explained("Could not open backing file: ", () =>
          openLayer(backingPath(path, name), {
            readOnly: true,
            format: fmt,
            chain: [...chain, real],
          })),
      guessFormat,
    };
    return await plugin.open(ctx);
  } catch (e) {
    file.close();
    throw e;
  }
}

function statOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.statSync(path);
  } catch {
    return undefined;
  }
}

/** `open()`, its errors led by `prefix` as QEMU chains the reasons an open failed. */
async function explained<T>(prefix: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (e) {
    if (!(e instanceof EmuError)) throw e;
    throw new EmuError(prefix + e.message, e.hint);
  }
}

/**
 * The host path of backing file `name` of the image at `path`: relative
 * names are relative to the image's folder, as in QEMU.
 *
 * @example
 * ```ts
 * import { backingPath } from "./block.ts";
 * console.log(backingPath("/img/top.qcow2", "base.raw")); // "/img/base.raw"
 * ```
 */
export function backingPath(path: string, name: string): string {
  if (name.startsWith("/")) return name;
  const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/") + 1) : "";
  return dir + name;
}

/**
 * Creates an image of `format` at `path`.
 *
 * @example
 * ```ts ignore
 * await createImage("disk.qcow2", "qcow2", { size: 1 << 30, options: { cluster_size: "65536" } });
 * ```
 */
export async function createImage(
  path: string,
  format: string,
  options: BlockCreateOptions,
): Promise<void> {
  await (await loadBlockPlugin(format)).create(path, options);
}

/**
 * The plugin of block format `name`, as {@linkcode loadBlockPlugin} loads it; a plain name that
 * no built-in format has fails with `unknown(name)`, qemu-img's words for where it was asked.
 *
 * @example
 * ```ts
 * import { formatPlugin } from "./block.ts";
 * const raw = await formatPlugin("raw", (f) => `Unknown file format '${f}'`);
 * console.log(raw.name); // "raw"
 * ```
 */
export async function formatPlugin(
  name: string,
  unknown: (name: string) => string,
): Promise<BlockFormatPlugin> {
  try {
    return await loadBlockPlugin(name);
  } catch (e) {
    const builtinName = /^[A-Za-z0-9_-]+$/.test(name);
    if (!(e instanceof EmuError) || !builtinName || !/no built-in/.test(e.message)) throw e;
    throw new EmuError(unknown(name));
  }
}

/**
 * Plugin manifests and the loader that finds plugins by name or path.
 *
 * A plugin is an ES module whose default export is a manifest object with a
 * `kind`, a `name` and the range of plugin API versions it works with
 * (`apiVersion: { min, cur }`, QEMU's `QEMU_PLUGIN_MIN_VERSION` and
 * `QEMU_PLUGIN_VERSION`). Bare names resolve
 * into the project's `targets/` and `plugins/` folders; paths and `file:` or
 * `https:` URLs load as they are.
 *
 * @module
 */

import { EmuError } from "./errors.ts";
import type { TargetArch } from "./target.ts";
import type { Hooks } from "./hooks/hooks.ts";
import type { ModuleList } from "./modules.ts";
import type { Vcpu } from "./hooks/vcpu.ts";
import type { Device, DeviceContext } from "./system/device.ts";
import type { BuiltMachine, MachineEnv, MachineOptions } from "./system/machine.ts";
import type { DeviceOptions } from "./system/options.ts";
import type { BlockFormatPlugin } from "./block.ts";
import PLUGIN_INDEX from "./plugin_index.json" with { type: "json" };

/**
 * The plugin API version this build of Denemu implements. Version 2: one
 * `Machine` for both modes; manifests declare a range.
 */
export const PLUGIN_API_VERSION = 2;

/**
 * The plugin API versions a plugin works with: from `min` (the oldest API it
 * still supports) to `cur` (the one it was built for).
 *
 * @example
 * ```ts
 * import type { PluginApiRange } from "./plugin.ts";
 * const range: PluginApiRange = { min: 2, cur: 2 };
 * console.log(range.min <= 2 && 2 <= range.cur); // true
 * ```
 */
export interface PluginApiRange {
  /** the oldest plugin API version the plugin works with */
  min: number;
  /** the plugin API version it was built for */
  cur: number;
}

/**
 * A target plugin: creates a {@linkcode TargetArch} for a CPU model.
 *
 * @example
 * ```ts ignore
 * const plugin: TargetPlugin = {
 *   kind: "target", name: "toy", apiVersion: { min: 2, cur: 2 }, cpus: ["toy"], elfMachines: [],
 *   create: () => toyTarget,
 * };
 * export default plugin;
 * ```
 */
export interface TargetPlugin {
  /** always "target": what the loader checks first */
  kind: "target";
  /** the target's name, as its folder of `targets/` is named ("riscv", "aarch64") */
  name: string;
  /** the plugin API versions it works with */
  apiVersion: PluginApiRange;
  /** CPU model names accepted by `-cpu` (the first is the default) */
  cpus: string[];
  /** ELF (e_machine, class) pairs this target runs, with the CPU model to use */
  elfMachines: { machine: number; elfClass: 1 | 2; cpu: string }[];
  /** Creates the target for CPU model `cpu`. */
  create(cpu: string): TargetArch;
}

/**
 * A device plugin: creates one device instance per `-device` (or per use by
 * a board). Bare names load from `plugins/devices/<name>.ts`.
 *
 * @example
 * ```ts ignore
 * const plugin: DevicePlugin = {
 *   kind: "device", name: "zero", apiVersion: { min: 2, cur: 2 }, description: "reads as zero",
 *   create(ctx, options) {
 *     ctx.mapMmio(options.address("addr"), 0x1000n, { read: () => 0n, write: () => {} });
 *     return { name: "zero" };
 *   },
 * };
 * export default plugin;
 * ```
 */
export interface DevicePlugin {
  /** always "device": what the loader checks first */
  kind: "device";
  /** the device's name: what `-device NAME` and boards ask for and `-device help` lists */
  name: string;
  /** the plugin API versions it works with */
  apiVersion: PluginApiRange;
  /** one line for `-device help` */
  description: string;
  /** QEMU's category of it in `-device help` ("Storage", "Misc"; none: "Uncategorized") */
  category?: string;
  /** its `-device` options, for `-device NAME,help` (a device without the list shows none) */
  options?: Record<string, DeviceOptionHelp>;
  /**
   * Creates one instance: maps its registers and describes its node through `ctx`; `options` are
   * its `-device` keys.
   */
  create(ctx: DeviceContext, options: DeviceOptions): Device | Promise<Device>;
}

/** One `-device` option as `-device NAME,help` shows it: `name=<type> - help (default: x)`. */
export interface DeviceOptionHelp {
  /** QEMU's name of its type: "str", "bool", "uint32", "size"... */
  type: string;
  /** what it does */
  help?: string;
  /** its value when left out */
  default?: string;
}

/**
 * A machine (board) plugin: builds a whole machine around a CPU. Bare names
 * load from `plugins/machines/<name>/mod.ts`.
 *
 * @example
 * ```ts ignore
 * const plugin: MachinePlugin = {
 *   kind: "machine", name: "virt", apiVersion: { min: 2, cur: 2 }, description: "RISC-V VirtIO board",
 *   build: (env, options) => buildVirt(env, options),
 * };
 * export default plugin;
 * ```
 */
export interface MachinePlugin {
  /** always "machine": what the loader checks first */
  kind: "machine";
  /** the board's name: what `-M NAME` selects and `-M help` lists */
  name: string;
  /** the plugin API versions it works with */
  apiVersion: PluginApiRange;
  /** one line for `-M help` */
  description: string;
  /**
   * Builds the board on `env` (RAM, devices, firmware, the device tree) for the `-M`/`-m`/`-kernel`
   * options.
   */
  build(env: MachineEnv, options: MachineOptions): Promise<BuiltMachine>;
}

/** What a tool plugin gets when it is installed on a machine. */
export interface ToolContext {
  /** the instrumentation API */
  hooks: Hooks;
  /** registers and memory */
  vcpu: Vcpu;
  /** the guest ISA (name, disassembler, register list) */
  target: TargetArch;
  /** Writes plugin output (QEMU's `qemu_plugin_outs`): to the `-D` log file, else stderr. */
  out(text: string): void;
  /** Calls `cb` when the run ends (QEMU's atexit callback). */
  onExit(cb: () => void): void;
  /** The symbol containing `pc` (from the ELF symbol table), as `name+0xoff`, if known. */
  symbol(pc: bigint): string | undefined;
  /**
   * The main program as loaded (QEMU's `qemu_plugin_path_to_binary`,
   * `start_code`, `end_code` and `entry_code`): its host path, the bounds of
   * its executable segments and its entry point.
   */
  binary?: ToolBinary;
  /** The loaded modules (program, libraries; kernel and firmware images in system mode). */
  modules?: ModuleList;
  /**
   * Ends the guest now with exit status `status`, as a QEMU plugin calling
   * `exit()` does; exit callbacks still run. From a callback registered with
   * `regs: "write"` the current instruction does not run.
   */
  exit(status: number): void;
}

/**
 * The main program of a run, as {@linkcode ToolContext.binary} describes it.
 *
 * @example
 * ```ts ignore
 * const b: ToolBinary = { path: "/bin/prog", start: 0x10000n, end: 0x5a000n, entry: 0x104e0n };
 * ```
 */
export interface ToolBinary {
  /** host path of the program file */
  path: string;
  /** lowest address of its executable segments */
  start: bigint;
  /** first address after its executable segments */
  end: bigint;
  /** entry point */
  entry: bigint;
}

/**
 * A tool plugin (QEMU's `-plugin file,arg=val`): observes and steers the guest
 * through the hook API. Bare names load from `plugins/tools/<name>.ts`.
 *
 * @example
 * ```ts ignore
 * const plugin: ToolPlugin = {
 *   kind: "tool", name: "insn", apiVersion: { min: 2, cur: 2 }, description: "counts instructions",
 *   install(ctx) {
 *     const sb = ctx.hooks.scoreboard();
 *     ctx.hooks.onTranslate((tb) => tb.inlineAdd(sb, BigInt(tb.insns.length)));
 *     ctx.onExit(() => ctx.out(`insns: ${sb.get()}\n`));
 *   },
 * };
 * export default plugin;
 * ```
 */
export interface ToolPlugin {
  /** always "tool": what the loader checks first */
  kind: "tool";
  /** the tool's name: what `-plugin NAME` selects and `-plugin help` lists */
  name: string;
  /** the plugin API versions it works with */
  apiVersion: PluginApiRange;
  /** one line for `-plugin help` */
  description: string;
  /** Installs the tool; `args` are the `name=value` pairs that followed the plugin path. */
  install(ctx: ToolContext, args: Record<string, string>): void | Promise<void>;
}

const ROOT = new URL("../", import.meta.url);

/**
 * Splits QEMU's plugin syntax `path,arg=val,arg2=val2` into the reference and
 * its arguments (a bare `arg` means `arg=on`).
 *
 * @example
 * ```ts
 * import { parsePluginSpec } from "./plugin.ts";
 * const { ref, args } = parsePluginSpec("hotblocks,sortby=hits,top=20");
 * console.log(ref, args.top); // "hotblocks" "20"
 * ```
 */
export function parsePluginSpec(spec: string): { ref: string; args: Record<string, string> } {
  const [ref, ...rest] = spec.split(",");
  const args: Record<string, string> = {};
  for (const kv of rest) {
    if (!kv) continue;
    const eq = kv.indexOf("=");
    if (eq < 0) args[kv] = "on";
    else args[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (!ref) throw new EmuError(`-plugin ${spec}: no plugin named`, "use -plugin path[,arg=val...]");
  return { ref, args };
}

/**
 * Loads the tool plugin `ref`: a bare name from `plugins/tools/`, or a path
 * or URL to a module.
 *
 * @example
 * ```ts ignore
 * const hotblocks = await loadToolPlugin("hotblocks");
 * ```
 */
export function loadToolPlugin(ref: string): Promise<ToolPlugin> {
  return importPlugin<ToolPlugin>(
    resolvePluginUrl(ref, "plugins/tools", "file"),
    "tool",
    ref,
    "-plugin help lists the built-in tools; a path loads a plugin module",
  );
}

/**
 * Loads tool plugin `spec` (QEMU syntax, `name,arg=val...`) and installs it
 * with `ctx`. Errors name the spec.
 *
 * @example
 * ```ts ignore
 * await installToolPlugin("hotblocks,limit=5", ctx);
 * ```
 */
export async function installToolPlugin(spec: string, ctx: ToolContext): Promise<void> {
  const { ref, args } = parsePluginSpec(spec);
  const plugin = await loadToolPlugin(ref);
  try {
    await plugin.install(ctx, args);
  } catch (e) {
    if (e instanceof EmuError) throw e;
    throw new EmuError(`-plugin ${spec}: ${(e as Error).message}`);
  }
}

/**
 * The names of the plugins shipped in `folder` of the project, sorted, from
 * the generated index `core/plugin_index.json` (`deno task plugins`), so that
 * they are found without listing a directory (also when imported from a URL).
 *
 * @example
 * ```ts
 * import { builtinPlugins } from "./plugin.ts";
 * console.log(builtinPlugins("plugins/machines")); // ["virt"]
 * ```
 */
export function builtinPlugins(
  folder: "targets" | "plugins/machines" | "plugins/devices" | "plugins/tools" | "plugins/block",
): string[] {
  return [...PLUGIN_INDEX[folder]];
}

/**
 * Targets shipped with Denemu: the folders of `targets/`.
 *
 * @example
 * ```ts
 * import { builtinTargets } from "./plugin.ts";
 * console.log(builtinTargets()); // [ "aarch64", "riscv" ]
 * ```
 */
export function builtinTargets(): string[] {
  return builtinPlugins("targets");
}

function checkManifest<T extends { kind: string; name: string; apiVersion: PluginApiRange }>(
  m: T | undefined,
  kind: string,
  where: string,
): T {
  if (!m || typeof m !== "object" || m.kind !== kind) {
    throw new EmuError(`${where}: not a ${kind} plugin (its default export has no kind "${kind}")`);
  }
  const range = m.apiVersion as PluginApiRange | number | undefined;
  const { min, cur } = typeof range === "number" ? { min: range, cur: range } : range ?? {};
  if (typeof min !== "number" || typeof cur !== "number") {
    throw new EmuError(
      `${where}: plugin "${m.name}" declares no plugin API range`,
      `give its manifest apiVersion: { min, cur } (this Denemu implements ${PLUGIN_API_VERSION})`,
    );
  }
  if (PLUGIN_API_VERSION < min || PLUGIN_API_VERSION > cur) {
    const supported = min === cur ? `${min}` : `${min} to ${cur}`;
    throw new EmuError(
      `${where}: plugin "${m.name}" supports plugin API ${supported}, this Denemu implements ${PLUGIN_API_VERSION}`,
      "use a plugin version built for this Denemu",
    );
  }
  return m;
}

/**
 * Resolves a plugin reference (bare name, path, or URL) to a module URL.
 * Bare names are `<folder>/<name>/mod.ts`, or `<folder>/<name>.ts` with
 * `layout` "file".
 */
export function resolvePluginUrl(ref: string, folder: string, layout: "dir" | "file" = "dir"): URL {
  if (/^(file|https?):/.test(ref)) return new URL(ref);
  if (ref.startsWith(".") || ref.startsWith("/")) {
    return new URL(ref, `file://${Deno.cwd()}/`);
  }
  if (!/^[A-Za-z0-9_-]+$/.test(ref)) throw new EmuError(`bad plugin name "${ref}"`);
  return new URL(layout === "dir" ? `${folder}/${ref}/mod.ts` : `${folder}/${ref}.ts`, ROOT);
}

/** Plugin modules compiled into an experiment bundle, by project path or by reference. */
const bundledPlugins = new Map<string, unknown>();

/**
 * Registers plugin modules that an experiment bundle (`emu bundle`) holds,
 * each under the path of a built-in plugin relative to the project root
 * (`targets/riscv/mod.ts`, `plugins/devices/ns16550a.ts`) or under the
 * reference a script passes for its own plugin (`./my_tool.ts`). Loading a
 * plugin takes a registered module before importing one.
 *
 * @example
 * ```ts ignore
 * import * as riscv from "../targets/riscv/mod.ts";
 * registerBundledPlugins({ "targets/riscv/mod.ts": riscv });
 * ```
 */
export function registerBundledPlugins(modules: Record<string, unknown>): void {
  for (const [key, mod] of Object.entries(modules)) bundledPlugins.set(key, mod);
}

function bundledPlugin(url: URL, ref: string): unknown {
  if (!bundledPlugins.size) return undefined;
  const inRoot = url.href.startsWith(ROOT.href) ? url.href.slice(ROOT.href.length) : undefined;
  return (inRoot !== undefined && bundledPlugins.get(inRoot)) || bundledPlugins.get(ref);
}

/**
 * The modules Denemu imports only when a run needs them (the system-mode half
 * of `createMachine`, `fuzz()`'s engine), so that a user-mode start-up does
 * not load them. An experiment bundle holds and registers them too, since a
 * bundler cannot follow the computed specifier {@linkcode importOnDemand}
 * uses (a literal `import()` would not do: `deno run` reads every module one
 * names before it starts).
 */
export const ON_DEMAND_MODULES = [
  "core/machine/create_system.ts",
  "core/machine/create_user.ts",
  "core/machine/fuzz.ts",
] as const;

/**
 * Imports on-demand module `path` (project relative), or takes the one an
 * experiment bundle registered under it.
 *
 * @example
 * ```ts ignore
 * const engine = await importOnDemand<typeof import("./machine/fuzz.ts")>("core/machine/fuzz.ts");
 * ```
 */
export async function importOnDemand<M>(path: typeof ON_DEMAND_MODULES[number]): Promise<M> {
  return (bundledPlugins.get(path) as M | undefined) ?? await import(new URL(path, ROOT).href);
}

/** Why `import` of plugin `ref` failed, in the user's words rather than the module loader's. */
function whyNotLoaded(e: unknown, kind: string, ref: string): string {
  const first = (e as Error)?.message?.split("\n")[0] ?? String(e);
  if (!first.startsWith("Module not found")) return first;
  return /^[A-Za-z0-9_-]+$/.test(ref) ? `no built-in ${kind} plugin of that name` : "no such file";
}

async function importPlugin<T extends { kind: string; name: string; apiVersion: PluginApiRange }>(
  url: URL,
  kind: string,
  ref: string,
  hint: string,
): Promise<T> {
  let mod: { default?: T };
  try {
    mod = (bundledPlugin(url, ref) as { default?: T } | undefined) ?? await import(url.href);
  } catch (e) {
    throw new EmuError(`cannot load ${kind} plugin ${ref}: ${whyNotLoaded(e, kind, ref)}`, hint);
  }
  return checkManifest(mod.default, kind, ref);
}

/**
 * Loads the device plugin `ref`: a bare name ("ns16550a", dashes read as
 * underscores) from `plugins/devices/`, or a path or URL to a module.
 *
 * @example
 * ```ts ignore
 * const uart = await loadDevicePlugin("ns16550a");
 * const mine = await loadDevicePlugin("./my_device.ts");
 * ```
 */
export function loadDevicePlugin(ref: string): Promise<DevicePlugin> {
  const bare = /^[A-Za-z0-9_-]+$/.test(ref);
  const url = resolvePluginUrl(bare ? ref.replaceAll("-", "_") : ref, "plugins/devices", "file");
  return importPlugin<DevicePlugin>(
    url,
    "device",
    ref,
    "-device help lists the built-in devices; a path loads a plugin module",
  );
}

/**
 * Loads the block format plugin `ref`: a bare name ("raw", "qcow2") from
 * `plugins/block/`, or a path or URL to a module.
 *
 * @example
 * ```ts ignore
 * const qcow2 = await loadBlockPlugin("qcow2");
 * ```
 */
export function loadBlockPlugin(ref: string): Promise<BlockFormatPlugin> {
  return importPlugin<BlockFormatPlugin>(
    resolvePluginUrl(ref, "plugins/block", "file"),
    "block",
    ref,
    "check the format name (built-in formats are the files of plugins/block/) or the path",
  );
}

/**
 * Loads the machine plugin `ref` ("virt", or a path to a module).
 *
 * @example
 * ```ts ignore
 * const virt = await loadMachinePlugin("virt");
 * ```
 */
export function loadMachinePlugin(ref: string): Promise<MachinePlugin> {
  return importPlugin<MachinePlugin>(
    resolvePluginUrl(ref, "plugins/machines"),
    "machine",
    ref,
    "check -M (built-in machines are the folders of plugins/machines/)",
  );
}

/** Loads the target plugin `ref` (the name of a folder of `targets/`, or a path). */
export function loadTargetPlugin(ref: string): Promise<TargetPlugin> {
  return importPlugin<TargetPlugin>(
    resolvePluginUrl(ref, "targets"),
    "target",
    ref,
    "the built-in targets are the folders of targets/; a path loads a plugin module",
  );
}

/** The index's summary of each built-in target (written by `deno task plugins`). */
const TARGET_SUMMARIES: Record<string, Pick<TargetPlugin, "cpus" | "elfMachines">> = PLUGIN_INDEX
  .targetSummaries as Record<string, Pick<TargetPlugin, "cpus" | "elfMachines">>;

/** Finds the built-in target whose CPU list has `cpu` (only that target's plugin is loaded). */
export async function targetForCpu(cpu: string): Promise<TargetArch> {
  // "-cpu model,prop=value,...": the model selects the target, which parses the properties.
  const model = cpu.split(",")[0];
  const name = builtinTargets().find((n) => TARGET_SUMMARIES[n]?.cpus.includes(model));
  if (!name) throw new EmuError(`unknown CPU model "${cpu}"`, "try -cpu help");
  return (await loadTargetPlugin(name)).create(cpu);
}

/** Finds the built-in target for an ELF file's machine and class (only that one is loaded). */
export async function targetForElf(machine: number, elfClass: number): Promise<TargetArch | null> {
  const isIt = (m: TargetPlugin["elfMachines"][number]) =>
    m.machine === machine && m.elfClass === elfClass;
  for (const name of builtinTargets()) {
    const hit = TARGET_SUMMARIES[name]?.elfMachines.find(isIt);
    if (hit) return (await loadTargetPlugin(name)).create(hit.cpu);
  }
  return null;
}

/**
 * The ISA a `-cpu` option selects: the base (`rv64`, `rv32`) with QEMU's
 * extension properties (`rv64,zba=on,zbb=true,...`), or an RVA profile name
 * (`rva22u64`, `rva22s64`). Each optional extension's patterns carry its
 * name as their decode-table tag (`Zba`, and `Zba64` for RV64-only forms),
 * so an instruction of a disabled extension does not decode: it is illegal.
 * As in QEMU 7.2, `rv64` and `rv32` have Zba, Zbb, Zbc, Zbs and Sstc on
 * unless a property turns them off (`rv64,zba=off`).
 *
 * Profiles map to the extensions Denemu implements. RVA23 makes the vector
 * extension mandatory, which Denemu does not implement yet, so its names are
 * refused with that reason.
 *
 * @module
 */

import { EmuError } from "../../plugin.ts";

/** The optional extensions Denemu implements, by QEMU's property name, in canonical ISA-string order. */
export const OPTIONAL_EXTENSIONS = [
  "zicbom",
  "zicbop",
  "zicboz",
  "zicond",
  "zawrs",
  "zfh",
  "zfhmin",
  "zba",
  "zbb",
  "zbc",
  "zbkb",
  "zbkc",
  "zbkx",
  "zbs",
  "smstateen",
  "sstc",
  "svinval",
  "svnapot",
  "svpbmt",
] as const;

/** One optional extension's name. */
export type OptionalExtension = typeof OPTIONAL_EXTENSIONS[number];

/** Extensions that are always present: `=on` is accepted, `=off` refused. */
const ALWAYS = new Set(["i", "m", "a", "f", "d", "c", "zicsr", "zifencei", "zihintpause"]);

/** What the generic models enable by default, as QEMU 7.2's `rv64`/`rv32` do. */
const MODEL_DEFAULTS: OptionalExtension[] = ["zba", "zbb", "zbc", "zbs", "sstc"];

/** What each profile enables on top of RV64GC (its mandatory extensions that Denemu has). */
const RVA22U64: OptionalExtension[] = ["zicbom", "zicbop", "zicboz", "zfhmin", "zba", "zbb", "zbs"];
const PROFILES: Record<string, OptionalExtension[]> = {
  rva22u64: RVA22U64,
  rva22s64: [...RVA22U64, "svinval", "svpbmt"],
};

/** Extensions Denemu does not implement, with what the user can do instead. */
const MISSING: Record<string, string> = {
  v: "the vector extension V is not implemented yet",
};

/**
 * A parsed `-cpu` option.
 *
 * @example
 * ```ts
 * import { parseRiscvCpu } from "./isa.ts";
 * const isa = parseRiscvCpu("rv64,zbc=off,zbs=false,zbkb=on");
 * console.log(isa.xlen, isa.isaString); // 64 "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbkb_sstc"
 * ```
 */
export interface RiscvIsa {
  readonly xlen: 32 | 64;
  /** the enabled optional extensions */
  readonly extensions: ReadonlySet<OptionalExtension>;
  /** the ISA string the device tree and /proc/cpuinfo show */
  readonly isaString: string;
}

const isOptional = (name: string): name is OptionalExtension =>
  (OPTIONAL_EXTENSIONS as readonly string[]).includes(name);

/** The boolean value of a property: QEMU accepts on/off, true/false, yes/no. */
function flag(cpu: string, key: string, value: string | undefined): boolean {
  const v = (value ?? "on").toLowerCase();
  if (["on", "true", "yes"].includes(v)) return true;
  if (["off", "false", "no"].includes(v)) return false;
  throw new EmuError(`-cpu ${cpu}: ${key}=${value} is not on or off`);
}

/**
 * Parses a `-cpu` option of the RISC-V target.
 *
 * @example
 * ```ts
 * import { parseRiscvCpu } from "./isa.ts";
 * console.log(parseRiscvCpu("rva22u64").extensions.has("zicboz")); // true
 * ```
 */
export function parseRiscvCpu(cpu: string): RiscvIsa {
  const [model, ...props] = cpu.split(",");
  const extensions = new Set<OptionalExtension>(PROFILES[model] ?? MODEL_DEFAULTS);
  let xlen: 32 | 64;
  if (model === "rv64" || model in PROFILES) xlen = 64;
  else if (model === "rv32") xlen = 32;
  else if (/^rva23[us]64$/.test(model)) {
    throw new EmuError(`-cpu ${model}: RVA23 requires V; ${MISSING.v}`, "use -cpu rva22u64");
  } else {
    throw new EmuError(
      `riscv: unknown CPU model "${model}"`,
      "use -cpu rv64, rv32, rva22u64 or rva22s64",
    );
  }
  for (const prop of props) {
    const [key, value] = prop.split("=", 2);
    const name = key.toLowerCase();
    const on = flag(cpu, key, value);
    if (isOptional(name)) {
      if (on) extensions.add(name);
      else extensions.delete(name);
    } else if (ALWAYS.has(name)) {
      if (!on) throw new EmuError(`-cpu ${cpu}: ${key} cannot be disabled`);
    } else if (name in MISSING) {
      if (on) throw new EmuError(`-cpu ${cpu}: ${MISSING[name]}`);
    } else {
      throw new EmuError(
        `-cpu ${cpu}: unknown property "${key}"`,
        `known extensions: ${OPTIONAL_EXTENSIONS.join(", ")}`,
      );
    }
  }
  if (extensions.has("zfh")) extensions.add("zfhmin"); // as QEMU: Zfh implies Zfhmin
  const optional = OPTIONAL_EXTENSIONS.filter((e) => extensions.has(e));
  return {
    xlen,
    extensions: new Set(optional),
    isaString: [`rv${xlen}imafdc_zicsr_zifencei_zihintpause`, ...optional].join("_"),
  };
}

/**
 * The decode-table tags of `extensions` at an XLEN (all optional extensions
 * by default: what the disassembler decodes).
 *
 * @example
 * ```ts
 * import { extensionTags } from "./isa.ts";
 * console.log(extensionTags(64, ["zba"])); // ["Zba", "Zba64"]
 * ```
 */
export function extensionTags(
  xlen: 32 | 64,
  extensions: Iterable<OptionalExtension> = OPTIONAL_EXTENSIONS,
): string[] {
  return [...extensions].flatMap((e) => {
    const tag = e[0].toUpperCase() + e.slice(1);
    return [tag, `${tag}${xlen}`];
  });
}

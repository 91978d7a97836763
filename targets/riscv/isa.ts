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
 * extension mandatory: `rva23u64` and `rva23s64` enable V with VLEN 128
 * (`vlen=256` and `vlen=512` change it, as on `rv64,v=on,vlen=N`).
 *
 * @module
 */

import { EmuError } from "../../plugin_target.ts";

/** The optional extensions Denemu implements, by QEMU's property name, in canonical ISA-string order. */
export const OPTIONAL_EXTENSIONS = [
  "v",
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
const ALWAYS = new Set([
  "i",
  "m",
  "a",
  "f",
  "d",
  "c",
  "zicsr",
  "zifencei",
  "zihintpause",
  "pmp",
  "mmu",
]);

/** What the generic models enable by default, as QEMU 7.2's `rv64`/`rv32` do. */
const MODEL_DEFAULTS: OptionalExtension[] = ["zba", "zbb", "zbc", "zbs", "sstc"];

/** What each profile enables on top of RV64GC (its mandatory extensions that Denemu has). */
const RVA22U64: OptionalExtension[] = ["zicbom", "zicbop", "zicboz", "zfhmin", "zba", "zbb", "zbs"];
const RVA23U64: OptionalExtension[] = [...RVA22U64, "v", "zicond", "zfh", "zawrs", "zbc"];
const PROFILES: Record<string, OptionalExtension[]> = {
  rva22u64: RVA22U64,
  rva22s64: [...RVA22U64, "svinval", "svpbmt"],
  rva23u64: RVA23U64,
  rva23s64: [...RVA23U64, "svinval", "svpbmt", "svnapot", "sstc", "smstateen"],
};

/** VLEN when `vlen=` is not given, as QEMU 7.2. */
const DEFAULT_VLEN = 128;
/** The VLENs the state block has room for. */
const VLENS = [128, 256, 512];

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
  /** the vector register width in bits (meaningful when V is enabled) */
  readonly vlen: number;
}

/** Extensions of QEMU's rv64 that Denemu lacks: `-cpu rv64,h=false` is accepted, `h=true` refused. */
const ABSENT: Record<string, string> = { h: "H extension (hypervisor)" };

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
  else {
    throw new EmuError(
      `riscv: unknown CPU model "${model}"`,
      `use -cpu rv64, rv32, ${Object.keys(PROFILES).join(", ")}`,
    );
  }
  let vlen = DEFAULT_VLEN;
  for (const prop of props) {
    const [key, value] = prop.split("=", 2);
    const name = key.toLowerCase();
    if (name in VECTOR_PROPERTIES) {
      vlen = VECTOR_PROPERTIES[name](cpu, value) ?? vlen;
      continue;
    }
    if (ABSENT[name]) {
      // QEMU 7.2's rv64 has them on; turning them off is what Denemu's hart is already
      if (!flag(cpu, key, value)) continue;
      throw new EmuError(`-cpu ${cpu}: Denemu's harts have no ${ABSENT[name]}`, `leave ${key} out`);
    }
    if (!isOptional(name) && !ALWAYS.has(name)) {
      throw new EmuError(
        `-cpu ${cpu}: unknown property "${key}"`,
        `known extensions: ${OPTIONAL_EXTENSIONS.join(", ")}`,
      );
    }
    const on = flag(cpu, key, value);
    if (isOptional(name)) {
      if (on) extensions.add(name);
      else extensions.delete(name);
    } else if (!on) throw new EmuError(`-cpu ${cpu}: ${key} cannot be disabled`);
  }
  if (extensions.has("zfh")) extensions.add("zfhmin"); // as QEMU: Zfh implies Zfhmin
  const optional = OPTIONAL_EXTENSIONS.filter((e) => extensions.has(e) && e !== "v");
  const letters = extensions.has("v") ? "imafdcv" : "imafdc";
  return {
    xlen,
    extensions: new Set(OPTIONAL_EXTENSIONS.filter((e) => extensions.has(e))),
    isaString: [`rv${xlen}${letters}_zicsr_zifencei_zihintpause`, ...optional].join("_"),
    vlen,
  };
}

/**
 * The vector properties QEMU 7.2 spells beside `v=on`: `vlen=N` (returned),
 * `elen=64` and `vext_spec=v1.0` (checked: the only values Denemu has).
 */
const VECTOR_PROPERTIES: Record<string, (cpu: string, value?: string) => number | undefined> = {
  vlen: (cpu, value) => {
    const n = Number(value);
    if (!VLENS.includes(n)) {
      throw new EmuError(
        `-cpu ${cpu}: vlen=${value} is not supported`,
        `use vlen=${VLENS.join("|")}`,
      );
    }
    return n;
  },
  elen: (cpu, value) => {
    if (value !== "64") {
      throw new EmuError(`-cpu ${cpu}: elen=${value} is not supported`, "use elen=64");
    }
    return undefined;
  },
  vext_spec: (cpu, value) => {
    if (value !== "v1.0") {
      throw new EmuError(`-cpu ${cpu}: vext_spec=${value} is not supported`, "use vext_spec=v1.0");
    }
    return undefined;
  },
};

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

/**
 * The registers gdb sees, built generically from a target's
 * `state.registers` and its optional `gdb` description: the numbering used
 * by `g`/`G`/`p`/`P` and the target description XML (`target.xml`).
 *
 * @module
 */

import type { CpuCore } from "../cpu_core.ts";
import type { GdbArch, RegisterInfo, TargetArch } from "../target.ts";

/** Register access by canonical name (a Machine, a Vcpu...). */
export interface RegisterFile {
  readReg(name: string): bigint;
  writeReg(name: string, value: bigint): void;
  /** The state block of the CPU whose registers these are (see `CpuCore.stateBlock`). */
  stateBlock(): Uint8Array;
  /** Changes the state block with `change` (registers only gdb sees live there). */
  writeState(change: (state: Uint8Array) => void): void;
  /** The CPU whose registers these are (registers the target reads from it, e.g. CSRs). */
  cpu(): CpuCore;
  /** Changes the CPU's state with `change` (registers the target writes to it). */
  writeCpu(change: (cpu: CpuCore) => void): void;
}

/** One register in gdb's numbering. */
export interface GdbRegister {
  /** gdb's number (the `p`/`P` argument and the position in `g`) */
  regnum: number;
  /** the name in target.xml */
  name: string;
  bits: number;
  /** gdb type, e.g. "int", "code_ptr", "ieee_double" */
  type: string;
  /** the target.xml feature it belongs to */
  feature: string;
  /** gdb's register group, when not the default */
  group?: string;
  /** left out of `g` and `G`: gdb reads and writes it with `p` and `P` */
  alone?: boolean;
  /** not named in the target description (read and written by number only) */
  unlisted?: boolean;
  /** named in the target description but not readable (`p` answers E14, `P` is ignored) */
  unreadable?: boolean;
  read(regs: RegisterFile): bigint;
  write(regs: RegisterFile, value: bigint): void;
}

function defaultType(r: RegisterInfo): string {
  if (r.kind === "pc") return "code_ptr";
  if (r.kind === "fp") return r.bits === 64 ? "ieee_double" : "ieee_single";
  return "int";
}

/** Without a `gdb` description: one feature holding every register (gdb then names them itself). */
function fallbackArch(target: TargetArch): GdbArch {
  return {
    arch: "",
    features: [{ name: `org.denemu.${target.name}.cpu`, kinds: ["int", "pc", "fp", "csr"] }],
  };
}

/**
 * gdb's register list for `target`, in regnum order. `regs` says which
 * registers of the CPU features its CPU has (without it: all).
 *
 * @example
 * ```ts ignore
 * const regs = gdbRegisters(machine.process.cpu.target);
 * console.log(regs[32].name, regs[32].read(machine)); // "pc" 0x10558n
 * ```
 */
export function gdbRegisters(target: TargetArch, regs?: RegisterFile): GdbRegister[] {
  const arch = target.gdb ?? fallbackArch(target);
  const out: GdbRegister[] = [];
  const add = (r: Omit<GdbRegister, "regnum">) => out.push({ ...r, regnum: out.length });
  for (const feature of arch.features) {
    for (const r of target.state.registers) {
      if (!feature.kinds.includes(r.kind)) continue;
      add({
        name: arch.regName?.(r) ?? r.name,
        bits: r.bits,
        type: arch.regType?.(r) ?? defaultType(r),
        feature: feature.name,
        read: (regs) => regs.readReg(r.name),
        write: (regs, v) => regs.writeReg(r.name, v),
      });
      for (const c of arch.computed ?? []) {
        if (c.after !== r.name) continue;
        add({
          name: c.name,
          bits: c.bits,
          type: "int",
          feature: feature.name,
          read: (regs) => c.read(c.from.map((n) => regs.readReg(n))),
          write: (regs, v) => c.write(v).forEach((x, i) => regs.writeReg(c.from[i], x)),
        });
      }
    }
  }
  for (const feature of arch.stateFeatures ?? []) {
    for (const r of feature.regs) {
      add({
        name: r.name,
        bits: r.bits,
        type: r.type,
        group: r.group,
        feature: feature.name,
        read: (regs) => r.read(regs.stateBlock()),
        write: (regs, v) => regs.writeState((state) => r.write(state, v)),
      });
    }
  }
  const cpu = arch.cpuFeatures?.length ? regs?.cpu() : undefined;
  for (const feature of arch.cpuFeatures ?? []) {
    const base = (out.at(-1)?.regnum ?? -1) + 1;
    for (const r of feature.regs) {
      const present = !cpu || !r.present || r.present(cpu);
      const listed = cpu && r.listed ? r.listed(cpu) : present;
      if (!present && !listed) continue;
      out.push({
        regnum: base + r.offset,
        name: r.name,
        bits: r.bits,
        type: "int",
        feature: feature.name,
        alone: true,
        unlisted: !listed || undefined,
        unreadable: !present || undefined,
        read: (regs) => r.read(regs.cpu()),
        write: (regs, v) => regs.writeCpu((cpu) => r.write(cpu, v)),
      });
    }
  }
  return out;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");
}

/**
 * The target description gdb reads with `qXfer:features:read`: `target.xml` and, when the
 * target names a file for every feature, each feature as its own document that target.xml
 * includes, as QEMU's stub serves them (target.xml then reads as QEMU's byte for byte; a
 * feature's own document is ours, with the same registers and numbers).
 *
 * @example
 * ```ts ignore
 * const docs = targetDocuments(target, gdbRegisters(target));
 * docs.get("target.xml"); // <?xml ...><target><architecture>riscv:rv64</architecture><xi:include...
 * docs.get("riscv-csr.xml"); // <?xml ...><feature name="org.gnu.gdb.riscv.csr"><reg name=...
 * ```
 */
export function targetDocuments(target: TargetArch, regs: GdbRegister[]): Map<string, string> {
  const arch = target.gdb ?? fallbackArch(target);
  const features = [...arch.features, ...arch.stateFeatures ?? [], ...arch.cpuFeatures ?? []]
    .map((f) => ({ ...f, regs: regs.filter((r) => r.feature === f.name && !r.unlisted) }))
    .filter((f) => f.regs.length);
  const architecture = arch.arch ? `<architecture>${escapeXml(arch.arch)}</architecture>` : "";
  const head = (root: string) => `<?xml version="1.0"?><!DOCTYPE ${root} SYSTEM "gdb-target.dtd">`;
  if (features.every((f) => f.file)) {
    const includes = features.map((f) => `<xi:include href="${escapeXml(f.file!)}"/>`).join("");
    const docs = new Map([[
      "target.xml",
      `${head("target")}<target>${architecture}${includes}</target>`,
    ]]);
    for (const f of features) docs.set(f.file!, head("feature") + featureXml(f));
    return docs;
  }
  const body = features.map(featureXml).join("");
  return new Map([[
    "target.xml",
    `${head("target")}<target version="1.0">${architecture}${body}</target>`,
  ]]);
}

/** A `<feature>` element: its types, then a `<reg>` for each register (type "int" left implied). */
function featureXml(f: { name: string; types?: string; regs: GdbRegister[] }): string {
  const regs = f.regs.map((r) => {
    const type = r.type === "int" ? "" : ` type="${escapeXml(r.type)}"`;
    const group = r.group ? ` group="${escapeXml(r.group)}"` : "";
    return `<reg name="${
      escapeXml(r.name)
    }" bitsize="${r.bits}"${type} regnum="${r.regnum}"${group}/>`;
  });
  return `<feature name="${escapeXml(f.name)}">${f.types ?? ""}${regs.join("")}</feature>`;
}

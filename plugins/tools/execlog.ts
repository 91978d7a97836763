/**
 * execlog: logs every executed instruction with its memory accesses and,
 * optionally, the registers it changed (QEMU's contrib/plugins/execlog.c).
 *
 * One line per instruction: `vcpu, pc, opcode, "disassembly"`, then
 * `, load, 0xADDR` / `, store, 0xADDR` per access and `, reg -> 0xVALUE` per
 * changed register. Arguments: `ifilter=PREFIX` (only instructions whose
 * disassembly starts with PREFIX), `afilter=HEXADDR` (only that address),
 * `reg=GLOB` (track registers whose name matches, e.g. `reg=a*` or `reg=sp`),
 * `rdisas=on` (only check registers after instructions that name one).
 *
 * ```
 * emu user -plugin execlog,reg=sp tests/guests/bin/hello.static.O2
 * 0, 0x10544, 0x22000ef, "jal	ra,10566"
 * 0, 0x10552, 0x6582, "c.ldsp	a1,0(sp)", load, 0x4000800850
 * 0, 0x106c8, 0x7159, "c.addi16sp	sp,-112", sp -> 0x00000040008007e0
 * ```
 *
 * @module
 */

import type { RegisterInfo, ToolContext, ToolPlugin, Vcpu } from "../../plugin.ts";
import { checkArgs } from "./_util.ts";

/** A tracked register and its last seen value. */
interface TrackedReg {
  /** name as printed (the ABI name when there is one) */
  name: string;
  /** the name the vcpu reads it by */
  key: string;
  digits: number;
  last: bigint;
}

/** glib's g_pattern_spec: `*` any run, `?` one character. */
function globMatcher(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

function trackedRegisters(ctx: ToolContext, globs: string[]): TrackedReg[] {
  const pats = globs.map(globMatcher);
  const out: TrackedReg[] = [];
  for (const r of ctx.target.state.registers as RegisterInfo[]) {
    const names = [r.name, ...(r.aliases ?? [])];
    if (!names.some((n) => pats.some((p) => p.test(n) || p.test(n.toLowerCase())))) continue;
    out.push({
      name: r.aliases?.[0] ?? r.name,
      key: r.name,
      digits: r.bits / 4,
      last: ctx.vcpu.readReg(r.name),
    });
  }
  return out;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["ifilter", "afilter", "reg", "rdisas"]);
  const ifilter = args.ifilter;
  const afilter = args.afilter === undefined ? undefined : BigInt(`0x${args.afilter}`);
  const regs = args.reg === undefined ? [] : trackedRegisters(ctx, [args.reg]);
  const rdisas = args.rdisas === "on" || args.rdisas === "true";
  const filtering = ifilter !== undefined || afilter !== undefined;
  let line = ""; // the previous instruction, completed by its accesses

  const checkRegs = (v: Vcpu) => {
    for (const r of regs) {
      const now = v.readReg(r.key);
      if (now !== r.last) {
        line += `, ${r.name} -> 0x${now.toString(16).padStart(r.digits, "0")}`;
        r.last = now;
      }
    }
  };
  const flush = () => {
    if (line) ctx.out(line + "\n");
    line = "";
  };

  ctx.hooks.onTranslate((tb) => {
    let checkThis = regs.length > 0;
    for (const insn of tb.insns) {
      const disas = insn.disassembly;
      let log = !filtering || (ifilter !== undefined && disas.startsWith(ifilter)) ||
        insn.pc === afilter;
      let checkNext = checkThis;
      if (rdisas && regs.length) {
        const operands = disas.split(/[ \t]/, 2)[1] ?? "";
        checkNext = regs.some((r) => operands.includes(r.name));
        if (checkNext) log = true;
      }
      const check = checkThis;
      if (log) {
        const text = `0x${insn.pc.toString(16)}, 0x${insn.bits.toString(16)}, "${disas}"`;
        insn.onMem((_v, a) => {
          line += `, ${a.write ? "store" : "load"}, 0x${a.address.toString(16).padStart(8, "0")}`;
        }, { regs: "none" });
        insn.onExec((v) => {
          if (line && check) checkRegs(v);
          flush();
          line = `${v.index}, ${text}`; // QEMU's execlog starts with the vCPU index
        }, { regs: check ? "read" : "none" });
      } else if (check) {
        insn.onExec((v) => {
          if (line) checkRegs(v);
          flush();
        }, { regs: "read" });
      }
      if (rdisas) checkThis = checkNext;
    }
  });
  ctx.onExit(flush);
}

/**
 * The execlog tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["execlog,reg=a0"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "execlog",
  apiVersion: { min: 2, cur: 2 },
  description: "log each instruction with its memory accesses (ifilter=, afilter=, reg=GLOB)",
  install,
};
export default plugin;

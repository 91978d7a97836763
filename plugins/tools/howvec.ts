/**
 * howvec: a histogram of executed instruction classes (QEMU's
 * contrib/plugins/howvec.c), with a RISC-V class table: major opcodes for
 * 32-bit instructions, quadrant and funct3 groups for compressed ones.
 *
 * Arguments: `inline=on` (inline counters), `verbose=on` (also print classes
 * with no hits), `count=OPT` (count that class's instructions individually;
 * `count=!OPT` not at all; several as `count=ld:st`).
 *
 * ```
 * emu user -plugin howvec,count=sys prog
 * Instruction Classes:
 * Class: ALU imm                 	(1764 hits)
 * ...
 * Individual Instructions:
 * Instr: ecall                   	(15 hits)	(op=0x00000073/System/CSR)
 * ```
 *
 * @module
 */

import type { ToolContext, ToolPlugin } from "../../plugin.ts";
import { boolArg, checkArgs, type Counter, CounterPool } from "./_util.ts";

/** How a class is counted (QEMU's CountType). */
type CountMode = "class" | "individual" | "none";

/** A row of the class table: the instructions matching any (mask, pattern) pair. */
interface InsnClass {
  name: string;
  opt: string;
  match: [mask: number, pattern: number][];
  mode: CountMode;
}

/** RISC-V classes; the first match wins, so exact patterns come first. */
function riscvClasses(): InsnClass[] {
  const c = (name: string, opt: string, ...match: [number, number][]): InsnClass => ({
    name,
    opt,
    match,
    mode: "class",
  });
  const op = (o: number): [number, number] => [0x7f, o];
  const rvc = (quadrant: number, funct3: number): [number, number] => [
    0xe003,
    (funct3 << 13) | quadrant,
  ];
  return [
    c("Mul/Div", "muldiv", [0xfe00007f, 0x02000033], [0xfe00007f, 0x0200003b]),
    c("ALU reg", "alu", op(0x33), op(0x3b)),
    c("ALU imm", "alui", op(0x13), op(0x1b)),
    c("LUI/AUIPC", "upper", op(0x37), op(0x17)),
    c("Loads", "ld", op(0x03)),
    c("Stores", "st", op(0x23)),
    c("Cond Branch", "bcc", op(0x63)),
    c("JAL", "jal", op(0x6f)),
    c("JALR", "jalr", op(0x67)),
    c("Atomics", "amo", op(0x2f)),
    c("Fence", "fence", op(0x0f)),
    c("System/CSR", "sys", op(0x73)),
    c("FP Loads/Stores", "fldst", op(0x07), op(0x27)),
    c("FP fused mul-add", "fma", [0x73, 0x43]),
    c("FP ops", "fp", op(0x53)),
    c("Vector", "vec", op(0x57)),
    c("RVC Loads", "cld", rvc(0, 1), rvc(0, 2), rvc(0, 3), rvc(2, 1), rvc(2, 2), rvc(2, 3)),
    c("RVC Stores", "cst", rvc(0, 5), rvc(0, 6), rvc(0, 7), rvc(2, 5), rvc(2, 6), rvc(2, 7)),
    c("RVC Branch", "cbcc", rvc(1, 6), rvc(1, 7)),
    c("RVC ebreak", "cebreak", [0xffff, 0x9002]),
    c("RVC Jump", "cj", rvc(1, 5), [0xe07f, 0x8002]),
    c("RVC ALU", "calu", [0x3, 0x0], [0x3, 0x1], [0x3, 0x2]),
    { name: "Unclassified", opt: "unclas", match: [[0, 0]], mode: "individual" },
  ];
}

/** An individually counted instruction (keyed by its bits). */
interface InsnCount {
  disas: string;
  bits: number;
  cls: InsnClass;
  counter: Counter;
  calls: bigint;
}

function install(ctx: ToolContext, args: Record<string, string>): void {
  checkArgs(args, ["inline", "verbose", "count"]);
  const inline = boolArg(args, "inline");
  const verbose = boolArg(args, "verbose");
  const classes = riscvClasses();
  for (const want of (args.count ?? "").split(":").filter((s) => s)) {
    const none = want.startsWith("!");
    const cls = classes.find((k) => k.opt === want.replace(/^!/, ""));
    if (cls) cls.mode = none ? "none" : "individual";
  }
  const classSb = ctx.hooks.scoreboard(classes.length);
  const classCalls = classes.map(() => 0n);
  const pool = new CounterPool(ctx.hooks);
  const insns = new Map<number, InsnCount>();
  const classOf = (bits: number) =>
    classes.find((k) => k.match.some(([m, p]) => ((bits & m) >>> 0) === p))!;

  ctx.hooks.onTranslate((tb) => {
    for (const insn of tb.insns) {
      const cls = classOf(insn.bits);
      if (cls.mode === "none") continue;
      if (cls.mode === "class") {
        const idx = classes.indexOf(cls);
        if (inline) insn.inlineAdd(classSb, 1n, idx);
        else insn.onExec(() => classCalls[idx]++, { regs: "none" });
        continue;
      }
      let rec = insns.get(insn.bits);
      if (!rec) {
        rec = { disas: insn.disassembly, bits: insn.bits, cls, counter: pool.take(), calls: 0n };
        insns.set(insn.bits, rec);
      }
      const r = rec;
      if (inline) insn.inlineAdd(r.counter.sb, 1n, r.counter.entry);
      else insn.onExec(() => r.calls++, { regs: "none" });
    }
  });

  ctx.onExit(() => {
    let text = "Instruction Classes:\n";
    classes.forEach((k, i) => {
      const label = `Class: ${k.name.padEnd(24)}\t`;
      if (k.mode === "individual") text += `${label}counted individually\n`;
      else if (k.mode === "none") text += `${label}not counted\n`;
      else {
        const hits = classSb.get(i) + classCalls[i];
        if (hits || verbose) text += `${label}(${hits} hits)\n`;
      }
    });
    const rows = [...insns.values()].map((r) => ({ r, n: pool.get(r.counter) + r.calls }));
    if (rows.length) {
      text += "Individual Instructions:\n";
      rows.sort((a, b) => (a.n === b.n ? a.r.bits - b.r.bits : a.n > b.n ? -1 : 1));
      for (const { r, n } of rows.slice(0, 50)) {
        const opcode = r.bits.toString(16).padStart(8, "0");
        text += `Instr: ${r.disas.padEnd(24)}\t(${n} hits)\t(op=0x${opcode}/${r.cls.name})\n`;
      }
    }
    ctx.out(text);
  });
}

/**
 * The howvec tool plugin.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ program: "prog", plugins: ["howvec,inline=on,count=sys"] });
 * ```
 */
const plugin: ToolPlugin = {
  kind: "tool",
  name: "howvec",
  apiVersion: { min: 2, cur: 2 },
  description: "histogram of RISC-V instruction classes (inline=on, verbose=on, count=OPT)",
  install,
};
export default plugin;

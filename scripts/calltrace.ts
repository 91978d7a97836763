/**
 * A function call tracer: prints each call made by a guest, indented by call
 * depth and named from the ELF symbol table. Calls are `jal`/`jalr` (and
 * `c.jalr`) that link into `ra`; returns are `ret` (`jalr zero,0(ra)`,
 * `c.jr ra`). Tail calls keep the depth.
 *
 * Usage: deno run -A scripts/calltrace.ts [--from FUNC] [--max-depth N] [--returns] <guest> [args...]
 *
 * ```
 * $ deno run -A scripts/calltrace.ts --from main tests/guests/bin/hello.static.O2
 * main
 *   puts
 *     strlen
 *     _IO_new_file_xsputn
 * exit
 * ```
 *
 * @module
 */

import { createMachine, type InsnHandle } from "../mod.ts";

const USAGE =
  "usage: deno run -A scripts/calltrace.ts [--from FUNC] [--max-depth N] [--returns] <guest> [args...]";

/** What a control transfer instruction does to the call stack. */
export type CallKind = "call" | "return" | null;

/**
 * Classifies a RISC-V instruction by its bits: a call links into ra (x1), a
 * return jumps to ra without linking.
 *
 * @example
 * ```ts
 * import { callKind } from "./calltrace.ts";
 * console.log(callKind(0x00008067, 4), callKind(0x9782, 2)); // "return" "call"
 * ```
 */
export function callKind(bits: number, size: number): CallKind {
  if (size === 2) {
    if (bits === 0x8082) return "return"; // c.jr ra
    const rs1 = (bits >> 7) & 31;
    if ((bits & 0xf07f) === 0x9002 && rs1 !== 0) return "call"; // c.jalr rs1
    return null;
  }
  const opcode = bits & 0x7f, rd = (bits >> 7) & 31, rs1 = (bits >> 15) & 31;
  if ((opcode === 0x6f || opcode === 0x67) && rd === 1) return "call";
  if (opcode === 0x67 && rd === 0 && rs1 === 1 && bits >>> 20 === 0) return "return";
  return null;
}

if (import.meta.main) {
  const argv = [...Deno.args];
  let from: string | undefined, maxDepth = Infinity, returns = false;
  while (argv[0]?.startsWith("--")) {
    const flag = argv.shift()!;
    if (flag === "--from") from = argv.shift();
    else if (flag === "--max-depth") maxDepth = Number(argv.shift());
    else if (flag === "--returns") returns = true;
    else {
      console.error(USAGE);
      Deno.exit(2);
    }
  }
  if (!argv.length) {
    console.error(USAGE);
    Deno.exit(2);
  }
  const [program, ...args] = argv;
  const m = await createMachine({ program, args, stdout: "inherit", stderr: "inherit" });
  const name = (pc: bigint) => m.symbolAt(pc) ?? `0x${pc.toString(16)}`;
  const lines: string[] = [];
  const print = (text: string) => {
    lines.push(text);
    if (lines.length >= 256) console.log(lines.splice(0).join("\n"));
  };
  let depth = 0, callPending = false;
  let tracing = from === undefined;
  const start = from === undefined ? undefined : m.symbol(from);
  if (from !== undefined && start === undefined) {
    console.error(`calltrace: no symbol ${from} in ${program}`);
    Deno.exit(2);
  }
  const onTransfer = (insn: InsnHandle, kind: CallKind) => {
    insn.onExec((v) => {
      if (!tracing) return;
      if (kind === "call") callPending = true;
      else {
        if (returns && depth <= maxDepth) {
          const fn = name(v.pc).replace(/\+0x[0-9a-f]+$/, "");
          print(`${"  ".repeat(Math.max(depth - 1, 0))}<- ${fn} = ${v.readReg("a0")}`);
        }
        depth = Math.max(depth - 1, 0);
      }
    }, { regs: "read" });
  };
  m.hooks.onTranslate((tb) => {
    // A call ends its block, so the callee starts a block.
    tb.onExec(() => {
      if (!tracing && tb.pc === start) {
        tracing = true;
        callPending = true;
      }
      if (!callPending) return;
      callPending = false;
      if (depth < maxDepth) print(`${"  ".repeat(depth)}${name(tb.pc)}`);
      depth++;
    }, { regs: "none" });
    for (const insn of tb.insns) {
      const kind = callKind(insn.bits, insn.size);
      if (kind) onTransfer(insn, kind);
    }
  });
  const status = await m.runToExit();
  if (lines.length) console.log(lines.join("\n"));
  Deno.exit(status);
}

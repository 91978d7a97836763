/**
 * Branch counts for `emu cov`: a block that ends in a conditional branch
 * has two direct exits (`GOTO_TB` to the target and to the fall-through), and
 * an inline counter before each exit counts how often it was taken. Found in
 * the IR, so no target needs to say which instructions branch. A block cut
 * short (by an instruction budget, or by the JIT's rerun after a TLB miss) is
 * counted by its last part, which has the block's exits.
 *
 * @module
 */

import type { Hooks } from "../hooks/hooks.ts";
import type { Scoreboard } from "../hooks/scoreboard.ts";
import { type IrOp, Op } from "../ir.ts";
import { IrBuilder } from "../ir_builder.ts";

/** One conditional branch: the address of the branching instruction and its exits' counts. */
export interface BranchCount {
  /** the last instruction of the block */
  at: bigint;
  /** times each exit was taken, in the block's exit order */
  taken: bigint[];
}

/** Counts of the exits of every two-way block translated while it is installed. */
export class BranchCounts {
  readonly #blocks = new Map<string, { at: bigint; counter: Scoreboard; exits: number }>();

  /**
   * Installs the counters (translated code is dropped, so all code gets them).
   *
   * @example
   * ```ts ignore
   * const branches = new BranchCounts(m.hooks);
   * await m.runToExit();
   * for (const b of branches.branches()) console.log(b.at, b.taken);
   * ```
   */
  constructor(hooks: Hooks) {
    const cpu = hooks.cpu, numGlobals = cpu.target.state.globals.length;
    cpu.tbs.observers.push({
      instrument: (ir, code, part) => {
        const { insns } = code;
        const exits = ir.ops.filter((o) => o.op === Op.GOTO_TB).length;
        if (exits !== 2 || insns.length === 0) return;
        const first = part?.first ?? 0, whole = part?.whole ?? code;
        if (first + insns.length !== whole.insnCount) return; // not the block's last part
        const key = `${whole.pc}:${whole.insnCount}`;
        let b = this.#blocks.get(key);
        if (!b) {
          b = { at: insns[insns.length - 1].pc, counter: hooks.scoreboard(exits), exits };
          this.#blocks.set(key, b);
        }
        const counter = b.counter;
        let exit = 0;
        const ops: IrOp[] = [];
        for (const o of ir.ops) {
          if (o.op === Op.GOTO_TB) {
            const add = new IrBuilder(numGlobals, ir.numTemps, ir.numLabels);
            add.counterAdd(counter.address(exit++), 1n);
            ops.push(...add.finish().ops);
          }
          ops.push(o);
        }
        ir.ops = ops;
      },
    });
    cpu.tbs.flush();
    cpu.exitRequest = true;
  }

  /** Every two-way branch translated, with its exits' counts. */
  branches(): BranchCount[] {
    return [...this.#blocks.values()].map((b) => ({
      at: b.at,
      taken: Array.from({ length: b.exits }, (_, i) => b.counter.get(i)),
    }));
  }
}

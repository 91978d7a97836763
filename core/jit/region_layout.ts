/**
 * The block structure of a region's TBs: the dispatch that enters them and
 * the wasm `loop`s through which a jump back to an earlier TB goes straight
 * to it.
 *
 * TB `m`'s code starts at the end of a block (its TB block) that the
 * dispatch before it opens; a `br_table` on `next` picks the block. A jump
 * from TB `j` back to an earlier TB `i` used to set `next` and go round the
 * region's dispatch loop. A region now also has a wasm `loop` for such a
 * back edge (the loop `[i, j]`): it opens where TB `i`'s code would start,
 * and its own dispatch opens the TB blocks of `i + 1` to `j` inside it (a
 * loop must hold the ends of its TBs' blocks). At its top, `next == i` goes
 * straight to TB `i`; any other `next` (an entry into the middle of the loop)
 * goes through the loop's `br_table`. A jump back to `i` sets `next = i` and
 * branches to the loop: a compare at its top instead of the region's
 * `br_table`. The budget check stays at every TB's start, inside the loops.
 *
 * Of two loops that overlap, the first is stretched to the end of the second,
 * and a loop inside another is dropped ({@linkcode chooseLoops}); the layout
 * would nest them. Loops with the same first TB are one loop, to the latest
 * TB that jumps back to it.
 *
 * ```text
 * block $tb4 block $tb1 block $tb0 br_table(next) end   (0 -> $tb0, 1..3 -> $tb1, 4 -> $tb4)
 * <TB 0> end
 * loop $L1                                              (the loop [1, 3])
 *   block $tb3 block $tb2 block $tb1
 *     next == 1: br $tb1; br_table(next - 2) end        (0 -> $tb2, 1 -> $tb3)
 *   <TB 1> end <TB 2> end <TB 3: next = 1, br $L1>
 * end end
 * <TB 4>
 * ```
 *
 * @module
 */

import { W, type WasmCode } from "./wasm_code.ts";
import { EXIT_LABELS, type ExitName, LOCALS } from "./region_exits.ts";

/**
 * A label open around code: a shared exit, a TB block (its TB), a loop ({@linkcode loopLabel}),
 * or the block at a loop's top whose end starts the loop's first TB.
 */
type Label = ExitName | "loopHead" | number;

/** Where each shared exit is in the labels, outermost first. */
const EXIT_INDEX = Object.fromEntries(EXIT_LABELS.map((e, i) => [e, i])) as Record<
  ExitName,
  number
>;

/** The label of the loop whose first TB is `i` (TB blocks are labelled by their TB, from 0 up). */
const loopLabel = (i: number): number => -1 - i;

/** How to reach a TB from the code now: set `next` to it first, or not, and branch `depth` out. */
export interface TbBranch {
  depth: number;
  setNext: boolean;
}

/**
 * The loops of a region: for each TB, the last TB of the loop it starts (-1: none). `edges`
 * are the jumps between the region's TBs (from, to); each one back (`to < from`) asks for a loop
 * from `to` to at least `from`. A loop may hold more TBs than its back edges need, so one that
 * overlaps a later loop is stretched to hold it, and a loop inside another is dropped: every
 * back edge is inside a loop, and a back edge to the first TB of its loop is a direct branch.
 *
 * @example
 * ```ts
 * import { chooseLoops } from "./region_layout.ts";
 * console.log(chooseLoops(4, [[2, 0], [3, 1]])); // [ 3, -1, -1, -1 ]: [0, 2] holds [1, 3]
 * ```
 */
export function chooseLoops(n: number, edges: Iterable<readonly [number, number]>): number[] {
  const loopEnd: number[] = Array(n).fill(-1);
  for (const [from, to] of edges) if (to < from) loopEnd[to] = Math.max(loopEnd[to], from);
  // From the last loop back: each one grows to the end of every loop that starts inside it.
  for (let i = n - 1; i >= 0; i--) {
    for (let m = i + 1; m <= loopEnd[i]; m++) loopEnd[i] = Math.max(loopEnd[i], loopEnd[m]);
  }
  // Only the outermost loops stay: entering a nested loop costs V8's loop stack check and the
  // compare at its top, which made the compute guest slower (docs/perf.md, fifteenth session).
  for (let i = 0; i < n; i++) for (let m = i + 1; m <= loopEnd[i]; m++) loopEnd[m] = -1;
  return loopEnd;
}

/**
 * Emits a region's dispatch, loops and TBs in TB order, and tells each TB's code how deep its
 * labels are (the labels open when its code starts).
 *
 * @example
 * ```ts ignore
 * const layout = new RegionLayout(c, chooseLoops(n, edges));
 * layout.emit((k) => emitTb(k)); // inside the blocks of region_exits.ts' openExits
 * ```
 */
export class RegionLayout {
  /** labels open now, outermost first */
  readonly #open: Label[] = [...EXIT_LABELS];

  constructor(readonly c: WasmCode, readonly loopEnd: readonly number[]) {}

  /** Emits the dispatch and every TB (`emitTb(k)`, in order), inside the shared exits' blocks. */
  emit(emitTb: (k: number) => void): void {
    const direct = this.#openTbBlocks(0, this.loopEnd.length - 1);
    this.c.localGet(LOCALS.next).brTable(this.#targets(0, this.loopEnd.length - 1), 0);
    this.#emitDirect(direct, emitTb);
  }

  /** The depth of a shared exit from the start of the TB's code. */
  depthOf(exit: ExitName): number {
    return this.#open.length - 1 - EXIT_INDEX[exit];
  }

  /**
   * How the TB whose code is being emitted reaches TB `j`: a TB block still open (a later TB),
   * or else the innermost loop or block that leads to it through a dispatch, which reads `next`.
   */
  branchTo(j: number): TbBranch {
    const open = this.#open;
    for (let d = open.length - 1; d >= 0; d--) {
      const l = open[d], depth = open.length - 1 - d;
      if (l === j && this.loopEnd[j] < 0) return { depth, setNext: false };
      if (typeof l === "number" && this.#leadsTo(l, j)) return { depth, setNext: true };
    }
    return { depth: this.depthOf("toDispatch"), setNext: true };
  }

  /** Whether the code at label `l` dispatches on `next` to TB `j`: a loop or a loop's TB block. */
  #leadsTo(l: number, j: number): boolean {
    const i = l < 0 ? loopLabel(l) : l;
    return this.loopEnd[i] >= 0 && i <= j && j <= this.loopEnd[i];
  }

  /** The TBs from `first` to `last` that a dispatch picks (the others are inside their loops). */
  #direct(first: number, last: number): number[] {
    const direct: number[] = [];
    for (let m = first; m <= last; m = Math.max(m, this.loopEnd[m]) + 1) direct.push(m);
    return direct;
  }

  /** Opens the TB blocks of the direct TBs from `first` to `last`, the first innermost. */
  #openTbBlocks(first: number, last: number): number[] {
    const direct = this.#direct(first, last);
    for (let d = direct.length - 1; d >= 0; d--) {
      this.c.block();
      this.#open.push(direct[d]);
    }
    return direct;
  }

  /** The `br_table` targets of TBs `first` to `last`: each one's block, or its loop's. */
  #targets(first: number, last: number): number[] {
    const targets: number[] = [];
    for (let j = first; j <= last; j++) targets.push(this.branchTo(j).depth);
    return targets;
  }

  /** Closes each direct TB's block and emits its code, or its loop. */
  #emitDirect(direct: number[], emitTb: (k: number) => void): void {
    for (const m of direct) {
      this.c.op(W.end);
      this.#open.pop();
      if (this.loopEnd[m] >= 0) this.#emitLoop(m, emitTb);
      else emitTb(m);
    }
  }

  /** The loop `[i, loopEnd[i]]`: its dispatch (`next == i` first), TB `i`, then the rest. */
  #emitLoop(i: number, emitTb: (k: number) => void): void {
    const c = this.c, last = this.loopEnd[i];
    c.loop();
    this.#open.push(loopLabel(i));
    const direct = this.#openTbBlocks(i + 1, last);
    c.block();
    this.#open.push("loopHead");
    c.localGet(LOCALS.next).i32Const(i).op(W.i32Eq).brIf(0);
    c.localGet(LOCALS.next).i32Const(i + 1).op(W.i32Sub).brTable(this.#targets(i + 1, last), 0);
    c.op(W.end);
    this.#open.pop();
    emitTb(i);
    this.#emitDirect(direct, emitTb);
    c.op(W.end);
    this.#open.pop();
  }
}

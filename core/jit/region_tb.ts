/**
 * Emits one TB of a region: the budget check at its entry, its labels as
 * blocks, and its ops. ALU ops are in `region_alu.ts`, guest loads and
 * stores in `region_access.ts`; control flow, calls and host-memory ops are
 * here. Every way out of the TB branches to the region's shared exits
 * (region_exits.ts), at depths that grow with the blocks opened inside it.
 *
 * @module
 */

import { FLOAT64_ALU_OPS, type IrOp, markGlobals, Op, visitOperands } from "../ir.ts";
import { isPure } from "../ir_fold.ts";
import type { TranslationBlock } from "../tb.ts";
import { W, type WasmCode } from "./wasm_code.ts";
import { IMP_DRAIN } from "./region_imports.ts";
import type { AccessGroup } from "./region_memory.ts";
import { exitDepths, LOCALS } from "./region_exits.ts";
import { CTRL, jumpCacheSlot, MAX_CHAIN_FLAGS, Status } from "./region_abi.ts";
import { CMP } from "./region_opcodes.ts";
import type { RegionCode } from "./region_code.ts";
import { emitAlu } from "./region_alu.ts";
import { memAccess } from "./region_access.ts";

const ignore = () => {};

/** Ops besides the pure ALU ones (`isPure`) that neither leave, nor branch, nor read the CPU state. */
const KEEP_UNSTORED: ReadonlySet<number> = new Set([...FLOAT64_ALU_OPS, Op.COUNTER_ADD]);

/** What an emitter holds as its temps' slots once it is done. */
const NO_SLOTS = new Int32Array(0);

const { remaining: L_REMAINING, next: L_NEXT, status: L_STATUS } = LOCALS;
const { addr: L_ADDR, ent: L_ENT } = LOCALS;

/** The shared exits a TB branches to (see {@linkcode exitDepths}). */
export type ExitName = keyof ReturnType<typeof exitDepths>;

/**
 * TB `k` of region `r`, being emitted.
 *
 * @example
 * ```ts ignore
 * new TbEmitter(regionCode, 0).emit();
 * ```
 */
export class TbEmitter {
  readonly c: WasmCode;
  readonly tb: TranslationBlock;
  readonly ops: IrOp[];
  /** the TB's instructions */
  readonly len: number;
  /** extra blocks opened inside the TB (labels, ifs) */
  depth = 0;
  /** the instruction being emitted: its index in the TB and its pc */
  insnIdx = 0;
  insnPc: bigint;
  /** whether code may have been invalidated since the last check */
  mayInvalidate = false;
  readonly groupOf: Map<IrOp, AccessGroup>;
  readonly #depths: ReturnType<typeof exitDepths>;
  #slot: Int32Array;
  readonly #constOf: Map<number, bigint>;
  /** labels open, outermost first */
  #open: number[] = [];
  /** guest registers written since their last store to the CPU state (see `#storeWritten`) */
  #unstored: number[] = [];
  /** the guest registers in locals while the TB runs: those it uses, and those held across TBs */
  #inLocals: number[] = [];
  readonly #changesFlags: boolean;
  readonly #chainable: boolean;
  /** whether the TB jumps to its own start: its code is then a wasm `loop`, outside `depth` */
  readonly #selfLoop: boolean;

  constructor(readonly r: RegionCode, readonly k: number) {
    this.c = r.c;
    this.tb = r.tbs[k];
    this.ops = r.irs[k].ops;
    this.len = this.tb.insnCount;
    this.insnPc = this.tb.pc;
    this.#depths = exitDepths(k, r.tbs.length);
    this.#slot = r.tempSlots[k].slot;
    this.groupOf = r.groups[k];
    this.#constOf = r.constants[k];
    // Jumps out of the region go through the jump cache as tail calls when the
    // TB cannot have changed the translation flags (no state-writing helper).
    // The jump cache is keyed by pc and TB flags (see jumpCacheKey). A TB whose
    // helper changes the flags (changesTbFlags) does not even jump inside the
    // region, whose TBs share its entry flags: its exits go to the run loop.
    const helperFlags = (o: IrOp) =>
      o.op === Op.CALL ? r.env.helpers[Number(o.imm)].flags : undefined;
    this.#changesFlags = this.ops.some((o) => helperFlags(o)?.changesTbFlags);
    this.#chainable = this.tb.flags <= MAX_CHAIN_FLAGS && !this.#changesFlags &&
      !this.ops.some((o) => helperFlags(o)?.writesState);
    this.#selfLoop = !this.#changesFlags &&
      this.ops.some((o) => o.op === Op.GOTO_TB && o.pc === this.tb.pc);
  }

  /** The local of IR value `t`. */
  loc = (t: number): number =>
    t < this.r.env.numGlobals
      ? this.r.globalLocal[t]
      : this.r.tempBase + this.#slot[t - this.r.env.numGlobals];

  /** IR value `t` as an operand: its constant, or its local. */
  src = (t: number): number | bigint => this.#constOf.get(t) ?? this.loc(t);

  /** Whether IR value `t` is a constant (a temp written once by a MOVI). */
  isConstant(t: number): boolean {
    return this.#constOf.has(t);
  }

  /** The branch depth of a shared exit from where the code is now. */
  to(exit: ExitName): number {
    return this.#depths[exit] + this.#outer();
  }

  /** The blocks between the code now and the TB's block: `depth`, and its self-loop. */
  #outer(): number {
    return this.depth + (this.#selfLoop ? 1 : 0);
  }

  /** Emits the TB, from the end of its block on. */
  emit(): void {
    const { c, len } = this;
    this.#loadUsed();
    // A jump back to the TB's start branches to this loop, not through the dispatch's br_table.
    if (this.#selfLoop) c.loop();
    // Budget: exit before the TB when fewer than `len` instructions are left.
    c.i64Const(this.tb.pc).localSet(L_ADDR);
    c.localGet(L_REMAINING).i32Const(len).op(W.i32LtS).brIf(this.to("toExitPc"));
    c.localGet(L_REMAINING).i32Const(len).op(W.i32Sub).localSet(L_REMAINING);
    this.#openLabels();
    for (const o of this.ops) {
      if (!this.#keepsUnstored(o)) this.#storeWritten();
      this.#emitOp(o);
      const w = visitOperands(o, ignore);
      if (w >= 0 && w < this.r.env.numGlobals && !this.#unstored.includes(w)) {
        this.#unstored.push(w);
      }
    }
    // Every path ended with an exit or a branch; close the TB for validation.
    c.op(W.unreachable);
    if (this.#selfLoop) c.op(W.end);
    // Keep none of the compile's objects alive once done (see RegionCode.release).
    this.#slot = NO_SLOTS;
    this.#open = [];
  }

  /**
   * Loads the guest registers the TB uses that the region does not hold across TBs
   * (`RegionCode.heldAcross`): the CPU state is up to date at every TB boundary.
   */
  #loadUsed(): void {
    const G = this.r.env.numGlobals, isUsed = new Uint8Array(G);
    markGlobals(this.ops, G, isUsed, new Uint8Array(G));
    const held = this.r.heldAcross;
    this.#inLocals = this.r.used.filter((g) => isUsed[g] || held[g]);
    this.r.loadGlobals(this.#inLocals.filter((g) => !held[g]));
  }

  /**
   * Whether op `o` may run before the guest registers written since the last store of them
   * are stored: an op that can neither leave the region, nor branch, nor let anything read
   * the CPU state. Registers are stored before every other op, so the CPU state is up to
   * date at each exit, and the shared exit writes nothing back: locals hold guest registers
   * only while the code reads them (and TBs load them at their start, see `#loadUsed`), which
   * spares V8's register allocator the values that were live from a region's entry to all of
   * its exits (docs/perf.md, seventeenth session).
   * Two writes of a register between such ops store once.
   */
  #keepsUnstored(o: IrOp): boolean {
    if (o.op === Op.INSN_START) return !this.mayInvalidate; // else its check may leave
    return isPure(o.op) || KEEP_UNSTORED.has(o.op);
  }

  #storeWritten(): void {
    for (const g of this.#unstored) this.r.storeGlobal(g);
    this.#unstored.length = 0;
  }

  /** A miss exit (from `inner` blocks deeper), the address in L_ADDR: the insn runs again. */
  missExit(inner = 0): void {
    this.r.budgetCounter?.skip(this.#notStarted());
    this.c.i32Const(this.r.missSites.length).localSet(L_ENT).br(this.to("toMiss") + inner);
    this.r.missSites.push({ tb: this.k, insn: this.insnIdx });
  }

  /** The instructions of the TB after the one being emitted (charged, not started). */
  #notStarted(): number {
    return this.len - this.insnIdx - 1;
  }

  /** Labels: one block per label, outermost = defined last. */
  #openLabels(): void {
    const labelPos: number[] = [];
    this.ops.forEach((o, i) => {
      if (o.op === Op.LABEL) labelPos[o.label] = i;
    });
    const order = labelPos.map((pos, l) => ({ pos, l })).filter((x) => x.pos !== undefined)
      .sort((a, b) => b.pos - a.pos);
    for (const { l } of order) {
      this.c.block();
      this.#open.push(l);
      this.depth++;
    }
  }

  #labelDepth(l: number): number {
    const open = this.#open;
    return open.length - 1 - open.indexOf(l) + (this.depth - open.length);
  }

  #emitOp(o: IrOp): void {
    const { c, src } = this;
    switch (o.op) {
      case Op.BRCOND:
        c.operand(src(o.a)).operand(src(o.b)).op(CMP[o.cond]).brIf(this.#labelDepth(o.label));
        break;
      case Op.BR:
        c.br(this.#labelDepth(o.label));
        break;
      case Op.LABEL:
        c.op(W.end);
        this.#open.pop();
        this.depth--;
        break;
      case Op.LOAD:
      case Op.VLD:
        memAccess(this, o, false);
        break;
      case Op.STORE:
      case Op.VST:
        memAccess(this, o, true);
        break;
      case Op.LOAD_HOST:
      case Op.STORE_HOST:
      case Op.COUNTER_ADD:
      case Op.COUNTER_INC8:
        this.#counterOp(o);
        break;
      case Op.TRACE:
        this.#trace(o);
        break;
      case Op.CALL:
        this.#call(o);
        break;
      case Op.INSN_START:
        this.#checkInvalidated(o.pc, o.size);
        this.insnIdx = o.size;
        this.insnPc = o.pc;
        break;
      case Op.GOTO_TB:
        this.#gotoTb(o.pc);
        break;
      case Op.GOTO_PTR:
        c.operand(src(o.a)).localSet(L_ADDR);
        if (this.#chainable) this.#knownTargets();
        c.br(this.to(this.#chainable ? "toHash" : "toExitPc"));
        break;
      case Op.RAISE:
        this.#raise(o);
        break;
      default:
        emitAlu(this, o);
    }
  }

  /** After a store or a call, when code may have been invalidated: leave if it was. */
  #checkInvalidated(pc: bigint, nextIdx: number): void {
    if (!this.mayInvalidate) return;
    const c = this.c;
    c.i32Const(this.r.env.ctrl + CTRL.invalidated).mem(W.i32Load, 0).if();
    this.depth++;
    c.i64Const(pc).localSet(L_ADDR).i32Const(this.len - nextIdx).localSet(L_NEXT)
      .br(this.to("toInval"));
    this.depth--;
    c.op(W.end);
    this.mayInvalidate = false;
  }

  /** Before a call that may trap or read the time: record where we are. */
  #beforeTrap(): void {
    this.r.storePc(this.insnPc);
    this.r.storeCtrl32(CTRL.refund, this.len - this.insnIdx);
    this.c.i32Const(this.r.env.ctrl + CTRL.remaining).localGet(L_REMAINING).mem(W.i32Store, 0);
  }

  /** LOAD_HOST, STORE_HOST, COUNTER_ADD, COUNTER_INC8: host memory, or a counter's local. */
  #counterOp(o: IrOp): void {
    const { c, src, loc } = this;
    const l = this.r.counterLocal.get(Number(o.imm));
    if (o.op === Op.LOAD_HOST) {
      if (l !== undefined) c.localGet(l).localSet(loc(o.d));
      else c.i32Const(Number(o.imm)).mem(W.i64Load, 0).localSet(loc(o.d));
    } else if (o.op === Op.STORE_HOST) {
      if (l !== undefined) c.operand(src(o.a)).localSet(l);
      else c.i32Const(Number(o.imm)).operand(src(o.a)).mem(W.i64Store, 0);
    } else if (o.op === Op.COUNTER_ADD) {
      if (this.r.budgetCounter) return; // counted by the budget (region_counter.ts)
      c.localGet(l!).i64Const(o.pc).op(W.i64Add).localSet(l!);
    } else {
      // v = u8[imm + a] + 1; u8[imm + a] = v + (v >> 8): 255 wraps to 1, not 0
      c.operand(src(o.a)).op(W.i32WrapI64).localTee(L_ENT).localGet(L_ENT)
        .mem(W.i64Load8U, Number(o.imm)).i64Const(1n).op(W.i64Add).localTee(L_ADDR)
        .localGet(L_ADDR).i64Const(8n).op(W.i64ShrU).op(W.i64Add)
        .mem(W.i64Store8, Number(o.imm));
    }
  }

  /** *ptr = id; ptr += 4; a full buffer is drained through JS (callbacks may stop the run). */
  #trace(o: IrOp): void {
    const c = this.c, ptr = this.r.env.ctrl + CTRL.tracePtr;
    c.i32Const(ptr).mem(W.i32Load, 0).localTee(L_ENT).i32Const(Number(o.imm)).mem(W.i32Store, 0);
    c.i32Const(ptr).localGet(L_ENT).i32Const(4).op(W.i32Add).localTee(L_ENT).mem(W.i32Store, 0);
    c.localGet(L_ENT).i32Const(this.r.env.traceEnd).op(W.i32Eq).if();
    this.r.flushCounters(this.#notStarted());
    c.call(IMP_DRAIN);
    this.r.reloadCounters(this.#notStarted());
    c.op(W.end);
    this.mayInvalidate = true;
  }

  #call(o: IrOp): void {
    const { c, r } = this;
    const h = r.env.helpers[Number(o.imm)];
    const f = h.flags ?? {};
    const flagged = f.mayTrap || f.readsState || f.writesState;
    r.flushCounters(this.#notStarted());
    if (flagged) this.#beforeTrap();
    const { fn, bound } = r.helperImports.of(o, this.#constOf);
    for (let i = 0; !bound && i < o.args.length; i++) {
      c.operand(this.src(o.args[i]));
      if (h.smallArgs) c.op(W.i32WrapI64);
    }
    c.call(fn);
    if (f.writesState) r.loadGlobals(this.#inLocals); // the result stays on the stack meanwhile
    r.reloadCounters(this.#notStarted());
    if (h.hasResult) {
      if (o.d >= 0) c.localSet(this.loc(o.d));
      else c.op(W.drop);
    }
    if (f.mayTrap || f.writesState) {
      c.i32Const(r.env.ctrl + CTRL.fault).mem(W.i32Load, 0).brIf(this.to("toTrap"));
    }
    if (flagged || f.mayExit) this.mayInvalidate = true;
  }

  /** A direct jump: to a TB of the region, through the jump cache, or to the run loop. */
  #gotoTb(pc: bigint): void {
    const c = this.c;
    this.#checkInvalidated(pc, this.len);
    const j = this.#changesFlags ? undefined : this.r.entryOf.get(pc);
    if (j !== undefined) this.#branchTo(j);
    else {
      c.i64Const(pc).localSet(L_ADDR);
      if (this.#chainable) {
        c.i32Const(jumpCacheSlot(Number(pc & 0x7ffffffen))).localSet(L_ENT).br(this.to("toTry"));
      } else c.br(this.to("toExitPc"));
    }
  }

  /** A jump to TB `j` of the region. */
  #branchTo(j: number): void {
    // TB j > k starts right after the end of block $tbj, which is still open here.
    if (j > this.k) this.c.br(j - this.k - 1 + this.#outer());
    else if (j === this.k && this.#selfLoop) this.c.br(this.depth);
    else this.c.i32Const(j).localSet(L_NEXT).br(this.to("toDispatch"));
  }

  /**
   * An indirect jump (target in L_ADDR) to a TB of the region that it took while interpreted
   * branches there without the jump cache. Not after a store or call that may have invalidated
   * code (mayInvalidate): the jump cache, whose entries invalidation drops, decides then.
   */
  #knownTargets(): void {
    if (this.mayInvalidate) return;
    for (const pc of this.r.env.indirectTargets?.[this.k] ?? []) {
      const j = this.r.entryOf.get(pc);
      if (j === undefined) continue;
      this.c.localGet(L_ADDR).i64Const(pc).op(W.i64Eq).if();
      this.depth++;
      this.#branchTo(j);
      this.depth--;
      this.c.op(W.end);
    }
  }

  #raise(o: IrOp): void {
    const { c, r } = this;
    r.storePc(this.insnPc);
    r.storeCtrl32(CTRL.refund, this.len - this.insnIdx);
    r.storeCtrl32(CTRL.trapKind, Number(o.imm));
    r.storeCtrl32(CTRL.trapCause, o.c);
    c.i32Const(r.env.ctrl + CTRL.trapData);
    if (o.a >= 0) c.operand(this.src(o.a));
    else c.i64Const(0n);
    c.mem(W.i64Store, 0);
    r.budgetCounter?.skip(this.#notStarted()); // the raising instruction counts
    c.i32Const(Status.RAISE).localSet(L_STATUS).br(this.to("toExit"));
  }
}

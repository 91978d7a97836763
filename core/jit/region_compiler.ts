/**
 * Compiles a region (several TBs) from IR into one WebAssembly function.
 *
 * Shape of the generated function `run(entry: i32, budget: i32) -> i32`:
 * ```text
 * load the region's guest registers (globals) into i64 locals
 * block $exit
 *   block $exitPc
 *     block $trap
 *       block $inval
 *         loop $dispatch
 *           block $try
 *             block $hash
 *               block $tbN-1 ... block $tb0
 *                 br_table(next) -> $tb0..$tbN-1
 *               end  <TB 0 code>  ... end <TB N-1 code>
 *             end
 *             ent = jump-cache slot of addr
 *           end
 *           jump cache knows addr: a TB of this region? next = its index, br $dispatch
 *                                  else status = CHAIN, br $exit
 *           br $exitPc
 *         end
 *       end
 *       store the refund; status = INVALIDATED, br $exitPc
 *     end
 *     status = TRAP, br $exit
 *   end
 *   store addr as the pc
 * end
 * write back the globals the region writes
 * status = CHAIN: tail-call the jump-cache entry in `ent`; else return status
 * ```
 * A direct jump to a later TB of the region branches straight to the end of
 * that TB's block, where its code starts; one to an earlier TB sets `next`
 * and branches to `$dispatch`. Every other exit shares the code at the end:
 * a jump out of the region puts its target in `addr` and branches to `$try`
 * (its jump-cache slot in `ent`, when the target is constant) or `$hash`;
 * an exit to the run loop puts the pc in `addr` and branches to `$exitPc`; a
 * slow path or helper that trapped branches to `$trap`. Sharing them keeps
 * the code V8 compiles small: an exit is a few bytes. Guest loads and stores
 * check the soft TLB inline and call an out-of-line slow path on a miss
 * (region_memory.ts). Each TB entry checks and charges the instruction
 * budget, so budgets stay exact.
 *
 * @module
 */

import { type Cond, type IrOp, isVectorOp, markGlobals, Op } from "../ir.ts";
import type { HelperDef } from "../ir.ts";
import { STATE_BASE } from "../host_memory.ts";
import type { TranslationBlock } from "../tb.ts";
import { assembleModule, I32, I64, VOID, W, WasmCode, type WasmFunctionSpec } from "./wasm_code.ts";
import { HELPER_OPS, internalFunctions } from "./wasm_helpers.ts";
import { constantTemps, packTemps } from "./temp_locals.ts";
import {
  fixedImports,
  type HelperImport,
  HelperImports,
  IMP_DRAIN,
  IMP_SLOW_LOAD,
  IMP_SLOW_STORE,
  NUM_FIXED_IMPORTS,
} from "./region_imports.ts";
import { emitVectorAlu, simdMem, V } from "./region_vector.ts";
import { CMP, FLOAT, LOAD_OPS, SIMPLE, STORE_OPS } from "./region_opcodes.ts";
import { closeExits, exitDepths, LOCALS, openExits } from "./region_exits.ts";
import {
  AccessFunctions,
  type AccessGroup,
  accessGroups,
  hostAddress,
  tlbHit,
} from "./region_memory.ts";
import { CTRL, jumpCacheSlot, MAX_CHAIN_FLAGS, Status } from "./region_abi.ts";
import { type MissExitEnv, missExitSets, type MissSite } from "./region_miss.ts";

/** What the compiler needs to know besides the TBs. */
export interface RegionEnv {
  numGlobals: number;
  /** state offset of each global */
  globalOffsets: number[];
  pcOffset: number;
  /** all helpers, by CALL index */
  helpers: HelperDef[];
  /** host address of the control block */
  ctrl: number;
  /** initial size of the shared memory, in wasm pages */
  memoryPages: number;
  /** host address of the jump cache (see {@linkcode jumpCacheSlot}) */
  jumpCache: number;
  /** this region's slot in the function table (indirect jumps to its own TBs stay inside) */
  selfSlot: number;
  /** host address just past the trace buffer (a full buffer calls the `drain` import) */
  traceEnd: number;
  /** host address of the soft-TLB table of the region's MMU mode (`tlbTable`) */
  tlbTable: number;
  /** which TBs' accesses may take miss exits (region_miss.ts); none when absent */
  missExits?: MissExitEnv;
}

/** The compiled region before instantiation. */
export interface CompiledRegion {
  bytes: Uint8Array;
  /** the helper imports, in import order */
  helperImports: HelperImport[];
  /** where each miss exit is, by the site number it leaves in `CTRL.missSite` */
  missSites: MissSite[];
}

/**
 * Compiles `tbs` into one module. TB `i` is entry `i` of the `run` export.
 *
 * @example
 * ```ts ignore
 * const { bytes } = compileRegion([tbA, tbB], env);
 * ```
 */
export function compileRegion(tbs: TranslationBlock[], env: RegionEnv): CompiledRegion {
  const G = env.numGlobals;
  // Which globals the region uses and writes.
  const isUsed = new Uint8Array(G), isWritten = new Uint8Array(G);
  /** whether some op needs the internal wasm functions (128-bit multiplies, division) */
  let usesInternal = false;
  // Each TB's ops, unpacked once (TBs keep them packed: see ir_pack.ts).
  const irs = tbs.map((tb) => tb.ir);
  for (const ir of irs) {
    markGlobals(ir.ops, G, isUsed, isWritten);
    for (const o of ir.ops) {
      if (HELPER_OPS.includes(o.op)) usesInternal = true;
    }
  }
  // Locals: params entry(0), remaining(1); next(2), status(3), addr(4, i64), ent(5, i32), then globals, temps.
  const { entry: P_ENTRY, remaining: L_REMAINING, next: L_NEXT, status: L_STATUS } = LOCALS;
  const { addr: L_ADDR, ent: L_ENT } = LOCALS;
  const localTypes: number[] = [I32, I32, I64, I32];
  const globalLocal = new Int32Array(G).fill(-1);
  let nextLocal = 6;
  const used: number[] = [], written: number[] = [];
  for (let g = 0; g < G; g++) {
    if (isWritten[g]) written.push(g);
    if (!isUsed[g]) continue;
    used.push(g);
    globalLocal[g] = nextLocal++;
    localTypes.push(I64);
  }
  // Inline counters (scoreboards) live in locals too: no load-add-store chain through memory.
  const counterLocal = new Map<number, number>();
  for (const ir of irs) {
    for (const o of ir.ops) {
      const addr = Number(o.imm);
      if (o.op === Op.COUNTER_ADD && !counterLocal.has(addr)) {
        counterLocal.set(addr, nextLocal++);
        localTypes.push(I64);
      }
    }
  }
  // Temps share a pool of locals (see temp_locals.ts).
  const tempBase = nextLocal;
  const tempSlots = irs.map((ir) => packTemps(ir.ops, G, ir.numTemps));
  const poolSize = tempSlots.reduce((n, s) => Math.max(n, s.size), 0);
  for (let i = 0; i < poolSize; i++) localTypes.push(I64);
  let slotOf = tempSlots[0]?.slot;
  // Accesses that share a TLB probe (see accessGroups): one i32 local per group of a TB.
  const groups = irs.map((ir) => accessGroups(ir.ops));
  const groupBase = tempBase + poolSize;
  const groupLocals = groups.reduce(
    (n, m) => Math.max(n, ...[...m.values()].map((g) => g.index + 1)),
    0,
  );
  for (let i = 0; i < groupLocals; i++) localTypes.push(I32);
  let groupOf = groups[0];
  const loc = (t: number) => (t < G ? globalLocal[t] : tempBase + slotOf[t - G]);
  // Temps written once by a MOVI are read as constants (see constantTemps).
  const constants = irs.map((ir) => constantTemps(ir.ops, G));
  let constOf = constants[0];
  const src = (t: number): number | bigint => constOf.get(t) ?? loc(t);
  const missable = missExitSets(irs, G, env.missExits); // accesses that leave on a TLB miss
  const missSites: MissSite[] = [];

  const helperImports = new HelperImports(env.helpers, irs.map((ir) => ir.ops), constants);
  const firstInternal = NUM_FIXED_IMPORTS + helperImports.list.length;
  // Internal functions: the access functions of the groups, then (if used) the ALU helpers.
  const FN_SLOW_LOAD = IMP_SLOW_LOAD, FN_SLOW_STORE = IMP_SLOW_STORE;
  const access = new AccessFunctions(firstInternal, FN_SLOW_LOAD, FN_SLOW_STORE, env.tlbTable);
  for (const m of groups) for (const o of m.keys()) access.use(o);
  const firstAluHelper = access.first + access.count;
  const entryOf = new Map<bigint, number>(tbs.map((tb, i) => [tb.pc, i]));

  // Regions come to about 26 bytes of wasm per IR op (speedtest1): room for that saves regrowth.
  const c = new WasmCode(256 + 28 * irs.reduce((n, ir) => n + ir.ops.length, 0));
  const statePc = STATE_BASE + env.pcOffset;
  const stateOf = (g: number) => STATE_BASE + env.globalOffsets[g];
  // JS (callbacks, tools) may read or reset counters: they are in memory across every call.
  const flushCounters = () => {
    for (const [addr, l] of counterLocal) c.i32Const(addr).localGet(l).mem(W.i64Store, 0);
  };
  const reloadCounters = () => {
    for (const [addr, l] of counterLocal) c.i32Const(addr).mem(W.i64Load, 0).localSet(l);
  };
  const writeBack = () => {
    for (const g of written) c.i32Const(stateOf(g)).localGet(globalLocal[g]).mem(W.i64Store, 0);
    flushCounters();
  };
  const reload = () => {
    for (const g of used) c.i32Const(stateOf(g)).mem(W.i64Load, 0).localSet(globalLocal[g]);
    reloadCounters();
  };
  const storePc = (pc: bigint) => c.i32Const(statePc).i64Const(pc).mem(W.i64Store, 0);
  const storeCtrl32 = (field: number, v: number) =>
    c.i32Const(env.ctrl + field).i32Const(v).mem(W.i32Store, 0);

  reload();
  c.localGet(P_ENTRY).localSet(L_NEXT);
  openExits(c);
  for (let i = 0; i < tbs.length; i++) c.block();
  c.localGet(L_NEXT).brTable(tbs.map((_, i) => i), 0);

  tbs.forEach((tb, k) => {
    c.op(W.end); // end of block $tbk: TB k's code follows
    slotOf = tempSlots[k].slot;
    groupOf = groups[k];
    constOf = constants[k];
    // The shared exits, from TB k's top level (see region_exits.ts).
    const d = exitDepths(k, tbs.length);
    let depth = 0; // extra blocks opened inside the TB (labels, ifs)
    const toHash = () => d.toHash + depth;
    const toTry = () => d.toTry + depth;
    const toDispatch = () => d.toDispatch + depth;
    const toInval = () => d.toInval + depth;
    const toTrap = () => d.toTrap + depth;
    /** A miss exit (from `inner` blocks deeper), the address in L_ADDR: the insn runs again. */
    const missExit = (inner = 0) => {
      c.i32Const(missSites.length).localSet(L_ENT).br(d.toMiss + depth + inner);
      missSites.push({ tb: k, insn: insnIdx });
    };
    const toExitPc = () => d.toExitPc + depth;
    const toExit = () => d.toExit + depth;
    // TB j > k starts right after the end of block $tbj, which is still open here.
    const toLaterTb = (j: number) => j - k - 1 + depth;
    const exitWith = (status: number) => {
      c.i32Const(status).localSet(L_STATUS).br(toExit());
    };
    const len = tb.insnCount;
    let insnIdx = 0, insnPc = tb.pc, mayInvalidate = false;
    const checkInvalidated = (pc: bigint, nextIdx: number) => {
      if (!mayInvalidate) return;
      c.i32Const(env.ctrl + CTRL.invalidated).mem(W.i32Load, 0).if();
      depth++;
      c.i64Const(pc).localSet(L_ADDR).i32Const(len - nextIdx).localSet(L_NEXT).br(toInval());
      depth--;
      c.op(W.end);
      mayInvalidate = false;
    };
    /** Before a call that may trap or read the time: record where we are. */
    const beforeTrap = () => {
      storePc(insnPc);
      storeCtrl32(CTRL.refund, len - insnIdx);
      c.i32Const(env.ctrl + CTRL.remaining).localGet(L_REMAINING).mem(W.i32Store, 0);
    };
    const afterTrapCheck = () => {
      c.i32Const(env.ctrl + CTRL.fault).mem(W.i32Load, 0).brIf(toTrap());
    };
    // Jumps out of the region go through the jump cache as tail calls when the
    // TB cannot have changed the translation flags (no state-writing helper).
    // The jump cache is keyed by pc and TB flags (see jumpCacheKey). A TB whose
    // helper changes the flags (changesTbFlags) does not even jump inside the
    // region, whose TBs share its entry flags: its exits go to the run loop.
    const helperFlags = (o: IrOp) =>
      o.op === Op.CALL ? env.helpers[Number(o.imm)].flags : undefined;
    const ops = irs[k].ops;
    const changesFlags = ops.some((o) => helperFlags(o)?.changesTbFlags);
    const chainable = tb.flags <= MAX_CHAIN_FLAGS && !changesFlags &&
      !ops.some((o) => helperFlags(o)?.writesState);
    // Budget: exit before the TB when fewer than `len` instructions are left.
    c.i64Const(tb.pc).localSet(L_ADDR);
    c.localGet(L_REMAINING).i32Const(len).op(W.i32LtS).brIf(toExitPc());
    c.localGet(L_REMAINING).i32Const(len).op(W.i32Sub).localSet(L_REMAINING);

    // Labels: one block per label, outermost = defined last.
    const labelPos: number[] = [];
    ops.forEach((o, i) => {
      if (o.op === Op.LABEL) labelPos[o.label] = i;
    });
    const order = labelPos.map((pos, l) => ({ pos, l })).filter((x) => x.pos !== undefined)
      .sort((a, b) => b.pos - a.pos);
    const open: number[] = []; // labels, outermost first
    for (const { l } of order) {
      c.block();
      open.push(l);
      depth++;
    }
    const labelDepth = (l: number) => open.length - 1 - open.indexOf(l) + (depth - open.length);

    /** A slow-path access of `size` bytes at L_ADDR + `at` (a load's value left on the stack). */
    const slowAccess = (size: number, signed: boolean, at: number, value?: () => void) => {
      c.localGet(L_ADDR);
      if (at) c.i64Const(BigInt(at)).op(W.i64Add);
      value?.();
      c.i32Const(value ? size : size | (signed ? 16 : 0));
      c.i64Const(insnPc).i32Const(len - insnIdx).localGet(L_REMAINING);
      c.call(value ? FN_SLOW_STORE : FN_SLOW_LOAD).brIf(toTrap());
    };
    /** LOAD, STORE of a group: at a constant offset from the group's host address. */
    const groupAccess = (o: IrOp, g: AccessGroup) => {
      const store = g.store, hb = groupBase + g.index;
      if (o === g.head) {
        c.operand(src(o.a));
        if (g.minOff !== 0n) c.i64Const(g.minOff).op(W.i64Add);
        tlbHit(c.localTee(L_ADDR), L_ADDR, L_ENT, g.span, store, env.tlbTable);
        c.if(I32);
        hostAddress(c, L_ADDR, L_ENT, env.tlbTable);
        c.op(W.else).i32Const(0).op(W.end).localSet(hb);
      }
      const memOp = store ? STORE_OPS[o.size] : LOAD_OPS[`${o.size}${o.signed ? "s" : "u"}`];
      c.localGet(hb).if(store ? VOID : I64);
      depth++;
      c.localGet(hb);
      if (store) c.operand(src(o.b));
      c.mem(memOp, Number(o.imm - g.minOff));
      c.op(W.else);
      c.operand(src(o.a));
      if (o.imm !== 0n) c.i64Const(o.imm).op(W.i64Add);
      if (missable[k].has(o)) { // the span is not in one page: this member probes alone
        tlbHit(c.localTee(L_ADDR), L_ADDR, L_ENT, o.size, store, env.tlbTable);
        hostAddress(c.if(store ? VOID : I64), L_ADDR, L_ENT, env.tlbTable);
        if (store) c.operand(src(o.b));
        c.mem(memOp, 0).op(W.else);
        missExit(1);
        c.op(W.end);
      } else {
        if (store) c.operand(src(o.b));
        c.i64Const(insnPc).i32Const(len - insnIdx).localGet(L_REMAINING);
        c.call(access.fn(o)).brIf(toTrap());
      }
      depth--;
      c.op(W.end);
      if (store) mayInvalidate = true;
      else c.localSet(loc(o.d));
    };
    /** LOAD, STORE, VLD, VST: the soft TLB inline, the slow path out of line. */
    const memAccess = (o: IrOp, store: boolean) => {
      const g = groupOf.get(o);
      if (g) return groupAccess(o, g);
      const vector = o.op === Op.VLD || o.op === Op.VST, size = vector ? 16 : o.size;
      c.operand(src(o.a));
      if (o.imm !== 0n) c.i64Const(o.imm).op(W.i64Add);
      tlbHit(c.localTee(L_ADDR), L_ADDR, L_ENT, size, store, env.tlbTable);
      c.if(store || vector ? VOID : I64);
      depth++;
      if (vector && !store) c.i32Const(0); // the slot's address, under the loaded value
      hostAddress(c, L_ADDR, L_ENT, env.tlbTable);
      if (vector && store) simdMem(simdMem(c.i32Const(0), V.load, o.b), V.store, 0);
      else if (vector) simdMem(simdMem(c, V.load, 0), V.store, o.d);
      else if (store) c.operand(src(o.b)).mem(STORE_OPS[size], 0);
      else c.mem(LOAD_OPS[`${size}${o.signed ? "s" : "u"}`], 0);
      c.op(W.else);
      // Slow path, out of line: TLB miss, MMIO, a fault, or a page holding code.
      const stored = store ? () => c.operand(src(o.b)) : undefined, miss = missable[k].has(o);
      if (miss) missExit();
      else if (!vector) slowAccess(size, o.signed, 0, stored);
      for (let at = 0; vector && !miss && at < 16; at += 8) {
        if (store) slowAccess(8, false, at, () => c.i32Const(0).mem(W.i64Load, o.b + at));
        else {
          c.i32Const(0); // the slot's address, under the loaded value
          slowAccess(8, false, at);
          c.mem(W.i64Store, o.d + at);
        }
      }
      depth--;
      c.op(W.end);
      if (!store && !vector) c.localSet(loc(o.d));
      if (store) mayInvalidate = true;
    };

    for (const o of ops) {
      switch (o.op) {
        case Op.MOV:
          c.operand(src(o.a)).localSet(loc(o.d));
          break;
        case Op.MOVI:
          if (!constOf.has(o.d)) c.i64Const(o.imm).localSet(loc(o.d));
          break;
        case Op.SHL32:
          c.operand(src(o.a)).operand(src(o.b)).i64Const(31n).op(W.i64And).op(W.i64Shl)
            .op(W.i64Extend32S).localSet(loc(o.d));
          break;
        case Op.SHR32:
          c.operand(src(o.a)).i64Const(0xffffffffn).op(W.i64And).operand(src(o.b)).i64Const(31n)
            .op(W.i64And).op(W.i64ShrU).op(W.i64Extend32S).localSet(loc(o.d));
          break;
        case Op.SAR32:
          c.operand(src(o.a)).op(W.i64Extend32S).operand(src(o.b)).i64Const(31n).op(W.i64And)
            .op(W.i64ShrS).localSet(loc(o.d));
          break;
        case Op.EXT8S:
        case Op.EXT16S:
        case Op.EXT32S:
          c.operand(src(o.a)).op(
            o.op === Op.EXT8S
              ? W.i64Extend8S
              : o.op === Op.EXT16S
              ? W.i64Extend16S
              : W.i64Extend32S,
          ).localSet(loc(o.d));
          break;
        case Op.EXT8U:
        case Op.EXT16U:
        case Op.EXT32U:
          c.operand(src(o.a)).i64Const(
            o.op === Op.EXT8U ? 0xffn : o.op === Op.EXT16U ? 0xffffn : 0xffffffffn,
          ).op(W.i64And).localSet(loc(o.d));
          break;
        case Op.SETCOND:
          c.operand(src(o.a)).operand(src(o.b)).op(CMP[o.cond as Cond]).op(W.i64ExtendI32U)
            .localSet(loc(o.d));
          break;
        case Op.MOVCOND:
          c.operand(src(o.c)).operand(src(o.e)).operand(src(o.a)).operand(src(o.b))
            .op(CMP[o.cond]).op(W.select).localSet(loc(o.d));
          break;
        case Op.BRCOND:
          c.operand(src(o.a)).operand(src(o.b)).op(CMP[o.cond]).brIf(labelDepth(o.label));
          break;
        case Op.BR:
          c.br(labelDepth(o.label));
          break;
        case Op.LABEL:
          c.op(W.end);
          open.pop();
          depth--;
          break;
        case Op.LOAD:
          memAccess(o, false);
          break;
        case Op.STORE:
        case Op.VST:
          memAccess(o, true);
          break;
        case Op.VLD:
          memAccess(o, false);
          break;
        case Op.LOAD_HOST: {
          const l = counterLocal.get(Number(o.imm));
          if (l !== undefined) c.localGet(l).localSet(loc(o.d));
          else c.i32Const(Number(o.imm)).mem(W.i64Load, 0).localSet(loc(o.d));
          break;
        }
        case Op.STORE_HOST: {
          const l = counterLocal.get(Number(o.imm));
          if (l !== undefined) c.operand(src(o.a)).localSet(l);
          else c.i32Const(Number(o.imm)).operand(src(o.a)).mem(W.i64Store, 0);
          break;
        }
        case Op.COUNTER_ADD: {
          const l = counterLocal.get(Number(o.imm))!;
          c.localGet(l).i64Const(o.pc).op(W.i64Add).localSet(l);
          break;
        }
        case Op.COUNTER_INC8:
          // v = u8[imm + a] + 1; u8[imm + a] = v + (v >> 8): 255 wraps to 1, not 0
          c.operand(src(o.a)).op(W.i32WrapI64).localTee(L_ENT).localGet(L_ENT)
            .mem(W.i64Load8U, Number(o.imm)).i64Const(1n).op(W.i64Add).localTee(L_ADDR)
            .localGet(L_ADDR).i64Const(8n).op(W.i64ShrU).op(W.i64Add).mem(
              W.i64Store8,
              Number(o.imm),
            );
          break;
        case Op.TRACE: {
          // *ptr = id; ptr += 4; a full buffer is drained through JS (callbacks may stop the run)
          const ptr = env.ctrl + CTRL.tracePtr;
          c.i32Const(ptr).mem(W.i32Load, 0).localTee(L_ENT).i32Const(Number(o.imm)).mem(
            W.i32Store,
            0,
          );
          c.i32Const(ptr).localGet(L_ENT).i32Const(4).op(W.i32Add).localTee(L_ENT).mem(
            W.i32Store,
            0,
          );
          c.localGet(L_ENT).i32Const(env.traceEnd).op(W.i32Eq).if();
          flushCounters();
          c.call(IMP_DRAIN);
          reloadCounters();
          c.op(W.end);
          mayInvalidate = true;
          break;
        }
        case Op.CALL: {
          const h = env.helpers[Number(o.imm)];
          const f = h.flags ?? {};
          const flagged = f.mayTrap || f.readsState || f.writesState;
          if (f.readsState || f.writesState) writeBack();
          else flushCounters();
          if (flagged) beforeTrap();
          const { fn, bound } = helperImports.of(o, constOf);
          for (let i = 0; !bound && i < o.args.length; i++) {
            c.operand(src(o.args[i]));
            if (h.smallArgs) c.op(W.i32WrapI64);
          }
          c.call(fn);
          if (f.writesState) reload(); // the result stays on the stack meanwhile
          else reloadCounters();
          if (h.hasResult) {
            if (o.d >= 0) c.localSet(loc(o.d));
            else c.op(W.drop);
          }
          if (f.mayTrap || f.writesState) afterTrapCheck();
          if (flagged || f.mayExit) mayInvalidate = true;
          break;
        }
        case Op.INSN_START:
          checkInvalidated(o.pc, o.size);
          insnIdx = o.size;
          insnPc = o.pc;
          break;
        case Op.GOTO_TB: {
          checkInvalidated(o.pc, len);
          const j = changesFlags ? undefined : entryOf.get(o.pc);
          if (j !== undefined && j > k) c.br(toLaterTb(j));
          else if (j !== undefined) c.i32Const(j).localSet(L_NEXT).br(toDispatch());
          else {
            c.i64Const(o.pc).localSet(L_ADDR);
            if (chainable) c.i32Const(jumpCacheSlot(o.pc)).localSet(L_ENT).br(toTry());
            else c.br(toExitPc());
          }
          break;
        }
        case Op.GOTO_PTR:
          c.operand(src(o.a)).localSet(L_ADDR).br(chainable ? toHash() : toExitPc());
          break;
        case Op.RAISE:
          storePc(insnPc);
          storeCtrl32(CTRL.refund, len - insnIdx);
          storeCtrl32(CTRL.trapKind, Number(o.imm));
          storeCtrl32(CTRL.trapCause, o.c);
          c.i32Const(env.ctrl + CTRL.trapData);
          if (o.a >= 0) c.operand(src(o.a));
          else c.i64Const(0n);
          c.mem(W.i64Store, 0);
          exitWith(Status.RAISE);
          break;
        case Op.FADD64:
        case Op.FSUB64:
        case Op.FMUL64:
        case Op.FDIV64:
          c.operand(src(o.a)).op(W.f64ReinterpretI64).operand(src(o.b)).op(W.f64ReinterpretI64)
            .op(FLOAT[o.op]!).op(W.i64ReinterpretF64).localSet(loc(o.d));
          break;
        case Op.I64_TO_F64:
          c.operand(src(o.a)).op(W.f64ConvertI64S).op(W.i64ReinterpretF64).localSet(loc(o.d));
          break;
        default: {
          if (isVectorOp(o.op)) {
            emitVectorAlu(c, o, src);
            break;
          }
          const simple = SIMPLE[o.op];
          c.operand(src(o.a)).operand(src(o.b));
          if (simple) simple.forEach((x) => c.op(x));
          else c.call(firstAluHelper + HELPER_OPS.indexOf(o.op));
          c.localSet(loc(o.d));
        }
      }
    }
    // Every path ended with an exit or a branch; close the TB for validation.
    c.op(W.unreachable);
  });
  closeExits(c, { ...env, flags: tbs[0]?.flags ?? 0 }, writeBack);

  const imports: WasmFunctionSpec[] = [
    ...fixedImports(),
    ...helperImports.specs(),
  ];
  const run: WasmFunctionSpec = {
    name: "run",
    params: [I32, I32],
    result: I32,
    locals: localTypes,
    body: c,
    exported: true,
  };
  const bytes = assembleModule(env.memoryPages, imports, [
    ...access.specs(),
    ...(usesInternal ? internalFunctions(firstAluHelper) : []),
    run,
  ]);
  return {
    bytes,
    helperImports: helperImports.list,
    missSites,
  };
}

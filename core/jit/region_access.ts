/**
 * Emits a region's guest loads and stores (LOAD, STORE, VLD, VST): the soft
 * TLB probed inline (region_memory.ts), the slow path called out of line,
 * or a miss exit (region_miss.ts). Accesses of a TB that share a base
 * register share one probe (`accessGroups`) when they call the slow path, or
 * take miss exits inside a loop of the region.
 *
 * Only a slow-path call can invalidate translated code: the soft TLB never
 * maps a page holding code for writes (soft_tlb.ts), and a store whose slow
 * path is a miss exit leaves the region instead. So only a store with a
 * slow-path call makes the next instruction check for invalidation.
 *
 * @module
 */

import { type IrOp, Op } from "../ir.ts";
import { I32, I64, VOID, W } from "./wasm_code.ts";
import { LOAD_OPS, STORE_OPS } from "./region_opcodes.ts";
import { type AccessGroup, hostAddress, tlbHit } from "./region_memory.ts";
import { simdMem, V } from "./region_vector.ts";
import { IMP_SLOW_LOAD, IMP_SLOW_STORE } from "./region_imports.ts";
import { LOCALS } from "./region_exits.ts";
import type { TbEmitter } from "./region_tb.ts";

const { remaining: L_REMAINING, addr: L_ADDR, ent: L_ENT } = LOCALS;

/**
 * Emits guest access `o` (a store when `store`) of the TB `t` emits.
 *
 * @example
 * ```ts ignore
 * memAccess(tbEmitter, loadOp, false);
 * ```
 */
export function memAccess(t: TbEmitter, o: IrOp, store: boolean): void {
  const g = t.groupOf.get(o);
  if (g) return groupAccess(t, o, g);
  const { c, src, loc } = t, table = t.r.env.tlbTable;
  const vector = o.op === Op.VLD || o.op === Op.VST, size = vector ? 16 : o.size;
  c.operand(src(o.a));
  if (o.imm !== 0n) c.i64Const(o.imm).op(W.i64Add);
  tlbHit(c.localTee(L_ADDR), L_ADDR, L_ENT, size, store, table);
  c.if(store || vector ? VOID : I64);
  t.depth++;
  if (vector && !store) c.i32Const(0); // the slot's address, under the loaded value
  hostAddress(c, L_ADDR, L_ENT, table);
  if (vector && store) simdMem(simdMem(c.i32Const(0), V.load, o.b), V.store, 0);
  else if (vector) simdMem(simdMem(c, V.load, 0), V.store, o.d);
  else if (store) c.operand(src(o.b)).mem(STORE_OPS[size], 0);
  else c.mem(LOAD_OPS[`${size}${o.signed ? "s" : "u"}`], 0);
  c.op(W.else);
  // Slow path, out of line: TLB miss, MMIO, a fault, or a page holding code.
  const stored = store ? () => c.operand(src(o.b)) : undefined, miss = t.r.missable[t.k].has(o);
  if (miss) t.missExit();
  else if (!vector) slowAccess(t, size, o.signed, 0, stored);
  for (let at = 0; vector && !miss && at < 16; at += 8) {
    if (store) slowAccess(t, 8, false, at, () => c.i32Const(0).mem(W.i64Load, o.b + at));
    else {
      c.i32Const(0); // the slot's address, under the loaded value
      slowAccess(t, 8, false, at);
      c.mem(W.i64Store, o.d + at);
    }
  }
  t.depth--;
  c.op(W.end);
  if (!store && !vector) c.localSet(loc(o.d));
  if (store && !miss) t.mayInvalidate = true;
}

/** A slow-path access of `size` bytes at L_ADDR + `at` (a load's value left on the stack). */
function slowAccess(
  t: TbEmitter,
  size: number,
  signed: boolean,
  at: number,
  value?: () => void,
): void {
  const c = t.c;
  c.localGet(L_ADDR);
  if (at) c.i64Const(BigInt(at)).op(W.i64Add);
  value?.();
  c.i32Const(value ? size : size | (signed ? 16 : 0));
  c.i64Const(t.insnPc).i32Const(t.len - t.insnIdx).localGet(L_REMAINING);
  c.call(value ? IMP_SLOW_STORE : IMP_SLOW_LOAD).brIf(t.to("toTrap"));
}

/** LOAD, STORE of a group: at a constant offset from the group's host address. */
function groupAccess(t: TbEmitter, o: IrOp, g: AccessGroup): void {
  const { c, src } = t, table = t.r.env.tlbTable;
  const store = g.store, hb = t.r.groupBase + g.index;
  if (o === g.head) {
    c.operand(src(o.a));
    if (g.minOff !== 0n) c.i64Const(g.minOff).op(W.i64Add);
    tlbHit(c.localTee(L_ADDR), L_ADDR, L_ENT, g.span, store, table);
    c.if(I32);
    hostAddress(c, L_ADDR, L_ENT, table);
    c.op(W.else).i32Const(0).op(W.end).localSet(hb);
  }
  const memOp = store ? STORE_OPS[o.size] : LOAD_OPS[`${o.size}${o.signed ? "s" : "u"}`];
  c.localGet(hb).if(store ? VOID : I64);
  t.depth++;
  c.localGet(hb);
  if (store) c.operand(src(o.b));
  c.mem(memOp, Number(o.imm - g.minOff));
  c.op(W.else);
  c.operand(src(o.a));
  if (o.imm !== 0n) c.i64Const(o.imm).op(W.i64Add);
  const miss = t.r.missable[t.k].has(o);
  if (miss) { // the span is not in one page: this member probes alone
    tlbHit(c.localTee(L_ADDR), L_ADDR, L_ENT, o.size, store, table);
    hostAddress(c.if(store ? VOID : I64), L_ADDR, L_ENT, table);
    if (store) c.operand(src(o.b));
    c.mem(memOp, 0).op(W.else);
    t.missExit(1);
    c.op(W.end);
  } else {
    if (store) c.operand(src(o.b));
    c.i64Const(t.insnPc).i32Const(t.len - t.insnIdx).localGet(L_REMAINING);
    c.call(t.r.access.fn(o)).brIf(t.to("toTrap"));
  }
  t.depth--;
  c.op(W.end);
  if (!store) c.localSet(t.loc(o.d));
  else if (!miss) t.mayInvalidate = true;
}

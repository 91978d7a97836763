/**
 * The blocks around a region's TBs and the code after them that every exit
 * of the region shares (see the shape in `region_compiler.ts`). An exit is
 * then a few bytes in the TB: its target in a local and a branch. V8 compiles
 * every byte of a region with both of its tiers, so code repeated at each
 * exit (the pc store, the jump-cache probe, the refund) cost compile time on
 * every region.
 *
 * @module
 */

import { STATE_BASE } from "../host_memory.ts";
import { RUN_TYPE_INDEX, W, type WasmCode } from "./wasm_code.ts";
import type { BudgetCounter } from "./region_counter.ts";
import { CTRL, JUMP_CACHE_ENTRIES, JUMP_CACHE_FOLD, jumpCacheKey, Status } from "./region_abi.ts";

/**
 * The locals of a region's `run` function that the shared exits use: the
 * params `entry` and `remaining` (the budget), then `next` (i32: the TB to
 * dispatch to, or an invalidation's refund), `status` (i32), `addr` (i64: a
 * guest address, or the pc an exit goes on at), `ent` (i32: a TLB entry or a
 * jump-cache slot).
 */
export const LOCALS = { entry: 0, remaining: 1, next: 2, status: 3, addr: 4, ent: 5 } as const;

/** The status of an exit that tail-calls the next region (internal to the region's code). */
const CHAIN = -1;

/**
 * The depths of the shared exits from the top level of TB `k` of `n`
 * (inside its TB block and those of the TBs after it). `toHash`: the target
 * pc is in `addr`; `toTry`: its jump-cache slot is in `ent` too;
 * `toDispatch`: `next` holds a TB of the region; `toInval`: code was
 * invalidated, `addr` holds the pc to go on at and `next` the refund;
 * `toTrap`: a slow path or helper trapped; `toMiss`: a TLB miss
 * (region_miss.ts), with the address in `addr` and the site in `ent`; `toExitPc`: leave at the pc in
 * `addr` (status CONTINUE unless set); `toExit`: leave with `status`.
 *
 * @example
 * ```ts
 * import { exitDepths } from "./region_exits.ts";
 * console.log(exitDepths(0, 1).toExit); // 7
 * ```
 */
export function exitDepths(k: number, n: number) {
  const base = n - 1 - k;
  return {
    toHash: base,
    toTry: base + 1,
    toDispatch: base + 2,
    toInval: base + 3,
    toTrap: base + 4,
    toMiss: base + 5,
    toExitPc: base + 6,
    toExit: base + 7,
  };
}

/** Opens the blocks of the shared exits and the dispatch loop, outermost first. */
export function openExits(c: WasmCode): void {
  c.block(); // $exit
  c.block(); // $exitPc
  c.block(); // $miss
  c.block(); // $trap
  c.block(); // $inval
  c.loop(); // $dispatch
  c.block(); // $try
  c.block(); // $hash
}

/** What the shared exits need to know of the region. */
export interface ExitEnv {
  ctrl: number;
  pcOffset: number;
  jumpCache: number;
  selfSlot: number;
  /** the translation flags of the region's TBs (they share them, and so the jump-cache key's) */
  flags: number;
}

/**
 * Closes the blocks {@linkcode openExits} opened, with the code each exit
 * runs; `flushCounters` stores the inline counters (guest registers are
 * stored as they are written: see `region_tb.ts`); `budget`, a counter kept by
 * the budget, leaves out the refunded instructions that did not start.
 *
 * @example
 * ```ts
 * import { closeExits, openExits } from "./region_exits.ts";
 * import { WasmCode } from "./wasm_code.ts";
 * const c = new WasmCode();
 * openExits(c);
 * closeExits(c, { ctrl: 0, pcOffset: 0, jumpCache: 0, selfSlot: 0, flags: 0 }, () => {});
 * ```
 */
export function closeExits(
  c: WasmCode,
  env: ExitEnv,
  flushCounters: () => void,
  budget?: BudgetCounter,
): void {
  const { remaining, next, status, addr, ent } = LOCALS;
  c.op(W.end); // $hash: the jump-cache slot of the pc in `addr`
  c.localGet(addr).i64Const(1n).op(W.i64ShrU).localGet(addr)
    .i64Const(BigInt(JUMP_CACHE_FOLD)).op(W.i64ShrU).op(W.i64Xor).op(W.i32WrapI64)
    .i32Const(JUMP_CACHE_ENTRIES - 1).op(W.i32And).i32Const(4).op(W.i32Shl).localSet(ent);
  c.op(W.end); // $try: if the jump cache knows the pc in `addr`, go there
  c.localGet(ent).mem(W.i64Load, env.jumpCache).i64Const(jumpCacheKey(0n, env.flags))
    .op(W.i64Xor).localGet(addr).op(W.i64Eq).if();
  // a TB of this very region (a return to a caller in it): no tail call needed
  c.localGet(ent).mem(W.i32Load, env.jumpCache + 8).i32Const(env.selfSlot).op(W.i32Eq).if();
  c.localGet(ent).mem(W.i32Load, env.jumpCache + 12).localSet(next).br(2); // $dispatch
  c.op(W.end);
  c.i32Const(CHAIN).localSet(status).br(6); // $exit
  c.op(W.end);
  c.br(4); // $exitPc
  c.op(W.end); // $dispatch
  c.op(W.end); // $inval
  c.i32Const(env.ctrl + CTRL.refund).localGet(next).mem(W.i32Store, 0);
  budget?.skipRefund();
  c.i32Const(Status.INVALIDATED).localSet(status).br(2); // $exitPc
  c.op(W.end); // $trap
  budget?.skipTrapped(env.ctrl);
  c.i32Const(Status.TRAP).localSet(status).br(2); // $exit
  c.op(W.end); // $miss: the JIT finds the pc and the refund from the site
  c.i32Const(env.ctrl + CTRL.missAddr).localGet(addr).mem(W.i64Store, 0);
  c.i32Const(env.ctrl + CTRL.missSite).localGet(ent).mem(W.i32Store, 0);
  c.i32Const(env.ctrl + CTRL.missSlot).i32Const(env.selfSlot).mem(W.i32Store, 0);
  c.i32Const(Status.MISS).localSet(status).br(1); // $exit
  c.op(W.end); // $exitPc
  c.i32Const(STATE_BASE + env.pcOffset).localGet(addr).mem(W.i64Store, 0);
  c.op(W.end); // $exit
  flushCounters();
  c.localGet(status).i32Const(CHAIN).op(W.i32Eq).if();
  c.localGet(ent).mem(W.i32Load, env.jumpCache + 12).localGet(remaining);
  c.localGet(ent).mem(W.i32Load, env.jumpCache + 8).returnCallIndirect(RUN_TYPE_INDEX);
  c.op(W.end);
  c.i32Const(env.ctrl + CTRL.remaining).localGet(remaining).mem(W.i32Store, 0);
  c.localGet(status);
}

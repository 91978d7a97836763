/**
 * The soft-TLB probe of a guest load or store in region code, as small as
 * it can be: an access is about half of a region's bytes, and V8 compiles
 * every byte twice (Liftoff, then TurboFan for hot functions). The probe
 * stays inline (V8 inlines only about one call in ten into a large function,
 * so a probe function would be a real call on most accesses), and the slow
 * path is a call that returns the fault flag.
 *
 * @module
 */

import { PAGE_SIZE, TLB_BASE, TLB_ENTRIES, TLB_ENTRY_SIZE } from "../host_memory.ts";
import { TLB_ADDEND, TLB_READ, TLB_WRITE } from "../soft_tlb.ts";
import { W, type WasmCode } from "./wasm_code.ts";

/**
 * The entry of a page is `TLB_BASE + ((addr >> PAGE_SHIFT) & (TLB_ENTRIES - 1)) *
 * TLB_ENTRY_SIZE`; taking the page bits straight to the entry's byte offset is one shift and
 * one mask on the low 32 bits of the address.
 */
const ENTRY_SHIFT = Math.log2(PAGE_SIZE) - Math.log2(TLB_ENTRY_SIZE);
const ENTRY_MASK = (TLB_ENTRIES - 1) * TLB_ENTRY_SIZE;

/**
 * Takes the guest address on the stack, which is also in local `addr`, and
 * leaves on the stack whether the soft TLB maps its `size` bytes for reading (or writing when `store`), and
 * the entry's byte offset in local `ent` (an i32), for {@linkcode hostAddress}.
 * An access that crosses a page never hits: its last byte's page differs.
 *
 * @example
 * ```ts
 * import { tlbHit } from "./region_memory.ts";
 * import { WasmCode } from "./wasm_code.ts";
 * tlbHit(new WasmCode().localGet(0), 0, 1, 8, false);
 * ```
 */
export function tlbHit(c: WasmCode, addr: number, ent: number, size: number, store: boolean) {
  c.op(W.i32WrapI64).i32Const(ENTRY_SHIFT).op(W.i32ShrU).i32Const(ENTRY_MASK)
    .op(W.i32And).localTee(ent);
  c.mem(W.i64Load, TLB_BASE + (store ? TLB_WRITE : TLB_READ));
  c.localGet(addr);
  if (size > 1) c.i64Const(BigInt(size - 1)).op(W.i64Add);
  c.i64Const(BigInt(-PAGE_SIZE)).op(W.i64And).op(W.i64Eq);
}

/**
 * Leaves the host address (i32) of the guest address in local `addr`, whose
 * TLB entry {@linkcode tlbHit} found at local `ent`.
 *
 * @example
 * ```ts
 * import { hostAddress } from "./region_memory.ts";
 * import { WasmCode } from "./wasm_code.ts";
 * hostAddress(new WasmCode(), 0, 1);
 * ```
 */
export function hostAddress(c: WasmCode, addr: number, ent: number) {
  c.localGet(addr).localGet(ent).mem(W.i64Load, TLB_BASE + TLB_ADDEND).op(W.i64Add)
    .op(W.i32WrapI64);
}

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

import { PAGE_SIZE, TLB_ENTRIES, TLB_ENTRY_SIZE } from "../host_memory.ts";
import { TLB_ADDEND, TLB_READ, TLB_WRITE } from "../soft_tlb.ts";
import { type IrOp, Op } from "../ir.ts";
import { isPure } from "../ir_fold.ts";
import { I32, I64, W, WasmCode, type WasmFunctionSpec } from "./wasm_code.ts";
import { LOAD_OPS, STORE_OPS } from "./region_opcodes.ts";

/**
 * The entry of a page is `table + ((addr >> PAGE_SHIFT) & (TLB_ENTRIES - 1)) *
 * TLB_ENTRY_SIZE`, where `table` is the host offset of the region's MMU mode's table
 * (`tlbTable`), a constant offset of each load; taking the page bits straight to the entry's byte offset is one shift and
 * one mask on the low 32 bits of the address.
 */
const ENTRY_SHIFT = Math.log2(PAGE_SIZE) - Math.log2(TLB_ENTRY_SIZE);
const ENTRY_MASK = (TLB_ENTRIES - 1) * TLB_ENTRY_SIZE;

/**
 * Takes the guest address on the stack, which is also in local `addr`, and
 * leaves on the stack whether the soft TLB's `table` maps its `size` bytes for reading (or writing when `store`), and
 * the entry's byte offset in local `ent` (an i32), for {@linkcode hostAddress}.
 * An access that crosses a page never hits: its last byte's page differs.
 *
 * @example
 * ```ts
 * import { tlbHit } from "./region_memory.ts";
 * import { WasmCode } from "./wasm_code.ts";
 * import { tlbTable } from "../soft_tlb.ts";
 * tlbHit(new WasmCode().localGet(0), 0, 1, 8, false, tlbTable(0));
 * ```
 */
export function tlbHit(
  c: WasmCode,
  addr: number,
  ent: number,
  size: number,
  store: boolean,
  table: number,
) {
  c.op(W.i32WrapI64).i32Const(ENTRY_SHIFT).op(W.i32ShrU).i32Const(ENTRY_MASK)
    .op(W.i32And).localTee(ent);
  c.mem(W.i64Load, table + (store ? TLB_WRITE : TLB_READ));
  c.localGet(addr);
  if (size > 1) c.i64Const(BigInt(size - 1)).op(W.i64Add);
  c.i64Const(BigInt(-PAGE_SIZE)).op(W.i64And).op(W.i64Eq);
}

/**
 * Leaves the host address (i32) of the guest address in local `addr`, whose
 * TLB entry {@linkcode tlbHit} found at local `ent` of `table`.
 *
 * @example
 * ```ts
 * import { hostAddress } from "./region_memory.ts";
 * import { WasmCode } from "./wasm_code.ts";
 * import { tlbTable } from "../soft_tlb.ts";
 * hostAddress(new WasmCode(), 0, 1, tlbTable(0));
 * ```
 */
export function hostAddress(c: WasmCode, addr: number, ent: number, table: number) {
  c.localGet(addr).localGet(ent).mem(W.i64Load, table + TLB_ADDEND).op(W.i64Add)
    .op(W.i32WrapI64);
}

/**
 * Accesses of a TB through one base register that share one TLB probe: at
 * the first one, a probe of the whole span of their offsets puts the host
 * address of `base + minOff` in an i32 local (0 when the span is not mapped
 * in one page, or not for this kind of access); each member then loads or
 * stores at a constant offset from it, and only when it is 0 calls the
 * module's access function of its kind, which probes alone and takes the
 * slow path on a miss. A frame's saves and restores, or a structure's
 * fields, pay one probe.
 */
export interface AccessGroup {
  /** the access that probes */
  head: IrOp;
  /** the group's number in its TB (its host-address local is the pool's local of that number) */
  index: number;
  store: boolean;
  minOff: bigint;
  /** bytes from `base + minOff` to the end of the furthest access */
  span: number;
}

/** The widest span grouped: a wider one straddles a page, and falls back, more often. */
const MAX_SPAN = 256;

/**
 * The groups of `ops` (one TB), by member. A group ends where the base may
 * change, at a label (its probe would not dominate what follows), and at any
 * op other than a pure ALU op, a branch or a scalar access (a helper may
 * remap memory or flush the TLB). Loads and stores form separate groups (they
 * probe different TLB words). Single accesses are left out, and so are those
 * in `alone`: the region passes the accesses that take miss exits
 * (region_miss.ts) outside its loops. Such a member falls back to a probe of
 * its own, inline, so a group is more code for V8 to compile than its members
 * probing alone; only in a loop does the probe it saves pay for that
 * (docs/perf.md, sixteenth session).
 *
 * @example
 * ```ts
 * import { accessGroups } from "./region_memory.ts";
 * console.log(accessGroups([]).size); // 0
 * ```
 */
export function accessGroups(
  ops: readonly IrOp[],
  alone?: ReadonlySet<IrOp>,
): Map<IrOp, AccessGroup> {
  const members = new Map<IrOp, AccessGroup>();
  const sizes = new Map<AccessGroup, number>();
  /** the open group of each base and kind, by `base * 2 + store` */
  let open = new Map<number, AccessGroup>();
  for (const o of ops) {
    if ((o.op === Op.LOAD || o.op === Op.STORE) && !alone?.has(o)) {
      const store = o.op === Op.STORE, key = o.a * 2 + (store ? 1 : 0);
      let g = open.get(key);
      const lo = g && o.imm > g.minOff ? g.minOff : o.imm;
      const end = g && g.minOff + BigInt(g.span) > o.imm + BigInt(o.size)
        ? g.minOff + BigInt(g.span)
        : o.imm + BigInt(o.size);
      if (g && end - lo <= MAX_SPAN) {
        g.minOff = lo;
        g.span = Number(end - lo);
      } else {
        g = { head: o, index: 0, store, minOff: o.imm, span: o.size };
        open.set(key, g);
      }
      members.set(o, g);
      sizes.set(g, (sizes.get(g) ?? 0) + 1);
    } else if (!isPure(o.op) && !WRITE_NOTHING.includes(o.op)) open = new Map();
    if (o.op !== Op.STORE && !WRITE_NOTHING.includes(o.op)) {
      open.delete(o.d * 2);
      open.delete(o.d * 2 + 1);
    }
  }
  let count = 0;
  for (const [g, n] of sizes) if (n >= 2) g.index = count++;
  for (const [o, g] of members) if (sizes.get(g)! < 2) members.delete(o);
  return members;
}

/**
 * Ops that neither write a temp nor end a group. An inline counter's add is
 * one on a wasm local: it neither touches guest memory nor the TLB.
 */
const WRITE_NOTHING: readonly number[] = [Op.INSN_START, Op.BRCOND, Op.BR, Op.COUNTER_ADD];

/**
 * The functions a group member calls when its group's probe missed: one per
 * access kind the region's groups use, each a probe of its own access and the
 * slow path on a miss. They run rarely (a span straddling a page, a page not
 * yet in the TLB), so they stay calls.
 */
export class AccessFunctions {
  readonly #index = new Map<string, number>();
  readonly #kinds: string[] = [];

  /**
   * `first`: the function index of the first access function;
   * `slowLoad`, `slowStore`: those of the slow paths; `table`: the soft-TLB table probed.
   */
  constructor(
    readonly first: number,
    readonly slowLoad: number,
    readonly slowStore: number,
    readonly table: number,
  ) {}

  /** The key of a scalar load ("4s") or store ("st4"). */
  static kind(o: IrOp): string {
    return o.op === Op.STORE ? `st${o.size}` : `${o.size}${o.signed ? "s" : "u"}`;
  }

  /** Records that the region calls the function of `o`'s kind. */
  use(o: IrOp): void {
    const kind = AccessFunctions.kind(o);
    if (this.#index.has(kind)) return;
    this.#index.set(kind, this.first + this.#kinds.length);
    this.#kinds.push(kind);
  }

  /** The function index of `o`'s kind. */
  fn(o: IrOp): number {
    return this.#index.get(AccessFunctions.kind(o))!;
  }

  /** How many functions {@linkcode specs} makes. */
  get count(): number {
    return this.#kinds.length;
  }

  /**
   * The functions, in index order. A load is `(addr, pc, refund, remaining) -> (value, fault)`,
   * a store `(addr, value, pc, refund, remaining) -> fault`; `pc`, `refund` and `remaining` are
   * what the slow path records for a precise fault.
   */
  specs(): WasmFunctionSpec[] {
    return this.#kinds.map((kind) => {
      const store = kind.startsWith("st");
      const size = Number(store ? kind.slice(2) : kind.slice(0, -1));
      const c = new WasmCode();
      const ent = store ? 5 : 4;
      tlbHit(c.localGet(0), 0, ent, size, store, this.table);
      c.if();
      hostAddress(c, 0, ent, this.table);
      if (store) c.localGet(1).mem(STORE_OPS[size], 0);
      else c.mem(LOAD_OPS[kind], 0);
      c.i32Const(0).op(W.return).op(W.end);
      if (store) {
        c.localGet(0).localGet(1).i32Const(size).localGet(2).localGet(3).localGet(4)
          .call(this.slowStore);
      } else {
        c.localGet(0).i32Const(size | (kind.endsWith("s") ? 16 : 0)).localGet(1).localGet(2)
          .localGet(3).call(this.slowLoad);
      }
      return {
        name: store ? kind : `ld${kind}`,
        params: store ? [I64, I64, I64, I32, I32] : [I64, I64, I32, I32],
        result: store ? I32 : [I64, I32],
        locals: [I32],
        body: c,
      };
    });
  }
}

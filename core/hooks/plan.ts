/**
 * The instrumentation plan of one block, as translate callbacks make it
 * through the handles they get. The handles are objects of classes (methods
 * on their prototypes, no closures per instruction), and the instructions are
 * made into objects only when a callback reads `tb.insns` or `tb.size`: a
 * block's plan is made for every TB translated, and most callbacks (inline
 * counters per block, block hooks) never look at the instructions.
 *
 * @module
 */

import { BEFORE_ACCESS } from "../cpu_core.ts";
import type { Cond } from "../ir.ts";
import type { HostMemory } from "../host_memory.ts";
import type { InsnInfo, TargetArch } from "../target.ts";
import type { BlockCode } from "../tb.ts";
import type { ExecCall, ExecCb } from "./exec_call.ts";
import type {
  CallbackOptions,
  InsnHandle,
  MemAccess,
  MemCallbackOptions,
  TbHandle,
} from "./hooks.ts";
import { emptyPoint, type InjectionPlan, type InjectionPoint } from "./instrument.ts";
import type { Scoreboard } from "./scoreboard.ts";
import { EmuError } from "../errors.ts";
import type { Vcpu } from "./vcpu.ts";

/** A memory callback as the hooks' table keeps it: address, value and packed access info. */
export type MemCallback = (address: bigint, value: bigint, info: number) => void;

/** What a block's plan registers callbacks in, and what handles tell about instructions. */
export interface PlanContext {
  /** exec callbacks, indexed by the ids baked into generated code */
  callbacks: ExecCall[];
  /** memory callbacks, likewise */
  memCallbacks: MemCallback[];
  vcpu: Vcpu;
  target: TargetArch;
  host: HostMemory;
  symbolizer: (pc: bigint) => string | undefined;
}

/** An exec callback's injection entry; deferred callbacks must not need registers. */
function callEntry(id: number, opts?: CallbackOptions) {
  const regs = opts?.regs ?? "write";
  if (opts?.deferred && regs !== "none") {
    throw new EmuError('a deferred callback cannot access registers: use regs: "none"');
  }
  return { id, regs, deferred: opts?.deferred };
}

/**
 * Makes the plan of one block: the {@linkcode TbHandle} translate callbacks
 * get, and `execAt` for the hooks' own block and instruction hooks.
 *
 * @example
 * ```ts ignore
 * const tb = new PlanBuilder(context, code);
 * for (const cb of translateCallbacks) cb(tb);
 * const plan = tb.result();
 * ```
 */
export class PlanBuilder implements TbHandle {
  readonly pc: bigint;
  readonly #plan: InjectionPlan = { before: new Map(), mem: new Map() };
  readonly #code: BlockCode;
  #infos: InsnInfo[] | undefined;
  #handles: InsnHandle[] | undefined;
  #size = -1;

  constructor(readonly context: PlanContext, code: BlockCode) {
    this.#code = code;
    this.pc = code.pc;
  }

  /** The block's instructions (made at the first read). */
  get infos(): InsnInfo[] {
    return this.#infos ??= this.#code.insns;
  }

  get insns(): InsnHandle[] {
    return this.#handles ??= this.infos.map((info, index) => new InsnAt(this, index, info));
  }

  get size(): number {
    if (this.#size < 0) this.#size = this.infos.reduce((n, i) => n + i.size, 0);
    return this.#size;
  }

  /** The injection point of instruction `index` (-1: the block's entry). */
  point(index: number): InjectionPoint {
    const before = this.#plan.before;
    let p = before.get(index);
    if (!p) before.set(index, p = emptyPoint());
    return p;
  }

  /** Registers `cb` with the pc and size of the block (`at` < 0) or of instruction `at`. */
  addCall(cb: ExecCb, at = -1): number {
    const call = at < 0
      ? { cb, pc: this.pc, size: this.size }
      : { cb, pc: this.infos[at].pc, size: this.infos[at].size };
    return this.context.callbacks.push(call) - 1;
  }

  /** Calls `cb` at injection point `index` (-1: the block's entry) with its pc and size. */
  execAt(index: number, cb: ExecCb, opts?: CallbackOptions): void {
    this.point(index).calls.push(callEntry(this.addCall(cb, index), opts));
  }

  onExec(cb: (vcpu: Vcpu) => void, opts?: CallbackOptions): void {
    this.execAt(-1, (v) => cb(v), opts);
  }

  inlineAdd(sb: Scoreboard, delta: bigint, entry = 0): void {
    this.point(-1).adds.push({ host: sb.addressIn(this.context.host, entry), delta });
  }

  /** Adds memory callback `cb` of instruction `index`. */
  onMemAt(index: number, cb: (vcpu: Vcpu, access: MemAccess) => void, opts?: MemCallbackOptions) {
    const access = opts?.access ?? "rw", vcpu = this.context.vcpu, pc = this.infos[index].pc;
    const id = this.context.memCallbacks.push((address, value, info) =>
      cb(vcpu, {
        pc,
        address: BigInt.asUintN(64, address),
        size: info & 0xff,
        value: BigInt.asUintN((info & 0xff) * 8, value),
        write: (info & 0x100) !== 0,
        signed: (info & 0x200) !== 0,
        before: (info & BEFORE_ACCESS) !== 0,
      })
    ) - 1;
    const mem = this.#plan.mem;
    let list = mem.get(index);
    if (!list) mem.set(index, list = []);
    list.push({
      id,
      regs: opts?.regs ?? "write",
      loads: access !== "write",
      stores: access !== "read",
      before: opts?.before ?? false,
    });
  }

  /** The plan, or null when the callbacks planned nothing. */
  result(): InjectionPlan | null {
    const plan = this.#plan;
    return plan.before.size || plan.mem.size ? plan : null;
  }
}

/** The handle of instruction `index` of the block a {@linkcode PlanBuilder} plans. */
class InsnAt implements InsnHandle {
  readonly pc: bigint;
  readonly size: number;
  readonly bits: number;
  readonly #tb: PlanBuilder;
  readonly #index: number;

  constructor(tb: PlanBuilder, index: number, info: InsnInfo) {
    this.#tb = tb;
    this.#index = index;
    this.pc = info.pc;
    this.size = info.size;
    this.bits = info.bits;
  }

  get disassembly(): string {
    return this.#tb.context.target.disassemble(this.bits, this.size, this.pc);
  }

  get bytes(): Uint8Array {
    return Uint8Array.from({ length: this.size }, (_, k) => (this.bits >>> (8 * k)) & 0xff);
  }

  get symbol(): string | undefined {
    return this.#tb.context.symbolizer(this.pc);
  }

  onExec(cb: (vcpu: Vcpu) => void, opts?: CallbackOptions): void {
    this.#tb.execAt(this.#index, (v) => cb(v), opts);
  }

  onMem(cb: (vcpu: Vcpu, access: MemAccess) => void, opts?: MemCallbackOptions): void {
    this.#tb.onMemAt(this.#index, cb, opts);
  }

  inlineAdd(sb: Scoreboard, delta: bigint, entry = 0): void {
    const host = sb.addressIn(this.#tb.context.host, entry);
    this.#tb.point(this.#index).adds.push({ host, delta });
  }

  onExecIf(
    sb: Scoreboard,
    cond: Cond,
    value: bigint,
    cb: (vcpu: Vcpu) => void,
    opts?: CallbackOptions & { entry?: number },
  ): void {
    const tb = this.#tb, host = sb.addressIn(tb.context.host, opts?.entry ?? 0);
    // called with the block's pc and size, as before (`addCall` without an instruction)
    const id = tb.addCall((v) => cb(v));
    tb.point(this.#index).conds.push({ host, cond, value, id, regs: opts?.regs ?? "write" });
  }
}

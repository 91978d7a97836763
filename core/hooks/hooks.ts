/**
 * The instrumentation hook API: QEMU TCG plugin style (translation-time
 * callbacks that attach exec/memory callbacks and inline operations to
 * instructions) and Unicorn style (block, instruction and memory hooks with
 * address ranges), on one mechanism. Adding or removing a hook drops the
 * translated code it affects, so it applies at once, also to code already
 * translated: a block or instruction hook limited to an address range drops
 * only the blocks on the pages of that range (fuzzers toggle hooks often);
 * other hooks flush all translated code.
 *
 * @module
 */

import { BEFORE_ACCESS, type CpuCore } from "../cpu_core.ts";
import type { Cond } from "../ir.ts";
import type { BlockCode, BlockPart, TranslationBlock } from "../tb.ts";
import { pageNumber } from "../guest_memory.ts";
import {
  type CallbackHelpers,
  injectInstrumentation,
  type InjectionPlan,
  type RegsAccess,
} from "./instrument.ts";
import { helperAccessArming } from "./helper_access.ts";
import { Scoreboard } from "./scoreboard.ts";
import { type HookEventMap, HookEvents } from "./events.ts";
import { Vcpu } from "./vcpu.ts";
import { bindCall, callbackError, type ExecCall } from "./exec_call.ts";
import { type MemCallback, PlanBuilder } from "./plan.ts";

export type { RegsAccess };
export type {
  DiscontinuityEvent,
  HookEventMap,
  SyscallEvent,
  SyscallReturnEvent,
} from "./events.ts";
export { Scoreboard };

/**
 * An address range filter, inclusive at both ends (Unicorn's begin/end). Empty = everything.
 *
 * @example
 * ```ts ignore
 * const main: HookRange = { begin: m.symbol("main")!, end: m.symbol("main")! + 0x40n };
 * ```
 */
export interface HookRange {
  /** the first address (default: 0) */
  begin?: bigint;
  /** the last address, inclusive (default: the end of the address space) */
  end?: bigint;
}

/**
 * Options of a callback.
 *
 * @example
 * ```ts ignore
 * m.hooks.addBlockHook((v) => console.log(v.pc), { begin: 0x10000n, end: 0x1ffffn, regs: "read" });
 * ```
 */
export interface CallbackOptions {
  /** Register access the callback needs (default "write": it may read and change registers). */
  regs?: RegsAccess;
  /**
   * Run the callback deferred: generated code only records that it is due, and
   * the callbacks run in order in batches, at the latest when control returns
   * to the run loop. Much cheaper; for counting and tracing, not steering
   * (needs `regs: "none"`; `stop()` takes effect at the end of the batch).
   */
  deferred?: boolean;
}

/**
 * One guest memory access, as memory callbacks see it.
 *
 * @example
 * ```ts ignore
 * m.hooks.addMemHook((_v, a: MemAccess) => a.write && console.log(a.address, a.value));
 * ```
 */
export interface MemAccess {
  /** pc of the accessing instruction */
  pc: bigint;
  /** the guest virtual address accessed */
  address: bigint;
  /** bytes accessed */
  size: number;
  /** the value loaded or stored */
  value: bigint;
  /** a store (else a load) */
  write: boolean;
  /** a sign-extending load */
  signed: boolean;
  /**
   * The callback runs before the access (registered with `before: true`): it
   * has not happened (a load's `value` is 0), and `vcpu.setPc` skips the
   * instruction (a vector load or store then keeps vstart at the element).
   */
  before: boolean;
}

/** Options of memory callbacks. */
export interface MemCallbackOptions extends CallbackOptions {
  /** which accesses call back: loads, stores or both (default "rw") */
  access?: "read" | "write" | "rw";
  /**
   * Call before each access instead of after (as QEMU's gdb watchpoints on
   * targets that stop before the access); with `regs: "write"` the callback
   * may then skip the instruction with `vcpu.setPc`.
   */
  before?: boolean;
}

/**
 * An instruction of a TB being translated.
 *
 * @example
 * ```ts ignore
 * m.hooks.onTranslate((tb) => {
 *   for (const insn of tb.insns) if (insn.disassembly.startsWith("ecall")) insn.onExec(() => {});
 * });
 * ```
 */
export interface InsnHandle {
  /** the instruction's address */
  readonly pc: bigint;
  /** its length in bytes */
  readonly size: number;
  /** raw instruction bits */
  readonly bits: number;
  /** disassembly text */
  readonly disassembly: string;
  /** the raw instruction bytes */
  readonly bytes: Uint8Array;
  /** the symbol containing the instruction (`name+0xoff`), when the program has symbols */
  readonly symbol: string | undefined;
  /** Calls `cb` each time the instruction is about to run. */
  onExec(cb: (vcpu: Vcpu) => void, opts?: CallbackOptions): void;
  /** Calls `cb` after (or with `before`, before) each of the instruction's memory accesses. */
  onMem(cb: (vcpu: Vcpu, access: MemAccess) => void, opts?: MemCallbackOptions): void;
  /** Adds `delta` to scoreboard entry `entry` each time the instruction runs (inline, no call). */
  inlineAdd(sb: Scoreboard, delta: bigint, entry?: number): void;
  /** Calls `cb` when scoreboard entry `entry` compares `cond` to `value` (QEMU's conditional callbacks). */
  onExecIf(
    sb: Scoreboard,
    cond: Cond,
    value: bigint,
    cb: (vcpu: Vcpu) => void,
    opts?: CallbackOptions & { entry?: number },
  ): void;
}

/**
 * A TB being translated.
 *
 * @example
 * ```ts ignore
 * m.hooks.onTranslate((tb: TbHandle) => console.log(tb.pc, tb.insns.length));
 * ```
 */
export interface TbHandle {
  /** the address of its first instruction */
  readonly pc: bigint;
  /** its instructions, in order */
  readonly insns: InsnHandle[];
  /** bytes of guest code */
  readonly size: number;
  /** Calls `cb` each time the TB is entered. */
  onExec(cb: (vcpu: Vcpu) => void, opts?: CallbackOptions): void;
  /** Adds `delta` to a scoreboard entry each time the TB is entered. */
  inlineAdd(sb: Scoreboard, delta: bigint, entry?: number): void;
}

/**
 * A handle to remove a hook.
 *
 * @example
 * ```ts ignore
 * const id: HookId = m.hooks.addInsnHook(() => {});
 * m.hooks.remove(id);
 * ```
 */
export type HookId = number;

/** A translate callback: plans the instrumentation of the block `tb` stands for. */
type TranslateCb = (tb: PlanBuilder) => void;

/** Ranges over more pages than this flush everything (cheaper than visiting each page). */
const MAX_RANGE_PAGES = 256;
/**
 * Callbacks of dropped TBs stay in the callback table until a full flush;
 * past this many, a range change flushes to reclaim them.
 */
const MAX_STALE_CALLBACKS = 1 << 16;

function inRange(r: HookRange, a: bigint): boolean {
  return (r.begin === undefined || a >= r.begin) && (r.end === undefined || a <= r.end);
}

/**
 * What the hooks of the CPUs of one run share (the processes of a user-mode
 * run: a fork's child gets the hooks its parent has, as QEMU's user-mode
 * plugins follow a fork): the registrations, the event subscribers, the
 * symbolizer, and the vCPU indices handed out.
 */
class HookFamily {
  readonly translate = new Map<HookId, TranslateCb>();
  /** the address range a translate callback is limited to (absent: everything) */
  readonly ranges = new Map<HookId, HookRange>();
  readonly events: HookEvents = new HookEvents();
  /** the hooks of CPUs that still run: a registration drops their translated code */
  readonly members = new Set<Hooks>();
  nextId = 1;
  nextIndex = 0;
  symbolizer: (pc: bigint) => string | undefined = () => undefined;
}

/**
 * The hook registry of one CPU, shared with the CPUs of the processes it
 * forks or the other harts of its machine (the constructor's `parent`).
 *
 * @example
 * ```ts ignore
 * const hooks = new Hooks(cpu);
 * let blocks = 0;
 * hooks.addBlockHook(() => blocks++, { regs: "none" });
 * const sb = hooks.scoreboard();
 * hooks.onTranslate((tb) => tb.inlineAdd(sb, BigInt(tb.insns.length)));
 * ```
 */
export class Hooks {
  /** Registers, memory and control of the vCPU, as callbacks get it. */
  readonly vcpu: Vcpu;
  /**
   * Non-instruction events (syscalls, discontinuities, exit...), emitted by the run layer.
   * @internal subscribe with {@linkcode Hooks.on}
   */
  readonly events: HookEvents;
  /**
   * this CPU's vCPU index in the run (0: the first; in user mode a forked
   * process gets the next one, in system mode hart N's hooks have index N)
   */
  readonly index: number;
  readonly #family: HookFamily;
  /** callback table indexed by the ids baked into generated code */
  #callbacks: ExecCall[] = [];
  #memCallbacks: MemCallback[] = [];
  readonly #helpers: CallbackHelpers;
  /** The instrumentation of each translated whole block (for the parts budgets cut from it). */
  #plans = new WeakMap<TranslationBlock, InjectionPlan | null>();
  /** The plan of the whole block being translated, until its TB exists (`onBlock`). */
  #pending: InjectionPlan | null | undefined;
  /** Names code addresses for `InsnHandle.symbol` (set by the run layer that knows the program). */
  get symbolizer(): (pc: bigint) => string | undefined {
    return this.#family.symbolizer;
  }
  set symbolizer(f: (pc: bigint) => string | undefined) {
    this.#family.symbolizer = f;
  }

  /**
   * @internal a machine makes its hooks; `parent`: the hooks of the process
   * this CPU's process was forked from, whose registrations apply here too
   */
  constructor(/** @internal */ readonly cpu: CpuCore, parent?: Hooks) {
    this.#family = parent ? parent.#family : new HookFamily();
    this.events = this.#family.events;
    this.index = this.#family.nextIndex++;
    this.#family.members.add(this);
    const vcpu = this.vcpu = new Vcpu(cpu, this.index);
    this.#helpers = this.#makeHelpers(cpu, vcpu);
    cpu.traceCallback = (id) => {
      const call = this.#callbacks[id];
      call.cb(vcpu, call.pc, call.size);
    };
    this.#observeTranslation(cpu);
  }

  /** The helpers that exec and memory callbacks run through, one per register access. */
  #makeHelpers(cpu: CpuCore, vcpu: Vcpu): CallbackHelpers {
    // Callbacks that may change registers may also move the pc (a PcRedirect, like a trap);
    // the others can only ask to stop, which needs no pc bookkeeping before the call.
    const flags = (regs: RegsAccess) => ({
      readsState: regs !== "none",
      writesState: regs === "write",
      mayTrap: regs === "write",
      mayExit: true,
    });

    /** The bound call of exec callback `id` (made once per callback). */
    const bound = (id: number) => {
      const call = this.#callbacks[id];
      return call.bound ??= bindCall(vcpu, call);
    };
    const exec = (regs: RegsAccess) =>
      cpu.addHelper({
        name: `hook_exec_${regs}`,
        hasResult: false,
        smallArgs: true,
        flags: flags(regs),
        fn: regs === "write"
          ? (_cpu: CpuCore, id: number) => {
            vcpu.inCallback = true;
            try {
              const call = this.#callbacks[id];
              call.cb(vcpu, call.pc, call.size);
            } finally {
              vcpu.inCallback = false;
            }
          }
          : (_cpu: CpuCore, id: number) => bound(id)(),
        // with no registers to sync, compiled code imports the bound call (see HelperDef.bind)
        bind: regs === "none" ? bound : undefined,
      });
    const mem = (regs: RegsAccess) =>
      cpu.addHelper({
        name: `hook_mem_${regs}`,
        hasResult: false,
        flags: flags(regs),
        fn: (_cpu: CpuCore, id: bigint, addr: bigint, value: bigint, info: bigint) => {
          // before the access, a callback may skip the instruction (setPc), as an exec one
          const before = (Number(info) & BEFORE_ACCESS) !== 0 && regs === "write";
          if (before) vcpu.inCallback = true;
          else vcpu.inMemCallback = true;
          try {
            this.#memCallbacks[Number(id)](addr, value, Number(info));
          } catch (e) {
            throw regs === "write" ? e : callbackError(e);
          } finally {
            vcpu.inMemCallback = vcpu.inCallback = false;
          }
        },
      });
    return {
      exec: { none: exec("none"), read: exec("read"), write: exec("write") },
      mem: { none: mem("none"), read: mem("read"), write: mem("write") },
      ...helperAccessArming(cpu, vcpu, flags, (id) => this.#memCallbacks[id], callbackError),
    };
  }

  /** Instruments each TB as it is translated, and forgets callbacks at a flush. */
  #observeTranslation(cpu: CpuCore): void {
    cpu.tbs.observers.push({
      instrument: (ir, code, part) => {
        const plan = part
          ? this.#partPlan(part, code.insnCount)
          : this.#pending = this.#wholePlan(code);
        if (plan) injectInstrumentation(ir, plan, this.#helpers, cpu.target.state.globals.length);
      },
      onBlock: (tb) => {
        if (!tb.part && this.#pending !== undefined) this.#plans.set(tb, this.#pending);
        this.#pending = undefined;
      },
      onFlush: () => {
        this.#callbacks = [];
        this.#memCallbacks = [];
        this.events.emit("flush", {});
      },
    });
  }

  /** This CPU no longer runs (its process exited): registrations leave its code alone. */
  leave(): void {
    this.#family.members.delete(this);
  }

  /** A fresh scoreboard of `entries` 64-bit counters in host memory. */
  scoreboard(entries = 1): Scoreboard {
    return new Scoreboard(this.cpu.host, entries);
  }

  /** Registers a translation-time callback (QEMU's `register_vcpu_tb_trans_cb`). */
  onTranslate(cb: (tb: TbHandle) => void): HookId {
    return this.#addTranslate((tb) => cb(tb));
  }

  #addTranslate(cb: TranslateCb, range?: HookRange): HookId {
    const f = this.#family, id = f.nextId++;
    f.translate.set(id, cb);
    if (range) f.ranges.set(id, range);
    for (const h of f.members) h.#changed(range);
    return id;
  }

  /** Unicorn's UC_HOOK_BLOCK: `cb` on entry to every block starting in `range`. */
  addBlockHook(
    cb: (vcpu: Vcpu, pc: bigint, size: number) => void,
    opts: HookRange & CallbackOptions = {},
  ): HookId {
    return this.#addTranslate((tb) => {
      if (inRange(opts, tb.pc)) tb.execAt(-1, cb, opts);
    }, opts);
  }

  /** Unicorn's UC_HOOK_CODE: `cb` before every instruction in `range`. */
  addInsnHook(
    cb: (vcpu: Vcpu, pc: bigint, size: number) => void,
    opts: HookRange & CallbackOptions = {},
  ): HookId {
    return this.#addTranslate((tb) => {
      tb.infos.forEach((i, index) => inRange(opts, i.pc) && tb.execAt(index, cb, opts));
    }, opts);
  }

  /** Unicorn's UC_HOOK_MEM_READ/WRITE: `cb` after accesses whose address is in `range`. */
  addMemHook(
    cb: (vcpu: Vcpu, access: MemAccess) => void,
    opts: HookRange & MemCallbackOptions = {},
  ): HookId {
    return this.onTranslate((tb) => {
      for (const i of tb.insns) {
        i.onMem((v, a) => {
          if (inRange(opts, a.address)) cb(v, a);
        }, opts);
      }
    });
  }

  /** Subscribes to a non-instruction event (QEMU's syscall, discontinuity, atexit... callbacks). */
  on<K extends keyof HookEventMap>(name: K, cb: (e: HookEventMap[K]) => void): HookId {
    return -this.events.on(name, cb);
  }

  /** Removes a hook; the translated code it affects is dropped so it stops at once. */
  remove(id: HookId): void {
    const f = this.#family;
    if (id < 0) this.events.off(-id);
    else if (f.translate.delete(id)) {
      const range = f.ranges.get(id);
      f.ranges.delete(id);
      for (const h of f.members) h.#changed(range);
    }
  }

  /** Whether any hook is registered. */
  get active(): boolean {
    return this.#family.translate.size > 0;
  }

  /** Drops the TBs a hook limited to `range` affects (all of them without a range). */
  #changed(range?: HookRange): void {
    this.cpu.exitRequest = true;
    const tbs = this.cpu.tbs;
    if (range?.begin === undefined || range.end === undefined || range.end < range.begin) {
      return tbs.flush();
    }
    const first = pageNumber(range.begin), last = pageNumber(range.end);
    if (last - first >= MAX_RANGE_PAGES || this.#callbacks.length > MAX_STALE_CALLBACKS) {
      return tbs.flush();
    }
    for (let pn = first; pn <= last; pn++) tbs.invalidatePage(pn);
  }

  /** The plan of a whole block, kept for the parts of it that budgets cut (see `#partPlan`). */
  #wholePlan(code: BlockCode): InjectionPlan | null | undefined {
    // Without translate callbacks there is nothing to remember (undefined): a WeakMap entry
    // per TB was 0.5 % of a Linux boot's CPU, besides the garbage collector's work on the map.
    // Nor are the instructions made into objects (as many as 20 % of a cold guest's translation).
    if (this.#family.translate.size === 0) return undefined;
    return this.#plan(code);
  }

  /**
   * The plan of `count` instructions of a block from its instruction `first`:
   * the whole block's, cut to those instructions (block entry: in the first
   * part only). Hooks saw the whole block once, so a cut is invisible to them.
   */
  #partPlan({ whole, first }: BlockPart, count: number): InjectionPlan | null {
    let plan = this.#plans.get(whole);
    if (plan === undefined) {
      plan = this.#wholePlan(whole);
      if (plan !== undefined) this.#plans.set(whole, plan);
    }
    if (!plan) return null;
    const cut = <T>(points: Map<number, T>) => {
      const out = new Map<number, T>();
      for (const [i, p] of points) {
        if (i === -1 ? first === 0 : i >= first && i < first + count) {
          out.set(i === -1 ? -1 : i - first, p);
        }
      }
      return out;
    };
    return { before: cut(plan.before), mem: cut(plan.mem) };
  }

  #plan(code: BlockCode): InjectionPlan | null {
    const tb = new PlanBuilder({
      callbacks: this.#callbacks,
      memCallbacks: this.#memCallbacks,
      vcpu: this.vcpu,
      target: this.cpu.target,
      host: this.cpu.host,
      symbolizer: this.symbolizer,
    }, code);
    for (const cb of this.#family.translate.values()) cb(tb);
    return tb.result();
  }
}

/**
 * One virtual CPU: the target's state block in host memory, guest memory,
 * the TB cache, and the loop that runs TBs on a backend until something
 * needs attention (a trap, an exhausted instruction budget, a stop request).
 *
 * @module
 */

import type { GuestMemory } from "./guest_memory.ts";
import { type HostMemory, STATE_BASE, STATE_SIZE } from "./host_memory.ts";
import type { HelperDef } from "./ir.ts";
import { interpretBlock, interpretReference } from "./interp.ts";
import type { RegisterAccess, TargetArch } from "./target.ts";
import { TbCache, type TranslationBlock } from "./tb.ts";
import type { Trap } from "./trap.ts";
import { EmuError } from "./errors.ts";

/**
 * An execution backend: runs one TB, returns the number of guest
 * instructions it completed, and leaves any trap in `cpu.trap`.
 */
export interface Backend {
  /** its name in messages and benchmarks ("interp", "interp32", "jit") */
  readonly name: string;
  /**
   * Runs `tb` on `cpu` (the JIT: also the blocks it chains to, at most `budget` instructions);
   * returns how many instructions it completed. The backends are Denemu's own (TranslationBlock is
   * internal), so the docs leave it out.
   *
   * @ignore
   */
  exec(cpu: CpuCore, tb: TranslationBlock, budget: number): number;
}

/** The reference IR interpreter as a backend. */
export const interpreterBackend: Backend = {
  name: "interp",
  exec: (cpu, tb) => interpretReference(cpu, tb),
};

/**
 * The interpreter tier as a backend: the interpreter without bigints (`interp32.ts`) for the TBs
 * whose every op it runs, the reference for the others (the JIT's first tier).
 */
export const interpreterTierBackend: Backend = {
  name: "interp32",
  exec: (cpu, tb) => interpretBlock(cpu, tb),
};

/**
 * The bit of a memory access report's `info` that says the access has not
 * happened yet (memory hooks called before it; see `MemCallbackOptions.before`).
 */
export const BEFORE_ACCESS = 0x400;

/** Why {@linkcode CpuCore.run} returned. */
export type RunExit =
  | { reason: "trap"; trap: Trap }
  | { reason: "budget" }
  | { reason: "stop" };

/**
 * A CPU bound to a target and a guest address space.
 *
 * @example
 * ```ts ignore
 * const cpu = new CpuCore(target, memory);
 * cpu.pc = entry;
 * const exit = cpu.run(1_000_000);
 * ```
 */
export class CpuCore implements RegisterAccess {
  /**
   * The host memory holding the state block and guest RAM (`mem.host`); the backends' view.
   *
   * @ignore
   */
  readonly host: HostMemory;
  /**
   * The cache of translated blocks; tools observe translation through the hook API instead.
   *
   * @ignore
   */
  readonly tbs: TbCache;
  /** the backend that runs the TBs (the reference interpreter until a mode picks another) */
  backend: Backend = interpreterBackend;
  /** The trap the last TB raised, consumed by {@linkcode run}. */
  trap: Trap | null = null;
  /** Guest instructions retired so far (updated when a backend returns). */
  icount = 0;
  /**
   * While a backend runs guest code and calls out (helpers, memory slow
   * paths, MMIO): the instructions it completed since it was entered, not yet
   * in `icount`. `icount + inFlight` is the exact count at that moment
   * (devices read virtual time through it). 0 between runs.
   */
  inFlight = 0;
  /**
   * The nanoseconds a timer counter reads (aarch64's CNTVCT_EL0: in qemu-aarch64 the wall clock,
   * at its microsecond grain); set by the mode that runs the CPU (user mode: its clock's
   * CLOCK_REALTIME). Default: one nanosecond per retired instruction.
   */
  timerNs: () => bigint = () => BigInt(this.icount + this.inFlight);
  /** Set (from a hook) to make {@linkcode run} return `stop`. */
  stopRequested = false;
  #exitRequest = false;
  /**
   * Called when {@linkcode exitRequest} is set: the backend running the CPU
   * (the JIT) tells its generated code to leave, without a check after every call.
   */
  onExitRequest: (() => void) | null = null;
  /**
   * Set by a callback to make the backend leave generated code at the next
   * instruction boundary (stop requests, hook changes).
   */
  get exitRequest(): boolean {
    return this.#exitRequest;
  }
  set exitRequest(on: boolean) {
    this.#exitRequest = on;
    if (on) this.onExitRequest?.();
  }
  /** Runs a deferred instrumentation callback recorded by a TRACE op (set by the hook API). */
  traceCallback: ((id: number) => void) | null = null;
  /**
   * Reports each access a helper makes through {@linkcode load} and
   * {@linkcode store}, before it (`info` has {@linkcode BEFORE_ACCESS}; a
   * load's value is 0) and after it (`info`: size, | 0x100 for a store,
   * | 0x200 for a signed load), as memory hooks see a LOAD or STORE op's.
   * Instrumentation arms it around helpers flagged `accessesMemory` (vector
   * loads and stores, as QEMU's plugins see each element); leaving the TB
   * (a trap, a callback's redirect) disarms it.
   */
  helperAccessWatch: ((addr: bigint, value: bigint, info: number) => void) | null = null;
  /** Helpers added by instrumentation; numbered after the target's. */
  readonly extraHelpers: HelperDef[] = [];
  readonly #globalSlots: Int32Array;
  readonly #pcSlot: number;
  /** Where the block that the last run cut short goes on, if it does. */
  #resume: { whole: TranslationBlock; first: number; pc: bigint } | null = null;
  /**
   * The state block while this CPU is parked (see {@linkcode park}): several
   * CPUs share one host memory, whose state block only the running one holds.
   */
  #parked: { i64: BigInt64Array; dv: DataView; u8: Uint8Array } | null = null;
  /** The buffer {@linkcode park} uses, made once (laid out as the host memory, so slots match). */
  #aside: { i64: BigInt64Array; dv: DataView; u8: Uint8Array } | null = null;

  /**
   * Makes a CPU for `target` over `mem`, its state block set to the target's reset values (the
   * loader sets the pc).
   */
  constructor(readonly target: TargetArch, readonly mem: GuestMemory) {
    this.host = mem.host;
    if (target.state.size > STATE_SIZE) {
      throw new EmuError(
        `target ${target.name}: state block too large (${target.state.size} bytes)`,
      );
    }
    this.#globalSlots = Int32Array.from(target.state.globals, (g) => (STATE_BASE + g.offset) >> 3);
    this.#pcSlot = (STATE_BASE + target.state.pcOffset) >> 3;
    this.tbs = new TbCache(target, mem);
    target.reset(this);
  }

  /** Registers a helper for instrumentation; returns its CALL index. */
  addHelper(h: HelperDef): number {
    this.extraHelpers.push(h);
    return this.target.helpers.length + this.extraHelpers.length - 1;
  }

  /** The helper a CALL names by index: the target's, then those added for instrumentation. */
  helper(id: number): HelperDef {
    return this.target.helpers[id] ?? this.extraHelpers[id - this.target.helpers.length];
  }

  /** Whether this CPU's state block is aside (another CPU on the same host memory runs). */
  get parked(): boolean {
    return this.#parked !== null;
  }

  /**
   * Moves the state block aside so that another CPU on the same host memory
   * can run (a multi-hart machine switching harts). Registers stay readable
   * and writable; {@linkcode unpark} puts them back before this CPU runs.
   */
  park(): void {
    if (this.#parked) return;
    if (!this.#aside) {
      const buf = new ArrayBuffer(STATE_BASE + STATE_SIZE);
      this.#aside = { i64: new BigInt64Array(buf), dv: new DataView(buf), u8: new Uint8Array(buf) };
    }
    const end = STATE_BASE + this.target.state.size;
    this.#aside.u8.set(this.host.u8.subarray(STATE_BASE, end), STATE_BASE);
    this.#parked = this.#aside;
    this.#resume = null;
  }

  /** Loads the state block {@linkcode park} moved aside: this CPU may run again. */
  unpark(): void {
    const p = this.#parked;
    if (!p) return;
    this.host.u8.set(p.u8.subarray(STATE_BASE, STATE_BASE + this.target.state.size), STATE_BASE);
    this.#parked = null;
  }

  /**
   * The target's state block (registers, pc, ...) as bytes, wherever it is
   * (in host memory, or aside while parked): a view, valid until the CPU is
   * parked or unparked, or the memory grows.
   */
  stateBlock(): Uint8Array {
    const u8 = this.#parked?.u8 ?? this.host.u8;
    return u8.subarray(STATE_BASE, STATE_BASE + this.target.state.size);
  }

  get #i64(): BigInt64Array {
    return this.#parked?.i64 ?? this.host.i64;
  }

  get #dv(): DataView {
    return this.#parked?.dv ?? this.host.dv;
  }

  /**
   * Where global `i` (or, -1, the pc) is in host memory, in bytes: read and written as two
   * 32-bit halves by the interpreter tier that keeps no bigints (the CPU is not parked then).
   */
  globalHostOffset(i: number): number {
    return 8 * (i < 0 ? this.#pcSlot : this.#globalSlots[i]);
  }

  /** Global `i` (a guest register as the IR sees it). */
  getGlobal(i: number): bigint {
    return this.#i64[this.#globalSlots[i]];
  }

  /** Sets global `i`. */
  setGlobal(i: number, v: bigint): void {
    this.#i64[this.#globalSlots[i]] = BigInt.asIntN(64, v);
  }

  /** The 64-bit state slot at byte `offset` of the state block. */
  getState(offset: number): bigint {
    return this.#dv.getBigInt64(STATE_BASE + offset, true);
  }

  /** Sets the 64-bit state slot at byte `offset`. */
  setState(offset: number, v: bigint): void {
    this.#dv.setBigInt64(STATE_BASE + offset, BigInt.asIntN(64, v), true);
  }

  /** The pc as a TB cache key (see {@linkcode TbCache.lookup}), read without a bigint. */
  #pcKey(): number {
    const at = this.#pcSlot * 8, dv = this.host.dv;
    return dv.getInt32(at + 4, true) * 0x100000000 + dv.getUint32(at, true);
  }

  /** The guest pc (unsigned). */
  get pc(): bigint {
    return BigInt.asUintN(64, this.#i64[this.#pcSlot]);
  }

  set pc(v: bigint) {
    this.#i64[this.#pcSlot] = BigInt.asIntN(64, v);
  }

  /** A guest load as the running code does it (permission-checked, may throw GuestFault). */
  load(addr: bigint, size: number, signed: boolean): bigint {
    const watch = this.helperAccessWatch, info = size | (signed ? 0x200 : 0);
    watch?.(addr, 0n, info | BEFORE_ACCESS);
    const value = this.mem.load(addr, size, signed);
    watch?.(addr, value, info);
    return value;
  }

  /** A guest store as the running code does it. */
  store(addr: bigint, size: number, value: bigint): void {
    const watch = this.helperAccessWatch;
    watch?.(addr, value, size | 0x100 | BEFORE_ACCESS);
    this.mem.store(addr, size, value);
    watch?.(addr, value, size | 0x100);
  }

  /**
   * Reads guest memory (permission-checked) into `out` (when given: the
   * pages before a fault are copied) or a new array, unseen by
   * {@linkcode helperAccessWatch}: helpers use {@linkcode load} while it is set.
   */
  readBytes(addr: bigint, length: number, out?: Uint8Array): Uint8Array {
    return this.mem.readBytes(addr, length, "read", out);
  }

  /** Writes guest memory (permission-checked), unseen by {@linkcode helperAccessWatch}. */
  writeBytes(addr: bigint, data: Uint8Array): void {
    this.mem.writeBytes(addr, data);
  }

  /**
   * Runs until a trap, until exactly `budget` more instructions
   * have retired, or until a stop is requested. Budgets are exact: the last
   * TB is cut short when needed, and the next run goes on with the rest of
   * that block, so hooks see one block either way.
   */
  run(budget: number): RunExit {
    if (this.#parked) throw new EmuError("internal: a parked CPU was asked to run");
    const stopAt = this.icount + budget;
    const tbs = this.tbs;
    this.stopRequested = false;
    while (this.icount < stopAt) {
      const flags = this.target.tbFlags(this);
      const left = stopAt - this.icount;
      let tb = this.#rest(flags, left);
      if (!tb) {
        tb = tbs.lookup(this.#pcKey(), flags) ?? tbs.get(this.pc, flags);
        if (tb.insnCount > left) tb = this.#cut(tb, 0, left);
      }
      tb.execCount++;
      this.icount += this.backend.exec(this, tb, left);
      this.inFlight = 0;
      this.helperAccessWatch = null; // armed within one instruction: a trap or redirect left it
      this.exitRequest = false;
      const trap = this.trap;
      if (trap) {
        this.trap = null;
        this.#resume = null;
        return { reason: "trap", trap };
      }
      if (this.stopRequested) return { reason: "stop" };
    }
    return { reason: "budget" };
  }

  /** The rest (at most `left` instructions) of the block the last run cut, when the pc is there. */
  #rest(flags: number, left: number): TranslationBlock | undefined {
    const r = this.#resume;
    if (!r) return undefined;
    this.#resume = null;
    if (r.whole.flags !== flags || this.pc !== r.pc) return undefined;
    const whole = r.whole.valid ? r.whole : this.tbs.get(r.whole.pc, flags);
    if (r.first >= whole.insnCount || whole.insnPc(r.first) !== r.pc) return undefined;
    return this.#cut(whole, r.first, Math.min(left, whole.insnCount - r.first));
  }

  /** A TB of `count` instructions of `whole` from `first`; remembers where the rest starts. */
  #cut(whole: TranslationBlock, first: number, count: number): TranslationBlock {
    const part = this.tbs.translatePart(whole, first, count);
    const next = first + part.insnCount;
    this.#resume = next < whole.insnCount ? { whole, first: next, pc: whole.insnPc(next) } : null;
    return part;
  }
}

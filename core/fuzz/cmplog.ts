/**
 * Comparison logging (AFL++'s cmplog) for a separate pass over an input:
 * before every conditional branch, compare-and-set and conditional move of
 * guest code, a helper call records the two operands; at the entry of
 * `memcmp`-like and `strcmp`-like functions, a hook records the bytes they
 * compare. Only the cmplog pass pays for these calls: either the fuzzing
 * runs use another CPU without them (`emu fuzz -c 0`), or the log is
 * switched off between cmplog runs, which drops the translated code
 * (`fuzz()` on one machine).
 *
 * @module
 */

import type { CpuCore } from "../cpu_core.ts";
import type { Hooks } from "../hooks/hooks.ts";
import { type IrBlock, type IrOp, Op } from "../ir.ts";
import { IrBuilder } from "../ir_builder.ts";
import type { LoadedModule, ModuleList } from "../modules.ts";
import { switchChecks } from "./switch_cases.ts";

/** Two integers a guest compared. */
export interface IntCompare {
  kind: "int";
  a: bigint;
  b: bigint;
}

/** Two byte strings a guest compared (memcmp, strcmp...). */
export interface BytesCompare {
  kind: "bytes";
  a: Uint8Array;
  b: Uint8Array;
}

/** One logged comparison. */
export type Compare = IntCompare | BytesCompare;

/** Most comparisons kept per execution (AFL++ keeps 32 per site in a 64K-site table). */
const MAX_LOG = 4096;
/** Longest string compared that is logged. */
const MAX_STRING = 64;

/** The string comparison functions hooked by symbol: how many bytes they compare. */
export const STRING_COMPARES: Record<string, "n" | "nul" | "nul-n"> = {
  memcmp: "n",
  bcmp: "n",
  __memcmpeq: "n",
  strcmp: "nul",
  strcasecmp: "nul",
  strncmp: "nul-n",
  strncasecmp: "nul-n",
};

const COMPARE_OPS = new Set<number>([Op.BRCOND, Op.SETCOND, Op.MOVCOND]);
/** STT_GNU_IFUNC: the symbol's address is a resolver, not the function. */
const STT_GNU_IFUNC = 10;

/**
 * The comparison log of one CPU.
 *
 * @example
 * ```ts ignore
 * const log = new CmpLog(process.cpu);
 * log.hookStringCompares(hooks, process.modules, (i) => process.cpu.getGlobal(abi.argRegs[i]));
 * log.clear();
 * process.runToExit();
 * console.log(log.entries.length, "comparisons");
 * ```
 */
export class CmpLog {
  readonly entries: Compare[] = [];
  #seen = new Set<string>();
  #active = true;
  readonly #hooked = new Set<bigint>();

  constructor(readonly cpu: CpuCore) {
    const helper = cpu.addHelper({
      name: "cmplog_int",
      hasResult: false,
      flags: {},
      fn: (_cpu: CpuCore, a: bigint, b: bigint) => this.#int(a, b),
    });
    const numGlobals = cpu.target.state.globals.length;
    cpu.tbs.observers.push({
      instrument: (ir) => {
        if (this.#active) instrumentCompares(ir, helper, numGlobals);
      },
    });
    this.#retranslate();
  }

  /** Whether comparisons are logged (switching drops the translated code). */
  get active(): boolean {
    return this.#active;
  }

  set active(on: boolean) {
    if (on === this.#active) return;
    this.#active = on;
    this.#retranslate();
  }

  #retranslate(): void {
    this.cpu.tbs.flush();
    this.cpu.exitRequest = true;
  }

  /** Forgets the log (before each cmplog run). */
  clear(): void {
    this.entries.length = 0;
    this.#seen.clear();
  }

  #add(key: string, c: Compare): void {
    if (this.entries.length >= MAX_LOG || this.#seen.has(key)) return;
    this.#seen.add(key);
    this.entries.push(c);
  }

  #int(a: bigint, b: bigint): void {
    if (a !== b) this.#add(`${a},${b}`, { kind: "int", a, b });
  }

  /**
   * Logs the arguments of the string comparison functions
   * ({@linkcode STRING_COMPARES}) of every module in `modules`, by symbol,
   * and of every module loaded later; `arg(i)` reads the i-th integer
   * argument of a call.
   */
  hookStringCompares(hooks: Hooks, modules: ModuleList, arg: (i: number) => bigint): void {
    const hookModule = (m: LoadedModule) => {
      for (const s of m.symbols) {
        const kind = STRING_COMPARES[s.name];
        if (!kind || s.value === 0n || s.type === STT_GNU_IFUNC || this.#hooked.has(s.value)) {
          continue;
        }
        this.#hooked.add(s.value);
        this.#hookStringCompare(hooks, s.value, kind, arg);
      }
    };
    modules.list.forEach(hookModule);
    modules.observers.push({ onLoad: hookModule });
  }

  #hookStringCompare(
    hooks: Hooks,
    entry: bigint,
    kind: "n" | "nul" | "nul-n",
    arg: (i: number) => bigint,
  ): void {
    hooks.addInsnHook(() => {
      if (!this.#active) return;
      const n = kind === "nul" ? MAX_STRING : Math.min(MAX_STRING, Number(arg(2) & 0xffffn));
      const a = this.#read(arg(0), n, kind !== "n"), b = this.#read(arg(1), n, kind !== "n");
      if (a.length && b.length) this.#add(`${a}|${b}`, { kind: "bytes", a, b });
    }, { begin: entry, end: entry, regs: "read" });
  }

  /** Up to `n` guest bytes at `addr` (to the NUL if `nul`), stopping at unmapped memory. */
  #read(addr: bigint, n: number, nul: boolean): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let b: number;
      try {
        b = this.cpu.mem.readBytes(addr + BigInt(i), 1)[0];
      } catch {
        break;
      }
      if (nul && b === 0) break;
      out.push(b);
    }
    return Uint8Array.from(out);
  }
}

/**
 * Inserts a logging call before each comparison op of `ir`, and before each
 * jump-table bounds check one per case value (see `switch_cases.ts`).
 */
function instrumentCompares(ir: IrBlock, helper: number, numGlobals: number): void {
  const switches = new Map(switchChecks(ir).map((s) => [s.at, s]));
  const out: IrOp[] = [];
  let numTemps = ir.numTemps;
  ir.ops.forEach((o, at) => {
    if (COMPARE_OPS.has(o.op)) {
      const b = new IrBuilder(numGlobals, numTemps, ir.numLabels);
      b.call(-1, helper, [o.a, o.b]);
      const s = switches.get(at);
      if (s) {
        // x = checked - offset, in the check's width
        const x = b.temp();
        b.binop(Op.SUB, x, s.checked, b.constant(s.offset));
        if (s.width < 64) b.binop(Op.AND, x, x, b.constant((1n << BigInt(s.width)) - 1n));
        for (const v of s.values) b.call(-1, helper, [x, b.constant(v)]);
      }
      const fin = b.finish();
      out.push(...fin.ops);
      numTemps = fin.numTemps;
    }
    out.push(o);
  });
  ir.ops = out;
  ir.numTemps = numTemps;
}

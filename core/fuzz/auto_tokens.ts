/**
 * Tokens from the program itself, for the dictionary (what AFL++'s LTO
 * autodictionary collects at compile time, found here at translation time):
 *
 * - **compare constants:** an operand of a comparison (`BRCOND`, `SETCOND`,
 *   `MOVCOND`) that is a constant in its block, such as the 32-bit magic of a
 *   `li a5, 0xdeadbeef; beq a0, a5`, as little-endian bytes of the smallest
 *   width that holds it;
 * - **strings of the binary:** a constant that points into a read-only
 *   section of a loaded module (`.rodata`) at a NUL-terminated printable
 *   string, such as the argument of a `strcmp` or `memcmp` the code makes.
 *
 * Constants are followed through each block's IR (`MOVI` and ALU ops on
 * known values), so this needs no knowledge of the target. Only code that
 * runs is translated, so only the constants of code the fuzzer reaches
 * become tokens, in a deterministic order.
 *
 * @module
 */

import type { CpuCore } from "../cpu_core.ts";
import { readSections } from "../elf_sections.ts";
import { type IrBlock, Op, visitOperands } from "../ir.ts";
import { evaluate } from "./ir_constants.ts";
import type { LoadedModule } from "../modules.ts";

/** Tokens kept at most (AFL++'s MAX_AUTO_EXTRAS is 256 as well). */
const MAX_TOKENS = 256;
/** String token lengths (AFL++'s MIN_AUTO_EXTRA and MAX_AUTO_EXTRA are 3 and 32). */
const MIN_STRING = 3, MAX_STRING = 32;
/** SHF_ALLOC, SHF_WRITE and SHF_EXECINSTR. */
const ALLOC = 2, WRITE = 1, EXEC = 4;

/** A read-only section as loaded: its run-time range and its bytes in the file. */
interface ReadOnlyRange {
  start: bigint;
  end: bigint;
  bytes: Uint8Array;
}

/**
 * Collects tokens from the code a CPU translates.
 *
 * @example
 * ```ts ignore
 * const auto = new AutoTokens(p.cpu, () => p.modules.list);
 * // ... executions ...
 * console.log(auto.tokens.length, "tokens learnt");
 * ```
 */
export class AutoTokens {
  /** the tokens found so far, in the order found */
  readonly tokens: Uint8Array[] = [];
  readonly #seen = new Set<string>();
  #ranges: ReadOnlyRange[] = [];
  #modulesSeen = 0;

  constructor(cpu: CpuCore, readonly modules: () => readonly LoadedModule[]) {
    cpu.tbs.observers.push({ instrument: (ir) => this.#scan(ir) });
  }

  #add(token: Uint8Array): void {
    if (this.tokens.length >= MAX_TOKENS) return;
    const key = token.join();
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.tokens.push(token);
  }

  #scan(ir: IrBlock): void {
    const known = new Map<number, bigint>();
    for (const o of ir.ops) {
      if (o.op === Op.BRCOND || o.op === Op.SETCOND || o.op === Op.MOVCOND) {
        for (const t of [o.a, o.b]) {
          const v = known.get(t);
          if (v !== undefined) this.#constant(v);
        }
      }
      if (o.op === Op.LABEL || o.op === Op.CALL) known.clear();
      const d = visitOperands(o, () => {});
      if (d < 0) continue;
      const v = evaluate(o, known);
      if (v === undefined) known.delete(d);
      else {
        known.set(d, v);
        this.#string(v);
      }
    }
  }

  /** A compare constant as a token, unless it is a small number, a mask or an address. */
  #constant(v: bigint): void {
    const u = BigInt.asUintN(64, v);
    if (u < 0x100n || u > 0xffffffffffffff00n || this.#inModule(u)) return;
    const width = BigInt.asIntN(16, v) === BigInt.asIntN(64, v) || u < 0x10000n
      ? 2
      : BigInt.asIntN(32, v) === BigInt.asIntN(64, v) || u < 0x100000000n
      ? 4
      : 8;
    const bytes = new Uint8Array(width);
    for (let k = 0; k < width; k++) bytes[k] = Number((u >> BigInt(8 * k)) & 0xffn);
    if (bytes.every((b) => b === bytes[0])) return;
    this.#add(bytes);
  }

  #inModule(v: bigint): boolean {
    return this.modules().some((m) => m.segments.some((s) => v >= s.start && v < s.end));
  }

  /** A string of a read-only section that `v` points at, as a token. */
  #string(v: bigint): void {
    const r = this.#readOnly().find((x) => v >= x.start && v < x.end);
    if (!r) return;
    const at = Number(v - r.start);
    let end = at;
    while (
      end < r.bytes.length && end - at <= MAX_STRING && r.bytes[end] >= 0x20 && r.bytes[end] < 0x7f
    ) {
      end++;
    }
    if (end - at >= MIN_STRING && end - at <= MAX_STRING && r.bytes[end] === 0) {
      this.#add(r.bytes.slice(at, end));
    }
  }

  /** The read-only sections of the modules loaded so far. */
  #readOnly(): ReadOnlyRange[] {
    const list = this.modules();
    if (list.length !== this.#modulesSeen) {
      this.#modulesSeen = list.length;
      this.#ranges = list.flatMap((m) =>
        readSections(m.elf)
          .filter((s) => (s.flags & (ALLOC | WRITE | EXEC)) === ALLOC && s.type !== 8 && s.size)
          .map((s) => ({
            start: s.addr + m.bias,
            end: s.addr + m.bias + BigInt(s.size),
            bytes: m.elf.bytes.subarray(s.offset, s.offset + s.size),
          }))
      );
    }
    return this.#ranges;
  }
}

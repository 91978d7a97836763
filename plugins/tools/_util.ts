/**
 * Helpers shared by the tool plugins: QEMU-style argument parsing, hex
 * formatting, symbol names, and a pool of inline counters.
 *
 * Not a plugin itself (the leading underscore keeps it out of `-plugin help`).
 *
 * @module
 */

import { EmuError, type Hooks, type Scoreboard, type ToolContext } from "../../plugin.ts";

/**
 * Rejects arguments a tool does not know (QEMU: "option parsing failed").
 *
 * @example
 * ```ts
 * import { checkArgs } from "./_util.ts";
 * checkArgs({ inline: "on" }, ["inline", "sizes"]); // fine
 * ```
 */
export function checkArgs(args: Record<string, string>, known: string[]): void {
  for (const [k, v] of Object.entries(args)) {
    if (!known.includes(k)) {
      throw new EmuError(`option parsing failed: ${k}=${v}`, `known options: ${known.join(", ")}`);
    }
  }
}

/**
 * A boolean argument as QEMU's `qemu_plugin_bool_parse` reads it
 * (on/yes/true or off/no/false); `def` when absent.
 *
 * @example
 * ```ts
 * import { boolArg } from "./_util.ts";
 * console.log(boolArg({ inline: "on" }, "inline")); // true
 * ```
 */
export function boolArg(args: Record<string, string>, name: string, def = false): boolean {
  const v = args[name];
  if (v === undefined) return def;
  if (v === "on" || v === "yes" || v === "true") return true;
  if (v === "off" || v === "no" || v === "false") return false;
  throw new EmuError(`boolean argument parsing failed: ${name}=${v}`, "use on or off");
}

/**
 * An integer argument (decimal, or hex with 0x); `def` when absent.
 *
 * @example
 * ```ts
 * import { intArg } from "./_util.ts";
 * console.log(intArg({ addr: "0x10" }, "addr", 0n)); // 16n
 * ```
 */
export function intArg(args: Record<string, string>, name: string, def: bigint): bigint {
  const v = args[name];
  if (v === undefined) return def;
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(v)) {
    throw new EmuError(`${name}=${v}: not a non-negative integer`);
  }
  return BigInt(v);
}

/**
 * `0x` and lowercase hex digits, zero-padded to `width` digits.
 *
 * @example
 * ```ts
 * import { hex } from "./_util.ts";
 * console.log(hex(0x1234n, 8)); // "0x00001234"
 * ```
 */
export function hex(v: bigint | number, width = 0): string {
  return "0x" + v.toString(16).padStart(width, "0");
}

/**
 * The name of the function containing `pc` without the `+0xoff` part
 * (QEMU's `qemu_plugin_insn_symbol`), or undefined.
 *
 * @example
 * ```ts ignore
 * functionName(ctx, 0x10450n); // "main"
 * ```
 */
export function functionName(ctx: ToolContext, pc: bigint): string | undefined {
  return ctx.symbol(pc)?.replace(/\+0x[0-9a-f]+$/, "");
}

/** One 64-bit counter: a scoreboard and an entry of it, for `inlineAdd`. */
export interface Counter {
  sb: Scoreboard;
  entry: number;
}

/**
 * Hands out inline counters (scoreboard entries), allocating scoreboards in
 * chunks so that thousands of blocks do not each need their own.
 *
 * @example
 * ```ts ignore
 * const pool = new CounterPool(ctx.hooks);
 * const c = pool.take();
 * tb.inlineAdd(c.sb, 1n, c.entry);
 * console.log(pool.get(c));
 * ```
 */
export class CounterPool {
  #current: Scoreboard | null = null;
  #used = 0;

  constructor(readonly hooks: Hooks, readonly chunk = 1024) {}

  /** A fresh counter, starting at zero. */
  take(): Counter {
    if (!this.#current || this.#used === this.chunk) {
      this.#current = this.hooks.scoreboard(this.chunk);
      this.#used = 0;
    }
    return { sb: this.#current, entry: this.#used++ };
  }

  /** The value of a counter. */
  get(c: Counter): bigint {
    return c.sb.get(c.entry);
  }
}

/**
 * The monitor's `x`, `xp` and `p`/`print` commands as QEMU's HMP has them:
 * the `/count format size` argument (a format and a size it leaves out are
 * the last ones used, at first `x` and `w`), expressions (`+ - * / % & | ^
 * ~` and parentheses over 64-bit numbers), and QEMU's layout of each format.
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";

/** A parsed `/fmt`: how many units, shown how (o x d u c i), of how many bytes. */
export interface DumpFormat {
  count: number;
  format: string;
  /** bytes per unit; 0 for `i` (the instruction's own size) */
  size: number;
}

/** A monitor error QEMU prints as it is (no "Error: "), e.g. "unknown command: 'foo'". */
export class MonitorMessage extends EmuError {}

/** A monitor argument error, printed with QEMU's "Try "help cmd"" line. */
export class MonitorSyntaxError extends MonitorMessage {}

const SIZES: Record<string, number> = { b: 1, h: 2, w: 4, g: 8, L: 8 };

/**
 * The `x`/`xp`/`p` argument parser; it remembers the last format and size, as
 * QEMU's monitor does across commands.
 *
 * @example
 * ```ts
 * import { FormatState } from "./monitor_format.ts";
 * const f = new FormatState();
 * console.log(f.parse("/2dw 0x10+4")); // { fmt: { count: 2, format: "d", size: 4 }, expr: " 0x10+4" }
 * ```
 */
export class FormatState {
  #format = "x";
  #size = 4;

  /** Splits `args` into its format (given or remembered) and the expression after it. */
  parse(args: string): { fmt: DumpFormat; expr: string } {
    const m = /^\s*\/(\d*)(\S*)/.exec(args);
    if (!m) {
      const size = this.#format === "i" ? 0 : this.#size;
      return { fmt: { count: 1, format: this.#format, size }, expr: args };
    }
    let format = "", size = 0;
    for (const c of m[2]) {
      if ("oxduci".includes(c)) format = c;
      else if (c in SIZES) size = SIZES[c];
      else throw new MonitorSyntaxError(`invalid char in format: '${c}'`);
    }
    format ||= this.#format;
    if (format !== "i") this.#size = size ||= this.#size;
    this.#format = format;
    return {
      fmt: { count: m[1] === "" ? 1 : Number(m[1]), format, size },
      expr: args.slice(m[0].length),
    };
  }
}

/**
 * Evaluates a QEMU monitor expression to a 64-bit value.
 *
 * @example
 * ```ts
 * import { evaluate } from "./monitor_format.ts";
 * console.log(evaluate("(1 + 2) * 0x10"), evaluate("-1")); // 48n 18446744073709551615n
 * ```
 */
export function evaluate(text: string): bigint {
  const p = new ExprParser(text);
  const v = p.sum();
  p.end();
  return BigInt.asUintN(64, v);
}

/** A recursive-descent parser of QEMU's monitor expressions. */
class ExprParser {
  #pos = 0;
  constructor(readonly text: string) {}

  #peek(): string {
    while (this.text[this.#pos] === " ") this.#pos++;
    return this.text[this.#pos] ?? "";
  }

  end(): void {
    if (this.#peek() !== "") throw new MonitorSyntaxError("invalid char in expression");
  }

  /** One precedence level: `next` operands joined by the operators in `ops`. */
  #level(ops: string, next: () => bigint, apply: (op: string, a: bigint, b: bigint) => bigint) {
    let v = next();
    for (let op = this.#peek(); op !== "" && ops.includes(op); op = this.#peek()) {
      this.#pos++;
      v = BigInt.asUintN(64, apply(op, v, next()));
    }
    return v;
  }

  sum(): bigint {
    return this.#level("+-", () => this.#product(), (op, a, b) => op === "+" ? a + b : a - b);
  }

  #product(): bigint {
    return this.#level("*/%", () => this.#logic(), (op, a, b) => {
      if (op !== "*" && b === 0n) throw new MonitorSyntaxError("division by zero");
      const [x, y] = [BigInt.asIntN(64, a), BigInt.asIntN(64, b)];
      return op === "*" ? a * b : op === "/" ? x / y : x % y;
    });
  }

  #logic(): bigint {
    return this.#level(
      "&|^",
      () => this.#unary(),
      (op, a, b) => op === "&" ? a & b : op === "|" ? a | b : a ^ b,
    );
  }

  #unary(): bigint {
    const c = this.#peek();
    if (c === "") throw new MonitorSyntaxError("unexpected end of expression");
    this.#pos++;
    if (c === "+") return this.#unary();
    if (c === "-") return BigInt.asUintN(64, -this.#unary());
    if (c === "~") return BigInt.asUintN(64, ~this.#unary());
    if (c === "(") {
      const v = this.sum();
      if (this.#peek() !== ")") throw new MonitorSyntaxError("')' expected");
      this.#pos++;
      return v;
    }
    // QEMU's RISC-V monitor names no registers: every $name is unknown there
    if (c === "$") throw new MonitorSyntaxError("unknown register");
    this.#pos--;
    return this.#number();
  }

  /** A number as strtoull reads it with base 0: 0x hex, leading-0 octal, else decimal. */
  #number(): bigint {
    const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(this.text.slice(this.#pos));
    if (!m) throw new MonitorSyntaxError("invalid char in expression");
    this.#pos += m[0].length;
    const t = m[0];
    return BigInt.asUintN(64, /^0[0-7]+$/.test(t) ? BigInt("0o" + t.slice(1)) : BigInt(t));
  }
}

/**
 * One value in `format` (`p`'s layout: `%#x`, `%#o`, `%u`, `%d` or a quoted character).
 *
 * @example
 * ```ts
 * import { formatValue } from "./monitor_format.ts";
 * console.log(formatValue(255n, "x"), formatValue(0n, "x"), formatValue(-1n, "d")); // 0xff 0 -1
 * ```
 */
export function formatValue(v: bigint, format: string): string {
  const u = BigInt.asUintN(64, v);
  switch (format) {
    case "x":
      return u === 0n ? "0" : `0x${u.toString(16)}`;
    case "o":
      return u === 0n ? "0" : `0${u.toString(8)}`;
    case "u":
      return u.toString();
    case "c":
      return quoteChar(Number(u & 0xffn));
    default:
      return BigInt.asIntN(64, u).toString();
  }
}

/** A byte as QEMU's monitor quotes it: 'A', '\n', '\x17'. */
function quoteChar(c: number): string {
  const named: Record<number, string> = { 39: "\\'", 92: "\\\\", 10: "\\n", 13: "\\r" };
  const body = named[c] ??
    (c >= 32 && c <= 126 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`);
  return `'${body}'`;
}

/**
 * The lines of `x`/`xp` (not `i`): 16 bytes a line (8 for bytes), each unit
 * in QEMU's width for its format; `read` returns null where there is no memory.
 *
 * @example
 * ```ts
 * import { dumpLines } from "./monitor_format.ts";
 * const mem = (a: bigint, n: number) => new Uint8Array(n).fill(Number(a & 0xffn));
 * console.log(dumpLines(0x10n, { count: 2, format: "x", size: 4 }, mem));
 * // [ "0000000000000010: 0x10101010 0x10101010" ]
 * ```
 */
export function dumpLines(
  addr: bigint,
  fmt: DumpFormat,
  read: (addr: bigint, length: number) => Uint8Array | null,
): string[] {
  const size = fmt.format === "c" ? 1 : fmt.size;
  const lineSize = size === 1 ? 8 : 16;
  const lines: string[] = [];
  for (let left = size * fmt.count; left > 0;) {
    const head = `${BigInt.asUintN(64, addr).toString(16).padStart(16, "0")}:`;
    const n = Math.min(left, lineSize);
    const bytes = read(addr, n);
    if (!bytes) {
      lines.push(`${head} Cannot access memory`);
      break;
    }
    const units: string[] = [];
    for (let i = 0; i < n; i += size) {
      units.push(" " + formatUnit(bytes.subarray(i, i + size), fmt.format));
    }
    lines.push(head + units.join(""));
    addr += BigInt(n);
    left -= n;
  }
  return lines;
}

/** One little-endian unit of `x`, padded to QEMU's width for its format and size. */
function formatUnit(bytes: Uint8Array, format: string): string {
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
  const bits = bytes.length * 8;
  switch (format) {
    case "c":
      return quoteChar(Number(v));
    case "o":
      return (v === 0n ? "0" : "0" + v.toString(8)).padStart(Math.ceil(bits / 3));
    case "u":
      return v.toString().padStart(Math.ceil(bits * 10 / 33));
    case "d":
      return BigInt.asIntN(bits, v).toString().padStart(Math.ceil(bits * 10 / 33));
    default:
      return "0x" + v.toString(16).padStart(bits / 4, "0");
  }
}

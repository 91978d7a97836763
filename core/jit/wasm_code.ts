/**
 * The JIT's small internal interface to WebAssembly: a byte emitter for
 * function bodies ({@linkcode WasmCode}) and a module assembler on top of
 * `npm:wasmbuilder` ({@linkcode assembleModule}). wasmbuilder has no float,
 * rotate, select, br_table or sign-extension helpers, so bodies are emitted as
 * raw opcodes here and handed to it whole.
 *
 * @module
 */

// A full specifier (not the import map's bare name) so that user scripts
// outside this project, which do not see deno.json, can import mod.ts.
// deno-lint-ignore no-import-prefix
import { ModuleBuilder } from "npm:wasmbuilder@0.0.16";

const I64_MIN = -(1n << 63n), I64_MAX = (1n << 63n) - 1n;

/** Value types. */
export const I32 = 0x7f;
export const I64 = 0x7e;
/** Block type with no result. */
export const VOID = 0x40;

/** WebAssembly opcodes used by the JIT. */
export const W = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  returnCallIndirect: 0x13,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  i64Load8S: 0x30,
  i64Load8U: 0x31,
  i64Load16S: 0x32,
  i64Load16U: 0x33,
  i64Load32S: 0x34,
  i64Load32U: 0x35,
  i32Store: 0x36,
  i64Store: 0x37,
  i64Store8: 0x3c,
  i64Store16: 0x3d,
  i64Store32: 0x3e,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtU: 0x4b,
  i32GeS: 0x4e,
  i64Eqz: 0x50,
  i64Eq: 0x51,
  i64Ne: 0x52,
  i64LtS: 0x53,
  i64LtU: 0x54,
  i64GtS: 0x55,
  i64GtU: 0x56,
  i64LeS: 0x57,
  i64LeU: 0x58,
  i64GeS: 0x59,
  i64GeU: 0x5a,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32DivU: 0x6e,
  i32RemS: 0x6f,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64DivS: 0x7f,
  i64DivU: 0x80,
  i64RemS: 0x81,
  i64RemU: 0x82,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
  i64Extend8S: 0xc2,
  i64Extend16S: 0xc3,
  i64Extend32S: 0xc4,
  f64Add: 0xa0,
  f64Sub: 0xa1,
  f64Mul: 0xa2,
  f64Div: 0xa3,
  f64Sqrt: 0x9f,
  f64ConvertI64S: 0xb9,
  i64ReinterpretF64: 0xbd,
  f64ReinterpretI64: 0xbf,
} as const;

/**
 * Emits a function body as raw bytes.
 *
 * @example
 * ```ts
 * import { W, WasmCode } from "./wasm_code.ts";
 * const c = new WasmCode();
 * c.localGet(0).i64Const(1n).op(W.i64Add);
 * ```
 */
export class WasmCode {
  #buf: Uint8Array;
  #len = 0;

  /** `capacity`: the bytes it holds before it grows (a good guess saves copies). */
  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
  }

  /** The bytes emitted so far. */
  get bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }

  /** The number of bytes emitted so far. */
  get length(): number {
    return this.#len;
  }

  /** Forgets the bytes emitted, keeping the buffer (for reuse). */
  clear(): this {
    this.#len = 0;
    return this;
  }

  /** Appends section `id` holding the bytes of `content`. */
  section(id: number, content: WasmCode): this {
    return this.op(id).uleb(content.length).append(content);
  }

  /** Makes room for `n` more bytes. */
  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    grown.set(this.#buf.subarray(0, this.#len));
    this.#buf = grown;
  }

  #byte(b: number): void {
    if (this.#len === this.#buf.length) this.#reserve(1);
    this.#buf[this.#len++] = b;
  }

  /** A plain opcode with no immediates. */
  op(code: number): this {
    this.#byte(code);
    return this;
  }

  /** An unsigned LEB128 immediate. */
  uleb(v: number): this {
    do {
      let b = v & 0x7f;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.#byte(b);
    } while (v !== 0);
    return this;
  }

  /** A signed LEB128 immediate of a safe integer. */
  #slebNumber(v: number): this {
    for (;;) {
      const b = v & 0x7f;
      v = Math.floor(v / 128);
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.#byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  /** A signed LEB128 immediate. */
  sleb(v: bigint): this {
    if (v >= -0x80000000n && v <= 0x7fffffffn) return this.#slebNumber(Number(v));
    for (;;) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
      this.#byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  localGet(i: number): this {
    return this.op(W.localGet).uleb(i);
  }

  /** Pushes an i64 operand: local `v`, or the constant `v` when it is a bigint. */
  operand(v: number | bigint): this {
    return typeof v === "bigint" ? this.i64Const(v) : this.localGet(v);
  }

  localSet(i: number): this {
    return this.op(W.localSet).uleb(i);
  }

  localTee(i: number): this {
    return this.op(W.localTee).uleb(i);
  }

  i32Const(v: number): this {
    return this.op(W.i32Const).#slebNumber(v | 0);
  }

  i64Const(v: bigint): this {
    const signed = v >= I64_MIN && v <= I64_MAX ? v : BigInt.asIntN(64, v);
    return this.op(W.i64Const).sleb(signed);
  }

  /** A load or store with its memarg (alignment hint 0: guest accesses may be unaligned). */
  mem(code: number, offset: number): this {
    return this.op(code).uleb(0).uleb(offset);
  }

  block(type: number = VOID): this {
    return this.op(W.block).op(type);
  }

  loop(type: number = VOID): this {
    return this.op(W.loop).op(type);
  }

  if(type: number = VOID): this {
    return this.op(W.if).op(type);
  }

  br(depth: number): this {
    return this.op(W.br).uleb(depth);
  }

  brIf(depth: number): this {
    return this.op(W.brIf).uleb(depth);
  }

  brTable(depths: number[], defaultDepth: number): this {
    this.op(W.brTable).uleb(depths.length);
    for (const d of depths) this.uleb(d);
    return this.uleb(defaultDepth);
  }

  call(fn: number): this {
    return this.op(W.call).uleb(fn);
  }

  /** `return_call_indirect` through table 0 with type `typeIndex` (a tail call). */
  returnCallIndirect(typeIndex: number): this {
    return this.op(W.returnCallIndirect).uleb(typeIndex).uleb(0);
  }

  /** Appends another body fragment. */
  append(other: WasmCode): this {
    return this.raw(other.bytes);
  }

  /** Appends bytes as they are. */
  raw(bytes: ArrayLike<number>): this {
    this.#reserve(bytes.length);
    if (bytes instanceof Uint8Array) this.#buf.set(bytes, this.#len);
    else for (let i = 0; i < bytes.length; i++) this.#buf[this.#len + i] = bytes[i];
    this.#len += bytes.length;
    return this;
  }
}

/** A function of a module being assembled. */
export interface WasmFunctionSpec {
  name: string;
  params: number[];
  /** the result type, several (a multi-value return) or none */
  result: number | number[] | null;
  /** extra locals beyond the params, by type */
  locals?: number[];
  body?: WasmCode;
  exported?: boolean;
}

/** Type index of `(i32, i32) -> i32` in every assembled module (for `return_call_indirect`). */
export const RUN_TYPE_INDEX = 0;
const RUN_SIGNATURE = [0x60, 2, I32, I32, 1, I32];

/** Local declarations as (count, type) runs of equal types. */
function localRuns(types: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const t of types) {
    const last = runs[runs.length - 1];
    if (last && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  return runs;
}

const WASM_HEADER = [0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
/**
 * Reused by every module assembled: section contents are written to
 * `scratch`, then copied after their size into `moduleScratch`, whose bytes
 * are copied out once at the end (fresh growing buffers cost more).
 */
const scratch = new WasmCode(1 << 16), localsScratch = new WasmCode(64);
const moduleScratch = new WasmCode(1 << 16);

const nameBytes = new Map<string, Uint8Array>();

/** A name as the binary format writes it (length-prefixed UTF-8), encoded once. */
function stringBytes(s: string): Uint8Array {
  let b = nameBytes.get(s);
  if (!b) {
    const utf8 = new TextEncoder().encode(s);
    nameBytes.set(s, b = new WasmCode().uleb(utf8.length).raw(utf8).bytes.slice());
  }
  return b;
}

/** The part of wasmbuilder's (untyped) ModuleBuilder that the JIT uses. */
interface WasmbuilderFunction {
  signatureIdx: number;
  moduleName: string;
  fieldName: string;
  getSignature(): number[];
}
interface WasmbuilderModule {
  signatures: number[][];
  functions: WasmbuilderFunction[];
  memory: { pagesSize: number };
  nImportFunctions: number;
  exports: { exportName: string; idx: number }[];
  _setSignatures(): void;
  setMemory(pages: number, moduleName: string, fieldName: string): void;
  addIimportFunction(name: string, moduleName: string, fieldName: string): WasmbuilderFunction;
  addFunction(name: string): WasmbuilderFunction;
  exportFunction(name: string): void;
  build(): Uint8Array;
}

/**
 * wasmbuilder's ModuleBuilder, extended with what the JIT needs and it lacks:
 * an imported function table (`env.table`, for tail calls between modules),
 * the `(i32, i32) -> i32` signature pinned at type index 0, and sections
 * written straight into reused byte arrays (wasmbuilder's spread arrays of
 * numbers, which dominated translation time on large regions); wasmbuilder
 * only keeps the functions and exports. The module has no data section, so
 * instantiating it writes no memory.
 */
class JitModuleBuilder extends (ModuleBuilder as unknown as new () => WasmbuilderModule) {
  /** The defined functions, in order (their bodies and locals). */
  readonly defined: WasmFunctionSpec[] = [];

  override build(): Uint8Array {
    this._setSignatures();
    const out = moduleScratch.clear().raw(WASM_HEADER);
    const t = scratch.clear().uleb(this.signatures.length);
    for (const sig of this.signatures) t.raw(sig);
    out.section(1, t);
    out.section(2, this.#imports(scratch.clear()));
    const fns = scratch.clear().uleb(this.defined.length);
    for (const f of this.functions.slice(this.nImportFunctions)) fns.uleb(f.signatureIdx);
    out.section(3, fns);
    const ex = scratch.clear().uleb(this.exports.length);
    for (const e of this.exports) ex.raw(stringBytes(e.exportName)).op(0x00).uleb(e.idx);
    out.section(7, ex);
    const code = scratch.clear().uleb(this.defined.length);
    for (const f of this.defined) {
      const head = localsScratch.clear();
      const runs = localRuns(f.locals ?? []);
      head.uleb(runs.length);
      for (const [count, type] of runs) head.uleb(count).op(type);
      code.uleb(head.length + (f.body?.length ?? 0) + 1).append(head);
      if (f.body) code.append(f.body);
      code.op(W.end);
    }
    return out.section(0x0a, code).bytes.slice();
  }

  /**
   * wasmbuilder's signature numbering (each distinct signature once, in the
   * order of the functions), keyed by the joined numbers instead of its hex
   * strings (which cost a percent of speedtest1's main thread), then the run
   * signature swapped to index 0.
   */
  override _setSignatures(): void {
    const sigs: number[][] = this.signatures = [], index = new Map<string, number>();
    const indexOf = (s: number[]): number => {
      const key = s.join();
      let k = index.get(key);
      if (k === undefined) index.set(key, k = sigs.push(s) - 1);
      return k;
    };
    for (const f of this.functions) f.signatureIdx = indexOf(f.getSignature());
    const k = indexOf(RUN_SIGNATURE);
    [sigs[0], sigs[k]] = [sigs[k], sigs[0]];
    for (const f of this.functions) {
      if (f.signatureIdx === 0) f.signatureIdx = k;
      else if (f.signatureIdx === k) f.signatureIdx = 0;
    }
  }

  /** The import section's entries. */
  #imports(entries: WasmCode): WasmCode {
    entries.uleb(2 + this.nImportFunctions);
    entries.raw(stringBytes("env")).raw(stringBytes("memory")).op(0x02).op(0x00)
      .uleb(this.memory.pagesSize);
    entries.raw(stringBytes("env")).raw(stringBytes("table")).op(0x01).op(0x70).op(0x00).op(0x00);
    for (let i = 0; i < this.nImportFunctions; i++) {
      const f = this.functions[i];
      entries.raw(stringBytes(f.moduleName)).raw(stringBytes(f.fieldName)).op(0x00)
        .uleb(f.signatureIdx);
    }
    return entries;
  }
}

/**
 * Builds a module that imports the shared memory as `env.memory`, a function
 * table as `env.table`, then `imports` (from module `env`, in order: function
 * index = position), then defines `functions` (indices follow the imports).
 *
 * @example
 * ```ts
 * import { assembleModule, I64, WasmCode } from "./wasm_code.ts";
 * const body = new WasmCode().localGet(0);
 * const bytes = assembleModule(1, [], [{ name: "id", params: [I64], result: I64, body, exported: true }]);
 * ```
 */
export function assembleModule(
  memoryPages: number,
  imports: WasmFunctionSpec[],
  functions: WasmFunctionSpec[],
): Uint8Array {
  const mb = new JitModuleBuilder();
  mb.setMemory(memoryPages, "env", "memory");
  // The signature from the spec (wasmbuilder's own has at most one result).
  const declare = (f: WasmbuilderFunction, s: WasmFunctionSpec) => {
    const results = s.result === null ? [] : typeof s.result === "number" ? [s.result] : s.result;
    const signature = [0x60, s.params.length, ...s.params, results.length, ...results];
    f.getSignature = () => signature;
  };
  for (const s of imports) declare(mb.addIimportFunction(s.name, "env", s.name), s);
  for (const s of functions) {
    declare(mb.addFunction(s.name), s);
    mb.defined.push(s);
    if (s.exported) mb.exportFunction(s.name);
  }
  return mb.build();
}

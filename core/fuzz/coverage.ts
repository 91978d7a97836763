/**
 * Edge coverage compiled into generated code, as AFL's QEMU mode does it: each
 * translation block gets an id `cur` from its pc, and its entry runs
 * `map[cur ^ prev]++; prev = cur >> 1` on a byte map in host memory. The
 * update is four IR ops (`LOAD_HOST`, `XOR`, `COUNTER_INC8`, `STORE_HOST`)
 * injected by a translation observer, so the interpreter and the JIT both run
 * it, and no edge ever calls into JavaScript.
 *
 * @module
 */

import type { CpuCore } from "../cpu_core.ts";
import { EmuError } from "../errors.ts";
import { type IrBlock, Op } from "../ir.ts";
import { IrBuilder } from "../ir_builder.ts";

/** AFL's default map size (64 KiB). */
export const DEFAULT_MAP_SIZE = 1 << 16;

/** Checks a `--map-size`: a power of two from 64 bytes to 16 MiB. */
export function checkMapSize(size: number): number {
  if (!Number.isInteger(size) || size < 64 || size > 1 << 24 || (size & (size - 1)) !== 0) {
    throw new EmuError(`map size ${size} is not a power of two from 64 to 16777216`);
  }
  return size;
}

/**
 * The block id of `pc` in a map of `size` bytes: a mix of all pc bits (RISC-V
 * blocks start at any even address, so AFL's `pc >> 4` would merge neighbours).
 *
 * @example
 * ```ts
 * import { blockId } from "./coverage.ts";
 * console.log(blockId(0x10078n, 65536) < 65536); // true
 * ```
 */
export function blockId(pc: bigint, size: number): number {
  let x = Number(pc & 0xffffffffn) ^ Number((pc >> 32n) & 0xffffffffn);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  x = Math.imul(x ^ (x >>> 16), 0x45d9f3b);
  return (x ^ (x >>> 16)) & (size - 1);
}

/**
 * The edge map of one CPU and the instrumentation that fills it.
 *
 * @example
 * ```ts ignore
 * const cov = new EdgeCoverage(process.cpu);
 * cov.reset();
 * process.runToExit();
 * console.log(cov.bytes().filter((b) => b).length, "edges");
 * ```
 */
export class EdgeCoverage {
  /** host address of the map */
  readonly map: number;
  /** host address of `prev` (a 64-bit slot) */
  readonly prev: number;

  constructor(readonly cpu: CpuCore, readonly size = DEFAULT_MAP_SIZE) {
    checkMapSize(size);
    this.map = cpu.host.allocate(size, 64);
    this.prev = cpu.host.allocate(8, 8);
    const numGlobals = cpu.target.state.globals.length;
    cpu.tbs.observers.push({
      instrument: (ir, code) => this.#instrument(ir, code.pc, numGlobals),
    });
    // Code translated before now has no counters.
    cpu.tbs.flush();
    cpu.exitRequest = true;
  }

  /** Clears the map and `prev` (before each execution). */
  reset(): void {
    const host = this.cpu.host;
    host.u8.fill(0, this.map, this.map + this.size);
    host.i64[this.prev >> 3] = 0n;
  }

  /** The map as bytes (a view: valid until host memory grows). */
  bytes(): Uint8Array {
    return this.cpu.host.u8.subarray(this.map, this.map + this.size);
  }

  #instrument(ir: IrBlock, pc: bigint, numGlobals: number): void {
    const first = ir.ops[0]?.op === Op.INSN_START ? 1 : 0;
    const b = new IrBuilder(numGlobals, ir.numTemps, ir.numLabels);
    const cur = blockId(pc, this.size);
    const prev = b.temp(), index = b.temp();
    b.loadHost(prev, this.prev);
    b.binop(Op.XOR, index, prev, b.constant(BigInt(cur)));
    b.counterInc8(this.map, index);
    b.storeHost(this.prev, b.constant(BigInt(cur >> 1)));
    const fin = b.finish();
    ir.ops.splice(first, 0, ...fin.ops);
    ir.numTemps = fin.numTemps;
  }
}

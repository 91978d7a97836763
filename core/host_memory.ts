/**
 * The host side of guest memory: one `WebAssembly.Memory` holding the CPU
 * state block, the soft TLB, inline-instrumentation counters and every guest
 * RAM frame, so JS and compiled wasm code share them.
 *
 * Layout (host byte offsets):
 * - `0x0000 .. 0x1000`: reserved (wasmbuilder's stock module builder writes a
 *   data segment at address 0; the JIT's modules have none, but nothing lives
 *   at low addresses either).
 * - `STATE_BASE`: the CPU state block of the target (`STATE_SIZE` bytes at most).
 * - `TLB_BASE`: the soft TLB's tables, one per MMU mode (see `soft_tlb.ts`).
 * - above `HEAP_BASE`: frames and data blocks handed out by {@linkcode HostMemory.allocate}.
 *
 * @module
 */

import { DirtyFrames } from "./dirty_frames.ts";

/** Host offset of the CPU state block. */
export const STATE_BASE = 0x1000;
/** Bytes reserved for the CPU state block. */
export const STATE_SIZE = 0x7000;
/** Host offset of the soft TLB (its first table). */
export const TLB_BASE = 0x8000;
/** Number of TLB entries per table (a power of two). */
export const TLB_ENTRIES = 4096;
/** Bytes per TLB entry: read tag, write tag, fetch tag, addend (4 x i64). */
export const TLB_ENTRY_SIZE = 32;
/**
 * Soft-TLB tables: one per MMU mode a target distinguishes (QEMU's
 * `NB_MMU_MODES`; RISC-V's U, S and M), so that a privilege switch keeps
 * each level's translations instead of flushing them.
 */
export const TLB_MODES = 3;
/** First host offset handed out by the allocator. */
export const HEAP_BASE = TLB_BASE + TLB_MODES * TLB_ENTRIES * TLB_ENTRY_SIZE;
/** Guest page size. */
export const PAGE_SIZE = 4096;
const WASM_PAGE = 65536;
/** Largest wasm32 memory: 4 GiB. */
const MAX_WASM_PAGES = 65536;

/**
 * The shared linear memory plus a simple allocator for 4 KiB frames and
 * data blocks. Views are re-created after the memory grows.
 *
 * @example
 * ```ts
 * import { HostMemory } from "./host_memory.ts";
 * const m = new HostMemory();
 * const frame = m.allocFrame();
 * m.u8[frame] = 42;
 * ```
 */
export class HostMemory {
  readonly memory: WebAssembly.Memory;
  u8!: Uint8Array;
  dv!: DataView;
  i64!: BigInt64Array;
  /** frames written since the last snapshot point */
  readonly dirty: DirtyFrames = new DirtyFrames();
  #top = HEAP_BASE;
  #freeFrames: number[] = [];

  constructor(initialBytes = 16 << 20) {
    const initial = Math.ceil(initialBytes / WASM_PAGE);
    this.memory = new WebAssembly.Memory({ initial, maximum: MAX_WASM_PAGES });
    this.#refresh();
  }

  #refresh(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.dv = new DataView(buf);
    this.i64 = new BigInt64Array(buf);
  }

  /** Host bytes currently backing guest frames and data. */
  get used(): number {
    return this.#top - HEAP_BASE - this.#freeFrames.length * PAGE_SIZE;
  }

  /** Allocates `size` bytes aligned to `align` (zeroed). Throws RangeError past 4 GiB. */
  allocate(size: number, align = 8): number {
    const start = Math.ceil(this.#top / align) * align;
    const end = start + size;
    if (end > this.memory.buffer.byteLength) {
      const need = Math.ceil((end - this.memory.buffer.byteLength) / WASM_PAGE);
      const grow = Math.max(need, this.memory.buffer.byteLength / WASM_PAGE / 4 | 0);
      const cur = this.memory.buffer.byteLength / WASM_PAGE;
      if (cur + need > MAX_WASM_PAGES) throw new RangeError("host memory exhausted (4 GiB)");
      this.memory.grow(Math.min(grow, MAX_WASM_PAGES - cur));
      this.#refresh();
    }
    this.#top = end;
    return start;
  }

  /** A zeroed 4 KiB frame. */
  allocFrame(): number {
    const f = this.#freeFrames.pop();
    if (f !== undefined) {
      this.u8.fill(0, f, f + PAGE_SIZE);
      this.dirty.mark(f);
      return f;
    }
    const fresh = this.allocate(PAGE_SIZE, PAGE_SIZE);
    this.dirty.mark(fresh);
    return fresh;
  }

  /** Takes `frames` (host offsets) out of the free list: a restored page table owns them again. */
  reclaimFrames(frames: ReadonlySet<number>): void {
    this.#freeFrames = this.#freeFrames.filter((f) => !frames.has(f));
  }

  /** Returns a frame to the allocator. */
  freeFrame(frame: number): void {
    this.#freeFrames.push(frame);
  }
}

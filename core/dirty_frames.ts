/**
 * Which host frames were written since the last clean point: the basis of
 * snapshot restores that copy back only what a run changed.
 *
 * Every path that writes guest RAM marks the frame: the memory slow paths
 * (interpreter stores, syscalls, loaders, DMA through the bus) call
 * {@linkcode DirtyFrames.mark}; the JIT's inline store path cannot, so the
 * soft TLB grants a page's write tag only once its frame is dirty (the first
 * store to a clean frame takes the slow path, which marks it), and
 * {@linkcode DirtyFrames.clean} revokes the write tags it granted. This is the
 * write-protect scheme of KVM's dirty logging, at the price of one slow-path
 * store per page and clean point.
 *
 * @module
 */

const FRAME_SHIFT = 12;
/** Frames of a 4 GiB wasm memory: the most a host memory can hold. */
const MAX_FRAMES = 1 << 20;

/** Told when the dirty set is cleared (the soft TLB revokes its write tags). */
export interface DirtyObserver {
  /** The dirty set was just cleared. */
  onClean(): void;
}

/**
 * The dirty set of one host memory, as a bitmap plus the list of dirty frames
 * (so a clean or a restore visits only what was written).
 *
 * @example
 * ```ts
 * import { DirtyFrames } from "./dirty_frames.ts";
 * const d = new DirtyFrames();
 * d.mark(0x20000);
 * console.log(d.isDirty(0x20000), d.list.length); // true 1
 * d.clean();
 * console.log(d.isDirty(0x20000)); // false
 * ```
 */
export class DirtyFrames {
  readonly #bits = new Uint8Array(MAX_FRAMES);
  /** host offsets of the frames written since the last {@linkcode clean} */
  readonly list: number[] = [];
  /** told on every {@linkcode clean} */
  readonly observers: DirtyObserver[] = [];
  /**
   * The snapshot memory equals outside the dirty frames (set by the snapshot
   * code at each clean point), or null.
   */
  base: object | null = null;

  /** Marks the frame holding host offset `at` as written. */
  mark(at: number): void {
    const i = at >>> FRAME_SHIFT;
    if (this.#bits[i]) return;
    this.#bits[i] = 1;
    this.list.push(i << FRAME_SHIFT);
  }

  /** Marks every frame of host bytes `[at, at+length)`. */
  markRange(at: number, length: number): void {
    if (length <= 0) return;
    const last = (at + length - 1) >>> FRAME_SHIFT;
    for (let i = at >>> FRAME_SHIFT; i <= last; i++) this.mark(i << FRAME_SHIFT);
  }

  /** Whether the frame holding host offset `at` was written since the last clean. */
  isDirty(at: number): boolean {
    return this.#bits[at >>> FRAME_SHIFT] === 1;
  }

  /** Forgets every dirty frame and tells the observers (a new clean point). */
  clean(): void {
    const bits = this.#bits, list = this.list;
    for (let i = 0; i < list.length; i++) bits[list[i] >>> FRAME_SHIFT] = 0;
    list.length = 0;
    for (const o of this.observers) o.onClean();
  }
}

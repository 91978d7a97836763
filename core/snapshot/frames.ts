/**
 * Copies of host frames taken at a snapshot, and the restore that copies back
 * only the frames written since (see `core/dirty_frames.ts`).
 *
 * @module
 */

import type { HostMemory } from "../host_memory.ts";
import { PAGE_SIZE } from "../host_memory.ts";

/**
 * The contents of a set of host frames at one moment.
 *
 * @example
 * ```ts
 * import { HostMemory } from "../host_memory.ts";
 * import { FrameImage } from "./frames.ts";
 * const host = new HostMemory();
 * const f = host.allocFrame();
 * host.u8[f] = 7;
 * const image = FrameImage.capture(host, [f]);
 * host.u8[f] = 9;
 * image.copyBack(host, f);
 * console.log(host.u8[f]); // 7
 * ```
 */
export class FrameImage {
  private constructor(
    /** frame host offset -> byte offset in `data` */
    readonly index: ReadonlyMap<number, number>,
    readonly data: Uint8Array,
  ) {}

  /** Copies `frames` (host offsets) out of `host`. */
  static capture(host: HostMemory, frames: Iterable<number>): FrameImage {
    const list = [...frames];
    const data = new Uint8Array(list.length * PAGE_SIZE);
    const index = new Map<number, number>();
    const u8 = host.u8;
    list.forEach((f, i) => {
      data.set(u8.subarray(f, f + PAGE_SIZE), i * PAGE_SIZE);
      index.set(f, i * PAGE_SIZE);
    });
    return new FrameImage(index, data);
  }

  /** Builds an image from stored frame contents (a snapshot file). */
  static fromData(frames: number[], data: Uint8Array): FrameImage {
    return new FrameImage(new Map(frames.map((f, i) => [f, i * PAGE_SIZE])), data);
  }

  /** The frames this image holds. */
  frames(): IterableIterator<number> {
    return this.index.keys();
  }

  /** The saved contents of `frame`, or undefined when the image does not hold it. */
  contents(frame: number): Uint8Array | undefined {
    const at = this.index.get(frame);
    return at === undefined ? undefined : this.data.subarray(at, at + PAGE_SIZE);
  }

  /**
   * Copies the saved `frame` back. With `compare`, returns whether the live
   * contents differed (for frames holding translated code); otherwise true.
   * Frames the image does not hold are left alone (false).
   */
  copyBack(host: HostMemory, frame: number, compare = false): boolean {
    const at = this.index.get(frame);
    if (at === undefined) return false;
    const saved = this.data.subarray(at, at + PAGE_SIZE);
    const u8 = host.u8;
    if (compare && sameBytes(u8, frame, saved)) return false;
    u8.set(saved, frame);
    return true;
  }
}

function sameBytes(u8: Uint8Array, at: number, saved: Uint8Array): boolean {
  for (let i = 0; i < PAGE_SIZE; i++) if (u8[at + i] !== saved[i]) return false;
  return true;
}

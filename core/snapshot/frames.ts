/**
 * Copies of host frames taken at a snapshot, and the restore that copies back
 * only the frames written since (see `core/dirty_frames.ts`).
 *
 * A snapshot taken while memory still equals an earlier snapshot outside the
 * dirty frames (the usual case: snapshot, run, snapshot again) copies only
 * the dirty frames and shares the rest with the earlier image.
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
    /** frame host offset -> its saved bytes (shared between images when unchanged) */
    readonly saved: ReadonlyMap<number, Uint8Array>,
  ) {}

  /**
   * Copies `frames` (host offsets) out of `host`. With `earlier`, an image
   * memory still equals outside the host's dirty frames, clean frames share
   * its copies.
   */
  static capture(host: HostMemory, frames: Iterable<number>, earlier?: FrameImage): FrameImage {
    const list = [...frames];
    const saved = new Map<number, Uint8Array>();
    const fresh: number[] = [];
    // Never cleaned: a frame not written since the memory was made is still zero (wasm memory
    // grows zeroed; a reused frame is zeroed and marked), so it shares one zero copy.
    const unwritten = earlier ?? (host.dirty.base === null ? ZERO_IMAGE : undefined);
    for (const f of list) {
      const old = unwritten && !host.dirty.isDirty(f) ? unwritten.contents(f) : undefined;
      if (old) saved.set(f, old);
      else fresh.push(f);
    }
    const data = new Uint8Array(fresh.length * PAGE_SIZE);
    const u8 = host.u8;
    fresh.forEach((f, i) => {
      const copy = data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE);
      copy.set(u8.subarray(f, f + PAGE_SIZE));
      saved.set(f, copy);
    });
    return new FrameImage(saved);
  }

  /** Builds an image from stored frame contents (a snapshot file). */
  static fromData(frames: number[], data: Uint8Array): FrameImage {
    return new FrameImage(
      new Map(frames.map((f, i) => [f, data.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE)])),
    );
  }

  /** The frames this image holds. */
  frames(): IterableIterator<number> {
    return this.saved.keys();
  }

  /** The saved contents of `frame`, or undefined when the image does not hold it. */
  contents(frame: number): Uint8Array | undefined {
    return this.saved.get(frame);
  }

  /**
   * The frames of this image live memory may differ from, given that memory
   * equals `base` outside the host's dirty frames (`base` undefined: unknown,
   * every frame). Images share the copies of frames unchanged between them,
   * so restoring an older snapshot visits only what changed since.
   */
  framesToRestore(host: HostMemory, base: FrameImage | undefined): Iterable<number> {
    const dirty = host.dirty;
    if (base === this) return dirty.list;
    if (base === undefined) return this.saved.keys();
    const frames: number[] = [];
    for (const [f, bytes] of this.saved) {
      if (dirty.isDirty(f) || base.saved.get(f) !== bytes) frames.push(f);
    }
    return frames;
  }

  /**
   * Copies the saved `frame` back. With `compare`, returns whether the live
   * contents differed (for frames holding translated code); otherwise true.
   * Frames the image does not hold are left alone (false).
   */
  copyBack(host: HostMemory, frame: number, compare = false): boolean {
    const saved = this.saved.get(frame);
    if (saved === undefined) return false;
    const u8 = host.u8;
    if (compare && sameBytes(u8, frame, saved)) return false;
    u8.set(saved, frame);
    return true;
  }
}

const ZERO_FRAME = new Uint8Array(PAGE_SIZE);
/** What memory held before anything was written: zero frames. */
const ZERO_IMAGE = { contents: (_frame: number): Uint8Array => ZERO_FRAME };

function sameBytes(u8: Uint8Array, at: number, saved: Uint8Array): boolean {
  for (let i = 0; i < PAGE_SIZE; i++) if (u8[at + i] !== saved[i]) return false;
  return true;
}

/**
 * Giving the free pages of the host's C heap back to the host: glibc's
 * `malloc_trim(0)`, through FFI.
 *
 * Why: V8's background threads compile (TurboFan and Maglev jobs for
 * Denemu's own hot code, wasm tier-up) in zones they malloc from their own
 * glibc arenas. A big job grows its thread's arena by 10-16 MiB, and once
 * the job is freed those pages stay resident: the few small blocks still in
 * use above them keep glibc from shrinking the arena from its top. On a
 * Linux boot with the cores to itself that was 13-26 MiB; trimmed, its peak
 * RSS is 15 MiB lower (median; docs/perf.md, "Twenty-fifth session").
 * `malloc_trim(0)` hands every arena's free pages back, wherever they are.
 *
 * Where FFI is not granted (it is never asked for: no prompt), or libc is
 * not glibc, it does nothing.
 *
 * @module
 */

type Libc = Deno.DynamicLibrary<{ malloc_trim: { parameters: ["usize"]; result: "i32" } }>;

let libc: Libc | null | undefined;

function loadLibc(): Libc | null {
  if (libc !== undefined) return libc;
  libc = null;
  try {
    if (
      Deno.build.os === "linux" && Deno.permissions.querySync({ name: "ffi" }).state === "granted"
    ) {
      libc = Deno.dlopen("libc.so.6", { malloc_trim: { parameters: ["usize"], result: "i32" } });
    }
  } catch {
    // not glibc (musl has no malloc_trim), or no libc.so.6: nothing to trim
  }
  return libc;
}

/**
 * Returns the C heap's free pages to the host (a few ms: every arena is
 * walked). False where that cannot be done here.
 *
 * @example
 * ```ts
 * import { releaseFreeHeap } from "./host_malloc.ts";
 * releaseFreeHeap(); // true on Linux with glibc and FFI granted
 * ```
 */
export function releaseFreeHeap(): boolean {
  const lib = loadLibc();
  if (!lib) return false;
  lib.symbols.malloc_trim(0n);
  return true;
}

/**
 * The C heap's free pages go back to the host after this many region compiles and at each
 * doubling (256, 512, 1024...): V8's compile threads leave them behind. A few ms each; a Linux
 * boot with the cores to itself peaks 15 MiB lower (median; docs/perf.md, twenty-fifth session).
 */
const RELEASE_AFTER_COMPILES = 256;

/**
 * Called by a JIT with its count of region compiles: releases the free heap at 256 and each
 * doubling.
 *
 * @example
 * ```ts
 * import { releaseAfterCompiles } from "./host_malloc.ts";
 * releaseAfterCompiles(100); // nothing yet
 * ```
 */
export function releaseAfterCompiles(compiles: number): void {
  if (compiles >= RELEASE_AFTER_COMPILES && (compiles & (compiles - 1)) === 0) releaseFreeHeap();
}

/**
 * qcow2's compressed clusters: raw deflate, through `node:zlib` (the block
 * driver reads and writes synchronously, which the built-in
 * `CompressionStream` cannot). The module is loaded on the first compressed
 * cluster, not at start-up: importing it costs every `emu img` command some
 * 50 ms.
 *
 * @module
 */

type Zlib = typeof import("node:zlib");

let zlib: Zlib | undefined;

function loadZlib(): Zlib {
  const process = (globalThis as unknown as {
    process: { getBuiltinModule(name: string): unknown };
  }).process;
  return zlib ??= process.getBuiltinModule("node:zlib") as Zlib;
}

/**
 * Inflates a compressed cluster's bytes (which may run on past the end of
 * the stream, as stored: a sync flush, not an error, ends it).
 *
 * @example
 * ```ts
 * import { deflateCluster, inflateCluster } from "./deflate.ts";
 * console.log(inflateCluster(deflateCluster(new Uint8Array(512))).length); // 512
 * ```
 */
export function inflateCluster(raw: Uint8Array): Uint8Array {
  return new Uint8Array(loadZlib().inflateRawSync(raw, { finishFlush: 2 /* Z_SYNC_FLUSH */ }));
}

/**
 * Deflates a cluster as qemu-img does (zlib level 6, a 4 KiB window, memory
 * level 9, no header: QEMU's qcow2_compress), so the bytes are QEMU's.
 *
 * @example
 * ```ts
 * import { deflateCluster } from "./deflate.ts";
 * console.log(deflateCluster(new Uint8Array(65536)).length < 100); // true
 * ```
 */
export function deflateCluster(cluster: Uint8Array): Uint8Array {
  return new Uint8Array(
    loadZlib().deflateRawSync(cluster, { level: 6, windowBits: 12, memLevel: 9 }),
  );
}

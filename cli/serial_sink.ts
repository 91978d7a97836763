/**
 * `emu system`'s serial output: where the guest's console bytes go (`-serial stdio|file:|null`).
 *
 * @module
 */

import { EmuError } from "../core/errors.ts";
import type { SerialConsole } from "../core/system/console.ts";
import type { SerialBackend } from "./system_options.ts";

/** Opens (truncates) a `-serial file:` file; an error says which, as QEMU's does. */
function openSerialFile(path: string): Deno.FsFile {
  try {
    return Deno.openSync(path, { write: true, create: true, truncate: true });
  } catch (e) {
    if (
      !(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied ||
        e instanceof Deno.errors.IsADirectory)
    ) throw e;
    throw new EmuError(
      `-serial file:${path}: Could not open '${path}': ${e.message.replace(/ \(os error.*$/, "")}`,
    );
  }
}

/**
 * Copies guest output to stdout or a `-serial file:` file (batched per microtask), or drops it;
 * returns what closes the file.
 *
 * @example
 * ```ts ignore
 * const close = serialSink(machine.serial, { kind: "stdio" });
 * ```
 */
export function serialSink(console: SerialConsole, backend: SerialBackend): () => void {
  if (backend.kind === "null") return () => {};
  const file = backend.kind === "file" ? openSerialFile(backend.path) : Deno.stdout;
  let buf: number[] = [];
  console.onOutput((b) => {
    if (buf.length === 0) {
      queueMicrotask(() => {
        const out = new Uint8Array(buf);
        buf = [];
        let done = 0;
        while (done < out.length) done += file.writeSync(out.subarray(done));
      });
    }
    buf.push(b);
  });
  return () => file === Deno.stdout || file.close();
}

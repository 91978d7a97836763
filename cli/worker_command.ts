/**
 * A command run in a worker thread whose V8 heap has a capped young
 * generation: `emu system`'s machine runs there.
 *
 * Why: V8 grows an isolate's semi-spaces (1 -> 2 -> ... -> 32 MiB) once the
 * bytes its scavenges keep pass their size, and a Linux boot keeps enough
 * (TBs, regions) to reach 32 MiB: two 32 MiB semi-spaces, about 35 MiB of
 * peak RSS for nothing that lives (docs/perf.md, "Sixteenth session" and
 * "Twentieth session, the Linux boot's peak RSS"). A program cannot set V8's
 * flags for its own isolate, but `node:worker_threads` gives a worker's
 * isolate `resourceLimits`. The worker costs an isolate's baseline (about
 * 8 MiB); the main thread only waits for the exit status.
 *
 * @module
 */

import { Worker } from "node:worker_threads";
import type { RunCommand } from "./lazy.ts";

/** What the worker runs: the export `name` of the module at `url`, on `args`. */
export interface WorkerCommand {
  url: string;
  name: string;
  args: string[];
}

/**
 * The command exported as `name` by the module at `url`, run in a worker
 * whose young generation is at most `youngMb` MiB (V8's two semi-spaces and
 * its new large-object space, a third each). Errors the command throws are
 * reported by the worker as `main` reports them; the result is its exit status.
 *
 * @example
 * ```ts ignore
 * const run = inWorker(new URL("./system.ts", import.meta.url), "systemBoot", 12);
 * Deno.exit(await run(["-M", "virt", "-bios", "none", "-kernel", "prog.elf"]));
 * ```
 */
export function inWorker(url: URL, name: string, youngMb: number): RunCommand {
  return (args) =>
    new Promise((resolve, reject) => {
      const data: WorkerCommand = { url: url.href, name, args };
      const worker = new Worker(new URL("./worker_entry.ts", import.meta.url), {
        workerData: data,
        resourceLimits: { maxYoungGenerationSizeMb: youngMb },
      });
      let status: number | undefined;
      worker.on("message", (s: number) => {
        status = s;
        // The command is done; what it left pending (a stdin read) must not keep the process up.
        worker.terminate();
      });
      worker.on("error", reject);
      worker.on("exit", (code: number) => resolve(status ?? (code || 70)));
    });
}

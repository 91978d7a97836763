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
 * Its old generation may be capped too: V8 sizes its collections of the old
 * space by the cap, and a smaller one collects sooner (10-12 MiB off a Linux
 * boot's peak at 512 MiB). But a worker that passes its cap while it awaits
 * gets neither `error` nor `exit` (Deno 2.9): the process hangs. So what runs
 * there must keep its heap bounded below the cap by itself, as the TB cache's
 * size keeps translated code (core/tb.ts).
 *
 * @module
 */

import type { RunCommand } from "./lazy.ts";

/** What the worker runs: the export `name` of the module at `url`, on `args`. */
export interface WorkerCommand {
  url: string;
  name: string;
  args: string[];
}

/** A worker's heap caps, MiB. */
export interface WorkerHeap {
  /** the young generation: V8's two semi-spaces and its new large-object space, a third each */
  youngMb: number;
  /** the old generation (default: V8's, sized from the host's memory) */
  oldMb?: number;
}

/**
 * The command exported as `name` by the module at `url`, run in a worker
 * whose heap has the caps `heap`. Errors the command throws are reported by
 * the worker as `main` reports them; the result is its exit status.
 *
 * @example
 * ```ts ignore
 * const run = inWorker(new URL("./system.ts", import.meta.url), "systemBoot", { youngMb: 12 });
 * Deno.exit(await run(["-M", "virt", "-bios", "none", "-kernel", "prog.elf"]));
 * ```
 */
export function inWorker(url: URL, name: string, heap: WorkerHeap): RunCommand {
  return async (args) => {
    // imported here: the Node layer it loads costs every other command about 20 ms of start-up
    const { Worker } = await import("node:worker_threads");
    return await new Promise((resolve, reject) => {
      const data: WorkerCommand = { url: url.href, name, args };
      const worker = new Worker(new URL("./worker_entry.ts", import.meta.url), {
        workerData: data,
        resourceLimits: {
          maxYoungGenerationSizeMb: heap.youngMb,
          ...heap.oldMb ? { maxOldGenerationSizeMb: heap.oldMb } : {},
        },
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
  };
}

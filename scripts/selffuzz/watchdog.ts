/**
 * A per-case watchdog for self-fuzzing campaigns: each case runs in a
 * worker, and a case whose worker thread has used more than a CPU budget is
 * stopped (the worker is terminated, a new one runs the next case) and
 * reported as a hang. CPU time rather than wall time, read from
 * /proc/self/task/TID/stat, so that a loaded host does not turn a slow case
 * into a hang; wall time where /proc is not there.
 *
 * @module
 */

import type { CaseReply, CaseRequest } from "./case_worker.ts";
import type { CaseOutcome } from "./runner.ts";

/** Linux's clock ticks per second in /proc (USER_HZ). */
const USER_HZ = 100;
const POLL_MS = 250;

/** CPU milliseconds thread `tid` of this process has used, or null without /proc. */
function threadCpuMs(tid: number): number | null {
  try {
    const stat = Deno.readTextFileSync(`/proc/self/task/${tid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 1000 / USER_HZ;
  } catch {
    return null;
  }
}

interface Running {
  worker: Worker;
  tid: Promise<number>;
}

/**
 * Runs cases of the self-fuzzer `name` exported by `module` in a worker,
 * each within `cpuSeconds`.
 *
 * @example
 * ```ts ignore
 * const dog = new CaseWatchdog(new URL("./main.ts", import.meta.url).href, "mmio", 60);
 * const outcome = await dog.run(17705); // failure "hang: ..." if it spins
 * dog.close();
 * ```
 */
export class CaseWatchdog {
  #running: Running | null = null;

  constructor(
    readonly module: string,
    readonly name: string,
    readonly cpuSeconds: number,
  ) {}

  /** Runs the case of `seed`; a hang is a failure whose input is the seed as text. */
  async run(seed: number): Promise<CaseOutcome> {
    const running = this.#running ??= this.#start();
    const tid = await running.tid;
    const startCpu = threadCpuMs(tid);
    const startWall = performance.now();
    const reply = new Promise<CaseReply>((resolve) => {
      running.worker.onmessage = (e: MessageEvent<CaseReply>) => resolve(e.data);
    });
    running.worker.postMessage({ module: this.module, name: this.name, seed } as CaseRequest);
    for (;;) {
      const timer = new Promise<null>((r) => setTimeout(() => r(null), POLL_MS));
      const answer = await Promise.race([reply, timer]);
      if (answer) return "outcome" in answer ? answer.outcome : this.#hostError(seed, answer.error);
      const cpu = threadCpuMs(tid);
      const used = cpu !== null && startCpu !== null
        ? cpu - startCpu
        : performance.now() - startWall;
      if (used > this.cpuSeconds * 1000) return this.#hang(seed);
    }
  }

  /** Stops the worker. */
  close(): void {
    this.#running?.worker.terminate();
    this.#running = null;
  }

  #start(): Running {
    const worker = new Worker(new URL("./case_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const tid = new Promise<number>((resolve) => {
      worker.onmessage = (e: MessageEvent<{ tid: number }>) => resolve(e.data.tid);
    });
    return { worker, tid };
  }

  #hang(seed: number): CaseOutcome {
    this.close();
    const rerun = `deno task selffuzz ${this.name} --seed ${seed} --cases 1`;
    const failure = `hang: more than ${this.cpuSeconds} s of CPU in one case (re-run: ${rerun})`;
    return { input: new TextEncoder().encode(`${seed}\n`), failure, seedOnly: true };
  }

  #hostError(seed: number, error: string): CaseOutcome {
    return {
      input: new TextEncoder().encode(`${seed}\n`),
      failure: `runner: ${error}`,
      seedOnly: true,
    };
  }
}

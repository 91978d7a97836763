/**
 * The worker a watched campaign runs its cases in (see `watchdog.ts`). It
 * first posts its thread id, so the runner can read the thread's CPU time
 * from /proc; then, per `{ module, name, seed }` message, it imports
 * `module`, finds the self-fuzzer called `name` among its exports (alone or
 * in an exported array), runs the case and posts `{ outcome }` or
 * `{ error }`.
 *
 * @module
 */

import type { CaseOutcome, SelfFuzzer } from "./runner.ts";
import { describeError } from "./runner.ts";

/** A request to run one case. */
export interface CaseRequest {
  module: string;
  name: string;
  seed: number;
}

/** The worker's answer to a {@linkcode CaseRequest}. */
export type CaseReply = { outcome: CaseOutcome } | { error: string };

function isFuzzer(v: unknown, name: string): v is SelfFuzzer {
  return typeof v === "object" && v !== null && (v as SelfFuzzer).name === name &&
    typeof (v as SelfFuzzer).runCase === "function";
}

async function findFuzzer(module: string, name: string): Promise<SelfFuzzer> {
  const exports = Object.values(await import(module)).flatMap((v) => Array.isArray(v) ? v : [v]);
  const found = exports.find((v) => isFuzzer(v, name));
  if (!found) throw new Error(`${module} exports no self-fuzzer called ${name}`);
  return found as SelfFuzzer;
}

/** This thread's id: the first field of /proc/thread-self/stat (0 without /proc). */
function threadId(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/thread-self/stat").split(" ")[0]);
  } catch {
    return 0;
  }
}

const scope = self as unknown as {
  postMessage(m: unknown): void;
  onmessage: ((e: MessageEvent<CaseRequest>) => void) | null;
};
scope.postMessage({ tid: threadId() });
scope.onmessage = async ({ data }) => {
  let reply: CaseReply;
  try {
    reply = { outcome: await (await findFuzzer(data.module, data.name)).runCase(data.seed) };
  } catch (e) {
    reply = { error: describeError(e) };
  }
  scope.postMessage(reply);
};

/**
 * The worker side of `inWorker` (worker_command.ts): imports the command's
 * module, runs it with `main`'s error reporting and posts the exit status.
 *
 * @module
 */

import { parentPort, workerData } from "node:worker_threads";
import { importLazily, type RunCommand } from "./lazy.ts";
import { reportErrors } from "./main.ts";
import type { WorkerCommand } from "./worker_command.ts";

const { url, name, args } = workerData as WorkerCommand;
const status = await reportErrors(async () => {
  const module = await importLazily<Record<string, RunCommand>>(new URL(url));
  return await module[name](args);
});
parentPort!.postMessage(status);

// `emu system` runs its machine in a worker whose young generation is capped (cli/worker_command.ts):
// the cap holds where an uncapped isolate grows its semi-spaces, and the worker's command reports
// its errors and exit status as `main` does.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { inWorker } from "../cli/worker_command.ts";
import { youngGenerationMib } from "./util/young_probe.ts";

const PROBE = new URL("./util/young_probe.ts", import.meta.url);

Deno.test("inWorker: the worker's young generation stays within its cap", async () => {
  const uncapped = await youngGenerationMib([]);
  assert.ok(uncapped > 8, `the probe grew the test's own young generation to ${uncapped} MiB only`);
  const capped = await inWorker(PROBE, "youngGenerationMib", 12)([]);
  assert.ok(
    capped <= 8,
    `young generation ${capped} MiB with a 12 MiB cap (two 4 MiB semi-spaces)`,
  );
});

Deno.test("inWorker: a user's error in the worker is one line and exit status 1", async () => {
  assert.equal(await inWorker(PROBE, "youngGenerationMib", 12)(["fail"]), 1);
});

// `emu system` runs its machine in a worker whose heap is capped (cli/worker_command.ts): the young
// generation's cap holds where an uncapped isolate grows its semi-spaces, the worker's command
// reports its errors and exit status as `main` does, and a guest that runs distinct code without
// end stays within the old generation's cap (a worker that passed it would hang the process).
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { inWorker } from "../cli/worker_command.ts";
import { BAREMETAL_STRESS_PROGRAMS, programImage, runQemu } from "../scripts/build_baremetal.ts";
import { installed } from "./util/installed.ts";
import { youngGenerationMib } from "./util/young_probe.ts";

const PROBE = new URL("./util/young_probe.ts", import.meta.url);
const CAPPED = new URL("./util/capped_system.ts", import.meta.url).pathname;

Deno.test("inWorker: the worker's young generation stays within its cap", async () => {
  const uncapped = await youngGenerationMib([]);
  assert.ok(uncapped > 8, `the probe grew the test's own young generation to ${uncapped} MiB only`);
  const capped = await inWorker(PROBE, "youngGenerationMib", { youngMb: 12 })([]);
  assert.ok(
    capped <= 8,
    `young generation ${capped} MiB with a 12 MiB cap (two 4 MiB semi-spaces)`,
  );
});

Deno.test("inWorker: a user's error in the worker is one line and exit status 1", async () => {
  assert.equal(await inWorker(PROBE, "youngGenerationMib", { youngMb: 12 })(["fail"]), 1);
});

Deno.test("inWorker: a guest that runs distinct code without end stays within the old generation's cap", async () => {
  // codeflood makes 262,144 TBs that nothing drops: 85 MiB of heap in an uncapped cache, and a
  // worker capped at 64 MiB hung with no event. A 16 MiB TB cache is flushed when full instead.
  const p = BAREMETAL_STRESS_PROGRAMS.find((q) => q.name === "codeflood")!;
  if (!installed("qemu-system-riscv64")) {
    throw new Error("qemu-system-riscv64 is not installed: the test compares with it");
  }
  const qemu = await runQemu(p);
  assert.equal(qemu.code, 0);
  const machine = ["-M", "virt", "-m", "128M", "-bios", "none", "-nographic"];
  const emu = [...machine, "-kernel", programImage(p), "-accel", "tcg,tb-size=16"];
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CAPPED, "64", ...emu],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, 180_000);
  const r = await child.output();
  clearTimeout(timer);
  assert.ok(!hung, "no exit in 180 s: the worker passed its heap cap (or the guest ran away)");
  assert.equal(new TextDecoder().decode(r.stderr), "");
  assert.equal(new TextDecoder().decode(r.stdout).replaceAll("\r\n", "\n"), qemu.out);
  assert.equal(r.code, 0);
});

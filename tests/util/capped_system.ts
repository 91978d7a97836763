// `emu system` with the worker's old generation capped at the first argument's MiB (the rest are
// the command's arguments), for tests/worker_command_test.ts: `emu` itself caps it at 512.
// SPDX-License-Identifier: GPL-3.0-or-later
import { inWorker } from "../../cli/worker_command.ts";

const [oldMb, ...args] = Deno.args;
const boot = inWorker(new URL("../../cli/system.ts", import.meta.url), "systemBoot", {
  youngMb: 12,
  oldMb: Number(oldMb),
});
Deno.exit(await boot(args));

// A command for tests/worker_command_test.ts: keeps about 30 MiB of small objects alive through
// V8's scavenges, enough for an uncapped isolate to grow its semi-spaces past 4 MiB, and
// returns the young generation's size (both semi-spaces) in MiB as its exit status.
// SPDX-License-Identifier: GPL-3.0-or-later
import v8 from "node:v8";
import { EmuError } from "../../core/errors.ts";

/** Runs the probe; `["fail"]` throws a user's error instead. */
export function youngGenerationMib(args: string[]): Promise<number> {
  if (args[0] === "fail") throw new EmuError("the probe was told to fail", "do not");
  let kept: { i: number; next: unknown } | undefined;
  for (let i = 0; i < 1_000_000; i++) kept = { i, next: kept };
  const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
  return Promise.resolve(kept ? Math.round(young!.space_size / 2 ** 20) : -1);
}

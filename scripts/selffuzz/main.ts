/**
 * `deno task selffuzz <name|all> [--seconds N] [--seed N] [--cases N] [--out DIR]`
 * runs Denemu's own fuzzers (see README "Self-fuzzing"); `--replay FILE`
 * re-runs one saved reproducer. Exit status 1 when a failure was found.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { join } from "node:path";
import { runCampaign, type SelfFuzzer } from "./runner.ts";
import { insnFuzzer } from "./insn.ts";
import { insnA64Fuzzer } from "./insn_a64.ts";
import { elfFuzzer } from "./elf.ts";
import { gdbFuzzer } from "./gdb.ts";
import { mmioFuzzer } from "./mmio.ts";
import { fsopsFuzzer, sandboxFuzzer } from "./sandbox.ts";
import { snapshotFuzzer } from "./snapshot.ts";
import { replayFuzzer } from "./replay.ts";
import { imageFuzzer, imgdiffFuzzer } from "./image.ts";

/** Every self-fuzzer by name; a new one (snapshot, replay, disk image) is added here. */
export const SELF_FUZZERS: SelfFuzzer[] = [
  insnFuzzer,
  insnA64Fuzzer,
  elfFuzzer,
  gdbFuzzer,
  mmioFuzzer,
  sandboxFuzzer,
  fsopsFuzzer,
  snapshotFuzzer,
  replayFuzzer,
  imageFuzzer,
  imgdiffFuzzer,
];

const USAGE = `usage: deno task selffuzz <name|all> [--seconds N] [--seed N] [--cases N] [--out DIR]
                                    [--case-cpu-limit SECONDS]
       deno task selffuzz <name> --replay FILE
each case runs in a worker and a case that uses more than --case-cpu-limit seconds of CPU
(default 60; 0: no watchdog, cases run in the main thread) is saved as a hang (a .seed file)
fuzzers:
${SELF_FUZZERS.map((f) => `  ${f.name.padEnd(8)} ${f.description}`).join("\n")}`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      seconds: { type: "string", default: "60" },
      seed: { type: "string", default: "1" },
      cases: { type: "string" },
      out: { type: "string", default: "selffuzz-out" },
      replay: { type: "string" },
      "case-cpu-limit": { type: "string", default: "60" },
      help: { type: "boolean", short: "h" },
    },
  });
  const name = positionals[0];
  const chosen = name === "all" ? SELF_FUZZERS : SELF_FUZZERS.filter((f) => f.name === name);
  if (values.help || chosen.length === 0 || positionals.length > 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (values.replay) {
    const input = await Deno.readFile(values.replay);
    const failure = values.replay.endsWith(".seed")
      ? (await chosen[0].runCase(Number(new TextDecoder().decode(input)))).failure
      : await chosen[0].replay(input);
    console.log(failure ?? "passes");
    return failure ? 1 : 0;
  }
  let failures = 0;
  const cpuSeconds = Number(values["case-cpu-limit"]);
  const module = import.meta.url;
  for (const fuzzer of chosen) {
    const r = await runCampaign(fuzzer, {
      seconds: Number(values.seconds),
      seed: Number(values.seed),
      cases: values.cases ? Number(values.cases) : undefined,
      out: join(values.out, fuzzer.name),
      log: (line) => console.log(line),
      watchdog: cpuSeconds > 0 ? { module, cpuSeconds } : undefined,
    });
    console.log(
      `selffuzz ${r.name}: ${r.cases} cases, ${r.failures.length} failures in ${
        r.seconds.toFixed(1)
      } s (seed ${values.seed})`,
    );
    failures += r.failures.length;
  }
  return failures ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`selffuzz: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}

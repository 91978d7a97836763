// One guest environment: the API, `deno run -A mod.ts user` and `deno task emu user`
// give the program the same environment (empty but for -E / env), whatever the host's.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const PROG = "tests/guests/bin/argv_env.static.O2";

async function cli(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    env: { DENEMU_TEST_HOST_ONLY: "leaks" },
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test("the API and both ways of running the CLI give the guest the same environment", async () => {
  const m = await createMachine({ program: PROG, args: ["x"], env: ["A=1"] });
  for await (const _ of m.run());
  const flags = ["user", "-E", "A=1", PROG, "x"];
  const direct = await cli(["run", "-A", "mod.ts", ...flags]);
  const task = await cli(["task", "-q", "emu", ...flags]);
  assertEquals(direct, m.stdout);
  assertEquals(task, m.stdout);
  assertEquals(m.stdout.split("\n").filter((l) => l.startsWith("env")), ["envc 1", "env A=1"]);
});

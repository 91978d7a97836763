// `-d` and `-accel` as a user meets them: help listings in both commands, and
// `-d exec,nochain` logging every block execution like qemu-riscv64.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = `${ROOT}tests/guests/bin/hello.static.O2`;

async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const emu = (args: string[]) => run(Deno.execPath(), ["run", "-A", `${ROOT}mod.ts`, ...args]);

function installed(cmd: string): boolean {
  try {
    return new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

Deno.test("-d help and -accel help work in both commands", async () => {
  for (const command of ["user", "system"]) {
    const log = await emu([command, "-d", "help"]);
    assertEquals(log.code, 0, log.stderr);
    assert(log.stdout.includes("in_asm"), log.stdout);
    const accel = await emu([command, "-accel", "help"]);
    assertEquals(accel.code, 0, accel.stderr);
    assert(/^jit .*\ninterp /m.test(accel.stdout), accel.stdout);
  }
  const user = (await emu(["user", "-d", "help"])).stdout;
  assert(/^nochain /m.test(user) && /^exec .*interp.*nochain/m.test(user), user);
});

const QEMU = installed("qemu-riscv64");
Deno.test({
  name: "-d exec,nochain logs every block execution, as qemu-riscv64 does",
  ignore: !QEMU,
  async fn() {
    const traces = (r: { stderr: string }) =>
      r.stderr.split("\n").filter((l) => l.startsWith("Trace 0:"));
    const qemu = traces(await run("qemu-riscv64", ["-d", "exec,nochain", HELLO]));
    for (const accel of ["jit", "interp"]) {
      const ours = traces(await emu(["user", "-accel", accel, "-d", "exec,nochain", HELLO]));
      assertEquals(ours.length, qemu.length, accel);
    }
  },
});
if (!QEMU) {
  console.log("cli_help_logs_test: qemu-riscv64 is not installed: skipping the comparison");
}

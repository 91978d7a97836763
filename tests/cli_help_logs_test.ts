// `-d` and `-accel` as a user meets them: help listings in both commands, and
// `-d exec,nochain` logging every block execution like qemu-riscv64.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { installed } from "./util/installed.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = `${ROOT}tests/guests/bin/hello.static.O2`;

/** Runs `cmd` with an empty environment (the guest's default in Denemu; QEMU passes its own). */
async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, stdin: "null", clearEnv: true })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const emu = (args: string[]) =>
  run(Deno.execPath(), ["run", "-A", `--config=${ROOT}deno.json`, `${ROOT}mod.ts`, ...args]);

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

/** The first `n` blocks of a `-d exec,cpu` log: each Trace line's pc and the dump's layout. */
function execCpuLog(stderr: string, n: number): string[] {
  const blocks = stderr.split(/^(?=Trace 0: )/m).filter((b) => b.startsWith("Trace 0:"));
  return blocks.slice(0, n).map((b) => {
    const [trace, ...dump] = b.trimEnd().split("\n");
    const pc = /\[[0-9a-f]{16}\/([0-9a-f]{16})\/[0-9a-f]{8}\/[0-9a-f]{8}\]/.exec(trace)?.[1];
    // values (registers, aarch64's NZCV) differ where the start-up differs: the layout counts
    const layout = (l: string) =>
      l.replace(/[0-9a-f]{8,16}/g, "H").replace(/ [N-][Z-][C-][V-] /, " F ");
    return `${pc} ${dump.map(layout).join("|")}`;
  });
}

// qemu-aarch64 as a Cortex-A72: its default CPU adds SME's SVCR, BTI's BTYPE and SVE's Z and P
// registers to the dump, none of which Denemu has
for (
  const [arch, qemu, prog, cpu] of [
    ["riscv64", "qemu-riscv64", HELLO, []],
    ["aarch64", "qemu-aarch64", HELLO.replace("/bin/", "/bin/aarch64/"), ["-cpu", "cortex-a72"]],
  ] as const
) {
  Deno.test({
    name: `-d exec,cpu,fpu prints QEMU's Trace lines and ${arch} register dump, as ${qemu} does`,
    ignore: !installed(qemu),
    async fn() {
      const args = ["-d", "exec,cpu,fpu,nochain", prog];
      const theirs = execCpuLog((await run(qemu, [...cpu, ...args])).stderr, 60);
      const ours = execCpuLog((await emu(["user", ...args])).stderr, 60);
      assertEquals(theirs.length, 60);
      assertEquals(ours, theirs);
    },
  });
}

/** Each block's first address and the name on its `IN:` line, from a -d in_asm log. */
function inAsmNames(log: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of log.matchAll(/^IN: (.*)\n(?:Priv: .*\n)?0x0*([0-9a-f]+):/gm)) {
    names.set(m[2], m[1]);
  }
  return names;
}

Deno.test({
  name: "-d in_asm names the symbol of each block (IN: main), as qemu-riscv64 does",
  ignore: !QEMU,
  async fn() {
    const qemu = inAsmNames((await run("qemu-riscv64", ["-d", "in_asm", HELLO])).stderr);
    const ours = inAsmNames((await emu(["user", "-d", "in_asm", HELLO])).stderr);
    const m = await createMachine({ program: HELLO });
    assertEquals(ours.get(m.symbol("main")!.toString(16)), "main");
    // Of aliases (getrlimit, getrlimit64), either name will do.
    const symbols = m.modules.list[0].symbols;
    const sameFunction = (a: string, b: string) =>
      a === b ||
      symbols.find((s) => s.name === a)?.value === symbols.find((s) => s.name === b)?.value;
    let compared = 0;
    for (const [pc, name] of qemu) {
      if (!name || !ours.has(pc)) continue; // QEMU leaves size-0 symbols (load_gp) unnamed
      assert(sameFunction(ours.get(pc)!, name), `${pc}: ${ours.get(pc)} where QEMU says ${name}`);
      compared++;
    }
    assert(compared > 100, `only ${compared} blocks in common`);
  },
});

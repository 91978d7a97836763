// `-d op`, `-d op_opt` and `-d all`, which Denemu refused before: each translated block's IR
// after its in_asm, one ` ---- pc` line per guest instruction, at QEMU's block boundaries.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { formatIr } from "../core/ir_dump.ts";
import { Cond, Op } from "../core/ir.ts";
import { IrBuilder } from "../core/ir_builder.ts";
import { installed } from "./util/installed.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = `${ROOT}tests/guests/bin/hello.static.O2`;

/** Runs `cmd` with an empty environment, killed after two minutes. */
async function run(cmd: string, args: string[]) {
  const signal = AbortSignal.timeout(120_000);
  const out = await new Deno.Command(cmd, { args, cwd: ROOT, clearEnv: true, signal }).output();
  if (signal.aborted) throw new Error(`${cmd} ${args.join(" ")}: still running after 120 s`);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const emu = (args: string[]) =>
  run(Deno.execPath(), ["run", "-A", `--config=${ROOT}deno.json`, `${ROOT}mod.ts`, ...args]);

/** Each block's instruction pcs under heading `title` (`IN:`, `OP:`, `OP after ...`), in order. */
function blocks(log: string, title: string): string[] {
  const out: string[] = [];
  for (const part of log.split(/^(?=-{16}$|OP:$|OP after)/m)) {
    const body = part.replace(/^-{16}\n/, "");
    if (!body.startsWith(title)) continue;
    const pcs = title === "IN:"
      ? [...body.matchAll(/^0x0*([0-9a-f]+):/gm)]
      : [...body.matchAll(/^ ---- 0*([0-9a-f]+)/gm)];
    out.push(pcs.map((m) => m[1]).join(" "));
  }
  return out;
}

Deno.test("formatIr: names globals, temps, labels, conditions and immediates", () => {
  const b = new IrBuilder(2);
  const t = b.temp(), skip = b.label();
  b.insnStart(0x1000n, 0);
  b.movi(t, -1n);
  b.brcond(Cond.LTU, 1, t, skip);
  b.binop(Op.ADD, 1, 1, t);
  b.setLabel(skip);
  const text = formatIr("OP:", b.finish(), {
    globals: [{ name: "pc" }, { name: "x1" }],
    helpers: [],
  });
  assertEquals(
    text,
    "OP:\n\n ---- 0000000000001000\n movi tmp2,$0xffffffffffffffff\n brcond x1,tmp2,ltu,$L0\n" +
      " add x1,x1,tmp2\n label $L0\n",
  );
});

const QEMU = installed("qemu-riscv64");
Deno.test({
  name: "-d in_asm,op,op_opt: every block's IR follows its in_asm, at qemu-riscv64's blocks",
  ignore: !QEMU,
  async fn() {
    const args = ["-d", "in_asm,op,op_opt", HELLO];
    const qemu = await run("qemu-riscv64", args);
    const qemuOps = new Set(blocks(qemu.stderr, "OP:"));
    for (const accel of ["jit", "interp"]) {
      const ours = await emu(["user", "-accel", accel, ...args]);
      assertEquals(ours.stdout, "Hello, world!\n", ours.stderr);
      const code = blocks(ours.stderr, "IN:"), ops = blocks(ours.stderr, "OP:");
      assert(code.length > 500, `${code.length} blocks`);
      assertEquals(ops, code);
      assertEquals(blocks(ours.stderr, "OP after"), code);
      // Denemu's set_robust_list succeeds where QEMU 7.2's fails, so glibc takes one more path.
      const unknown = ops.filter((b) => !qemuOps.has(b));
      assert(unknown.length <= 2, `blocks qemu-riscv64 does not make: ${unknown.join(" | ")}`);
    }
  },
});

Deno.test({
  name: "-d all: every item, and qemu-riscv64's error when -D has no %d for tid",
  ignore: !QEMU,
  async fn() {
    const [q, e] = await Promise.all([
      run("qemu-riscv64", ["-d", "all", HELLO]),
      emu(["user", "-d", "all", HELLO]),
    ]);
    const line = (r: { stderr: string }) =>
      r.stderr.split("\n")[0].replace(/^(qemu-riscv64|emu): /, "").replace(/ \(.*\)$/, "");
    assertEquals([e.code, line(e)], [q.code, line(q)]);
    const dir = await Deno.makeTempDir();
    try {
      const ours = await emu(["user", "-d", "all", "-D", `${dir}/%d.log`, HELLO]);
      assertEquals([ours.code, ours.stdout], [0, "Hello, world!\n"], ours.stderr);
      const log = Deno.readTextFileSync(`${dir}/1000.log`);
      for (
        const want of [/^IN: _start$/m, /^OP:$/m, /^OP after/m, /^Trace 0: /m, /^1000 write\(/m]
      ) {
        assert(want.test(log), `${want} not in the log`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("emu system -d in_asm,op_opt and -d all: the IR of each block after its code", async () => {
  const kernel = `${ROOT}tests/baremetal/bin/timer.elf`;
  const base = ["system", "-M", "virt", "-bios", "none", "-nographic", "-kernel", kernel];
  const r = await emu([...base, "-d", "in_asm,op_opt"]);
  assertEquals(r.code, 0, r.stderr);
  const code = blocks(r.stderr, "IN:");
  assert(code.length > 50, `${code.length} blocks`);
  assertEquals(blocks(r.stderr, "OP after"), code);
  const all = await emu([...base, "-d", "all"]);
  assertEquals(all.code, 0, all.stderr);
  assert(/^OP:$/m.test(all.stderr) && /^Trace 0: /m.test(all.stderr), all.stderr.slice(0, 300));
});

Deno.test({
  name: "-singlestep, -one-insn-per-tb and QEMU_SINGLESTEP: a block per instruction, as qemu's",
  ignore: !QEMU,
  async fn() {
    const traces = (r: { stderr: string }) =>
      r.stderr.split("\n").filter((l) => l.startsWith("Trace 0:")).length;
    const qemu = traces(await run("qemu-riscv64", ["-singlestep", "-d", "exec,nochain", HELLO]));
    const plain = traces(await emu(["user", "-d", "exec,nochain", HELLO]));
    assert(qemu > 2 * plain, `${qemu} single steps, ${plain} blocks`);
    for (const flag of ["-singlestep", "-one-insn-per-tb"]) {
      for (const accel of ["jit", "interp"]) {
        const ours = traces(
          await emu(["user", flag, "-accel", accel, "-d", "exec,nochain", HELLO]),
        );
        // one instruction more: Denemu's set_robust_list succeeds, and glibc then stores a flag
        assert(ours - qemu === 1, `${flag} ${accel}: ${ours} against qemu's ${qemu}`);
      }
    }
    const env = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}mod.ts`, "user", "-d", "exec,nochain", HELLO],
      clearEnv: true,
      env: { QEMU_SINGLESTEP: "1" },
    }).output();
    assertEquals(traces({ stderr: new TextDecoder().decode(env.stderr) }), qemu + 1);
  },
});

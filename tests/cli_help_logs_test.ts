// `-d` and `-accel` as a user meets them: help listings in both commands, and
// `-d exec,nochain` logging every block execution like qemu-riscv64.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { installed } from "./util/installed.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = `${ROOT}tests/guests/bin/hello.static.O2`;

/**
 * Runs `cmd` with an empty environment (the guest's default in Denemu; QEMU passes its own),
 * killed after two minutes so that a guest that waits for ever fails the test instead of CI.
 */
async function run(cmd: string, args: string[]) {
  const signal = AbortSignal.timeout(120_000);
  const out = await new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    stdin: "null",
    clearEnv: true,
    signal,
  })
    .output();
  if (signal.aborted) throw new Error(`${cmd} ${args.join(" ")}: still running after 120 s`);
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const emu = (args: string[]) =>
  run(Deno.execPath(), ["run", "-A", `--config=${ROOT}deno.json`, `${ROOT}mod.ts`, ...args]);

Deno.test("-d help and -accel help work in both commands", async () => {
  for (const command of ["user", "system"]) {
    const log = await emu([command, "-d", "help"]);
    assertEquals(log.code, 1, log.stderr); // as QEMU: the listing, then exit status 1
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
    // smc.static.O2 has a compressed instruction in a page's last halfword (0x29ffe), which
    // QEMU 7.2 leaves to a TB of its own; before, Denemu's TB took it and logged one line less.
    for (const guest of [HELLO, `${ROOT}tests/guests/bin/smc.static.O2`]) {
      const qemu = traces(await run("qemu-riscv64", ["-d", "exec,nochain", guest]));
      for (const accel of ["jit", "interp"]) {
        const ours = traces(await emu(["user", "-accel", accel, "-d", "exec,nochain", guest]));
        assertEquals(ours.length, qemu.length, `${guest} ${accel}`);
      }
    }
  },
});
Deno.test({
  name: "-D: %d is the process id, another % or an unopenable file fails as in qemu-riscv64",
  ignore: !QEMU,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      for (const file of ["%d.log", "x%s.log", "%d%d.log", "no/such.log"]) {
        const args = ["-d", "in_asm", "-D", `${dir}/${file}`, HELLO];
        const [q, e] = await Promise.all([run("qemu-riscv64", args), emu(["user", ...args])]);
        const line = (r: { stderr: string }) =>
          r.stderr.split("\n")[0].replace(/^(qemu-riscv64|emu): /, "").replace(/ \(.*\)$/, "");
        assertEquals([e.code, line(e)], [q.code, line(q)]);
      }
      const logs = [...Deno.readDirSync(dir)].map((f) => f.name);
      assertEquals(logs.length, 2); // QEMU's and Denemu's, each named by its process id
      assert(logs.every((f) => /^\d+\.log$/.test(f)), logs.join(" "));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
Deno.test({
  name: "-D /dev/full: the log is lost and the guest runs on, as in qemu-riscv64",
  ignore: !QEMU,
  async fn() {
    // before: Denemu stopped the run with "No space left on device" at the first log line
    const args = ["-d", "exec,cpu", "-strace", "-D", "/dev/full", HELLO];
    const [q, e] = await Promise.all([run("qemu-riscv64", args), emu(["user", ...args])]);
    assertEquals([e.code, e.stdout, e.stderr], [q.code, q.stdout, q.stderr]);
    assertEquals(e.stdout, "Hello, world!\n");
  },
});
Deno.test({
  name: "-dfilter: QEMU's ranges choose the blocks in_asm and exec show, and its errors",
  ignore: !QEMU,
  async fn() {
    const filter = "0x10544+0x100,0x10700..0x10720"; // _start and the libc start-up after it
    const args = ["-d", "in_asm,exec,nochain", "-dfilter", filter, HELLO];
    const pcs = (r: { stderr: string }) =>
      new Set(
        [...r.stderr.matchAll(/^IN: .*\n0x0*([0-9a-f]+):|^Trace 0: \S+ \[0+\/0*([0-9a-f]+)\//gm)]
          .map((m) => BigInt(`0x${m[1] ?? m[2]}`)),
      );
    const [q, e] = await Promise.all([run("qemu-riscv64", args), emu(["user", ...args])]);
    const qemu = pcs(q), ours = pcs(e);
    const inside = (pc: bigint) =>
      pc >= 0x10544n && pc < 0x10660n || pc >= 0x10700n && pc < 0x10740n;
    assert(qemu.size > 10 && [...qemu].every(inside), [...qemu].join(" "));
    const missing = [...ours].filter((pc) => !qemu.has(pc));
    assert(ours.size > 10 && missing.length === 0, `${missing}`);
    for (const bad of ["0x10+0", "0x20..0x10", "x+1", "0x10+y", "0x10+1,", "1e+3"]) {
      const a = ["-dfilter", bad, HELLO];
      const [qb, eb] = await Promise.all([run("qemu-riscv64", a), emu(["user", ...a])]);
      const line = (r: { stderr: string }) => r.stderr.replace(/^(qemu-riscv64|emu): /, "");
      assertEquals([eb.code, line(eb)], [qb.code, line(qb)], bad);
    }
  },
});
Deno.test({
  name:
    "-d int,mmu,guest_errors,unimp: accepted, and as quiet as qemu-riscv64's on a Linux program",
  ignore: !QEMU,
  async fn() {
    const crash = HELLO.replace("hello", "crash");
    for (const prog of [[HELLO], [crash, "segv"], [crash, "ill"]]) {
      const args = ["-d", "int,mmu,guest_errors,unimp", ...prog];
      const [q, e] = await Promise.all([run("qemu-riscv64", args), emu(["user", ...args])]);
      assertEquals(e, q);
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

/** Each block's first address and the name on its `IN:` line (and `Priv:` line), from -d in_asm. */
function inAsmNames(log: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of log.matchAll(/^IN: (.*)\n(Priv: .*\n)?0x0*([0-9a-f]+):/gm)) {
    names.set(m[3], `${m[1]}|${m[2] ?? ""}`);
  }
  return names;
}

const TIMER = `${ROOT}tests/baremetal/bin/timer.elf`;
const SYSTEM = ["-M", "virt", "-bios", "none", "-display", "none", "-serial", "null"];
// QEMU names a block by the sized STT_FUNC of .symtab around it (size-0 ones too in system mode,
// reaching the next), from the images its ELF loader loaded: none in libraries ld.so maps
for (
  const [peer, args] of [
    ["qemu-riscv64", [HELLO]],
    ["qemu-riscv64", ["-L", "/usr/riscv64-linux-gnu", HELLO.replace("static", "dynamic")]],
    ["qemu-riscv64", [`${ROOT}tests/real/bin/lua`, "-e", "print(1)"]],
    ["qemu-aarch64", [HELLO.replace("/bin/", "/bin/aarch64/")]],
    ["qemu-system-riscv64", [...SYSTEM, "-kernel", TIMER]],
  ] as const
) {
  Deno.test({
    name: `-d in_asm names each block (IN: main) as ${peer} does: ${args.at(-1)}`,
    ignore: !installed(peer),
    async fn() {
      const mode = peer === "qemu-system-riscv64" ? "system" : "user";
      const [q, e] = await Promise.all([
        run(peer, ["-d", "in_asm", ...args]),
        emu([mode, "-d", "in_asm", ...args]),
      ]);
      const qemu = inAsmNames(q.stderr), ours = inAsmNames(e.stderr);
      let compared = 0;
      for (const [pc, name] of qemu) {
        if (!ours.has(pc)) continue; // QEMU ends a block at each CSR access, Denemu does not
        assertEquals(`${pc} ${ours.get(pc)}`, `${pc} ${name}`);
        compared++;
      }
      const named = [...ours.values()].filter((n) => !n.startsWith("|")).length;
      assert(compared > qemu.size * 0.8 && named > 3, `${compared} of ${qemu.size}, ${named}`);
    },
  });
}

Deno.test({
  name: "-d int in system mode: qemu-system-riscv64's trap lines, trap for trap",
  ignore: !installed("qemu-system-riscv64"),
  async fn() {
    // an interrupt's epc is wherever the hart was when it came: the timing is each one's own
    const traps = (r: { stderr: string }) =>
      r.stderr.split("\n").filter((l) => l.startsWith("riscv_cpu_do_interrupt: "))
        .map((l) => l.replace(/(async:1, cause:\w+), epc:0x\w+/, "$1, epc:(async)"));
    for (const kernel of ["timer", "pmp", "vm_sv39", "svext", "fs", "sstc"]) {
      const args = [...SYSTEM, "-d", "int", "-kernel", `${ROOT}tests/baremetal/bin/${kernel}.elf`];
      const [q, e] = await Promise.all([
        run("qemu-system-riscv64", args),
        emu(["system", ...args]),
      ]);
      assert(traps(q).length > 3, kernel);
      assertEquals(traps(e), traps(q), kernel);
    }
  },
});

Deno.test({
  name: "-d help and -cpu help: every item Denemu lists is one of QEMU's, and QEMU's exit status",
  ignore: !QEMU || !installed("qemu-system-riscv64"),
  async fn() {
    const items = (text: string) =>
      text.split("\n").slice(1).flatMap((l) => /^([a-z_]+) /.exec(l)?.[1] ?? []);
    for (
      const [command, peer, args] of [
        ["user", "qemu-riscv64", [HELLO]],
        ["system", "qemu-system-riscv64", []],
      ] as const
    ) {
      const q = await run(peer, ["-d", "help", ...args]), e = await emu([command, "-d", "help"]);
      const theirs = items(q.stdout), ours = items(e.stdout);
      assert(theirs.includes("in_asm") && ours.length > 4, `${theirs} / ${ours}`);
      assertEquals(ours.filter((i) => !theirs.includes(i)), [], command);
      assertEquals(e.code, q.code, `${command} -d help's exit status`);
    }
    // -cpu help: qemu-riscv64 exits 1 after its list, qemu-system-riscv64 0
    for (
      const [command, peer, args] of [["user", "qemu-riscv64", [HELLO]], [
        "system",
        "qemu-system-riscv64",
        [],
      ]] as const
    ) {
      const q = await run(peer, ["-cpu", "help", ...args]),
        e = await emu([command, "-cpu", "help"]);
      assertEquals(e.code, q.code, `${command} -cpu help's exit status`);
    }
  },
});

// `emu system -d exec,cpu,fpu,nochain` against qemu-system-riscv64 (`-cpu rv64,h=false`: Denemu
// has no H extension) in the same run, on the bare-metal kernels. QEMU ends a block at CSR
// accesses and Denemu after sfence.vma, so the blocks are not the same ones: what is compared is
// the functions the trace walks through (consecutive lines of one function made one), the
// `Trace` and dump layouts, and the registers at the first blocks, which both enter alike.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { installed } from "./util/installed.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const KERNELS = `${ROOT}tests/baremetal/bin/`;
const QEMU = installed("qemu-system-riscv64");
if (!QEMU) console.error("system_exec_log_test: skipped, qemu-system-riscv64 is not installed");

/** The `-D` log of `kernel` run with `-d items` by QEMU or Denemu, killed after two minutes. */
async function logOf(peer: "qemu" | "emu", kernel: string, items: string): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "denemu-execlog-" });
  try {
    const args = ["-M", "virt", "-nographic", "-bios", "none", "-kernel", `${KERNELS}${kernel}`];
    args.push("-d", items, "-D", `${dir}/log`);
    const [cmd, all] = peer === "qemu"
      ? ["qemu-system-riscv64", [...args, "-cpu", "rv64,h=false"]]
      : [Deno.execPath(), ["run", "-A", `${ROOT}mod.ts`, "system", ...args]];
    const signal = AbortSignal.timeout(120_000);
    const out = await new Deno.Command(cmd, { args: all, stdin: "null", stdout: "null", signal })
      .output();
    assertEquals(out.code, 0, `${peer} ${kernel}: ${new TextDecoder().decode(out.stderr)}`);
    return await Deno.readTextFile(`${dir}/log`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The `-d items` logs of `kernel` by QEMU and by Denemu. */
const bothLogs = (kernel: string, items: string) =>
  Promise.all([logOf("qemu", kernel, items), logOf("emu", kernel, items)]);

/** The functions a trace walks through, a run of lines in one function made one. */
function functionsWalked(log: string): string[] {
  const walk: string[] = [];
  for (const line of log.split("\n")) {
    if (!line.startsWith("Trace ")) continue;
    const fn = line.slice(line.indexOf("] ") + 2);
    if (walk.at(-1) !== fn) walk.push(fn);
  }
  return walk;
}

const TRACE = /^Trace 0: 0x[0-9a-f]+ \[0{16}\/([0-9a-f]{16})\/[0-9a-f]{8}\/[0-9a-f]{8}\] \w*$/;

for (const kernel of ["traps.elf", "vm_sv39.elf", "pmp.elf"]) {
  Deno.test({
    name: `system -d exec,nochain walks ${kernel}'s functions as qemu-system-riscv64 does`,
    ignore: !QEMU,
    async fn() {
      const [q, e] = await bothLogs(kernel, "exec,nochain");
      const lines = e.trimEnd().split("\n");
      assert(lines.every((l) => TRACE.test(l)), lines.find((l) => !TRACE.test(l)));
      const walked = functionsWalked(e);
      assert(walked.length > 50, `${walked.length} functions walked`);
      assertEquals(walked, functionsWalked(q));
    },
  });
}

/** Each dump of `log` (the lines after a `Trace` line) with the pc of its block. */
function dumps(log: string): { pc: string; rows: string[] }[] {
  return log.split(/^Trace .*\n/m).slice(1).map((d) => {
    const rows = d.trimEnd().split("\n");
    return { pc: rows[0].slice(10), rows };
  });
}

Deno.test({
  name: "system -d exec,cpu,fpu dumps the hart before each block as qemu-system-riscv64 does",
  ignore: !QEMU,
  async fn() {
    const [q, e] = await bothLogs("vm_sv39.elf", "exec,cpu,fpu,nochain");
    const [qd, ed] = [dumps(q), dumps(e)];
    const names = (rows: string[]) =>
      rows.map((r) => r.trim().split(/\s+/).filter((_, i) => !(i % 2)));
    assertEquals(names(ed[0].rows), names(qd[0].rows)); // pc, 17 CSRs, x0-x31, f0-f31
    assertEquals(ed[0].rows.length, 1 + 17 + 8 + 8);
    // The kernel's first block: entered alike (QEMU's reset code has one more block, at a CSR
    // read). mip differs: QEMU's timer is pending at reset (mtimecmp 0), Denemu's is not.
    const first = (d: typeof qd) => d.find((x) => x.pc === "0000000080000000")!.rows;
    const noMip = (rows: string[]) => rows.filter((r) => !r.startsWith(" mip "));
    assertEquals(noMip(first(ed)), noMip(first(qd)));
  },
});

Deno.test("system -d cpu without fpu has no FP rows, and -d mmu is refused", async () => {
  const e = await logOf("emu", "pmp.elf", "cpu");
  assert(!e.includes("f0/ft0") && e.includes("x0/zero"), e.slice(0, 400));
  const signal = AbortSignal.timeout(60_000);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}mod.ts`, "system", "-bios", "none", "-d", "exec,mmu"],
    stdin: "null",
    signal,
  }).output();
  assertEquals(out.code, 1);
  assert(
    /-d mmu: Denemu's system mode does not log this item/.test(
      new TextDecoder().decode(out.stderr),
    ),
  );
});

Deno.test({
  name:
    "system -d with an unknown or empty item next to exec, -dfilter's bad range, or page: QEMU's",
  ignore: !QEMU,
  async fn() {
    const boot = ["-M", "virt", "-nographic", "-bios", "none", "-kernel", `${KERNELS}timer.elf`];
    const cases = [
      ["-d", "exec,foo"],
      ["-d", "exec,,cpu"],
      ["-d", "cpu", "-dfilter", "0x10+0"],
      ["-d", "page,int", "-D", "/dev/null"], // user mode's item: accepted, and runs
    ];
    for (const args of cases) {
      const said = async (cmd: string, argv: string[]) => {
        const signal = AbortSignal.timeout(120_000);
        const r = await new Deno.Command(cmd, { args: argv, stdin: "null", signal }).output();
        const text = (b: Uint8Array) => new TextDecoder().decode(b).split("\n")[0];
        // QEMU prints its -d help on stdout for a bad item, with nothing on stderr
        return [r.code, text(r.stdout), text(r.stderr).replace(/^(qemu-system-riscv64|emu): /, "")];
      };
      const q = await said("qemu-system-riscv64", [...boot, ...args]);
      const e = await said(Deno.execPath(), [
        "run",
        "-A",
        `${ROOT}mod.ts`,
        "system",
        ...boot,
        ...args,
      ]);
      assertEquals(e, q, args.join(" "));
    }
  },
});

const LINK = /^Linking TBs 0x([0-9a-f]+) index ([01]) -> 0x([0-9a-f]+)$/;

/** The links of a `-d exec` log, by guest pcs (QEMU names blocks by host pointer in both lines). */
function links(log: string): Set<string> {
  const pcOf = new Map<string, string>(), out = new Set<string>();
  const lines = log.trimEnd().split("\n");
  for (const l of lines) {
    const m = /^Trace \d+: 0x([0-9a-f]+) \[[0-9a-f]+\/([0-9a-f]+)\//.exec(l);
    if (m) pcOf.set(m[1], BigInt(`0x${m[2]}`).toString(16));
  }
  for (const l of lines) {
    const m = LINK.exec(l);
    if (m) out.add(`${pcOf.get(m[1])} ${m[2]} ${pcOf.get(m[3])}`);
  }
  return out;
}

Deno.test({
  name: "system -d exec links blocks and logs them as qemu-system-riscv64 does",
  ignore: !QEMU,
  async fn() {
    const [q, e] = await bothLogs("traps.elf", "exec");
    // before: no Linking TBs line, and every block entered from the run loop logged
    const lines = e.trimEnd().split("\n");
    assert(lines.every((l) => TRACE.test(l) || LINK.test(l)), lines.find((l) => !TRACE.test(l)));
    lines.forEach((l, i) => {
      const to = LINK.exec(l)?.[3];
      if (to) assert(lines[i + 1]?.startsWith(`Trace 0: 0x${to} `), `${l} then ${lines[i + 1]}`);
    });
    // QEMU ends a block at each CSR access, Denemu does not: most links are the same ones
    const [ql, el] = [links(q), links(e)];
    const same = [...ql].filter((l) => el.has(l)).length;
    assert(
      ql.size > 50 && same >= ql.size * 0.85,
      `${same} of QEMU's ${ql.size} links (${el.size})`,
    );
  },
});

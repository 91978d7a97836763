// The tool plugins of plugins/tools on real guests, checked against
// independent measurements (Machine icount, syscall events, hooks), on both
// backends where execution matters; and the -plugin command line.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine, EmuError, type Machine } from "../mod.ts";
import { loadToolPlugin, PLUGIN_API_VERSION } from "../core/plugin.ts";
import { machineDriver } from "../core/machine/machine.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;
const HELLO = `${BIN}hello.static.O2`;
const BACKENDS = ["interp", "jit"] as const;

/** A finished run: plugin output, machine, and what the run events showed. */
interface ToolRun {
  out: string;
  m: Machine;
  status: number;
  syscalls: number;
  signals: number[];
}

async function runTool(
  plugins: string[],
  opts: { program?: string; args?: string[]; accel?: "interp" | "jit" } = {},
): Promise<ToolRun> {
  let out = "";
  const m = await createMachine({
    program: opts.program ?? HELLO,
    args: opts.args ?? [],
    accel: opts.accel ?? "jit",
    plugins,
    pluginOutput: (t) => out += t,
  });
  let status = -1, syscalls = 0;
  const signals: number[] = [];
  for await (const ev of m.run()) {
    if (ev.type === "syscall") syscalls++;
    if (ev.type === "signal") signals.push(ev.signal);
    if (ev.type === "exit") status = ev.status;
  }
  return { out, m, status, syscalls, signals };
}

/** The number after `label` in the output. */
function num(out: string, label: RegExp): number {
  const m = out.match(label);
  assert(m, `no ${label} in:\n${out}`);
  return Number(m[1]);
}

async function tempPath(suffix: string): Promise<string> {
  return await Deno.makeTempFile({ suffix });
}

for (const accel of BACKENDS) {
  Deno.test(`${accel}: insn counts every instruction started (icount + ecalls), inline or not`, async () => {
    for (const spec of ["insn", "insn,inline=on"]) {
      const r = await runTool([spec], { accel });
      assertEquals(r.status, 0);
      // ecall traps, so the core does not retire it; the plugin saw it start
      const total = num(r.out, /total insns: (\d+)/);
      assertEquals(total, r.m.icount + r.syscalls);
      assertEquals(num(r.out, /cpu 0 insns: (\d+)/), total);
    }
  });

  Deno.test(`${accel}: bb and hotblocks agree on blocks and instructions`, async () => {
    const r = await runTool(["bb,inline=on", "hotblocks,limit=100000", "insn"], { accel });
    const bbs = num(r.out, /Total: bb's: (\d+)/),
      insns = num(r.out, /Total: bb's: \d+, insns: (\d+)/);
    const rows = r.out.split("\n").filter((l) => /^0x[0-9a-f]{16}, /.test(l)).map((l) =>
      l.split(", ").map(Number)
    );
    assertEquals(rows.length, num(r.out, /collected (\d+) entries/));
    assertEquals(rows.reduce((n, [, , , e]) => n + e, 0), bbs);
    assertEquals(rows.reduce((n, [, , i, e]) => n + i * e, 0), insns);
    assertEquals(insns, num(r.out, /total insns: (\d+)/)); // every block ran to its end
  });

  Deno.test(`${accel}: hotblocks top entry is the most executed block`, async () => {
    const r = await runTool(["hotblocks,inline=on,limit=3"], {
      accel,
      program: `${BIN}compute.static.O2`,
      args: ["1"],
    });
    const lines = r.out.trim().split("\n");
    assertEquals(lines[1], "pc, tcount, icount, ecount");
    const [pc, , , ecount] = lines[2].split(", ");
    assert(Number(ecount) > 1000, lines[2]);
    // recount that block independently with a block hook
    const m = await createMachine({ program: `${BIN}compute.static.O2`, args: ["1"], accel });
    let n = 0;
    const at = BigInt(pc);
    m.hooks.addBlockHook(() => n++, { begin: at, end: at, regs: "none" });
    await m.runToExit();
    assertEquals(n, Number(ecount));
    assert(Number(lines[3].split(", ")[3]) <= Number(ecount));
  });

  Deno.test(`${accel}: stoptrigger stops after exactly icount N, and at an address`, async () => {
    const r = await runTool(["stoptrigger,icount=500:3"], { accel });
    assertEquals([r.status, r.m.icount], [3, 500]); // before the first syscall: icount is exact
    assertEquals(r.out, `icount reached at 0x${r.m.pc.toString(16)}, exiting\n`);
    // across syscalls: execlog logs exactly the N instructions that ran
    const big = await runTool(["stoptrigger,icount=3000", "execlog"], { accel });
    assertEquals(big.status, 0);
    const logged = big.out.split("\n").filter((l) => l.startsWith("0, "));
    assertEquals(logged.length, 3000);
    assertEquals(big.m.icount + big.syscalls, 3000);
    // addr: stops before main's first instruction runs
    const probe = await createMachine({ program: HELLO });
    const main = probe.symbol("main")!;
    const at = await runTool([`stoptrigger,addr=0x${main.toString(16)}:7`], { accel });
    assertEquals([at.status, at.m.pc], [7, main]);
    assertEquals(at.out, `0x${main.toString(16)} reached, exiting\n`);
    assertEquals(at.m.stdout, "");
  });

  Deno.test(`${accel}: traps counts signal-handler entries and syscalls`, async () => {
    const r = await runTool(["traps"], { accel, program: `${BIN}signals.static.O2` });
    const [header, row] = r.out.trim().split("\n");
    assertEquals(header, "VCPU, interrupts, exceptions, hostcalls");
    assert(/^ {3}0, {1,10}\d+, {1,10}\d+, {1,10}\d+$/.test(row), row);
    const [, interrupts, exceptions, hostcalls] = row.split(",").map((s) => Number(s));
    const segv = r.signals.filter((s) => s === 11).length;
    assertEquals(segv, 3); // the guest catches three SIGSEGVs
    assertEquals(exceptions, segv);
    assertEquals(interrupts, r.signals.length - segv);
    assertEquals(hostcalls, r.syscalls - 1); // exit_group does not return
  });
}

Deno.test("execlog: first lines are the entry instructions, with accesses and registers", async () => {
  const probe = await createMachine({ program: HELLO });
  const pcs: bigint[] = [];
  probe.hooks.addInsnHook((_v, pc) => pcs.length < 8 && pcs.push(pc), { regs: "none" });
  probe.step(8);
  const entry = (await createMachine({ program: HELLO })).pc;
  const r = await runTool(["execlog,reg=sp"]);
  const lines = r.out.split("\n");
  assertEquals(lines.slice(0, 8).map((l) => BigInt(l.split(", ")[1])), pcs);
  assertEquals(BigInt(lines[0].split(", ")[1]), entry);
  const [, pc, opcode, disas] = lines[0].match(/^0, (0x[0-9a-f]+), (0x[0-9a-f]+), "(.*)"/)!;
  const bytes = r.m.readMemory(BigInt(pc), 4);
  const word = bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24;
  const size = (word & 3) === 3 ? 4 : 2;
  const bits = size === 4 ? word >>> 0 : word & 0xffff;
  assertEquals(Number(opcode), bits);
  assertEquals(disas, machineDriver(r.m).target.disassemble(bits, size, BigInt(pc)));
  assert(lines.some((l) => /, store, 0x[0-9a-f]{8,}/.test(l)), "no store logged");
  assert(lines.some((l) => /, load, 0x[0-9a-f]{8,}/.test(l)), "no load logged");
  const spChange = lines.find((l) => l.includes(", sp -> 0x"))!;
  assert(/"(c\.addi16sp\s+sp|(c\.)?addi\s+sp,sp),-?\d+"/.test(spChange), spChange);
  const filtered = await runTool(["execlog,ifilter=ecall"]);
  const ecalls = filtered.out.trim().split("\n");
  assertEquals(ecalls.length, filtered.syscalls);
  assert(ecalls.every((l) => l.endsWith('"ecall"')), ecalls[0]);
});

Deno.test("cache: totals match independent counts; a huge cache misses once per line", async () => {
  const probe = await createMachine({ program: HELLO });
  const lines = new Set<bigint>();
  let accesses = 0;
  probe.hooks.addMemHook((_v, a) => {
    accesses++;
    lines.add(a.address >> 6n);
  }, { regs: "none" });
  await probe.runToExit();
  const r = await runTool(["cache,dcachesize=16777216,dassoc=64", "insn"]);
  const row = r.out.split("\n")[1].trim().split(/\s+/);
  assertEquals(r.out.split("\n")[0].split(", ").length, 7);
  const [, dacc, dmiss, , iacc, imiss] = row;
  assertEquals(Number(dacc), accesses);
  assertEquals(Number(dmiss), lines.size); // only compulsory misses
  assertEquals(Number(iacc), num(r.out, /total insns: (\d+)/));
  assert(Number(imiss) > 0 && Number(imiss) < Number(iacc) / 10, row.join(" "));
  assert(r.out.includes("address, data misses, instruction\n0x"), r.out);
  assert(/\n0x[0-9a-f]+ \([\w.]+\), \d+, /.test(r.out), "top rows carry symbols");
  // small caches miss more; random eviction is seeded, so runs repeat
  const small = await runTool(["cache,dcachesize=1024,dassoc=2,evict=rand,l2=on,limit=5"]);
  const again = await runTool(["cache,dcachesize=1024,dassoc=2,evict=rand,l2=on,limit=5"]);
  assertEquals(small.out, again.out);
  assert(Number(small.out.split("\n")[1].trim().split(/\s+/)[2]) > Number(dmiss));
  assert(small.out.includes("address, L2 misses, instruction"));
  for (const evict of ["lru", "fifo"]) {
    const o = await runTool([`cache,dcachesize=2048,dassoc=4,evict=${evict}`]);
    const miss = Number(o.out.split("\n")[1].trim().split(/\s+/)[2]);
    assert(miss >= lines.size && miss < accesses, `${evict}: ${miss}`);
  }
  await assert.rejects(() => runTool(["cache,dcachesize=1000"]), /cannot be constructed/);
});

Deno.test("drcov: the log parses as drcov 2 with blocks inside the program", async () => {
  const file = await tempPath(".drcov");
  const r = await runTool([`drcov,filename=${file}`]);
  const bytes = await Deno.readFile(file);
  const text = new TextDecoder("latin1").decode(bytes);
  const head = text.split("\n", 6);
  assertEquals(head.slice(0, 4), [
    "DRCOV VERSION: 2",
    "DRCOV FLAVOR: drcov-64",
    "Module Table: version 2, count 1",
    "Columns: id, base, end, entry, path",
  ]);
  const [id, base, end, entry, path] = head[4].split(", ");
  assertEquals([id, path], ["0", Deno.realPathSync(HELLO)]);
  const probe = await createMachine({ program: HELLO });
  assertEquals(BigInt(entry), probe.pc);
  const n = Number(head[5].match(/^BB Table: (\d+) bbs$/)![1]);
  const tableAt = head.slice(0, 6).join("\n").length + 1;
  assertEquals(bytes.length - tableAt, n * 8);
  const dv = new DataView(bytes.buffer, tableAt);
  const starts = new Set<bigint>();
  for (let i = 0; i < n; i++) {
    const start = BigInt(base) + BigInt(dv.getUint32(i * 8, true));
    const size = dv.getUint16(i * 8 + 4, true);
    assertEquals(dv.getUint16(i * 8 + 6, true), 0);
    assert(size > 0 && start + BigInt(size) <= BigInt(end), `block ${start} outside`);
    starts.add(start);
  }
  assert(starts.has(r.m.symbol("main")!), "main's first block is covered");
  assert(n > 100);
  await Deno.remove(file);
});

Deno.test("bbv: one SimPoint vector per interval", async () => {
  const prefix = await tempPath("");
  const r = await runTool([`bbv,interval=100000,outfile=${prefix}`, "insn,inline=on"], {
    program: `${BIN}compute.static.O2`,
    args: ["1"],
  });
  const total = num(r.out, /total insns: (\d+)/);
  const lines = (await Deno.readTextFile(`${prefix}.0.bb`)).split("\n").filter((l) => l);
  assertEquals(lines.length, Math.floor(total / 100000));
  for (const l of lines) assert(/^T(:\d+:\d+ )+$/.test(l), l);
  const sums = lines.map((l) =>
    l.slice(1).trim().split(" ").reduce((n, e) => n + Number(e.split(":")[2]), 0)
  );
  assert(sums.every((s) => s >= 100000 - 200 && s <= 100000 + 200), sums.join(" "));
  await Deno.remove(`${prefix}.0.bb`);
  await Deno.remove(prefix);
});

Deno.test("howvec, hotpages, memtrace: totals agree with insn and memory hooks", async () => {
  const r = await runTool(["howvec,inline=on,count=sys", "insn", "hotpages", "memtrace"]);
  const total = num(r.out, /total insns: (\d+)/);
  const classHits = [...r.out.matchAll(/^Class: .*\t\((\d+) hits\)$/gm)].map((m) => Number(m[1]));
  const individual = [...r.out.matchAll(/^Instr: .*\t\((\d+) hits\)\t\(op=0x[0-9a-f]{8}\//gm)];
  const sum = classHits.reduce((a, b) => a + b, 0) +
    individual.reduce((a, m) => a + Number(m[1]), 0);
  assertEquals(sum, total);
  assert(r.out.includes("Class: System/CSR              \tcounted individually"));
  assert(/Instr: ecall +\t\(\d+ hits\)\t\(op=0x00000073\/System\/CSR\)/.test(r.out));
  const accesses = num(r.out, /mem accesses: (\d+)/);
  const trace = r.out.split("\n").filter((l) => /^0x[0-9a-f]+,[^,]*,0x/.test(l));
  assertEquals(trace.length, accesses);
  assert(
    trace.every((l) =>
      /^0x[0-9a-f]+,[\w.]*,0x[0-9a-f]+,0x0,(8|16|32|64),(load|store),0x[0-9a-f]+$/.test(l)
    ),
  );
  const pages = r.out.split("\n").filter((l) =>
    /^0x[0-9a-f]{16}, 0x000[01], \d+, 0x000[01], \d+$/.test(l)
  );
  assert(pages.length > 3 && pages.length <= 50);
  const pageTotal = pages.reduce(
    (n, l) => n + Number(l.split(", ")[2]) + Number(l.split(", ")[4]),
    0,
  );
  if (pages.length < 50) assertEquals(pageTotal, accesses);
});

Deno.test("plugins: unknown options, bad versions and missing tools are refused clearly", async () => {
  await assert.rejects(() => runTool(["insn,bogus=1"]), /option parsing failed: bogus=1/);
  await assert.rejects(() => runTool(["hotpages,sortby=size"]), /invalid value to sortby/);
  await assert.rejects(() => runTool(["stoptrigger"]), /'icount' or 'addr' argument missing/);
  await assert.rejects(() => runTool(["no_such_tool"]), EmuError);
  const manifest = (apiVersion: string) =>
    `export default { kind: "tool", name: "old", apiVersion: ${apiVersion}, description: "", install() {} };\n`;
  // a range that ends before this Denemu's version, one that starts after it, and a bare number
  const refused: [string, RegExp][] = [
    ["{ min: 1, cur: 1 }", /plugin "old" supports plugin API 1, this Denemu implements 2$/],
    ["{ min: 3, cur: 5 }", /plugin "old" supports plugin API 3 to 5, this Denemu implements 2$/],
    ["99", /plugin "old" supports plugin API 99, this Denemu implements 2$/],
    ["undefined", /plugin "old" declares no plugin API range/],
  ];
  for (const [range, message] of refused) {
    const old = await tempPath(".ts"); // a fresh module each time: imports are cached
    await Deno.writeTextFile(old, manifest(range));
    await assert.rejects(
      () => loadToolPlugin(old),
      (e: Error) => e instanceof EmuError && message.test(e.message),
      range,
    );
    await Deno.remove(old);
  }
  // a plugin whose range includes this version loads, even when built for a newer one
  const wide = await tempPath(".ts");
  await Deno.writeTextFile(wide, manifest(`{ min: 1, cur: ${PLUGIN_API_VERSION + 1} }`));
  assertEquals((await loadToolPlugin(wide)).name, "old");
  await Deno.remove(wide);
});

async function emu(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}mod.ts`, "user", ...args],
    cwd: ROOT,
    env: { PATH: "/usr/bin:/bin" },
    clearEnv: true,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("cli: -plugin (repeatable) prints to stderr or -D; -plugin help; exit codes", async () => {
  const help = await emu(["-plugin", "help"]);
  assertEquals(help.code, 0);
  for (
    const t of [
      "bb",
      "bbv",
      "cache",
      "drcov",
      "execlog",
      "hotblocks",
      "hotpages",
      "howvec",
      "insn",
      "memtrace",
      "stoptrigger",
      "traps",
    ]
  ) {
    assert(new RegExp(`^${t} +\\S`, "m").test(help.stdout), `${t} missing from -plugin help`);
  }
  const run = await emu(["-plugin", "insn,inline=on", "-plugin", "bb", HELLO]);
  assertEquals([run.code, run.stdout], [0, "Hello, world!\n"]);
  const total = num(run.stderr, /total insns: (\d+)/);
  assertEquals(num(run.stderr, /Total: bb's: \d+, insns: (\d+)/), total);
  const log = await tempPath(".log");
  const stop = await emu(["-D", log, "-d", "plugin", "-plugin", "stoptrigger,icount=100:5", HELLO]);
  assertEquals([stop.code, stop.stdout, stop.stderr], [5, "", ""]);
  assert(/^icount reached at 0x[0-9a-f]+, exiting\n$/.test(await Deno.readTextFile(log)));
  await Deno.remove(log);
  const bad = await emu(["-plugin", "insn,nope", HELLO]);
  assert(bad.code !== 0 && bad.stderr.includes("option parsing failed: nope=on"), bad.stderr);
});

// The scripts of scripts/ (strace, calltrace, coverage, patch_return), run as
// subprocesses on real guests, and their exported helpers.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { callKind } from "../scripts/calltrace.ts";
import { functionCoverage } from "../scripts/coverage.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BIN = `${ROOT}tests/guests/bin/`;

async function script(
  name: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}scripts/${name}.ts`, ...args],
    cwd: ROOT,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("strace: every syscall with decoded arguments and its return value", async () => {
  const r = await script("strace", [`${BIN}hello.static.O2`]);
  assertEquals([r.code, r.stdout], [0, "Hello, world!\n"]);
  const lines = r.stderr.trimEnd().split("\n");
  assert(lines.includes('write(1, "Hello, world!\\n", 14) = 14'), r.stderr);
  assert(
    lines.includes(
      'readlinkat(-100, "/proc/self/exe", ' +
        lines.find((l) => l.startsWith("readlinkat"))!.split(", ").slice(2).join(", "),
    ),
  );
  assert(/^brk\(0x0\) = 0x[0-9a-f]+$/.test(lines[0]), lines[0]);
  assertEquals(lines.slice(-2), ["exit_group(0)", "+++ exited with 0 +++"]);
  // one line per syscall the machine reports
  const m = await createMachine({ program: `${BIN}hello.static.O2` });
  let calls = 0;
  for await (const ev of m.run()) if (ev.type === "syscall") calls++;
  assertEquals(lines.length - 1, calls);
  const usage = await script("strace", []);
  assert(usage.code === 2 && usage.stderr.startsWith("usage:"));
});

Deno.test("strace: failed calls show errno, signals are marked", async () => {
  const r = await script("strace", [`${BIN}signals.static.O2`]);
  assertEquals(r.code, 0);
  assert(/^set_robust_list\(0x[0-9a-f]+, 24\) = 0$/m.test(r.stderr), r.stderr);
  const dynamic = await script("strace", [`${BIN}hello.dynamic.O2`]);
  assert(/^faccessat\(-100, "\/etc\/ld.so.preload", 0x4\) = -1 errno=2$/m.test(dynamic.stderr));
  assert(/^--- signal 10 \(handler 0x[0-9a-f]+\) ---$/m.test(r.stderr));
  assert(/^--- signal 11 /m.test(r.stderr));
});

Deno.test("calltrace: calls indented by depth, named from symbols", async () => {
  const r = await script("calltrace", ["--from", "main", `${BIN}hello.static.O2`]);
  assertEquals(r.code, 0);
  const lines = r.stdout.split("\n");
  const at = lines.indexOf("main");
  assert(at >= 0, r.stdout);
  assertEquals(lines[at + 1], "  puts");
  assert(lines.slice(at + 2).some((l) => /^ {4}\S/.test(l)), "puts calls something");
  assert(lines.includes("exit"), "exit is called at depth 0 after main returns");
  const ret = await script("calltrace", [
    "--from",
    "main",
    "--max-depth",
    "2",
    "--returns",
    `${BIN}hello.static.O2`,
  ]);
  const rl = ret.stdout.split("\n");
  assert(rl.includes("  <- puts = 14"), ret.stdout); // puts returns the bytes written
  assert(rl.includes("<- main = 0"), ret.stdout);
  assert(!rl.some((l) => l.startsWith("    ")), "max depth 2");
});

Deno.test("callKind: RISC-V calls and returns", () => {
  assertEquals(callKind(0x00008067, 4), "return"); // ret
  assertEquals(callKind(0x8082, 2), "return"); // c.jr ra
  assertEquals(callKind(0x9782, 2), "call"); // c.jalr a5
  assertEquals(callKind(0x022000ef, 4), "call"); // jal ra,...
  assertEquals(callKind(0x000780e7, 4), "call"); // jalr ra,0(a5)
  assertEquals(callKind(0x0220006f, 4), null); // j (tail call)
  assertEquals(callKind(0x8782, 2), null); // c.jr a5
});

Deno.test("coverage: functions reached, main fully covered, drcov written", async () => {
  const drcov = await Deno.makeTempFile({ suffix: ".drcov" });
  const r = await script("coverage", ["--drcov", drcov, `${BIN}hello.static.O2`]);
  assertEquals(r.code, 0);
  const [reached, total, pct] = r.stdout.match(/functions reached: (\d+) of (\d+) \(([\d.]+)%\)/)!
    .slice(1).map(Number);
  assert(reached > 20 && reached < total, r.stdout);
  assertEquals(pct, Number((100 * reached / total).toFixed(1)));
  assert(/^0x[0-9a-f]+ +(\d+)\/\1 +100\.0% +main$/m.test(r.stdout), r.stdout);
  assert(/^0x[0-9a-f]+ +\d+\/\d+ +[\d.]+% +puts$/m.test(r.stdout));
  const head = new TextDecoder("latin1").decode((await Deno.readFile(drcov)).slice(0, 16));
  assertEquals(head, "DRCOV VERSION: 2");
  await Deno.remove(drcov);
});

Deno.test("functionCoverage: bytes of each function inside executed blocks", () => {
  const syms = [
    { name: "f", value: 0x100n, size: 0x10n, type: 2 },
    { name: "alias_f", value: 0x100n, size: 0x10n, type: 2 },
    { name: "data", value: 0x200n, size: 8n, type: 1 },
    { name: "g", value: 0x110n, size: 8n, type: 2 },
  ];
  const cov = functionCoverage(syms, [[0x0fcn, 8], [0x10cn, 8]]);
  assertEquals(cov.map((f) => [f.name, f.covered, f.size]), [["f", 8, 16], ["g", 4, 8]]);
});

Deno.test("patch_return: skipping strtol makes compute see the patched value", async () => {
  const plain = await script("patch_return", [
    "--func",
    "strtol",
    "--value",
    "1",
    `${BIN}compute.static.O2`,
    "3",
  ]);
  assertEquals(plain.code, 0);
  assert(/^iterations 1 checksum [0-9a-f]{16}\n$/.test(plain.stdout), plain.stdout);
  assert(/^patched strtol \(0x[0-9a-f]+\): returned 1 at 0x[0-9a-f]+$/m.test(plain.stderr));
  // the same as running it with "1"
  const m = await createMachine({ program: `${BIN}compute.static.O2`, args: ["1"] });
  await m.runToExit();
  assertEquals(plain.stdout, m.stdout);
  const keep = await script("patch_return", [
    "--keep",
    "--func",
    "strtol",
    "--value",
    "2",
    `${BIN}compute.static.O2`,
    "3",
  ]);
  assert(keep.stdout.startsWith("iterations 2 "), keep.stdout);
  assert(/: 3 -> 2 at 0x/.test(keep.stderr), keep.stderr);
  const missing = await script("patch_return", [
    "--func",
    "nope",
    "--value",
    "1",
    `${BIN}hello.static.O2`,
  ]);
  assert(missing.code === 2 && missing.stderr.includes("no symbol nope"));
});

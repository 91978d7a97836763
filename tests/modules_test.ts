// The loaded-modules API: program, ld.so and shared libraries in user mode,
// -kernel ELF images in system mode; and the tools built on it (drcov,
// calltrace, coverage) on PIE and dynamic programs.
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { emuSystemArgs } from "./util/emu_system.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DYNAMIC = `${ROOT}tests/guests/bin/hello.dynamic.O2`;
const LIBC = /\/libc\.so\.6$/;

async function deno(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdin: "null" }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The module table and block entries of a drcov file. */
function readDrcov(bytes: Uint8Array) {
  const text = new TextDecoder("latin1").decode(bytes);
  const count = Number(/Module Table: version 2, count (\d+)\n/.exec(text)![1]);
  const lines = text.split("\n");
  const modules = lines.slice(4, 4 + count).map((l) => {
    const [id, base, end, entry, path] = l.split(", ");
    return { id: Number(id), base: BigInt(base), end: BigInt(end), entry: BigInt(entry), path };
  });
  const n = Number(/BB Table: (\d+) bbs\n/.exec(text)![1]);
  const tableAt = lines.slice(0, 5 + count).join("\n").length + 1;
  const dv = new DataView(bytes.buffer, tableAt);
  const blocks = Array.from({ length: n }, (_, i) => ({
    offset: dv.getUint32(i * 8, true),
    size: dv.getUint16(i * 8 + 4, true),
    module: dv.getUint16(i * 8 + 6, true),
  }));
  return { modules, blocks };
}

Deno.test("a dynamic PIE program's modules: program, ld.so, libc, with events and symbols", async () => {
  const m = await createMachine({ program: DYNAMIC });
  const loaded: string[] = [];
  m.hooks.on("module_load", (e) => loaded.push(e.module.path));
  for await (const _ of m.run());
  const paths = m.modules.list.map((x) => x.path);
  assertEquals(paths.length, 3, paths.join());
  assertEquals(paths[0], Deno.realPathSync(DYNAMIC));
  assert(/ld-linux-riscv64-lp64d\.so\.1$/.test(paths[1]), paths[1]);
  assert(LIBC.test(paths[2]), paths[2]);
  assertEquals(loaded, [paths[2]]); // mapped while the program ran
  const main = m.symbol("main")!;
  assertEquals(m.modules.at(main), m.modules.list[0]);
  assert(main > m.modules.list[0].bias && m.modules.list[0].bias > 0n, "main is relocated");
  const puts = m.symbol("puts")!;
  assertEquals([m.modules.at(puts)?.id, m.symbolAt(puts), m.symbolAt(puts + 4n)], [
    2,
    "puts",
    "puts+0x4",
  ]);
});

Deno.test("drcov writes every module, with blocks in the program and in libc", async () => {
  const file = Deno.makeTempFileSync({ suffix: ".drcov" });
  try {
    const r = await deno([
      "run",
      "-A",
      "mod.ts",
      "user",
      "-plugin",
      `drcov,filename=${file}`,
      DYNAMIC,
    ]);
    assertEquals(r.code, 0, r.stderr);
    const { modules, blocks } = readDrcov(Deno.readFileSync(file));
    assertEquals(modules.map((x) => x.id), [0, 1, 2]);
    assert(LIBC.test(modules[2].path), modules[2].path);
    for (const b of blocks) {
      const mod = modules[b.module];
      assert(mod.base + BigInt(b.offset + b.size) <= mod.end, `block outside module ${b.module}`);
    }
    for (const id of [0, 1, 2]) assert(blocks.some((b) => b.module === id), `no block of ${id}`);
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("system mode: drcov covers the -kernel ELF image", async () => {
  const file = Deno.makeTempFileSync({ suffix: ".drcov" });
  const kernel = "tests/baremetal/bin/timer.elf";
  try {
    const r = await deno(emuSystemArgs(kernel, ["-plugin", `drcov,filename=${file}`]));
    assertEquals(r.code, 0, r.stderr);
    const { modules, blocks } = readDrcov(Deno.readFileSync(file));
    assertEquals(modules.map((x) => [x.id, x.path]), [[0, kernel]]);
    assert(blocks.length > 20 && blocks.every((b) => b.module === 0));
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("calltrace names libc functions; coverage finds a PIE program's functions", async () => {
  const trace = await deno(["run", "-A", "scripts/calltrace.ts", DYNAMIC]);
  assertEquals(trace.code, 0, trace.stderr);
  for (const fn of ["main", "exit", "_IO_file_overflow"]) {
    assert(new RegExp(`^ *${fn}$`, "m").test(trace.stdout), fn);
  }
  const cov = await deno(["run", "-A", "scripts/coverage.ts", DYNAMIC]);
  assertEquals(cov.code, 0, cov.stderr);
  assert(/^0x[0-9a-f]+ +(\d+)\/\1 +100\.0% +main$/m.test(cov.stdout), cov.stdout);
});

// `emu user -d page` and `-d tid` against qemu-riscv64 7.2 in the same run. `page`: the page map
// after the program is loaded, the image's addresses, and the map after each mmap and brk that
// maps pages, line for line from QEMU's `binary load` map on (before it QEMU writes host details
// and the maps its own loader's mmaps make). `tid`: its error without a `%d` in -D's name, and a
// log file per guest thread.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { installed } from "./util/installed.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const BIN = `${ROOT}tests/guests/bin/`;
const QEMU = installed("qemu-riscv64");
if (!QEMU) console.error("user_page_tid_log_test: skipped, qemu-riscv64 is not installed");

/**
 * Runs `args` under qemu-riscv64 or `emu user` with an empty environment (Denemu's default; the
 * stack's addresses depend on it), killed after two minutes.
 */
async function run(peer: "qemu" | "emu", args: string[], cwd = ROOT, qemu = "qemu-riscv64") {
  const [cmd, all] = peer === "qemu"
    ? [qemu, args]
    : [Deno.execPath(), ["run", "-A", `${ROOT}mod.ts`, "user", ...args]];
  const signal = AbortSignal.timeout(120_000);
  const out = await new Deno.Command(cmd, { args: all, cwd, clearEnv: true, stdin: "null", signal })
    .output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** The log from QEMU's `binary load` map on. */
const fromLoad = (log: string) => log.slice(log.indexOf("page layout changed following binary"));

// aarch64's since its images and mmap start where qemu-aarch64's do (0x400000, 0x5500000000)
const PAGE_CASES = [
  ["hello.static.O2"],
  ["-L", "/usr/riscv64-linux-gnu", "hello.dynamic.O2"],
  ["threads.static.O2"],
  ["aarch64/hello.static.O2"],
  ["-L", "/usr/aarch64-linux-gnu", "aarch64/hello.dynamic.O2"],
];
const QEMU_AARCH64 = installed("qemu-aarch64");
if (!QEMU_AARCH64) console.error("user_page_tid_log_test: aarch64 skipped, no qemu-aarch64");
for (const args of PAGE_CASES) {
  const qemu = args.at(-1)!.startsWith("aarch64/") ? "qemu-aarch64" : "qemu-riscv64";
  Deno.test({
    name: `-d page ${args.join(" ")}: ${qemu}'s maps and image addresses`,
    ignore: qemu === "qemu-riscv64" ? !QEMU : !QEMU_AARCH64,
    async fn() {
      const argv = ["-d", "page", ...args.slice(0, -1), `${BIN}${args.at(-1)}`];
      const [q, e] = await Promise.all([run("qemu", argv, ROOT, qemu), run("emu", argv)]);
      assertEquals([e.code, q.code], [0, 0], e.stderr);
      const [ql, el] = [fromLoad(q.stderr), fromLoad(e.stderr)];
      assert(/^start_brk +0x0{16}$/m.test(ql) && ql.includes("following mmap"), ql);
      assertEquals(el.split("\n"), ql.split("\n"));
    },
  });
}

Deno.test({
  name: "-d tid: -D needs a %d, as in qemu-riscv64, and each thread has its log file",
  ignore: !QEMU,
  async fn() {
    for (const d of [[], ["-D", "x.log"]]) {
      const argv = ["-d", "tid,strace", ...d, `${BIN}hello.static.O2`];
      const [q, e] = await Promise.all([run("qemu", argv), run("emu", argv)]);
      const line = (r: { stderr: string }) =>
        r.stderr.split("\n")[0].replace(/^(qemu-riscv64|emu): /, "").replace(/ \(.*\)$/, "");
      assertEquals([e.code, line(e)], [q.code, line(q)]);
      assertEquals(line(e), "Filename template with '%d' required for 'tid'");
    }
    const logs = async (peer: "qemu" | "emu") => {
      const dir = await Deno.makeTempDir({ prefix: "denemu-tid-" });
      try {
        const r = await run(
          peer,
          ["-d", "tid,strace", "-D", "t%d.log", `${BIN}threads.static.O2`],
          dir,
        );
        assertEquals(r.code, 0, r.stderr);
        const names = [...Deno.readDirSync(dir)].map((f) => f.name).sort();
        // the program's first thread has the lowest id; a line is "ID call = result"
        const first = await Deno.readTextFile(`${dir}/${names[0]}`);
        return {
          files: names.length,
          start: first.split("\n").slice(0, 2).map((l) => l.replace(/^\d+ /, "")),
        };
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    };
    const [q, e] = await Promise.all([logs("qemu"), logs("emu")]);
    assert(q.files > 2, `${q.files} thread logs`);
    assertEquals(e, q);
  },
});

Deno.test({
  name: "-d with an unknown or empty item, or -dfilter's bad range, next to page and tid: QEMU's",
  ignore: !QEMU,
  async fn() {
    const cases = [
      ["-d", "page,foo"],
      ["-d", "page,,tid"],
      ["-d", ","],
      ["-d", ""],
      ["-d", "foo", "-dfilter", "0x10+0"],
      ["-d", "page", "-dfilter", "0x10+0"],
      ["-dfilter", "0x20..0x10", "-d", "tid"],
      ["-d", "page,tid", "-D", "a%d%d.log"],
    ];
    for (const args of cases) {
      const argv = [...args, `${BIN}hello.static.O2`];
      const [q, e] = await Promise.all([run("qemu", argv), run("emu", argv)]);
      // QEMU prints its -d help on stdout for a bad item, with nothing on stderr
      const said = (r: { code: number; stdout: string; stderr: string }) => [
        r.code,
        r.stdout.split("\n")[0],
        r.stderr.split("\n")[0].replace(/^(qemu-riscv64|emu): /, "").replace(/ \(.*\)$/, ""),
      ];
      assertEquals(said(e), said(q), args.join(" "));
    }
  },
});

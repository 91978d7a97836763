// Where a dynamic PIE, its interpreter and its libraries land in user mode, seen by gdb,
// against qemu-aarch64 and qemu-riscv64 7.2 in the same run: qemu-aarch64 starts at
// 0x5500000000, qemu-riscv64 at 0x4000000000; images go on the first free pages whatever
// their p_align, with the holes between their segments reserved.
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { gdbBatch } from "./util/gdb_batch.ts";
import { installed } from "./util/installed.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const MOD = new URL("../mod.ts", import.meta.url).pathname;
const GDB = installed("gdb-multiarch");

const CASES = [
  { qemu: "qemu-aarch64", arch: "aarch64", prog: `${BIN}aarch64/hello.dynamic.O2`, base: "0x55" },
  { qemu: "qemu-riscv64", arch: "riscv:rv64", prog: `${BIN}hello.dynamic.O2`, base: "0x40" },
];

for (const { qemu, arch, prog, base } of CASES) {
  const sysroot = `/usr/${qemu.slice(5)}-linux-gnu`;
  const missing = [GDB ? "" : "gdb-multiarch", installed(qemu) ? "" : qemu].filter((x) => x);
  const skipped = missing.length ? ` (skipped: ${missing.join(", ")} not installed)` : "";
  if (skipped) console.log(`pie_base_peer_test: ${qemu}${skipped}`);
  Deno.test({
    name: `a dynamic PIE, ld.so, libc and the break are where ${qemu} -g puts them${skipped}`,
    ignore: missing.length > 0,
    async fn() {
      const cmds = [
        `set sysroot ${sysroot}`,
        "break main",
        "continue",
        "info sharedlibrary",
        "p (void*)sbrk(0)",
        "info auxv",
      ];
      const run = (argv: string[]) =>
        gdbBatch([...argv, prog], prog, cmds, undefined, 120_000, arch);
      const ours = await run([
        Deno.execPath(),
        "run",
        "-A",
        MOD,
        "user",
        "-L",
        sysroot,
        "-g",
        "PORT",
      ]);
      const theirs = await run([qemu, "-L", sysroot, "-g", "PORT"]);
      const where = (s: string) =>
        s.split("\n").filter((l) =>
          /^(Breakpoint 1 at|0x0000|\$1 =)/.test(l) || /AT_(PHDR|BASE|ENTRY) /.test(l)
        );
      assertEquals(where(ours.gdb), where(theirs.gdb));
      assertEquals(where(ours.gdb).length >= 7, true, ours.gdb);
      assertEquals(ours.gdb.includes(`Breakpoint 1 at ${base}`), true, ours.gdb);
    },
  });
}

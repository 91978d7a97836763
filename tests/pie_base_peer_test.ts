// Where a dynamic PIE, its interpreter and its libraries land in user mode, seen by gdb,
// against qemu-aarch64 and qemu-riscv64 7.2 in the same run: qemu-aarch64 starts at
// 0x5500000000, qemu-riscv64 at 0x4000000000; images go on the first free pages whatever
// their p_align, with the holes between their segments reserved. QEMU runs with an empty
// environment, as Denemu's guests get one, so that the stacks match too. gdb calls malloc in
// the guest: on aarch64 that needs its writes of x0 (before: dropped, as RISC-V's x0).
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
    name:
      `a dynamic PIE, ld.so, libc, the stack and the heap are where ${qemu} -g puts them${skipped}`,
    ignore: missing.length > 0,
    async fn() {
      const cmds = [
        `set sysroot ${sysroot}`,
        "break main",
        "continue",
        "info sharedlibrary",
        "info registers sp",
        "p (void*)sbrk(0)",
        "p (void*)malloc(100000)",
        "p (void*)malloc(10)",
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
      const theirs = await run(["env", "-i", qemu, "-L", sysroot, "-g", "PORT"]);
      const where = (s: string) =>
        s.split("\n").filter((l) =>
          /^(Breakpoint 1 at|0x0000|\$\d =|sp )/.test(l) ||
          /AT_(PHDR|BASE|ENTRY|RANDOM|EXECFN|PLATFORM) /.test(l)
        );
      assertEquals(where(ours.gdb), where(theirs.gdb));
      assertEquals(where(ours.gdb).length >= 12, true, ours.gdb);
      assertEquals(ours.gdb.includes(`Breakpoint 1 at ${base}`), true, ours.gdb);
    },
  });
}

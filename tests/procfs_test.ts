// The guest's /proc (core/linux/proc_files.ts) and PT_GNU_STACK: /proc/self/maps parsed by a
// guest as pmap-style code does and the other /proc/self files, compared with qemu-riscv64; gcc
// nested-function trampolines on an executable stack; /proc/self/root lookups stay in --root.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createMachine } from "../mod.ts";
import { GUEST_BIN, runGuest, testAgainstQemu } from "./util/guest_runs.ts";

testAgainstQemu(
  "procfs",
  ["procfs.static.O2", "procfs.dynamic.O2"],
  [{}],
  (out) => out.includes("/proc/self/root reaches the same file: yes") && !out.includes(": no"),
);

testAgainstQemu(
  "execstack",
  ["execstack.static.O2", "execstack.dynamic.O2"],
  [{}, { accel: "jit" }],
  (out) => out.includes("stack: rwxp") && out.includes("depth 3: 67"),
);

Deno.test("procfs: without PT_GNU_STACK's X the stack is not executable", async () => {
  const r = await runGuest("procfs.static.O2");
  assert(r.stdout.includes("stack: rw-p\n"), r.stdout);
});

/** Runs the fsscript guest (one file syscall a line) under `--root` with `script` on stdin. */
async function underRoot(script: string[], cpu?: string): Promise<string[]> {
  const root = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "denemu-procroot-" }));
  try {
    Deno.writeTextFileSync(`${root}/inside`, "inside");
    Deno.copyFileSync(`${GUEST_BIN}fsscript.static.O2`, `${root}/fs`);
    const m = await createMachine({
      program: `${root}/fs`,
      cpu,
      root,
      stdin: script.join("\n") + "\n",
    });
    assertEquals(await m.runToExit(), 0);
    await m.close();
    return m.stdout.trimEnd().split("\n");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
}

Deno.test("procfs: /proc/self/root and /proc/self/cwd lookups stay in --root", async () => {
  const hostname = Deno.readTextFileSync("/etc/hostname").slice(0, 8);
  const out = await underRoot([
    "open -100 /proc/self/root/../../../etc/hostname 0 0",
    "readlink -100 /proc/self/root",
    "open -100 /proc/self/root/inside 0 0",
    "read 0 64",
    "open -100 /proc/self/cwd/../../inside 0 0",
    "readlink -100 /proc/self/exe",
    "open -100 /proc/1/root/etc/hostname 0 0",
  ]);
  assertEquals(out, [
    "1 open: -1 ENOENT",
    "2 readlink: ok /",
    "3 open: ok 0",
    "4 read: ok 6 inside",
    "5 open: ok 1",
    "6 readlink: ok /fs",
    "7 open: -1 ENOENT",
  ]);
  assert(!out.join("\n").includes(hostname));
});

Deno.test("procfs: /proc/cpuinfo and /proc/meminfo describe the emulated machine", async () => {
  const out = await underRoot([
    "open -100 /proc/cpuinfo 0 0",
    "read 0 38",
    "open -100 /proc/meminfo 0 0",
    "read 1 40",
    "open -100 /proc/cpuinfo 1 0",
  ]);
  assertEquals(out, [
    "1 open: ok 0",
    "2 read: ok 38 processor\\x09:\\x200\\x0ahart\\x09\\x09:\\x200\\x0aisa\\x09\\x09:\\x20rv64ima",
    "3 open: ok 1",
    "4 read: ok 40 MemTotal:\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x204194304\\x20kB\\x0a" +
    "MemFree:\\x20\\x20\\x20\\x20",
    "5 open: -1 EACCES",
  ]);
});

Deno.test("procfs: /proc/cpuinfo's isa line follows -cpu (extensions and profiles)", async () => {
  // fsscript shows at most 64 bytes a read
  const isaLine = async (cpu: string) => {
    const out = await underRoot(
      ["open -100 /proc/cpuinfo 0 0", ...Array(4).fill("read 0 64")],
      cpu,
    );
    const text = out.map((l) => /^\d+ read: ok \d+ (.*)$/.exec(l)?.[1] ?? "").join("")
      .replace(/\\x([0-9a-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return /\nisa\t\t: (\S+)\n/.exec(text)?.[1];
  };
  assertEquals(
    await isaLine("rva23u64"),
    "rv64imafdcv_zicsr_zifencei_zihintpause_zicbom_zicbop_zicboz_zicond_zawrs_zfh_zfhmin_zba_zbb_" +
      "zbc_zbs",
  );
  assertEquals(
    await isaLine("rv64,zbc=off,zbkb=on,Zfh=true"),
    "rv64imafdc_zicsr_zifencei_zihintpause_zfh_zfhmin_zba_zbb_zbkb_zbs_sstc",
  );
});

Deno.test("procfs: chdir through /proc/self/root and /proc/self/cwd stays in --root", async () => {
  const out = await underRoot([
    "mkdir -100 d 0755",
    "chdir d",
    "chdir /proc/self/cwd",
    "getcwd",
    "chdir /proc/self/root",
    "getcwd",
    "open -100 inside 0 0",
  ]);
  assertEquals(out, [
    "1 mkdir: ok",
    "2 chdir: ok",
    "3 chdir: ok",
    "4 getcwd: ok /d",
    "5 chdir: ok",
    "6 getcwd: ok /",
    "7 open: ok 0",
  ]);
});

// BusyBox's testsuite/pidof.tests: /proc listed no process, and /proc/<pid> was only one's own
Deno.test("procfs: /proc lists every guest process; BusyBox's pidof and ps find them", async () => {
  const busybox = new URL("real/bin/busybox", import.meta.url).pathname;
  const links = Deno.makeTempDirSync({ prefix: "denemu-pidof-" });
  try {
    for (const a of ["sleep", "pidof", "ps", "grep", "wc", "kill"]) {
      Deno.symlinkSync(busybox, `${links}/${a}`);
    }
    const script = `#!${busybox} sh\nread c < /proc/$$/comm; echo $c $(pidof script.sh)\n`;
    Deno.writeTextFileSync(`${links}/script.sh`, script, { mode: 0o755 });
    const m = await createMachine({
      program: busybox,
      argv0: "busybox",
      args: [
        "sh",
        "-c",
        'sleep 1 & p=$!; [ "$(pidof sleep)" = $p ] && echo pidof: $p; ' +
        'wc -w < /proc/$p/stat; ps | grep -c "^ *$p root .* sleep 1$"; kill $p; ' +
        `${links}/script.sh`, // a script's comm is its own name (pidof.tests: "pidof this")
      ],
      env: [`PATH=${links}`],
    });
    assertEquals(await m.runToExit(), 0);
    await m.close();
    assertEquals(m.stdout, "pidof: 1001\n52\n1\nscript.sh 1000\n");
  } finally {
    Deno.removeSync(links, { recursive: true });
  }
});

// Files, /proc and processes as Linux has them (tests/guests/src/c/files_procs.c), each section
// run on qemu-riscv64 and in Denemu in the same run and compared.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { installed } from "./util/installed.ts";
import { GUEST_BIN, runGuest, runOnQemu } from "./util/guest_runs.ts";
import { createMachine, EmuError } from "../mod.ts";

const haveQemu = installed("qemu-riscv64");

/**
 * Runs section `section` of files_procs on qemu-riscv64 (through `wrap`) and Denemu: same status
 * and output.
 */
function compare(section: string, check: (out: string) => boolean, wrap: string[] = []): void {
  for (const prog of ["files_procs.static.O2", "files_procs.dynamic.O2"]) {
    Deno.test({
      name: `files_procs ${section}: ${prog} prints what qemu-riscv64 prints`,
      ignore: !haveQemu,
      async fn() {
        const peer = await runOnQemu(prog, [section], wrap);
        assert(check(peer.stdout), peer.stdout);
        const r = await runGuest(prog, { args: [section] });
        assertEquals({ status: r.status, stdout: r.stdout }, peer);
      },
    });
  }
}

compare("proclinks", (out) => !out.includes(": no") && out.includes("O_NOFOLLOW: ELOOP"));
// nanoseconds: read and set through the host's C library (the tests run with -A: FFI granted)
compare(
  "pidfds",
  (out) => out.includes("reaped: revents 0x11") && out.includes("code 2 status 15"),
);
// qemu-user hands the call to the host: as nobody, so that it is refused as Denemu refuses it
// (a test run as root would set the host's clock; run as another user, it is refused anyway)
const NOBODY = Deno.uid() === 0
  ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
  : [];
compare("setclock", (out) => out.startsWith("clock_settime REALTIME: EPERM\n"), NOBODY);
compare(
  "fifos",
  (out) => out.includes("read 100000 bytes") && out.endsWith("meets it: a thread's\n"),
);
compare("filetimes", (out) => out.includes("below the ms: yes yes") && out.includes(".987654321"));

// Linux takes any byte in a name but '/' and NUL; Deno names host files by strings, so Denemu
// refuses a name that is not UTF-8 (EILSEQ) rather than make another one (0xff as U+FFFD)
for (const prog of ["files_procs.static.O2", "files_procs.dynamic.O2"]) {
  Deno.test({
    name: `files_procs names: ${prog}: UTF-8 names as qemu-riscv64, others EILSEQ`,
    ignore: !haveQemu,
    async fn() {
      const peer = (await runOnQemu(prog, ["names"])).stdout.split("\n");
      assertEquals(peer.slice(1, 3), [
        "create:ok listed: 66ff unlink:ok",
        "create:ok listed: c328 unlink:ok",
      ]);
      const refused = "create:EILSEQ listed: unlink:EILSEQ";
      const r = await runGuest(prog, { args: ["names"] });
      assertEquals(r.stdout.split("\n"), [peer[0], refused, refused, ""]);
    },
  });
}

Deno.test("files_procs: a FIFO opened with no other end to come is reported as a deadlock", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "denemu-fifo-" });
  try {
    new Deno.Command("mkfifo", { args: [`${dir}/p`] }).outputSync();
    const m = await createMachine({
      program: GUEST_BIN + "fsscript.static.O2",
      root: dir,
      stdin: "open -100 /p 0 0\n",
    });
    const e = await m.runToExit().then(() => null, (e) => e);
    await m.close();
    assert(e instanceof EmuError, String(e));
    assertEquals(
      e.message.split("\n")[1].replace(/^.* waiting on /, ""),
      "a writer to open the FIFO /p",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test(
  "files_procs: qemu-riscv64 is installed for the comparisons",
  { ignore: haveQemu },
  () => {
    console.warn("skipped: qemu-riscv64 is not installed (apt-get install qemu-user)");
  },
);

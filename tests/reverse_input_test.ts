// Reverse debugging over a run that read the outside world: under the gdb stub a run keeps
// its input log in memory, so re-executing from a checkpoint takes the same stdin, host
// time, file contents and serial input again. gdb-multiarch steps and continues backwards
// across the reads and gets the registers the forward run had.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { gdbBatch } from "./util/gdb_batch.ts";
import { installed } from "./util/installed.ts";
import { FW_JUMP, UBOOT } from "../scripts/record_uboot_qemu.ts";

const BIN = new URL("./guests/bin/", import.meta.url).pathname;
const WORLD = `${BIN}world.static.O2`;
const MOD = new URL("../mod.ts", import.meta.url).pathname;

const GDB = installed("gdb-multiarch");
if (!GDB) console.log("reverse_input_test: gdb-multiarch is not installed: skipping");

const GPRS = [
  "pc",
  "ra",
  "sp",
  "gp",
  "tp",
  ...["t0", "t1", "t2", "s0", "s1"],
  ...Array.from({ length: 8 }, (_, i) => `a${i}`),
  ...Array.from({ length: 10 }, (_, i) => `s${i + 2}`),
  ...["t3", "t4", "t5", "t6"],
];
const MARK = "@@regs@@";
/** gdb commands printing every integer register as one block. */
const SHOW = [`echo ${MARK}\\n`, `info registers ${GPRS.join(" ")}`];
const N = 12;

/** The register blocks {@linkcode SHOW} printed, in order. */
function blocks(out: string): string[] {
  return out.split(MARK).slice(1).map((part) =>
    [...part.matchAll(/^([a-z0-9]+)\s+(0x[0-9a-f]+)/gm)].map((x) => `${x[1]}=${x[2]}`).join(" ")
  );
}

/** `stepi` N times showing the registers, then `reverse-stepi` N times showing them. */
function stepsThereAndBack(): string[] {
  const forward = Array.from({ length: N }, () => [...SHOW, "stepi"]).flat();
  const back = Array.from({ length: N }, () => ["reverse-stepi", ...SHOW]).flat();
  return [...forward, ...back];
}

function assertStepsBack(seen: string[]): void {
  assert(seen.length >= 2 * N, seen.join("\n"));
  assertEquals(seen.slice(N, 2 * N), seen.slice(0, N).reverse());
}

Deno.test({
  name: "gdb-multiarch (user): reverse-stepi across a read of stdin, and reverse-continue over " +
    "stdin, -realtime time and a file, give the registers of the forward run",
  ignore: !GDB,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "denemu-revin-" });
    try {
      const file = `${dir}/data.txt`;
      Deno.writeTextFileSync(file, "some data\n");
      const emu = [Deno.execPath(), "run", "-A", MOD, "user", "-realtime", "-g", "PORT"];
      const r = await gdbBatch([...emu, WORLD, file], WORLD, [
        "break read",
        "continue",
        ...stepsThereAndBack(),
        "delete 1",
        "break fclose",
        "continue",
        ...SHOW,
        "reverse-continue",
        "continue",
        ...SHOW,
        "delete",
        "continue",
      ], { text: "a\nb\n" });
      const seen = blocks(r.gdb);
      assertStepsBack(seen);
      // the read returned the 4 bytes of stdin, going forwards and backwards
      assert(seen.slice(0, N).some((b) => b.includes(" a0=0x4 ")), r.gdb);
      // at fclose again after going back to the start: the same state
      assertEquals(seen.length, 2 * N + 2, r.gdb);
      assertEquals(seen[2 * N + 1], seen[2 * N]);
      assert(r.gdb.includes("No more reverse-execution history"), r.gdb);
      assert(r.gdb.includes("exited with code 02"), r.gdb);
      // what was re-executed is not printed again
      assert(/^stdin 1: a\nstdin 2: b\ntime: \d+\.\d+\nfile: 10 bytes/.test(r.emuOut), r.emuOut);
      assertEquals(r.emuOut.split("\n").length, 5, r.emuOut);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
});

const haveUboot = [FW_JUMP, UBOOT].every((f) => {
  try {
    return Deno.statSync(f).isFile;
  } catch {
    return false;
  }
});
if (!haveUboot) console.log("reverse_input_test: opensbi or u-boot-qemu not installed: skipping");

Deno.test({
  name: "gdb-multiarch (system): reverse-stepi and reverse-continue over a key typed into U-Boot " +
    "give the registers of the forward run",
  ignore: !GDB || !haveUboot,
  async fn() {
    const emu = [Deno.execPath(), "run", "-A", MOD, "system", "-M", "virt", "-m", "256M"];
    const boot = ["-bios", FW_JUMP, "-kernel", UBOOT, "-nographic", "-gdb", "tcp::PORT", "-S"];
    const r = await gdbBatch([...emu, ...boot], "", [
      "rwatch *(unsigned char *)0x10000000", // the UART's receive register
      "continue", // OpenSBI reads it once at start
      "continue", // U-Boot reads the key typed at its countdown
      ...stepsThereAndBack(),
      "reverse-continue",
      "reverse-continue", // back before OpenSBI's read: before the key was typed
      "continue",
      "continue", // the key again, from the log
      ...SHOW,
      "kill",
    ], { text: "x", after: /Hit any key/ });
    const seen = blocks(r.gdb);
    assertStepsBack(seen);
    assert(/ a[0-7]=0x78 | t[0-6]=0x78 | s\d+=0x78 /.test(seen[0]), r.gdb); // "x" was read
    assertEquals(seen.length, 2 * N + 1, r.gdb);
    assertEquals(seen[2 * N], seen[0]);
  },
});

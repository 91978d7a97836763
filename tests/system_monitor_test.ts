// `emu system -monitor stdio` and the command-line forms QEMU users type, run on
// qemu-system-riscv64 and Denemu in the same run and compared.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { which } from "../scripts/build_guests.ts";
import { type Run, systemPeer } from "./util/monitor_peers.ts";

const KERNEL = new URL("./baremetal/bin/timer.elf", import.meta.url).pathname;
const BOOT = ["-M", "virt", "-bios", "none", "-kernel", KERNEL];
const hasQemu = (await which("qemu-system-riscv64")) !== null;
if (!hasQemu) console.log("qemu-system-riscv64 not installed: monitor and option tests skipped");

/**
 * The monitor's answers: each prompt line (where QEMU's readline redraws the echo with escape
 * codes, and Denemu echoes it plainly) becomes "(qemu)", the banner names the emulator, and
 * `info cpus` shows a host thread id.
 */
function answers(stdout: string): string {
  return stdout.split("\n").slice(1).map((l) => l.startsWith("(qemu)") ? "(qemu)" : l)
    .join("\n").replace(/thread_id=\d+/g, "thread_id=N");
}

const MONITOR_INPUT = [
  "info status",
  "info registers",
  "info cpus",
  "info name",
  "info uuid",
  "p 10",
  "p 1+2*3",
  "p -1",
  "p /d 255",
  "print 10",
  "p (0x10 | 3) ^ 1",
  "p 010 / 3 % 2",
  "x /2dw 0x80000000",
  "x /2ub 0x80000000",
  "x /2c 0x80000000",
  "x 0x80000000",
  "xp /x 0x80000000",
  "x/4xh 0x80000000",
  "xp /3xg 0x80000000",
  "x /2o 0x80000000",
  "x /0x 0x80000000",
  "x /s 0x80000000",
  "p $pc",
  "x",
  "p 1 +",
  "foo",
  "info foo",
  "x /2xg 0",
  "system_powerdown",
  "info status",
  "system_reset",
  "info status",
  "stop",
  "info status",
  "quit",
  "",
].join("\n");

Deno.test({
  name: "-monitor stdio with -S: info, p and x answer as QEMU's monitor does",
  ignore: !hasQemu,
  fn: async () => {
    // h=false: QEMU 7.2's rv64 has the H extension (and dumps its CSRs), Denemu's has not
    const args = [...BOOT, "-cpu", "rv64,h=false", "-display", "none", "-monitor", "stdio"];
    args.push(
      "-serial",
      "null",
      "-S",
      "-name",
      "vm1",
      "-uuid",
      "0123ABCD-1234-1234-1234-123456789abc",
    );
    const [q, e] = await Promise.all([
      systemPeer("qemu", args, MONITOR_INPUT),
      systemPeer("emu", args, MONITOR_INPUT),
    ]);
    // mip at reset: QEMU's mtimecmp starts at 0, so MTIP is pending; Denemu's at its maximum
    const mip = (t: string) => t.replace(/^ mip +[0-9a-f]+$/m, " mip      (at reset)");
    assert.equal(mip(answers(e.stdout)), mip(answers(q.stdout)));
    assert.match(q.stdout, /^QEMU [\d.]+ monitor - type 'help' for more information\n/);
    assert.match(e.stdout, /^Denemu [\d.]+ monitor - type 'help' for more information\n/);
    assert.deepEqual([e.code, e.stderr], [q.code, q.stderr]);
  },
});

/** QEMU's and Denemu's error lines with their program names taken off, Denemu's hint too. */
function errorLine(r: Run): string {
  return r.stderr.split("\n")[0].replace(/^(qemu-system-riscv64|emu): /, "").replace(
    / \(.*\)$/,
    "",
  );
}

Deno.test({
  name: "command-line forms: the same exit status, output and error as QEMU",
  ignore: !hasQemu,
  fn: async () => {
    const nographic = [...BOOT, "-nographic"];
    const cases = [
      ["-m", "size=256M", "-no-reboot", "-no-shutdown", "-name", "x", ...nographic],
      ["-m", "0", "-d", "int,guest_errors,unimp,nochain", "-D", "/dev/null", ...nographic],
      ["-rtc", "base=utc,clock=vm,driftfix=slew", ...nographic],
      ["-global", "virtio-pci.disable-legacy=on", "-accel", "tcg,thread=single", ...nographic],
      ["-accel", "tcg,tb-size=0x40", ...nographic],
      ...["abc", "-1", "5000000000", "1.5", "99999999999999999999", "-99999999999999999999"]
        .map((n) => ["-accel", `tcg,tb-size=${n}`, ...BOOT]),
      ["-machine", "virt,accel=tcg", "-cpu", "rv64,pmp=true,mmu=on", "-k", "en-us", ...nographic],
      ["-nodefaults", ...nographic],
      [
        ...["-display", "none", "-chardev", "stdio,id=c0,mux=on,signal=off"],
        ...["-serial", "chardev:c0", "-mon", "chardev=c0,mode=readline", ...BOOT],
      ],
      ["-display", "none", "-serial", "chardev:nope", ...BOOT],
      ["-display", "none", "-serial", "file:/nonexistent/serial.txt", ...BOOT],
      ["-display", "none", "-mon", "chardev=nope", ...BOOT],
      ["-enable-kvm", ...nographic],
      ["-display", "none", "-serial", "stdio", ...BOOT],
      ["-append", "console=ttyS0", "-M", "virt", "-bios", "none", "-nographic"],
      ["-initrd", KERNEL, "-M", "virt", "-bios", "none", "-nographic"],
      ["-nographic", "-monitor", "stdio", ...BOOT],
      ...["x%s.log", "x%d%d.log", "/nonexistent/x.log"].map((f) => ["-D", f, ...nographic]),
      ...["0x10+0", "x+1", "0x10..y", "1,"].map((
        f,
      ) => ["-dfilter", f, ...BOOT]),
    ];
    // three cases at a time: the machine is shared
    const runs: [Run, Run][] = [];
    for (let i = 0; i < cases.length; i += 3) {
      runs.push(
        ...await Promise.all(
          cases.slice(i, i + 3).map((args) =>
            Promise.all([systemPeer("qemu", args), systemPeer("emu", args)])
          ),
        ),
      );
    }
    for (const [i, [q, e]] of runs.entries()) {
      const what = cases[i].join(" ");
      // a failing QEMU has printed its monitor's banner already
      assert.deepEqual([e.code, q.code ? "" : e.stdout], [q.code, q.code ? "" : q.stdout], what);
      assert.equal(errorLine(e), errorLine(q), what);
    }
  },
});

Deno.test({
  name: "-serial file: and -serial null with -nographic: the monitor takes stdio, as in QEMU",
  ignore: !hasQemu,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const [q, e] = await Promise.all(
        ["qemu", "emu"].map((peer) =>
          systemPeer(peer as "qemu" | "emu", [
            ...BOOT,
            "-nographic",
            "-serial",
            `file:${dir}/${peer}.txt`,
          ])
        ),
      );
      assert.deepEqual([e.code, answers(e.stdout)], [q.code, answers(q.stdout)]);
      const serial = await Deno.readTextFile(`${dir}/emu.txt`);
      assert.equal(serial, await Deno.readTextFile(`${dir}/qemu.txt`));
      assert.match(serial, /^timer\r?\n/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** A raw kernel that asks the SiFive test device for a reset (and spins). */
const RESET_PROGRAM = new Uint32Array([
  0x001002b7, // lui t0, 0x100: the test device
  0x00007337, // lui t1, 0x7
  0x77730313, // addi t1, t1, 0x777: 0x7777, reset
  0x0062a023, // sw t1, 0(t0)
  0x0000006f, // j .
]);

Deno.test({
  name: "-no-reboot: a guest reset or the monitor's system_reset ends the run, as in QEMU",
  ignore: !hasQemu,
  fn: async () => {
    const kernel = await Deno.makeTempFile({ suffix: ".bin" });
    const spin = await Deno.makeTempFile({ suffix: ".bin" });
    try {
      await Deno.writeFile(kernel, new Uint8Array(RESET_PROGRAM.buffer));
      await Deno.writeFile(spin, new Uint8Array(RESET_PROGRAM.buffer, 16)); // j .
      const args = ["-M", "virt", "-bios", "none", "-nographic", "-no-reboot", "-kernel", kernel];
      const [q, e] = await Promise.all([systemPeer("qemu", args), systemPeer("emu", args)]);
      assert.deepEqual(e, q);
      assert.deepEqual(q, { code: 0, stdout: "", stderr: "" });
      const monitor = ["-M", "virt", "-bios", "none", "-display", "none", "-monitor", "stdio"];
      const [qm, em] = await Promise.all(
        ["qemu", "emu"].map((peer) =>
          systemPeer(
            peer as "qemu" | "emu",
            [...monitor, "-no-reboot", "-kernel", spin],
            "system_reset\n",
          )
        ),
      );
      assert.deepEqual([em.code, answers(em.stdout), em.stderr], [0, answers(qm.stdout), ""]);
      assert.deepEqual([qm.code, qm.stderr], [0, ""]);
    } finally {
      await Deno.remove(kernel);
      await Deno.remove(spin);
    }
  },
});

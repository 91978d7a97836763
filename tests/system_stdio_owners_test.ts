// Who gets stdio when -nographic meets -serial, as qemu-system-riscv64 decides in the same run:
// -nographic with a -serial that is not `mon:` puts the monitor on stdio, so `-serial stdio` is
// refused ("cannot use stdio by multiple character devices", status 1), where `-serial mon:stdio`
// shares it and `-monitor none` leaves it to the serial port.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { which } from "../scripts/build_guests.ts";

const BOARD = ["-M", "virt", "-bios", "none", "-kernel", "tests/baremetal/bin/timer.elf"];
const peer = await which("qemu-system-riscv64");
if (!peer) {
  console.warn("system_stdio_owners_test: SKIPPING the peer's runs: qemu-system-riscv64 missing");
}

/** Exit status, the guest's first line on stdout, and whether stderr says stdio is taken twice. */
async function run(cmd: string, args: string[]) {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const dec = new TextDecoder();
  const first = dec.decode(out.stdout).split("\n").find((l) => l === "timer");
  const taken = dec.decode(out.stderr).includes("cannot use stdio by multiple character devices");
  return { code: out.code, first, taken };
}

Deno.test("emu system: -nographic -serial stdio is refused, as qemu-system-riscv64", async () => {
  const cases: [string[], boolean][] = [
    // before: Denemu ran the guest with the serial port on stdio and no monitor
    [["-nographic", "-serial", "stdio"], true],
    [["-nographic", "-serial", "mon:stdio"], false],
    [["-nographic", "-monitor", "none", "-serial", "stdio"], false],
  ];
  for (const [flags, refused] of cases) {
    const emu = await run(Deno.execPath(), ["run", "-A", "mod.ts", "system", ...BOARD, ...flags]);
    const want = refused
      ? { code: 1, first: undefined, taken: true }
      : { code: 0, first: "timer", taken: false };
    assert.deepEqual(emu, want, flags.join(" "));
    if (peer) assert.deepEqual(await run("qemu-system-riscv64", [...BOARD, ...flags]), want);
  }
});

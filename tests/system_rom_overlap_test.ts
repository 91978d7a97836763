// qemu-system-riscv64 refuses to start when the images it loads overlap ("Some ROM regions are
// overlapping"): with -m 1 or 2 the device tree (a 1 MiB blob in QEMU 7.2, 2 MiB-aligned below the
// end of RAM) lands on a kernel at 0x80000000. emu system refuses them too, in one line, status 1,
// where it ran the guest into its fault loop before; with -m 3 both run it. Compared with the peer
// in the same run. An empty -kernel or -bios is refused as QEMU refuses it, and the reset vector
// jumps to DRAM whatever the ELF entry says, as QEMU 7.2.
// SPDX-License-Identifier: GPL-3.0-or-later
import assert from "node:assert/strict";
import { which } from "../scripts/build_guests.ts";

const KERNEL = "tests/baremetal/bin/timer.elf";
const BOARD = ["-M", "virt", "-nographic", "-bios", "none", "-kernel", KERNEL];
const peer = await which("qemu-system-riscv64");
if (!peer) {
  console.warn("system_rom_overlap_test: SKIPPING the peer's runs: qemu-system-riscv64 missing");
}

async function run(cmd: string, args: string[]): Promise<{ code: number; err: string[] }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const err = new TextDecoder().decode(out.stderr).split("\n").filter((l) => l);
  return { code: out.code, err };
}

Deno.test("emu system: overlapping images are refused before the run, as qemu-system-riscv64", async () => {
  for (const [mem, refused] of [["1", true], ["2", true], ["3", false]] as const) {
    const emu = await run(Deno.execPath(), ["run", "-A", "mod.ts", "system", ...BOARD, "-m", mem]);
    if (refused) {
      // before: no message, the guest faulting for ever
      assert.equal(emu.code, 1, `-m ${mem}`);
      assert.equal(emu.err.length, 1, emu.err.join("\n"));
      assert.match(emu.err[0], /^emu: Some ROM regions are overlapping: .*segment 1 .* and fdt /);
    } else assert.deepEqual(emu, { code: 0, err: [] }, `-m ${mem}`);
    if (!peer) continue;
    const qemu = await run("qemu-system-riscv64", [...BOARD, "-m", mem]);
    assert.equal(qemu.code, emu.code, `qemu -m ${mem}`);
    assert.equal(
      qemu.err[0] === "qemu-system-riscv64: Some ROM regions are overlapping",
      refused,
      qemu.err.join("\n"),
    );
  }
});

/** Runs `args` with emu system and the peer (if there) and asserts the same status and output. */
async function same(args: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const go = async (cmd: string, pre: string[]) => {
    const out = await new Deno.Command(cmd, {
      args: [...pre, "-M", "virt", "-m", "64M", "-nographic", ...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    const err = new TextDecoder().decode(out.stderr).split("\n").filter((l) => l);
    return { code: out.code, out: new TextDecoder().decode(out.stdout), err };
  };
  const emu = await go(Deno.execPath(), ["run", "-A", "mod.ts", "system"]);
  if (peer) {
    const qemu = await go("qemu-system-riscv64", []);
    assert.deepEqual(
      [emu.code, emu.out, emu.err.map((l) => l.replace(/^emu: /, ""))],
      [qemu.code, qemu.out, qemu.err.map((l) => l.replace(/^qemu-system-riscv64: /, ""))],
      args.join(" "),
    );
  }
  return emu;
}

Deno.test("emu system: an empty -kernel or -bios is refused, an ELF's entry is not where the reset vector jumps, as qemu-system-riscv64", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/empty`, new Uint8Array());
    // before: zeros ran, faulting for ever
    for (const args of [["-bios", "none", "-kernel"], ["-bios"]]) {
      const r = await same([...args, `${dir}/empty`]);
      assert.equal(r.code, 1);
      assert.match(r.err.join("\n"), /^emu: could not load (kernel|firmware) '.*empty'$/);
    }
    // QEMU 7.2 jumps to DRAM (0x80000000), not to e_entry: here past the code (before: no output)
    // or outside every segment (before: refused)
    const elf = await Deno.readFile("tests/baremetal/bin/traps.elf");
    for (const entry of [0x80000400n, 0xffffffffffffff00n]) {
      new DataView(elf.buffer).setBigUint64(24, entry, true);
      await Deno.writeFile(`${dir}/entry.elf`, elf);
      for (const args of [["-bios", "none", "-kernel"], ["-bios"]]) {
        const r = await same([...args, `${dir}/entry.elf`]);
        assert.equal(r.code, 0);
        assert.match(r.out, /^traps\n[^]*done\n$/);
      }
    }
    // segments go to p_paddr, as QEMU's load_elf: here p_vaddr says 0x80680000 (before: nothing ran)
    new DataView(elf.buffer).setBigUint64(64 + 56 + 16, 0x80680000n, true); // the PT_LOAD's
    await Deno.writeFile(`${dir}/entry.elf`, elf);
    const r = await same(["-bios", "none", "-kernel", `${dir}/entry.elf`]);
    assert.match(r.out, /^traps\n[^]*done\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

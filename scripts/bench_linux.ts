/**
 * The Linux boot bench: the test kernel (tests/linux) from OpenSBI to init
 * and poweroff, with its virtio disk, under Denemu (JIT, in-process) and
 * qemu-system-riscv64 with the same command line; wall seconds and peak RSS.
 *
 * @example
 * ```ts ignore
 * import { benchLinux } from "./bench_linux.ts";
 * await benchLinux((name, value) => console.log(name, value));
 * // or: deno run -A scripts/bench_linux.ts
 * ```
 *
 * @module
 */

import { createMachine, type SystemOptions } from "../mod.ts";
import { machineDriver } from "../core/machine/machine.ts";
import { timed } from "./bench_real.ts";

const DIR = new URL("../tests/linux/", import.meta.url).pathname;
const FW = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
/** The test kernel's devices besides the board's and its disk: a virtio-rng-pci. */
export const LINUX_DEVICES = ["virtio-rng-pci"];
/**
 * The `-drive` value of the disk on `file` (`extra`: more options, e.g.
 * ",snapshot=on"): QEMU's default `if=virtio`, a virtio-blk-pci.
 */
export const linuxDrive = (file: string, extra = "") => `file=${file},format=raw,if=virtio${extra}`;
/**
 * `createMachine`'s `system` options that boot the test kernel (OpenSBI, `tests/linux`'s Image
 * and initramfs, a serial console) with `drive` as its disk; `more` adds or replaces options.
 *
 * @example
 * ```ts ignore
 * const m = await createMachine({ system: linuxSystem(linuxDrive("disk.ext2"), { smp: 2 }) });
 * ```
 */
export function linuxSystem(
  drive: string,
  more: Partial<SystemOptions["system"]> = {},
): SystemOptions["system"] {
  return {
    bios: FW,
    kernel: `${DIR}Image`,
    initrd: `${DIR}initramfs.cpio.gz`,
    append: "console=ttyS0",
    drives: [drive],
    devices: LINUX_DEVICES,
    ...more,
  };
}
/**
 * What QEMU needs besides the same command line to build the same board:
 * its virtio-pci functions are transitional by default, Denemu's modern only.
 */
export const QEMU_MODERN_VIRTIO = ["-global", "virtio-pci.disable-legacy=on"];

/**
 * qemu-system-riscv64's arguments booting the test kernel with disk `file`.
 *
 * @example
 * ```ts
 * import { qemuLinuxArgs } from "./bench_linux.ts";
 * console.log(qemuLinuxArgs("disk.img").includes("-kernel")); // true
 * ```
 */
export function qemuLinuxArgs(file: string, extra = ""): string[] {
  const args = [
    "-M",
    "virt",
    "-m",
    "128M",
    "-nographic",
    "-bios",
    FW,
    "-kernel",
    `${DIR}Image`,
    "-initrd",
    `${DIR}initramfs.cpio.gz`,
    "-append",
    "console=ttyS0",
    "-drive",
    linuxDrive(file, extra),
  ];
  for (const d of LINUX_DEVICES) args.push("-device", d);
  return [...args, ...QEMU_MODERN_VIRTIO];
}

/** Wall seconds of one boot to poweroff under qemu-system-riscv64, or null without it. */
async function qemuBoot(disk: string): Promise<{ seconds: number; rssMiB: number } | null> {
  const args = ["-f", "%M", "qemu-system-riscv64", ...qemuLinuxArgs(disk, ",snapshot=on")];
  const t0 = performance.now();
  try {
    const r = await new Deno.Command("/usr/bin/time", {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (!r.success) return null;
    const lines = new TextDecoder().decode(r.stderr).trim().split("\n");
    return { seconds: (performance.now() - t0) / 1000, rssMiB: Number(lines.at(-1)) / 1024 };
  } catch {
    return null;
  }
}

/**
 * Peak RSS in MiB of `emu system` booting Linux as a whole process (the in-process boot's RSS
 * includes whatever the bench did before), and of an empty `deno run`, Deno's own baseline.
 */
async function denemuPeakRss(disk: string): Promise<{ rssMiB: number; denoMiB: number }> {
  const mod = new URL("../mod.ts", import.meta.url).pathname;
  const qemuOnly = new Set(QEMU_MODERN_VIRTIO);
  const args = qemuLinuxArgs(disk, ",snapshot=on").filter((a) => !qemuOnly.has(a));
  const boot = await timed([Deno.execPath(), "run", "-A", mod, "system", ...args]);
  const empty = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    const deno = await timed([Deno.execPath(), "run", empty]);
    return { rssMiB: boot.rssKiB / 1024, denoMiB: deno.rssKiB / 1024 };
  } finally {
    await Deno.remove(empty);
  }
}

/** Boots Linux under both and writes the rows; returns the figures for `--json`. */
export async function benchLinux(
  row: (name: string, value: string) => void,
): Promise<Record<string, number>> {
  if (!await Deno.stat(FW).then(() => true, () => false)) {
    row("linux boot", "skipped: the opensbi package is not installed");
    return {};
  }
  const disk = `${DIR}disk.ext2`;
  const t0 = performance.now();
  const m = await createMachine({ system: linuxSystem(linuxDrive(disk, ",snapshot=on")) });
  await m.runToExit();
  const ours = (performance.now() - t0) / 1000;
  const tbs = machineDriver(m).cpu.tbs;
  const cached = [...tbs.blocks()].length;
  await m.close();
  const rss = Deno.memoryUsage().rss / 2 ** 20;
  row(
    "denemu system (jit)",
    `${ours.toFixed(2)} s  (${m.icount} insns; process RSS now ${rss.toFixed(0)} MiB)`,
  );
  row("denemu TBs cached at poweroff", `${cached} of the ${tbs.translated} translated`);
  const q = await qemuBoot(disk);
  if (!q) {
    row("qemu-system-riscv64", "skipped: not installed (or /usr/bin/time missing)");
    return { linuxBootSeconds: ours };
  }
  row("qemu-system-riscv64", `${q.seconds.toFixed(2)} s  (peak RSS ${q.rssMiB.toFixed(0)} MiB)`);
  row("denemu / qemu-system-riscv64 time", `${(ours / q.seconds).toFixed(1)}x`);
  const peak = await denemuPeakRss(disk);
  row(
    "denemu `emu system` peak RSS",
    `${peak.rssMiB.toFixed(0)} MiB  (goal: 2x QEMU's plus an empty deno run's ${
      peak.denoMiB.toFixed(0)
    } MiB = ${(2 * q.rssMiB + peak.denoMiB).toFixed(0)} MiB)`,
  );
  return {
    linuxBootSeconds: ours,
    qemuLinuxBootSeconds: q.seconds,
    qemuLinuxBootRssMiB: q.rssMiB,
    linuxBootRssMiB: peak.rssMiB,
    linuxTbsCached: cached,
    linuxTbsTranslated: tbs.translated,
    denoBaselineRssMiB: peak.denoMiB,
  };
}

if (import.meta.main) {
  const load = (await Deno.readTextFile("/proc/loadavg").catch(() => "?")).split(" ")[0];
  console.log(`load average before: ${load}`);
  await benchLinux((name, value) => console.log(`${name.padEnd(36)} ${value}`));
}

/**
 * What a bench run ran on, kept in its `--json` figures so that tables made from them
 * (`scripts/perf_tables.ts`) can say which machine and how much other load they came from.
 *
 * @module
 */
// SPDX-License-Identifier: GPL-3.0-or-later

/** The host of a bench run. */
export interface BenchMachine {
  /** ISO date of the start of the run */
  date: string;
  /** CPU model from /proc/cpuinfo ("unknown" elsewhere) */
  cpu: string;
  /** logical CPUs */
  cores: number;
  /** 1, 5 and 15-minute load averages at the start of the run */
  loadAverage: number[];
  /** the same at the end (filled in by the bench when it finishes) */
  loadAverageEnd?: number[];
  deno: string;
  /** first line of `qemu-riscv64 --version`, or null when it is not installed */
  qemu: string | null;
}

/**
 * Describes this host.
 *
 * @example
 * ```ts ignore
 * const m = await benchMachine();
 * console.log(`${m.cpu}, ${m.cores} cores, load ${m.loadAverage[0]}`);
 * ```
 */
export async function benchMachine(): Promise<BenchMachine> {
  let cpu = "unknown";
  try {
    const info = await Deno.readTextFile("/proc/cpuinfo");
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1] ?? cpu;
  } catch { /* not Linux: the model stays unknown */ }
  let qemu: string | null = null;
  try {
    const r = await new Deno.Command("qemu-riscv64", { args: ["--version"], stdout: "piped" })
      .output();
    qemu = new TextDecoder().decode(r.stdout).split("\n")[0];
  } catch { /* not installed */ }
  return {
    date: new Date().toISOString(),
    cpu,
    cores: navigator.hardwareConcurrency,
    loadAverage: Deno.loadavg(),
    deno: Deno.version.deno,
    qemu,
  };
}

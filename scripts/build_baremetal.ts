/**
 * Builds the bare-metal system-mode test programs (`tests/baremetal/src/` ->
 * `tests/baremetal/bin/`) with riscv64-unknown-elf-gcc, and with `--record`
 * records what qemu-system-riscv64/32 prints for each
 * (`-M virt -bios none -kernel prog.elf -nographic`) into
 * `tests/baremetal/expected/`. Run with `deno task baremetal`.
 *
 * @example
 * ```ts ignore
 * // deno run -A scripts/build_baremetal.ts --record
 * import { BAREMETAL_PROGRAMS } from "./build_baremetal.ts";
 * console.log(BAREMETAL_PROGRAMS.map((p) => p.name));
 * ```
 *
 * @module
 */

import { which } from "./build_guests.ts";

/** One bare-metal program: its name, sources (besides the runtime), XLEN, defines and ISA. */
export interface BaremetalProgram {
  name: string;
  source: string;
  xlen: 32 | 64;
  defines?: string[];
  /** extra linker flags */
  ldflags?: string[];
  /**
   * Linked to run from flash bank 0 (`link_flash.ld`): `bin/NAME.flash` is
   * its code and constants, to write at the start of the bank image
   */
  flash?: boolean;
  /** the ISA extensions after the base (default "imac_zicsr") */
  isa?: string;
  /** the `-cpu` both emulators run it with (default `rv64`/`rv32`) */
  cpu?: string;
  /** `-smp`: the harts both emulators run it with (default 1; more defines SMP for crt.S) */
  smp?: number;
  /**
   * Why QEMU cannot run it (an extension newer than QEMU 7.2): its expected
   * output is then written from the specification, not recorded.
   */
  noQemu?: string;
}

/** Every program the tests run. */
export const BAREMETAL_PROGRAMS: BaremetalProgram[] = [
  { name: "traps", source: "traps.c", xlen: 64 },
  { name: "timer", source: "timer.c", xlen: 64 },
  { name: "vm_sv39", source: "vm.c", xlen: 64, defines: ["LEVELS=3"] },
  { name: "vm_sv48", source: "vm.c", xlen: 64, defines: ["LEVELS=4"] },
  { name: "vm_sv57", source: "vm.c", xlen: 64, defines: ["LEVELS=5"] },
  { name: "pmp", source: "pmp.c", xlen: 64 },
  { name: "pmp_bytes", source: "pmp_bytes.c", xlen: 64 },
  { name: "pmp_fetch", source: "pmp_fetch.c", xlen: 64 },
  { name: "vm_sv32", source: "vm.c", xlen: 32, defines: ["LEVELS=2"] },
  // Linked with -N (OMAGIC): PT_LOAD file offsets are not page-congruent; QEMU boots it anyway.
  { name: "traps_omagic", source: "traps.c", xlen: 64, ldflags: ["-Wl,-N"] },
  { name: "fs", source: "fs.c", xlen: 64, isa: "imafdc_zicsr" },
  { name: "triggers", source: "triggers.c", xlen: 64 },
  { name: "vs", source: "vs.c", xlen: 64, isa: "imafdcv_zicsr", cpu: "rv64,v=true,vlen=128" },
  { name: "fuzzme", source: "fuzzme.c", xlen: 64 },
  { name: "sstc", source: "sstc.c", xlen: 64 },
  { name: "svext", source: "svext.c", xlen: 64, cpu: "rv64,svnapot=on,svpbmt=on,svinval=on" },
  { name: "svext_pbmt", source: "svext.c", xlen: 64, cpu: "rv64,svpbmt=on" },
  { name: "svext_napot", source: "svext.c", xlen: 64, cpu: "rv64,svnapot=on" },
  { name: "svext_off", source: "svext.c", xlen: 64 },
  { name: "smp", source: "smp.c", xlen: 64, isa: "imac_zicsr_zifencei", smp: 2 },
  { name: "triggers_smp", source: "triggers_smp.c", xlen: 64, smp: 2 },
  { name: "gdb_smp", source: "gdb_smp.c", xlen: 64, smp: 2 },
  { name: "pflash", source: "pflash.c", xlen: 64 },
  { name: "fw_cfg", source: "fw_cfg.c", xlen: 64, smp: 2 },
  {
    name: "cmo",
    source: "cmo.c",
    xlen: 64,
    cpu: "rv64,zicbom=on,zicboz=on",
    noQemu: "QEMU 7.2 has no Zicbom or Zicboz",
  },
  ...["on", "off"].map((state) => ({
    name: `smstateen_${state}`,
    source: "smstateen.c",
    xlen: 64 as const,
    cpu: `rv64,smstateen=${state}`,
    noQemu: "QEMU 7.2 has no Smstateen",
  })),
];

/**
 * Programs the bench runs (`scripts/bench_paging.ts`), built with the others
 * but not run by the tests: their timing lines differ from run to run.
 */
export const BAREMETAL_BENCH_PROGRAMS: BaremetalProgram[] = [
  { name: "paging_bench", source: "paging_bench.c", xlen: 64 },
];

/**
 * Programs that push a bound of the emulator, run by their own tests (with QEMU in
 * the same run): codeflood fills the TB cache (tests/worker_command_test.ts).
 */
export const BAREMETAL_STRESS_PROGRAMS: BaremetalProgram[] = [
  { name: "codeflood", source: "codeflood.c", xlen: 64, isa: "imac_zicsr_zifencei" },
];

/**
 * Programs that run from flash (`-drive if=pflash,unit=0`, no `-kernel`):
 * their tests build the bank images and compare with QEMU in the same run.
 */
export const BAREMETAL_FLASH_PROGRAMS: BaremetalProgram[] = [
  { name: "pflash_xip", source: "pflash.c", xlen: 64, flash: true, defines: ["RUN_FROM_FLASH"] },
];

/**
 * The `-cpu` a program runs with.
 *
 * @example
 * ```ts
 * import { BAREMETAL_PROGRAMS, programCpu } from "./build_baremetal.ts";
 * console.log(programCpu(BAREMETAL_PROGRAMS[0])); // "rv64"
 * ```
 */
export function programCpu(p: BaremetalProgram): string {
  return p.cpu ?? `rv${p.xlen}`;
}

const ROOT = new URL("../tests/baremetal/", import.meta.url).pathname;

/**
 * The file to pass as -kernel: `bin/NAME.elf`, or `bin/NAME.bin` (raw) for RV32.
 *
 * @example
 * ```ts
 * import { BAREMETAL_PROGRAMS, programImage } from "./build_baremetal.ts";
 * console.log(programImage(BAREMETAL_PROGRAMS[0]).endsWith("traps.elf")); // true
 * ```
 */
export function programImage(p: BaremetalProgram): string {
  return `${ROOT}bin/${p.name}.elf`;
}

/** Runs QEMU on program `p` and returns what the guest printed (and its exit status); a run cut off by the time limit is tried once more. */
export async function runQemu(p: BaremetalProgram): Promise<{ out: string; code: number }> {
  // QEMU's timers follow the host clock: on a loaded host the sstc program's wait for a timer
  // interrupt has outlasted the time limit (a clean-clone CI run at load 4-6). One more try then.
  const first = await runQemuOnce(p);
  return first.timedOut ? await runQemuOnce(p) : first;
}

async function runQemuOnce(
  p: BaremetalProgram,
): Promise<{ out: string; code: number; timedOut: boolean }> {
  const elf = programImage(p);
  const cmd = new Deno.Command(`qemu-system-riscv${p.xlen}`, {
    args: ["-M", "virt", "-bios", "none", "-cpu", programCpu(p), "-kernel", elf, "-nographic"]
      .concat(["-m", "128M", "-smp", String(p.smp ?? 1)]),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const child = cmd.spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill();
  }, 20000);
  const r = await child.output();
  clearTimeout(timer);
  const out = new TextDecoder().decode(r.stdout).replaceAll("\r\n", "\n");
  return { out, code: r.code, timedOut };
}

async function build(p: BaremetalProgram): Promise<void> {
  const march = `rv${p.xlen}${p.isa ?? "imac_zicsr"}`;
  const mabi = p.xlen === 64 ? "lp64" : "ilp32";
  const src = `${ROOT}src/`;
  const args = [
    `-march=${march}`,
    `-mabi=${mabi}`,
    "-mcmodel=medany",
    "-O2",
    "-ffreestanding",
    "-nostdlib",
    "-nostartfiles",
    "-Wl,--no-warn-rwx-segments",
    "-T",
    `${src}${p.flash ? "link_flash.ld" : "link.ld"}`,
    ...(p.defines ?? []).map((d) => `-D${d}`),
    ...(p.smp ?? 1) > 1 ? ["-DSMP"] : [],
    ...(p.ldflags ?? []),
    "-o",
    `${ROOT}bin/${p.name}.elf`,
    `${src}crt.S`,
    `${src}rt.c`,
    `${src}${p.source}`,
  ];
  const r = await new Deno.Command("riscv64-unknown-elf-gcc", { args }).output();
  if (!r.success) throw new Error(`${p.name}: ${new TextDecoder().decode(r.stderr)}`);
  if (!p.flash) return;
  const elf = `${ROOT}bin/${p.name}.elf`, flash = `${ROOT}bin/${p.name}.flash`;
  const copy = ["-O", "binary", "-j", ".text", "-j", ".rodata", elf, flash];
  const c = await new Deno.Command("riscv64-unknown-elf-objcopy", { args: copy }).output();
  if (!c.success) throw new Error(`${p.name}: ${new TextDecoder().decode(c.stderr)}`);
}

if (import.meta.main) {
  if (!(await which("riscv64-unknown-elf-gcc"))) {
    console.error("riscv64-unknown-elf-gcc not found: nothing built");
    Deno.exit(1);
  }
  const only = Deno.args.filter((a) => !a.startsWith("--"));
  for (
    const p of [
      ...BAREMETAL_PROGRAMS,
      ...BAREMETAL_BENCH_PROGRAMS,
      ...BAREMETAL_STRESS_PROGRAMS,
      ...BAREMETAL_FLASH_PROGRAMS,
    ]
  ) {
    if (only.length && !only.includes(p.name)) continue;
    await build(p);
    console.log(`built ${p.name}.elf`);
    if (!BAREMETAL_PROGRAMS.includes(p)) continue; // run by its own test: nothing to record
    if (Deno.args.includes("--record") && p.noQemu) {
      console.log(`  not recorded: ${p.noQemu}; expected/${p.name}.txt follows the specification`);
    } else if (Deno.args.includes("--record")) {
      const { out, code } = await runQemu(p);
      await Deno.writeTextFile(`${ROOT}expected/${p.name}.txt`, out);
      console.log(`  recorded QEMU output (exit ${code})`);
    }
  }
}

/**
 * Records what qemu-system-riscv64 prints when it boots OpenSBI + U-Boot,
 * stops autoboot with a key and runs `version` and `md.l 0x80000000 4`
 * (the PMP-protected firmware: an access fault and a reset), into
 * `tests/system_expected/uboot_qemu.txt` for `tests/system_cpu_uboot_test.ts`.
 *
 * @example
 * ```ts ignore
 * // deno run -A scripts/record_uboot_qemu.ts
 * ```
 *
 * @module
 */

/** The firmware the test boots. */
export const FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin";
/** The U-Boot image the test boots. */
export const UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";

/** One step of a conversation with U-Boot: what to type, then what to wait for. */
interface Step {
  type: string;
  until: RegExp;
}

/**
 * Boots OpenSBI + U-Boot in a live qemu-system-riscv64, types each step's
 * input and waits for its pattern; returns everything QEMU printed (with
 * "\n" line ends). Throws when QEMU exits or stays silent for 60 s.
 */
export async function converseWithQemu(steps: readonly Step[]): Promise<string> {
  const child = new Deno.Command("qemu-system-riscv64", {
    args: ["-M", "virt", "-m", "256M", "-nographic", "-bios", FW_JUMP, "-kernel", UBOOT],
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let out = "", at = 0;
  const silence = setTimeout(() => child.kill(), 60_000);
  try {
    for (const step of steps) {
      await w.write(new TextEncoder().encode(step.type));
      while (!step.until.test(out.slice(at))) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`qemu-system-riscv64 exited waiting for ${step.until}`);
        out += dec.decode(value);
      }
      at = out.length;
    }
  } finally {
    clearTimeout(silence);
    child.kill();
    await child.status;
  }
  return out.replaceAll("\r\n", "\n");
}

/** U-Boot's prompt, then `version`: what QEMU answers, from "version" to the next prompt. */
export async function qemuUbootVersion(): Promise<string> {
  const out = await converseWithQemu([
    { type: "", until: /Hit any key/ },
    { type: "x", until: /=> / },
    { type: "version\r", until: /=> / },
  ]);
  const at = out.indexOf("=> version\n") + 3;
  return out.slice(at, out.indexOf("=> ", at));
}

if (import.meta.main) {
  const t0 = performance.now();
  const out = await converseWithQemu([
    { type: "", until: /Hit any key/ },
    { type: "x", until: /=> / },
    { type: "version\r", until: /=> / },
    { type: "md.l 0x80000000 4\r", until: /resetting \.\.\.[\s\S]*OpenSBI/ },
  ]);
  console.log(`recorded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  await Deno.writeTextFile(
    new URL("../tests/system_expected/uboot_qemu.txt", import.meta.url),
    out,
  );
}

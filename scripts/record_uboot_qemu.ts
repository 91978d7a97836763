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
export const UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";

if (import.meta.main) {
  const child = new Deno.Command("qemu-system-riscv64", {
    args: ["-M", "virt", "-m", "256M", "-nographic", "-bios", FW_JUMP, "-kernel", UBOOT],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  const enc = new TextEncoder();
  let out = "";
  const dec = new TextDecoder();
  const reader = child.stdout.getReader();
  const waitFor = async (re: RegExp, from: number) => {
    while (!re.test(out.slice(from))) {
      const { value, done } = await reader.read();
      if (done) throw new Error("qemu exited");
      out += dec.decode(value);
    }
    return out.length;
  };
  const t0 = performance.now();
  let at = await waitFor(/Hit any key/, 0);
  await w.write(enc.encode("x"));
  at = await waitFor(/=> /, at);
  console.log(`prompt after ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  await w.write(enc.encode("version\r"));
  at = await waitFor(/=> /, at);
  await w.write(enc.encode("md.l 0x80000000 4\r"));
  await waitFor(/resetting \.\.\.[\s\S]*OpenSBI/, at);
  await w.write(enc.encode("\x01x"));
  child.kill();
  await Deno.writeTextFile(
    new URL("../tests/system_expected/uboot_qemu.txt", import.meta.url),
    out.replaceAll("\r\n", "\n"),
  );
}
